"""The same `filter` job with the local engine and with Ray Data on this machine: wall time and kept set.

Usage: python benchmarks/ray_vs_local.py [N]   (default 100000 ShareGPT records with planted defects)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from planted_defects import build


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="ray-vs-local-"))
    source = work / "chats.jsonl"
    build(source, n)
    cli = Path(sys.executable).parent / "bayling-data"
    kept = {}
    for engine in ("local", "ray"):
        started = time.perf_counter()
        subprocess.run(
            [str(cli), "filter", str(source), "--out", str(work / engine), "--lang", "de", "--engine", engine],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        elapsed = time.perf_counter() - started
        stats = json.loads((work / engine / "run_summary.json").read_text())["stats"]
        kept[engine] = stats["kept"]
        print(
            f"ray_vs_local n={n} engine={engine} wall_s={elapsed:.1f} records_per_s={n / elapsed:.0f} "
            f"kept={stats['kept']} rejected={stats['rejected']}",
            flush=True,
        )
    print(f"ray_vs_local n={n} same_kept_count={kept['local'] == kept['ray']}")


if __name__ == "__main__":
    main()
