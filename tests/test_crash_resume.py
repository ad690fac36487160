"""kill -9 at random moments, then --resume: exactly --n records, no duplicate, no completed request paid twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

from conftest import CLI, load_output, run_cli, server_stats

from bayling_data.teacher.mock_server import MockServer, MockState

N = 150
ROUNDS = int(os.environ.get("BAYLING_KILL_ROUNDS", "4"))  # the issue asks for 20 in a row: see benchmarks/README.md
CONCURRENCY = 8


def test_kill_nine_then_resume(cli_env, tmp_path):
    out = tmp_path / "run"
    args = [
        "generate",
        "--langs",
        "zh,en,de",
        "--n",
        str(N),
        "--out",
        str(out),
        "--shard-rows",
        "20",
        "--concurrency",
        str(CONCURRENCY),
    ]
    rng = random.Random(1234)
    kills = 0
    with MockServer(MockState(latency=0.01)) as server:
        args += ["--base-url", server.url]
        for round_number in range(ROUNDS):
            process = subprocess.Popen(
                [*CLI, *args, *(["--resume"] if round_number else [])],
                env=cli_env,
                cwd=cli_env["XDG_CACHE_HOME"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(1.0, 3.0))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=30)
        final = run_cli([*args, "--resume"], cli_env)
        assert final.returncode == 0, final.stderr
        stats = server_stats(server)
    assert kills >= 1
    dataset = load_output(out, tmp_path)
    assert dataset.num_rows == N
    assert len(set(dataset["id"])) == N
    assert sorted(dataset["id"]) == sorted(set(dataset["id"]))
    # Only requests in flight at a kill may be sent again; every answered one came from the cache.
    repeated = stats["completions"] - stats["unique_requests"]
    assert repeated <= kills * CONCURRENCY, stats
    assert not list((out / ".bayling" / "parts").iterdir())
