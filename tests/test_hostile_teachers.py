"""A hostile-teacher campaign, one numbered case of issue #28 per test: nothing lost, nothing leaked, nothing paid
for nothing. The teacher is the real mock server on 127.0.0.1 with an `answer_hook` that breaks its answers on
purpose; every command runs as a user runs it, in a subprocess."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import socket
import subprocess
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiohttp import web
from conftest import CLI, generate_args, load_output, make_teacher, run_cli

from bayling_data.teacher.errors import TeacherRequestFailed
from bayling_data.testing.mock_teacher import MockServer, MockState

SECRET = "sk-test-0123456789abcdef"  # looks like a key; never to be seen in any file or line of output


@pytest.fixture
def env(cli_env):
    return cli_env


def every_file_text(*folders: Path) -> str:
    """The bytes of every file below `folders` (hidden ones, the cache and its WAL included), as text."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                found.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(found)


def said(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in said(done) and "This is a bug" not in said(done), said(done)


# --- data loss -------------------------------------------------------------------------------------------------


def test_1_a_cache_inside_out_is_refused_before_overwrite_can_delete_it(mock_teacher, env, tmp_path):
    out = tmp_path / "co"
    assert run_cli(generate_args(mock_teacher.url, out, 5, langs="en,de"), env).returncode == 0
    cache = out / "c.sqlite"
    done = run_cli([*generate_args(mock_teacher.url, out, 5, langs="en,de"), "--cache", str(cache), "--overwrite"], env)
    no_traceback(done)
    assert done.returncode == 2, said(done)
    assert "--cache" in done.stderr and "inside --out" in done.stderr
    assert load_output(out, tmp_path).num_rows == 5  # the earlier output is untouched


SLOW = ("--concurrency", "2", "--shard-rows", "5")  # with a mock of 50 ms a request: some seconds, checkpoints often


def _slow_run(url: str, out: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    args = [*CLI, *generate_args(url, out, 100, *SLOW, *extra, langs="en,de")]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize("mode", ["fresh", "resume"])
def test_2_a_second_run_into_the_same_out_is_turned_away(env, tmp_path, mode):
    out = tmp_path / "same"
    with MockServer(MockState(latency=0.05)) as server:
        if mode == "resume":  # an interrupted run, then two --resume at once
            first = _slow_run(server.url, out, env)
            _wait_for(out / ".bayling" / "state.json")
            first.send_signal(signal.SIGTERM)
            first.communicate(timeout=120)
        extra = ("--resume",) if mode == "resume" else ()
        a = _slow_run(server.url, out, env, *extra)
        owner, deadline = out / ".bayling" / "owner", time.monotonic() + 60
        while not (owner.exists() and owner.read_text() == str(a.pid)):  # the first run has the folder
            assert time.monotonic() < deadline and a.poll() is None
            time.sleep(0.05)
        b = run_cli([*generate_args(server.url, out, 100, *SLOW, *extra, langs="en,de")], env)
        _, a_err = a.communicate(timeout=300)
    no_traceback(b)
    assert b.returncode == 2, said(b)
    assert f"being written by another run (process {a.pid})" in b.stderr
    assert a.returncode == 0, a_err  # the first run was not disturbed
    assert load_output(out, tmp_path).num_rows == 100


def test_3_an_out_that_is_a_link_can_be_overwritten_again_and_again(mock_teacher, env, tmp_path):
    real = tmp_path / "runs" / "r1"
    assert run_cli(generate_args(mock_teacher.url, real, 5, langs="en,de"), env).returncode == 0
    latest = tmp_path / "latest"
    latest.symlink_to(real, target_is_directory=True)
    for n in (6, 7):
        done = run_cli([*generate_args(mock_teacher.url, latest, n, langs="en,de"), "--overwrite"], env)
        no_traceback(done)
        assert done.returncode == 0, said(done)
        assert latest.is_symlink() and latest.resolve() == real.resolve()
        assert load_output(latest, tmp_path / str(n)).num_rows == n  # a cache of its own: the files kept their names
    assert not (tmp_path / ".latest.replaced").exists()


# --- secrets ---------------------------------------------------------------------------------------------------


def echo_the_key(headers, body, completion):
    """A misconfigured proxy: every third answer repeats the request's Authorization header."""
    if (body.get("seed") or 0) % 3 == 0:
        message = completion["choices"][0]["message"]
        message["content"] += f" (debug: {headers.get('Authorization')})"
    return completion


def test_4_a_teacher_that_echoes_the_key_puts_it_nowhere(env, tmp_path):
    out, cache = tmp_path / "o", tmp_path / "cache"
    with MockServer(MockState(answer_hook=echo_the_key)) as server:
        done = run_cli(generate_args(server.url, out, 20, "--api-key", SECRET, langs="en,de"), env)
        echoed = server.state.counters["completions"]
    no_traceback(done)
    assert done.returncode == 0, said(done)
    assert echoed > 20
    summary = json.loads((out / "run_summary.json").read_text())
    reasons = summary["stats"]["counts"]["rejected_reason"]
    assert reasons.get("generator:teacher_failed:answer_holds_a_secret", 0) > 0, reasons
    assert SECRET not in every_file_text(out, cache) + said(done)


def test_5_credentials_in_the_base_url_are_never_printed(env, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed: nothing listens there
    url = f"http://alice:{SECRET}@127.0.0.1:{port}/v1"
    done = run_cli(generate_args(url, tmp_path / "o", 2, langs="en,de"), env)
    no_traceback(done)
    assert done.returncode == 1, said(done)
    assert "connection refused" in done.stderr  # what really failed, not "not a model list"
    assert SECRET not in said(done) and "alice" not in said(done)

    with MockServer(MockState()) as server:
        url = server.url.replace("http://", f"http://alice:{SECRET}@")
        done = run_cli(generate_args(url, tmp_path / "o", 5, langs="en,de"), env)
    assert done.returncode == 0, said(done)
    assert SECRET not in every_file_text(tmp_path / "o", tmp_path / "cache") + said(done)


def _get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_6_the_viewer_answers_only_its_own_address(mock_teacher, env, tmp_path):
    out = tmp_path / "o"
    assert run_cli(generate_args(mock_teacher.url, out, 5, langs="en,de"), env).returncode == 0
    viewer = subprocess.Popen([*CLI, "view", str(out), "--port", "0"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = viewer.stderr.readline()
        url = line.split(" at ")[1].split(" ")[0]
        port = url.rsplit(":", 1)[1].strip("/")
        assert _get(url)[0] == 200
        assert _get(url, host=f"localhost:{port}")[0] == 200
        status, _ = _get(url, host=f"attacker.example:{port}")  # DNS rebinding: another name for 127.0.0.1
        assert status == 421
        for page in ("1e20", "100000000000000000000000000", "-5", "x"):
            status, text = _get(f"{url}browse?page={page}")
            assert status == 200 and "Traceback" not in text, (page, text[:300])
    finally:
        viewer.terminate()
        _, log = viewer.communicate(timeout=10)
    assert "Traceback" not in log


# --- money -----------------------------------------------------------------------------------------------------


UNUSABLE_SHAPES = {
    "no choices": lambda h, b, c: {**c, "choices": []},
    "choices missing": lambda h, b, c: {k: v for k, v in c.items() if k != "choices"},
    "content null, content filter": lambda h, b, c: {
        **c,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None}, "finish_reason": "content_filter"}],
    },
    "reasoning only": lambda h, b, c: {
        **c,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "reasoning_content": "Let me think..."},
                "finish_reason": "length",
            }
        ],
    },
    "tool calls only": lambda h, b, c: {
        **c,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": [{"id": "1", "type": "function"}]},
                "finish_reason": "tool_calls",
            }
        ],
    },
    "invalid UTF-8": lambda h, b, c: web.Response(body=b'{"choices": "\xff\xfe"}', content_type="application/json"),
    "content a number": lambda h, b, c: {**c, "choices": [{"message": {"content": 42}, "finish_reason": "stop"}]},
    "choices a dict": lambda h, b, c: {**c, "choices": {"0": c["choices"][0]}},
    "choices an int": lambda h, b, c: {**c, "choices": 3},
    "message a string": lambda h, b, c: {**c, "choices": [{"message": "hello", "finish_reason": "stop"}]},
}


