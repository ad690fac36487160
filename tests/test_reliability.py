"""Secrets never written anywhere; budgets stop cleanly and --resume continues."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable

import pytest
from conftest import CLI, WITH_SIGINT, generate_args, load_output, run_cli, server_stats

from bayling_data.testing.mock_teacher import MockServer, MockState

SECRET = "sk-test-5ecret-do-not-leak-0123456789abcdef"


def kill_when(args: list[str], env: dict[str, str], ready: Callable[[], bool]) -> None:
    """Run `bayling-data ARGS` and `kill -9` it as soon as `ready()` holds (within a minute)."""
    process = subprocess.Popen(
        [*CLI, *args], env=env, cwd=env["XDG_CACHE_HOME"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def test_api_key_appears_in_no_file_and_no_output(cli_env, tmp_path):
    out = tmp_path / "run"
    with MockServer(MockState(api_key=SECRET)) as server:
        env = {**cli_env, "OPENAI_API_KEY": SECRET}
        done = run_cli(generate_args(server.url, out, 20, langs="zh,en"), env)
        assert done.returncode == 0, done.stderr
        interrupted = run_cli(
            generate_args(server.url, tmp_path / "run2", 80, "--max-requests", "5", langs="zh,en"), env
        )
        assert interrupted.returncode == 1
    assert SECRET not in done.stdout + done.stderr + interrupted.stdout + interrupted.stderr
    written = [p for root in (out, tmp_path / "run2", tmp_path / "cache") for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in written) and any(p.name == "README.md" for p in written)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path


def test_budget_stops_cleanly_then_resume_finishes(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "run"
    args = generate_args(mock_teacher.url, out, 40)
    stopped = run_cli([*args, "--max-requests", "30"], cli_env)
    assert stopped.returncode == 1
    assert "--max-requests 30 reached" in stopped.stderr and "--resume" in stopped.stderr
    assert server_stats(mock_teacher)["completions"] == 30
    state = json.loads((out / ".bayling" / "state.json").read_text())
    assert state["complete"] is False and state["usage"]["requests"] == 30
    resumed = run_cli([*args, "--resume"], cli_env)
    assert resumed.returncode == 0, resumed.stderr
    dataset = load_output(out, tmp_path)
    assert dataset.num_rows == 40 and len(set(dataset["id"])) == 40
    stats = server_stats(mock_teacher)
    assert stats["completions"] == stats["unique_requests"]  # nothing answered before was asked again


def test_batch_api_generate_then_resume_polls_the_same_jobs(cli_env, tmp_path):
    """--batch: requests go out as Batch API jobs (no chat calls); a run killed while a job is pending
    polls that job on --resume instead of sending its requests again."""
    out = tmp_path / "run"
    with MockServer(MockState(batch_polls=40)) as server:  # a job takes about 4 s
        batching = ["--batch", "--batch-window", "0.2", "--batch-poll", "0.1"]
        args = generate_args(server.url, out, 12, *batching, langs="en,de")
        # killed at the first poll of a job: it is submitted, its id stored, and it is still in progress
        kill_when(args, cli_env, lambda: server.state.counters["batch_polls"] > 0)
        pending = server.state.counters["batch_requests"]
        assert pending > 0
        server.state.batch_polls = 2
        resumed = run_cli([*args, "--resume"], cli_env)
        assert resumed.returncode == 0, resumed.stderr
        counters = server_stats(server)
    assert counters.get("completions", 0) == 0  # nothing went through the chat endpoint
    assert counters["batch_requests"] == counters["unique_requests"]  # no request was sent in two jobs
    assert counters["batch_requests"] > pending
    assert load_output(out, tmp_path).num_rows == 12


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_drains_requests_in_flight_then_resume_pays_nothing_twice(cli_env, tmp_path, stop):
    """SIGTERM is handled like Ctrl-C: requests already sent are still received and cached before the
    process exits (the user is told why it does not stop at once), so a --resume pays again for none."""
    out = tmp_path / "run"
    with MockServer(MockState(latency=0.5)) as server:
        args = generate_args(server.url, out, 60, "--concurrency", "16")
        process = subprocess.Popen(
            [*WITH_SIGINT, *CLI, *args],
            env=cli_env,
            cwd=cli_env["XDG_CACHE_HOME"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while server.state.counters["completions"] < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(stop)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        assert b"--resume" in stderr and b"Traceback" not in stderr
        assert b"stopping: the answers to requests already sent" in stderr  # told why it does not stop at once
        answered = server.state.counters["completions"]
        resumed = run_cli([*args, "--resume"], cli_env)
        assert resumed.returncode == 0, resumed.stderr
        stats = server_stats(server)
    assert answered >= 20
    assert stats["completions"] == stats["unique_requests"], stats  # every answer before the stop was kept
    assert load_output(out, tmp_path).num_rows == 60


def test_batch_job_created_but_its_id_never_stored_is_found_again(cli_env, tmp_path):
    """A kill between the server creating a Batch API job and the client storing its id: the restarted run
    finds the job by the tag in its metadata instead of sending its requests in a new job."""
    out = tmp_path / "run"
    with MockServer(MockState(batch_polls=2, batch_create_delay=30)) as server:
        args = generate_args(
            server.url, out, 12, "--batch", "--batch-window", "0.2", "--batch-poll", "0.1", langs="en,de"
        )
        # killed once the job exists on the server, while its creation is still unanswered: no id stored
        kill_when(args, cli_env, lambda: server.state.counters["batches"] > 0)
        in_first_job = server.state.counters["batch_requests"]
        assert in_first_job > 0
        server.state.batch_create_delay = 0
        resumed = run_cli([*args, "--resume"], cli_env)
        assert resumed.returncode == 0, resumed.stderr
        counters = server_stats(server)
    assert counters["batch_lists"] >= 1  # it looked for its job
    assert counters["batch_requests"] == counters["unique_requests"]  # no request was sent in two jobs
    assert counters["batch_requests"] > in_first_job
