"""End-to-end `generate` with the embedded local teacher: records per minute and tokens per second.

Usage: python benchmarks/local_generate.py [N]   (default 5 records, langs zh,en,de, up to 2 turns)
Also times one long answer from the same llama.cpp server alone (decode speed without our pipeline).
Uses a fresh cache, so every request is really sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openai import OpenAI

from bayling_data.teacher.embedded.local_server import LocalOptions, LocalServer


def decode_speed() -> tuple[float, int]:
    """Completion tokens per second of one long answer, and how many tokens it had."""
    with LocalServer(LocalOptions()) as server:
        client = OpenAI(base_url=server.base_url, api_key="local")
        started = time.perf_counter()
        reply = client.chat.completions.create(
            model=server.model,
            max_tokens=256,
            temperature=0.7,
            messages=[{"role": "user", "content": "Write a long story about a train journey through the mountains."}],
        )
        elapsed = time.perf_counter() - started
    tokens = reply.usage.completion_tokens
    return tokens / elapsed, tokens


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    speed, tokens = decode_speed()
    print(f"local_generate decode_tokens_per_s={speed:.1f} (one answer of {tokens} tokens)")
    work = Path(tempfile.mkdtemp(prefix="local-gen-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    env.pop("OPENAI_API_KEY", None)
    env.pop("OPENAI_BASE_URL", None)
    cli = Path(sys.executable).parent / "bayling-data"
    started = time.perf_counter()
    subprocess.run(
        [str(cli), "generate", "--langs", "zh,en,de", "--n", str(n), "--max-turns", "2", "--out", str(work / "out")],
        env=env,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    summary = json.loads((work / "out" / "run_summary.json").read_text())
    usage, stats = summary["usage"], summary["stats"]
    print(
        f"local_generate n={n} wall_s={elapsed:.0f} records_per_min={60 * n / elapsed:.2f} "
        f"kept={stats['kept']} rejected={stats['rejected']} requests={usage['requests']} "
        f"prompt_tokens={usage['prompt_tokens']} completion_tokens={usage['completion_tokens']} "
        f"completion_tokens_per_s={usage['completion_tokens'] / elapsed:.1f} "
        f"all_tokens_per_s={(usage['prompt_tokens'] + usage['completion_tokens']) / elapsed:.1f}"
    )


if __name__ == "__main__":
    main()