@pytest.mark.parametrize("shape", list(UNUSABLE_SHAPES), ids=list(UNUSABLE_SHAPES))
def test_7_and_11_a_run_of_unusable_answers_ends_the_run_with_the_cause(shape, env, tmp_path):
    with MockServer(MockState(answer_hook=UNUSABLE_SHAPES[shape])) as server:
        done = run_cli(generate_args(server.url, tmp_path / "o", 20, langs="en,de"), env)
        sent = server.state.counters["requests"]
    no_traceback(done)
    assert done.returncode == 1, said(done)
    assert "20 answers in a row with nothing usable" in done.stderr, done.stderr
    assert sent < 60  # 3,200 requests before, for --n 20


def test_11_content_as_a_list_of_parts_is_read(env, tmp_path):
    def parts(headers, body, completion):
        message = completion["choices"][0]["message"]
        message["content"] = [{"type": "text", "text": message["content"]}]
        return completion

    with MockServer(MockState(answer_hook=parts)) as server:
        done = run_cli(generate_args(server.url, tmp_path / "o", 10, langs="en,de"), env)
    assert done.returncode == 0, said(done)
    assert load_output(tmp_path / "o", tmp_path).num_rows == 10


@pytest.mark.parametrize(
    "usage",
    [
        None,
        [],
        {"prompt_tokens": "lots", "completion_tokens": "many"},
        {"prompt_tokens": -500, "completion_tokens": -9},
    ],
    ids=["missing", "a list", "words", "negative"],
)
def test_8_and_11_usage_missing_or_nonsense_is_estimated_and_budgets_hold(usage, env, tmp_path):
    def strip(headers, body, completion):
        if usage is None:
            completion.pop("usage")
        else:
            completion["usage"] = usage
        return completion

    prices = ["--price-in", "100", "--price-out", "100"]
    with MockServer(MockState(answer_hook=strip)) as server:
        done = run_cli(
            generate_args(server.url, tmp_path / "o", 200, "--max-cost", "0.05", *prices, langs="en,de"), env
        )
    no_traceback(done)
    assert done.returncode == 1, said(done)
    assert "--max-cost 0.05 USD reached" in done.stderr
    assert "sends no token usage" in done.stderr  # said once, as a warning
    assert done.stderr.count("sends no token usage") == 1
    state = json.loads((tmp_path / "o" / ".bayling" / "state.json").read_text())
    assert state["usage"]["estimated_requests"] > 0 and state["usage"]["cost_usd"] >= 0.05


