"""Stream rows from files with their location (file:line), so that bad input is reported precisely."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class InputError(ValueError):
    """Bad input, with the file and line it was found at."""


@dataclass
class SkipCounter:
    """Counts lines skipped under `--on-error skip`."""

    skipped: int = 0


def _jsonl_rows(path: Path, on_error: str, skips: SkipCounter) -> Iterator[tuple[dict[str, Any], str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("expected a JSON object")
            except ValueError as error:
                if on_error == "skip":
                    skips.skipped += 1
                    continue
                raise InputError(
                    f"{where}: invalid JSON line ({error}); use --on-error skip to skip such lines"
                ) from None
            yield row, where


def _parquet_rows(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            number += 1
            yield row, f"{path}:row {number}"


def input_files(path: Path) -> list[Path]:
    """The record files of an input: the file itself, or the jsonl/parquet/arrow files of a folder."""
    if path.is_dir():
        found = sorted(  # a saved HF dataset's dataset_info.json / state.json are not records
            p
            for p in path.rglob("*")
            if p.is_file() and not p.name.endswith(".json") and file_kind(p) in ("jsonl", "parquet", "arrow")
        )
        found = [p for p in found if not any(part.startswith(".") for part in p.relative_to(path).parts)]
        if not found:
            raise InputError(f"{path}: no .jsonl, .jsonl.gz, .parquet or .arrow files found in this folder")
        return found
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return [path]


def file_kind(path: Path) -> str:
    """jsonl, parquet, arrow, txt or unknown, from the file name."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".json", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".arrow"):
        return "arrow"
    if name.endswith(".txt"):
        return "txt"
    return "unknown"


def _arrow_batches(path: Path) -> Iterator[pa.RecordBatch]:
    with pa.memory_map(str(path)) as source:
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            reader = pa.ipc.open_file(source)
            yield from (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            yield from reader


def _arrow_rows(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    number = 0
    for batch in _arrow_batches(path):
        for row in batch.to_pylist():
            number += 1
            yield row, f"{path}:row {number}"


def count_rows(path: Path) -> int | None:
    """About how many rows `iter_rows(path)` gives, when that is cheap to know (parquet metadata, arrow
    batch lengths, the newlines of plain text files); None when a file is compressed or of unknown kind."""
    total = 0
    for file in input_files(path):
        kind = file_kind(file)
        if kind == "parquet":
            total += pq.ParquetFile(file).metadata.num_rows
        elif kind == "arrow":
            total += sum(batch.num_rows for batch in _arrow_batches(file))
        elif kind in ("jsonl", "txt") and not file.name.endswith(".gz"):
            with open(file, "rb") as handle:  # about 1 GB/s: seconds for a corpus that takes minutes to filter
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        else:
            return None
    return total


def iter_rows(
    path: Path, on_error: str = "fail", skips: SkipCounter | None = None
) -> Iterator[tuple[dict[str, Any], str]]:
    """Rows of a jsonl(.gz) / parquet / txt file, a saved HF dataset folder, or a folder of such files."""
    skips = skips or SkipCounter()
    for file in input_files(path):
        kind = file_kind(file)
        if kind == "jsonl":
            yield from _jsonl_rows(file, on_error, skips)
        elif kind == "parquet":
            yield from _parquet_rows(file)
        elif kind == "arrow":
            yield from _arrow_rows(file)
        elif kind == "txt":
            with open(file, encoding="utf-8") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield {"text": line.rstrip("\n")}, f"{file}:{number}"
        else:
            raise InputError(
                f"{file}: unknown file type (expected .txt, .jsonl, .jsonl.gz, .parquet or a dataset folder)"
            )
