"""`bayling-data view` in a real browser (headless Chromium, the Debian package, driven by Selenium):
overview, search, a facet, a record, a rejected record, and an injected `<script>` that stays text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CLI, generate_args, run_cli

from bayling_data.testing.mock_teacher import Faults, MockServer, MockState

# where the screenshots go (BAYLING_SCREENSHOTS=docs/screenshots refreshes the README's)
SCREENSHOTS = Path(os.environ.get("BAYLING_SCREENSHOTS") or Path(tempfile.gettempdir()) / "bayling-view-screenshots")
INJECTED = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None
    )
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def output(tmp_path_factory, request) -> Path:
    """A small generate run (kept and rejected records), one answer replaced by a script injection."""
    folder = tmp_path_factory.mktemp("view")
    env = request.getfixturevalue("cli_env_module")
    with MockServer(MockState(faults=Faults(wrong_language=0.15))) as server:
        result = run_cli(generate_args(server.url, folder / "out", 60, langs="zh,en,de"), env)
    assert result.returncode == 0, result.stderr
    shard = folder / "out" / "data" / "train-00000-of-00001.parquet"
    table = pq.read_table(shard).to_pylist()
    table[0]["messages"][1]["content"] = INJECTED
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist(table, schema=pq.read_schema(shard)), shard)
    return folder / "out"


@pytest.fixture(scope="module")
def cli_env_module(tmp_path_factory) -> dict[str, str]:
    cache = tmp_path_factory.mktemp("cache")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(XDG_CACHE_HOME=str(cache), NO_COLOR="1", COLUMNS="200")
    return env


@pytest.fixture(scope="module")
def viewer(output, cli_env_module):
    """`bayling-data view OUT --port 0` as a user starts it; its URL."""
    process = subprocess.Popen(
        [*CLI, "view", str(output), "--port", "0"], env=cli_env_module, stderr=subprocess.PIPE, text=True
    )
    line = process.stderr.readline()
    url = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert url, line
    yield url.group(0)
    process.terminate()
    assert process.wait(timeout=10) == 0  # SIGTERM stops it cleanly


@pytest.fixture(scope="module")
def browser():
    found = _chromium()
    if found is None:
        message = "needs headless Chromium and its driver: apt-get install chromium chromium-driver"
        if os.environ.get("BAYLING_BROWSER_TESTS") == "required":  # CI installs them: there, missing is a failure
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    yield driver
    driver.quit()


def _shot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_the_viewer_in_a_browser(viewer, browser, output):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.wait import WebDriverWait

    url = viewer
    summary = json.loads((output / "run_summary.json").read_text())
    browser.get(url)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert f"{summary['stats']['kept']} records kept" in body
    images = browser.find_elements(By.CSS_SELECTOR, ".charts img")
    assert len(images) >= 4
    for image in images:  # every chart loaded and drew something
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
    _shot(browser, "overview")

    # search: the one record with the injected answer, and nothing for text no record has
    browser.find_element(By.NAME, "q").send_keys("PWNED", Keys.ENTER)
    # the form's navigation may not have happened yet when send_keys returns (seen once in a full run)
    WebDriverWait(browser, 30).until(lambda driver: "q=PWNED" in driver.current_url)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".result")) == 1
    browser.get(url + "browse?q=no+record+says+this")
    assert "No record matches." in browser.find_element(By.TAG_NAME, "body").text
    browser.get(url + "browse")
    _shot(browser, "browse")

    # a facet: the URL carries it (shareable) and every result shows it
    for _ in range(20):  # the facet index is built in the background
        facets = browser.find_elements(By.CSS_SELECTOR, 'a.facet[data-facet="direction"]')
        if facets:
            break
        time.sleep(0.5)
        browser.refresh()
    direction = facets[0].text
    facets[0].click()
    assert "direction=" in browser.current_url
    tags = [r.text for r in browser.find_elements(By.CSS_SELECTOR, ".result")]
    assert tags and all(direction.replace(" -> ", " → ") in t for t in tags)
    shared = browser.current_url
    browser.get(shared)  # the same query from its URL alone
    assert [r.text for r in browser.find_elements(By.CSS_SELECTOR, ".result")] == tags

    # a record: a chat, each turn tagged with its language and turn type; keyboard next/previous
    browser.find_elements(By.CSS_SELECTOR, ".result a")[0].click()
    assert browser.find_elements(By.CSS_SELECTOR, ".turn.user") and browser.find_elements(
        By.CSS_SELECTOR, ".turn.assistant"
    )
    assert browser.find_elements(By.CSS_SELECTOR, ".source")  # the source beside a translation
    _shot(browser, "record")
    first = browser.current_url
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    time.sleep(0.5)
    assert browser.current_url != first
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    time.sleep(0.5)
    assert browser.current_url == first

    # a rejected record shows the step and reason that rejected it
    browser.get(url + "browse?split=rejected")
    browser.find_elements(By.CSS_SELECTOR, ".result a")[0].click()
    reason = browser.find_element(By.ID, "reject-reason").text
    assert reason.startswith("Rejected by ")
    _shot(browser, "rejected")

    # the injected answer shows as text, and no script ran
    browser.get(url + "record/0/0")
    assert INJECTED in browser.find_element(By.TAG_NAME, "body").text
    assert browser.title != "pwned"


def test_view_says_what_is_wrong(output, cli_env_module, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_cli(["view", str(output), "--port", str(port)], cli_env_module, timeout=60)
    assert busy.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in busy.stderr and "pick another --port" in busy.stderr
    assert "Traceback" not in busy.stderr and "FATAL" not in busy.stderr  # no thread left running at exit
    missing = run_cli(["view", str(tmp_path / "nothing")], cli_env_module, timeout=60)
    assert missing.returncode == 2 and "no run_summary.json" in missing.stderr