def test_9_a_resume_against_another_teacher_or_other_filters_is_refused(env, tmp_path):
    out = tmp_path / "o"
    with MockServer(MockState(latency=0.02)) as first:
        run = _slow_run(first.url, out, env)
        _wait_for(out / ".bayling" / "state.json")
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=120)
    with MockServer(MockState()) as second:
        other = run_cli([*generate_args(second.url, out, 100, *SLOW, langs="en,de"), "--resume"], env)
    no_traceback(other)
    assert other.returncode == 2, said(other)
    assert "teacher: was" in other.stderr and second.url in other.stderr
    with MockServer(MockState(), port=int(first.url.split(":")[2].split("/")[0])) as same:
        args = [*generate_args(same.url, out, 100, *SLOW, langs="en,de"), "--resume"]
        skipped = run_cli([*args, "--skip-filter", "langid"], env)
        assert skipped.returncode == 2 and "filter.steps: was" in skipped.stderr, said(skipped)
        assert run_cli(args, env).returncode == 0  # the same settings still resume


def test_10_an_answer_far_larger_than_asked_for_is_not_stored(env, tmp_path):
    big = "word " * 1_000_000  # 5 MB for max_tokens 512
    answers = iter(range(10**6))

    def huge(headers, body, completion):
        if next(answers) % 2:  # every other answer: each request gets a usable one within its retries
            completion["choices"][0]["message"]["content"] = big
        return completion

    with MockServer(MockState(answer_hook=huge)) as server:
        done = run_cli(generate_args(server.url, tmp_path / "o", 10, langs="en,de"), env)
    no_traceback(done)
    assert done.returncode == 0, said(done)
    cache = sum(p.stat().st_size for p in (tmp_path / "cache").rglob("*") if p.is_file())
    assert cache < 5_000_000, cache  # not one of the 5 MB answers


def test_10_a_compressed_answer_that_unpacks_to_gigabytes_is_not_read():
    bomb = gzip.compress(b"0" * 400_000_000, compresslevel=9)  # 400 MB in about 400 KB

    def unpacks(headers, body, completion):
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})

    async def ask(url: str) -> None:
        teacher = make_teacher(url, max_attempts=2)
        try:
            with pytest.raises(TeacherRequestFailed, match="an_answer_over_4_MiB"):
                await teacher.chat([{"role": "user", "content": "hello"}])
        finally:
            await teacher.aclose()

    with MockServer(MockState(answer_hook=unpacks)) as server:
        tracemalloc.start()
        try:
            asyncio.run(ask(server.url))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 50 * 2**20, peak  # one request took 1.9 GB before


# --- hangs and tracebacks --------------------------------------------------------------------------------------


def _messages_file(path: Path, rows: int) -> list[str]:
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"Frage {i}: Wie spät fährt der letzte Zug nach Hause?"},
                    {"role": "assistant", "content": f"Der letzte Zug fährt um {i % 24} Uhr und {i} Minuten."},
                ]
            },
            ensure_ascii=False,
        )
        for i in range(rows)
    ]
    return lines


def test_12_a_pipe_as_input_is_read_as_it_streams(env, tmp_path):
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    lines = _messages_file(fifo, 30)

    def write() -> None:
        with open(fifo, "w", encoding="utf-8") as pipe:
            pipe.write("\n".join(lines) + "\n")

    threading.Thread(target=write, daemon=True).start()
    done = run_cli(["filter", str(fifo), "--out", str(tmp_path / "o")], env, timeout=120)
    assert done.returncode == 0, said(done)
    assert load_output(tmp_path / "o", tmp_path).num_rows == 30

    piped = subprocess.run(
        [*CLI, "filter", "-", "--out", str(tmp_path / "p")],
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=env["XDG_CACHE_HOME"],
    )
    assert piped.returncode == 0, said(piped)
    assert load_output(tmp_path / "p", tmp_path).num_rows == 30


