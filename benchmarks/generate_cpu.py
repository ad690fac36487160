"""The whole `generate` against a fast teacher: client CPU per teacher request, and requests/s.

Usage: python benchmarks/generate_cpu.py [N]   (default 3,000 dialogues, langs zh,en,de, default filters)

The mock teacher answers at once, in a process of its own, so the CPU measured (of the `generate`
process, from rusage) is ours alone: prompt rendering, the teacher client, the cache, every filter,
record building and writing. Requests are what the run summary counts.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bayling_data.testing.mock_teacher import mock_process


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    extra = sys.argv[2:]
    cli = Path(sys.executable).parent / "bayling-data"
    with mock_process() as url, tempfile.TemporaryDirectory(prefix="generate-cpu-") as work:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(work) / "cache")}
        out = Path(work) / "out"
        args = ["generate", "--langs", "zh,en,de", "--n", str(n), "--base-url", url]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([str(cli), *args, "--out", str(out), *extra], env=env, check=True, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads((out / "run_summary.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    requests = summary["usage"]["requests"]
    print(
        f"generate_cpu n={n} requests={requests} wall_s={wall:.1f} cpu_s={cpu:.1f} "
        f"cpu_ms_per_request={1000 * cpu / requests:.2f} requests_per_s={requests / wall:.0f} "
        f"records_per_s={n / wall:.0f}"
    )


if __name__ == "__main__":
    main()
