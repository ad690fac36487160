"""Fuzzing the readers through `bayling-data filter`: random bytes, cut files, deep or huge JSON and wrong
types in every field of each supported format. Whatever the input: no traceback, exit code 0 or 2, and
nothing written outside --out."""

from __future__ import annotations

import copy
import gzip
import io
import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli

ROWS = {
    "bayling": {
        "id": "r1",
        "task": "translate",
        "generator": "import",
        "src_lang": "eng_Latn",
        "tgt_lang": "deu_Latn",
        "messages": [
            {"role": "user", "content": "Translate into German: The train leaves at nine."},
            {"role": "assistant", "content": "Der Zug fährt um neun Uhr ab."},
        ],
        "meta": {"source_text": "The train leaves at nine."},
        "scores": {"length_ratio": 1.0},
    },
    "sharegpt": {
        "conversations": [
            {"from": "human", "value": "Wann fährt der Zug?"},
            {"from": "gpt", "value": "Der Zug fährt um neun Uhr ab."},
        ]
    },
    "alpaca": {
        "instruction": "Übersetze ins Deutsche.",
        "input": "The train leaves at nine.",
        "output": "Der Zug fährt um neun.",
    },
    "messages": {
        "messages": [
            {"role": "user", "content": "Wann fährt der Zug?"},
            {"role": "assistant", "content": "Der Zug fährt um neun Uhr ab."},
        ]
    },
}
ODD_VALUES = [None, 0, 1.5, True, "", "x", [], {}, [1, 2], {"a": None}]


def paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON value (keys and list indices), depth first."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(row: dict, place: tuple, value: object) -> dict:
    changed = copy.deepcopy(row)
    target = changed
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    return changed


def wrong_types(fmt: str, rng: random.Random) -> list[dict]:
    """The format's row with one field at a time given a value of another type (and the good row)."""
    row = ROWS[fmt]
    return [row] + [replaced(row, place, rng.choice(ODD_VALUES)) for place in paths(row) for _ in range(2)]


def cases() -> list[tuple[str, bytes]]:
    """(file name, content) pairs, from a fixed seed."""
    rng = random.Random(20261130)
    made: list[tuple[str, bytes]] = []
    for fmt in ROWS:
        lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in wrong_types(fmt, rng)).encode()
        made.append((f"{fmt}-types.jsonl", lines))
        made.append((f"{fmt}-cut.jsonl", lines[: rng.randrange(1, len(lines))]))
        made.append((f"{fmt}-cut.jsonl.gz", gzip.compress(lines)[: rng.randrange(10, 60)]))
        good = json.dumps(ROWS[fmt]).encode()
        flipped = bytearray(good * 3)
        for _ in range(8):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        made.append((f"{fmt}-flipped.jsonl", bytes(flipped)))
        table = pa.Table.from_pylist([ROWS[fmt]] * 50)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        data = sink.getvalue()
        made.append((f"{fmt}-cut.parquet", data[: rng.randrange(4, len(data) - 1)]))
    made.append(("random.jsonl", rng.randbytes(4096)))
    made.append(("random.jsonl.gz", rng.randbytes(4096)))
    made.append(("random.parquet", rng.randbytes(4096)))
    made.append(("deep.jsonl", b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"))
    made.append(("huge.jsonl", json.dumps({"messages": [{"role": "user", "content": "a" * 5_000_000}]}).encode()))
    made.append(("empty.jsonl", b""))
    made.append(("nul.jsonl", b"\x00" * 1000 + b"\n"))
    return made


def listing(root: Path, out: Path, cache: Path) -> set[Path]:
    return {p for p in root.rglob("*") if out not in p.parents and p != out and cache not in p.parents and p != cache}


@pytest.mark.parametrize("on_error", ["fail", "skip"])
def test_readers_never_crash(cli_env, tmp_path, on_error):
    cache = Path(cli_env["XDG_CACHE_HOME"])

    def one(case: tuple[str, bytes]) -> list[str]:
        """Filter one input in a folder of its own; what went wrong (nothing written beside its --out)."""
        name, content = case
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        (folder / name).write_bytes(content)
        out = folder / "out"
        before = listing(folder, out, cache)
        done = run_cli(
            ["filter", str(folder / name), "--out", str(out), "--on-error", on_error, "--skip-filter", "langid"],
            cli_env,
        )
        said = done.stdout + done.stderr
        problems = []
        if done.returncode not in (0, 2) or "Traceback" in said:
            problems.append(f"{name}: exit {done.returncode}: {said[-400:]}")
        if listing(folder, out, cache) != before:
            problems.append(f"{name}: wrote outside --out: {sorted(map(str, listing(folder, out, cache) - before))}")
        return problems

    with ThreadPoolExecutor(4) as pool:  # the CLI runs are processes: several at once on every core
        failures = [problem for problems in pool.map(one, cases()) for problem in problems]
    leftovers = {p.name for p in tmp_path.iterdir()} - {name.replace(".", "_") for name, _ in cases()} - {"cache"}
    assert not failures, "\n".join(failures)
    assert not leftovers, leftovers  # nothing written beside the cases' folders either
