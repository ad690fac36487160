"""kill -9 at random moments, then --resume: exactly --n records, no duplicate, no completed request paid twice."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

from conftest import CLI, generate_args, load_output, run_cli, server_stats

from bayling_data.testing.mock_teacher import MockServer, MockState

ROUNDS = int(os.environ.get("BAYLING_KILL_ROUNDS", "4"))  # the issue asks for 20 in a row: see benchmarks/README.md
N = 40 * ROUNDS  # enough work that most rounds are killed mid-run
CONCURRENCY = 8


def test_kill_nine_then_resume(cli_env, tmp_path):
    out = tmp_path / "run"
    rng = random.Random(1234)
    kills = 0
    with MockServer(MockState(latency=0.01)) as server:
        args = generate_args(server.url, out, N, "--shard-rows", "20", "--concurrency", str(CONCURRENCY))
        for round_number in range(ROUNDS):
            process = subprocess.Popen(
                [*CLI, *args, *(["--resume"] if round_number else [])],
                env=cli_env,
                cwd=cli_env["XDG_CACHE_HOME"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(rng.uniform(0.8, 2.0))  # start-up takes about 0.7 s: kills land mid-run
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=30)
        final = run_cli([*args, "--resume"], cli_env)
        assert final.returncode == 0, final.stderr
        stats = server_stats(server)
    print(
        f"kill -9 rounds: {ROUNDS}, killed mid-run: {kills}, requests repeated: "
        f"{stats['completions'] - stats['unique_requests']}"
    )
    assert kills >= ROUNDS // 2
    dataset = load_output(out, tmp_path)
    assert dataset.num_rows == N
    assert len(set(dataset["id"])) == N
    assert sorted(dataset["id"]) == sorted(set(dataset["id"]))
    # Only requests in flight at a kill may be sent again; every answered one came from the cache.
    repeated = stats["completions"] - stats["unique_requests"]
    assert repeated <= kills * CONCURRENCY, stats
    assert not list((out / ".bayling" / "parts").iterdir())