def test_12_a_pipe_nobody_writes_to_ends_on_sigterm(env, tmp_path):
    fifo = tmp_path / "f.jsonl"
    os.mkfifo(fifo)
    process = subprocess.Popen([*CLI, "filter", str(fifo), "--out", str(tmp_path / "o")], env=env, text=True)
    time.sleep(3)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the second asks to end at once, even in a blocking read
        process.wait(timeout=10)
    assert process.returncode != 0


def always_429(retry_after: str):
    def answer(headers, body, completion):
        return web.json_response({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": retry_after})

    return answer


def test_13_a_stop_while_waiting_out_retry_after_ends_at_once(env, tmp_path):
    with MockServer(MockState(answer_hook=always_429("100"))) as server:
        process = subprocess.Popen(
            [*CLI, *generate_args(server.url, tmp_path / "o", 5, langs="en,de")],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        while server.state.counters["completions"] == 0:
            time.sleep(0.05)
        time.sleep(1)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        took = time.monotonic() - started
    assert process.returncode == 130 and "Traceback" not in err, err
    assert took < 20  # it waited out the 100 s Retry-After (up to 2 minutes) before


@pytest.mark.parametrize(
    ("header", "most"),
    [("-5", 100), ("Wed, 21 Oct 2015 07:28:00 GMT", 100)],
    ids=["negative", "a date in the past"],
)
def test_13_retry_after_that_is_negative_or_past_falls_back_to_backoff(header, most, env, tmp_path):
    with MockServer(MockState(answer_hook=always_429(header))) as server:
        process = subprocess.Popen([*CLI, *generate_args(server.url, tmp_path / "o", 5, langs="en,de")], env=env)
        time.sleep(3)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        sent = server.state.counters["completions"]
    assert sent <= most, sent  # 239 requests in 3 s before


def test_13_a_retry_after_date_is_honoured(env, tmp_path):
    from email.utils import formatdate

    with MockServer(MockState(answer_hook=always_429(formatdate(time.time() + 30, usegmt=True)))) as server:
        process = subprocess.Popen(
            [*CLI, *generate_args(server.url, tmp_path / "o", 5, "--concurrency", "1", langs="en,de")], env=env
        )
        time.sleep(4)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        sent = server.state.counters["completions"]
    assert sent <= 2, sent  # the first request, then a wait of about 30 s


def test_14_a_quoted_tilde_is_the_home_folder(mock_teacher, env, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = run_cli(generate_args(mock_teacher.url, Path("~/x"), 5, langs="en,de"), {**env, "HOME": str(home)})
    assert done.returncode == 0, said(done)
    assert load_output(home / "x", tmp_path).num_rows == 5
    assert not (Path(env["XDG_CACHE_HOME"]) / "~").exists()  # run_cli's working folder


# --- rough edges -----------------------------------------------------------------------------------------------


def test_imports_with_a_bom_capitalised_roles_and_content_parts_are_read_and_control_characters_rejected(env, tmp_path):
    lines = _messages_file(tmp_path, 6)
    rows = [json.loads(line) for line in lines]
    rows[1]["messages"][0]["role"], rows[1]["messages"][1]["role"] = "User", "Assistant"
    rows[2]["messages"][1]["content"] = [{"type": "text", "text": rows[2]["messages"][1]["content"]}]
    rows[3]["messages"][1]["content"] += "\x00\x1b[31m"
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode() + b"\n")
    done = run_cli(["filter", str(path), "--out", str(tmp_path / "o")], env)
    no_traceback(done)
    assert done.returncode == 0, said(done)
    summary = json.loads((tmp_path / "o" / "run_summary.json").read_text())
    assert summary["stats"]["kept"] == 5, summary["stats"]
    assert summary["stats"]["counts"]["rejected_reason"] == {"empty_or_truncated:control_characters": 1}
    kept = load_output(tmp_path / "o", tmp_path)
    assert {m["role"] for r in kept["messages"] for m in r} == {"user", "assistant"}


def test_a_finished_output_run_again_suggests_overwrite_before_any_teacher_starts(env, tmp_path):
    with MockServer(MockState()) as server:
        assert run_cli(generate_args(server.url, tmp_path / "o", 5, langs="en,de"), env).returncode == 0
        before = server.state.counters["models"]
        again = run_cli(generate_args(server.url, tmp_path / "o", 5, langs="en,de"), env)
        asked = server.state.counters["models"] - before
    assert again.returncode == 2 and "use --overwrite" in again.stderr and "--resume" not in again.stderr
    assert asked == 0  # the teacher was not even asked for its models
