"""`bayling-data view` on a folder of 1M records: start-up, first page, searches, facets, a record.

Usage: python benchmarks/view_1m.py [N]   (default 1,000,000 records)

Makes 1,000 dialogues with `generate` against the mock teacher (kept and rejected, five languages),
tiles them into N records (ids made unique, a counter word added to every 1,000th answer so a rare
search has a few hits) written as 10,000-row parquet shards like `generate` writes them, then times
HTTP requests to the viewer as a user would make them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bayling_data.testing.mock_teacher import Faults, MockServer, MockState

SHARD_ROWS = 10_000


def make_folder(work: Path, n: int) -> Path:
    """A generate output of `n` records (tiled from a real run against the mock)."""
    cli = Path(sys.executable).parent / "bayling-data"
    seed = work / "seed"
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    with MockServer(MockState(faults=Faults(wrong_language=0.1))) as server:
        args = ["generate", "--langs", "zh,en,de,fr,ja", "--n", "1000", "--base-url", server.url, "--out", str(seed)]
        subprocess.run([str(cli), *args], env=env, check=True, stderr=subprocess.DEVNULL)
    summary = json.loads((seed / "run_summary.json").read_text())
    base = pq.read_table(seed / summary["shards"]["train"][0]).to_pylist()
    out = work / "big"
    (out / "data").mkdir(parents=True)
    count = -(-n // SHARD_ROWS)
    names = []
    for k in range(count):
        rows = []
        for i in range(k * SHARD_ROWS, min(n, (k + 1) * SHARD_ROWS)):
            row = dict(base[i % len(base)])
            row["id"] = f"{i:032x}"
            if i % 1000 == 0:
                messages = [dict(m) for m in row["messages"]]
                messages[-1]["content"] += f" zzrare{i // 1000}"
                row["messages"] = messages
            rows.append(row)
        name = f"data/train-{k:05d}-of-{count:05d}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), out / name)
        names.append(name)
    (out / "rejected").mkdir()
    for name in summary["shards"].get("rejected", []):
        (out / name).write_bytes((seed / name).read_bytes())
    summary["shards"]["train"] = names
    summary["stats"]["kept"] = n
    (out / "run_summary.json").write_text(json.dumps(summary))
    return out


def timed_get(url: str) -> tuple[float, str]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        body = response.read().decode()
    return time.perf_counter() - started, body


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="view-1m-") as work:
        started = time.perf_counter()
        folder = make_folder(Path(work), n)
        print(f"view_1m made {n} records in {time.perf_counter() - started:.0f} s")
        cli = Path(sys.executable).parent / "bayling-data"
        started = time.perf_counter()
        process = subprocess.Popen([str(cli), "view", str(folder), "--port", "0"], stderr=subprocess.PIPE, text=True)
        try:
            url = re.search(r"http://127\.0\.0\.1:\d+/", process.stderr.readline()).group(0)
            print(f"view_1m n={n} startup_s={time.perf_counter() - started:.2f}")
            for name, path in [
                ("overview", ""),
                ("first_page", "browse"),
                ("search_common", "browse?q=the"),
                ("search_rare", "browse?q=zzrare500"),
                ("search_none", "browse?q=no+record+says+this"),
                ("record", f"record/{-(-n // SHARD_ROWS) // 2}/{min(1234, n - 1)}"),
                ("page_200", "browse?page=200"),
                ("facet_first", "browse?language=deu_Latn"),  # waits for the facet index built in the background
                ("facet", "browse?language=deu_Latn"),
                ("two_facets", "browse?turn_type=refine&instruction_lang=zho_Hans"),
                ("facet_and_search", "browse?q=the&direction=eng_Latn+-%3E+deu_Latn"),
                ("rejected", "browse?split=rejected"),
                ("overview_after_index", ""),
            ]:
                seconds, body = timed_get(url + path)
                hits = body.count('class="result"')
                print(f"view_1m n={n} {name}_s={seconds:.3f} results={hits}")
        finally:
            process.terminate()
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
