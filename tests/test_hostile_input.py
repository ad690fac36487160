"""Hostile input, one case a row: every failure a user can cause ends in a line or two that say what, where
and what next (no traceback), with exit code 2 for bad input or options and 1 for the environment, and no
input is deleted or overwritten."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import generate_args, load_output, run_cli

from bayling_data.testing.mock_teacher import MockServer, MockState

GOOD = {
    "messages": [
        {"role": "user", "content": "Wie komme ich am schnellsten zum Bahnhof?"},
        {"role": "assistant", "content": "Nehmen Sie die Straßenbahn der Linie 4 bis zur Haltestelle Hauptbahnhof."},
    ]
}


def chat(i: int) -> dict:
    return {
        "messages": [
            {"role": "user", "content": f"Frage Nummer {i}: Wie spät fährt der letzte Zug nach Hause?"},
            {
                "role": "assistant",
                "content": f"Antwort {i}: Der letzte Zug fährt um {i % 24} Uhr und {i % 60} Minuten.",
            },
        ]
    }


def write_jsonl(path: Path, rows: list, raw_lines: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    for index, raw in (raw_lines or {}).items():
        lines.insert(index, raw)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Case:
    """Files to make, the command, and what it must answer."""

    setup: Callable[[Path, dict[str, str]], list[str]]  # makes the inputs in tmp_path; returns the CLI arguments
    code: int
    says: tuple[str, ...]
    check: Callable[[Path], None] = field(default=lambda tmp: None)  # what must hold afterwards
    never_says: tuple[str, ...] = ()


def filtered(tmp: Path, env: dict[str, str], name: str = "kept", rows: int = 20) -> Path:
    """An output folder made by `filter` from `rows` good records."""
    source = write_jsonl(tmp / f"{name}.jsonl", [chat(i) for i in range(rows)])
    out = tmp / name
    done = run_cli(["filter", str(source), "--out", str(out)], env)
    assert done.returncode == 0, done.stderr
    return out


def still_loads(folder: str, rows: int) -> Callable[[Path], None]:
    def check(tmp: Path) -> None:
        assert load_output(tmp / folder, tmp).num_rows == rows

    return check


def summary(tmp: Path, folder: str) -> dict:
    return json.loads((tmp / folder / "run_summary.json").read_text())


def merge_into_its_input(tmp: Path, env: dict[str, str]) -> list[str]:
    a, b = filtered(tmp, env, "a"), filtered(tmp, env, "b", 5)
    return ["merge", str(a), str(b), "--out", str(a), "--overwrite"]


def filter_into_its_input(tmp: Path, env: dict[str, str]) -> list[str]:
    folder = tmp / "corpus"
    folder.mkdir()
    write_jsonl(folder / "part.jsonl", [chat(i) for i in range(20)])
    return ["filter", str(folder), "--out", str(folder), "--overwrite"]


def overwrite_that_fails(tmp: Path, env: dict[str, str]) -> list[str]:
    filtered(tmp, env, "kept")
    bad = write_jsonl(tmp / "bad.jsonl", [chat(i) for i in range(50, 60)], {3: '{"messages": [broken'})
    return ["filter", str(bad), "--out", str(tmp / "kept"), "--overwrite"]


def content_not_text(skip: bool) -> Callable[[Path], list[str]]:
    def setup(tmp: Path, env: dict[str, str]) -> list[str]:
        rows = [chat(1), {"messages": [{"role": "user", "content": 42}, {"role": "assistant", "content": None}]}]
        path = write_jsonl(tmp / "typed.jsonl", rows)
        return ["filter", str(path), "--out", str(tmp / "o"), *(["--on-error", "skip"] if skip else [])]

    return setup


def long_conversation(tmp: Path, env: dict[str, str]) -> list[str]:
    messages = []
    for i in range(100):  # 200 turns, every pair different
        messages.append({"role": "user", "content": f"Schritt {i}: Was kommt nach der Zahl {i} in der Folge?"})
        messages.append({"role": "assistant", "content": f"Nach {i} kommt {i + 1}, denn die Folge zählt um eins."})
    return ["filter", str(write_jsonl(tmp / "long.jsonl", [{"messages": messages}])), "--out", str(tmp / "o")]


def ours_with_unknown_language(fmt: list[str]) -> Callable[[Path], list[str]]:
    def setup(tmp: Path, env: dict[str, str]) -> list[str]:
        row = {
            "id": "abc123",
            "task": "translate",
            "generator": "import",
            "src_lang": "deu_Latn",  # the request is German
            "tgt_lang": "xyz_Latn",
            "messages": chat(1)["messages"],
        }
        path = write_jsonl(tmp / "ours.jsonl", [row], {1: '{"task": 1}'})
        return ["filter", str(path), "--out", str(tmp / "o"), "--on-error", "skip", *fmt]

    return setup


def kept_with_its_fields(tmp: Path) -> None:
    rows = load_output(tmp / "o", tmp)
    assert rows.num_rows == 1
    assert (rows[0]["id"], rows[0]["tgt_lang"], rows[0]["task"]) == ("abc123", "xyz_Latn", "translate")
    assert summary(tmp, "o")["skipped"] == [f"{tmp / 'ours.jsonl'}:2: `messages` is missing"]


def binary_file(skip: bool) -> Callable[[Path], list[str]]:
    def setup(tmp: Path, env: dict[str, str]) -> list[str]:
        (tmp / "blob.jsonl").write_bytes(b"\xff\xfe\x00\x01binary\n" + json.dumps(GOOD).encode() + b"\n")
        return ["filter", str(tmp / "blob.jsonl"), "--out", str(tmp / "o"), *(["--on-error", "skip"] if skip else [])]

    return setup


def cut_gzip(skip: bool) -> Callable[[Path], list[str]]:
    def setup(tmp: Path, env: dict[str, str]) -> list[str]:
        data = gzip.compress("".join(json.dumps(chat(i)) + "\n" for i in range(2000)).encode())
        (tmp / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
        return ["filter", str(tmp / "cut.jsonl.gz"), "--out", str(tmp / "o"), *(["--on-error", "skip"] if skip else [])]

    return setup


def cut_parquet(tmp: Path, env: dict[str, str]) -> list[str]:
    table = pa.table({"messages": [chat(i)["messages"] for i in range(300)]})
    pq.write_table(table, tmp / "whole.parquet")
    data = (tmp / "whole.parquet").read_bytes()
    (tmp / "cut.parquet").write_bytes(data[: len(data) // 2])
    return ["filter", str(tmp / "cut.parquet"), "--out", str(tmp / "o")]


def messages_not_a_list(tmp: Path, env: dict[str, str]) -> list[str]:
    return ["filter", str(write_jsonl(tmp / "odd.jsonl", [{"messages": "hello"}])), "--out", str(tmp / "o")]


def out_is_a_file(overwrite: bool) -> Callable[[Path], list[str]]:
    def setup(tmp: Path, env: dict[str, str]) -> list[str]:
        (tmp / "taken.txt").write_text("keep me")
        source = write_jsonl(tmp / "in.jsonl", [GOOD])
        return ["filter", str(source), "--out", str(tmp / "taken.txt"), *(["--overwrite"] if overwrite else [])]

    return setup


def out_exists_for_filter(tmp: Path, env: dict[str, str]) -> list[str]:
    filtered(tmp, env, "kept")
    return ["filter", str(tmp / "kept.jsonl"), "--out", str(tmp / "kept")]


def settings_file(text: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path, env: dict[str, str]) -> list[str]:
        (tmp / "settings.yaml").write_text(text)
        source = write_jsonl(tmp / "in.jsonl", [GOOD])
        return ["filter", str(source), "--out", str(tmp / "o"), "--filters", str(tmp / "settings.yaml")]

    return setup


def skipped_lines_listed(tmp: Path) -> None:
    skipped = summary(tmp, "o")["skipped"]
    assert skipped == [f"{tmp / 'blob.jsonl'}:1: not UTF-8 text (byte 0xff at column 1)"]


CASES: dict[str, Case] = {
    "merge into one of its inputs": Case(
        merge_into_its_input, 2, ("is also an input", "another folder"), still_loads("a", 20)
    ),
    "filter into its input folder": Case(
        filter_into_its_input, 2, ("is also an input",), lambda tmp: (tmp / "corpus" / "part.jsonl").is_file()
    ),
    "overwrite that fails keeps the old output": Case(
        overwrite_that_fails, 2, ("bad.jsonl:4", "invalid JSON"), still_loads("kept", 20)
    ),
    "content that is not text": Case(content_not_text(False), 2, ("typed.jsonl:2", "content must be text, got 42")),
    "content that is not text, skipped": Case(
        content_not_text(True),
        0,
        ("kept 1, rejected 1",),
        lambda tmp: summary(tmp, "o")["stats"]["counts"]["rejected_reason"] == {"bad_content": 1},
    ),
    "200 different turns are no repetition": Case(long_conversation, 0, ("kept 1, rejected 0",)),
    "our format, unknown language, detected": Case(
        ours_with_unknown_language([]), 0, ("kept 1",), kept_with_its_fields
    ),
    "our format, unknown language, --format": Case(
        ours_with_unknown_language(["--format", "bayling"]), 0, ("kept 1",), kept_with_its_fields
    ),
    "binary file": Case(binary_file(False), 2, ("blob.jsonl:1", "not UTF-8", "--on-error skip")),
    "binary file, skipped and listed": Case(binary_file(True), 0, ("skipped 1", "blob.jsonl:1"), skipped_lines_listed),
    "cut gzip": Case(cut_gzip(False), 2, ("cut.jsonl.gz", "cut short or damaged")),
    "cut gzip, lines before it kept": Case(
        cut_gzip(True), 0, ("skipped 1",), lambda tmp: load_output(tmp / "o", tmp).num_rows > 100
    ),
    "cut parquet": Case(cut_parquet, 2, ("cut.parquet", "not a readable parquet file")),
    "messages not a list": Case(messages_not_a_list, 2, ("odd.jsonl:1", "`messages` must be a list")),
    "--out is a file": Case(out_is_a_file(False), 2, ("taken.txt is a file",)),
    "--out is a file, --overwrite": Case(
        out_is_a_file(True), 2, ("taken.txt is a file",), lambda tmp: (tmp / "taken.txt").read_text() == "keep me"
    ),
    "filter --out that exists": Case(
        out_exists_for_filter,
        2,
        ("already exists", "--overwrite"),
        never_says=("--resume",),  # filter has none
    ),
    "settings: invalid YAML": Case(settings_file("skip: [\n"), 2, ("settings.yaml", "not valid YAML at line 2")),
    "settings: wrong type": Case(settings_file("near_dup_threshold: high\n"), 2, ("near_dup_threshold", "a number")),
    "settings: a string for a list": Case(settings_file("skip: echo\n"), 2, ("skip", "expected a list", "[echo")),
    "settings: out of range": Case(settings_file("min_script_share: 5\n"), 2, ("min_script_share", "0.0 to 1.0")),
    "settings: unknown key": Case(settings_file("langid_min_probability: 0.9\n"), 2, ("unknown filter setting",)),
}


@pytest.fixture
def env(cli_env):
    return cli_env


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_hostile_input(case: Case, env, tmp_path):
    done = run_cli(case.setup(tmp_path, env), env)
    said = done.stderr + done.stdout
    assert "Traceback" not in said, said
    assert done.returncode == case.code, said
    for words in case.says:
        assert words in said, said
    for words in case.never_says:
        assert words not in said, said
    if done.returncode:
        assert len(done.stderr.strip().splitlines()) <= 2, done.stderr  # one or two lines
    assert case.check(tmp_path) is not False


# --- the environment: endpoints, the Hub, disks ------------------------------------------------------------


@pytest.fixture
def html_server() -> Iterator[str]:
    """An HTTP server that answers every request with an HTML page and status 200 (a wrong --base-url)."""

    class Page(http.server.BaseHTTPRequestHandler):
        def _page(self) -> None:
            body = b"<html><body><h1>Welcome to nginx!</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _page

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.parametrize("model", [[], ["--model", "m"]], ids=["listing models", "with --model"])
def test_endpoint_answering_html(html_server, model, env, tmp_path):
    done = run_cli([*generate_args(html_server, tmp_path / "o", 2, *model, langs="en,de")], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "answered an HTML page" in done.stderr and "--base-url" in done.stderr


def test_an_endpoint_that_refuses_every_request_ends_the_run(env, tmp_path):
    """A wrong --model (OpenAI answers 404 to each request): the run ends after a few refusals, saying what the
    server said, instead of sending 20*n+100 requests that are all refused."""
    with MockServer(MockState(only_its_model=True)) as server:
        done = run_cli(generate_args(server.url, tmp_path / "o", 500, "--model", "gpt-4o-mni", langs="en,de"), env)
        sent = server.state.counters["requests"]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "refused 20 requests in a row (HTTP 404: The model `gpt-4o-mni` does not exist" in done.stderr
    assert "check --model" in done.stderr
    assert "does not list the model 'gpt-4o-mni'; it lists mock-teacher" in done.stderr  # said before the first request
    assert sent < 100  # 20 in a row, and what was in flight by then (it sent 10,320 before, for --n 500)


def test_refused_connection_says_so(env, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    done = run_cli(generate_args(f"http://127.0.0.1:{port}/v1", tmp_path / "o", 2, langs="en,de"), env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "connection refused" in done.stderr and "ConnectTimeout" not in done.stderr
    assert "--resume" not in done.stderr  # nothing was made


def test_hanging_endpoint_without_model_says_it_timed_out(env, tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        started = time.monotonic()
        done = run_cli(generate_args(url, tmp_path / "o", 2, "--timeout", "3", langs="en,de"), env)
        took = time.monotonic() - started
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "timed out" in done.stderr and "--timeout" in done.stderr
    assert took < 30


def test_push_to_an_unreachable_hub(env, tmp_path):
    out = filtered(tmp_path, env, "kept")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = run_cli(
        ["push", str(out), "--repo", "me/data", "--token", "hf_x"], {**env, "HF_ENDPOINT": f"http://127.0.0.1:{port}"}
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot reach the Hub" in done.stderr and "run the same command" in done.stderr


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A tmpfs mounted at `where` for the block (root only: CI and the developers' machines run as root)."""
    where.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if made.returncode:
        pytest.skip(f"cannot mount a tmpfs ({options}) here: {made.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A disk of 128 KiB."""
    with tmpfs(tmp_path / "disk", "size=128k") as mount:
        yield mount


def test_disk_full_then_resume(small_disk, env, tmp_path):
    """generate on a disk that fills up: a clear message, what was written is kept, and after space is freed
    the same command with --resume finishes the job."""
    out = small_disk / "run"
    with MockServer(MockState()) as server:
        args = generate_args(server.url, out, 400, "--shard-rows", "50")
        full = run_cli(args, env)
        assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr
        assert "no space left" in full.stderr and "--resume" in full.stderr
        assert (out / ".bayling" / "state.json").is_file()
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        resumed = run_cli([*args, "--resume"], env)
        assert resumed.returncode == 0, resumed.stderr
    assert load_output(out, tmp_path).num_rows == 400


def test_filter_on_a_full_disk_keeps_its_input(small_disk, env, tmp_path):
    source = write_jsonl(tmp_path / "big.jsonl", [chat(i) for i in range(3000)])
    before = source.read_bytes()
    done = run_cli(["filter", str(source), "--out", str(small_disk / "o"), "--shard-rows", "500"], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no space left" in done.stderr and "--overwrite" in done.stderr
    assert source.read_bytes() == before


def test_read_only_output(env, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    with tmpfs(tmp_path / "ro", "ro") as mount:
        done = run_cli(["filter", str(source), "--out", str(mount / "o")], env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot write" in done.stderr and "Read-only file system" in done.stderr


def test_debug_shows_the_traceback(env, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    with tmpfs(tmp_path / "ro", "ro") as mount:
        done = run_cli(["filter", str(source), "--out", str(mount / "o"), "--debug"], env)
    assert done.returncode == 1 and "Traceback" in done.stderr


def test_unknown_language_suggestion_keeps_the_code_case(env, tmp_path):
    done = run_cli(["languages", "--langs", "lmo_latn_x"], env)
    assert done.returncode == 2 and "lmo_Latn (Lombard)" in done.stderr
