"""Output formats of the final shards: one small class each, with its write side and its read side (the
run's own parts stay parquet, for resume).

Both load with `datasets.load_dataset(OUT)` (the Hub's layout: `data/train-00000-of-00001.<suffix>`), both
are pushed by `push`, and the viewer reads both through the sink of each file (`sink_of`): no one else
branches on a suffix. A new format is one more class here and its name in `SINKS`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import jsonlines
import pyarrow as pa
import pyarrow.parquet as pq


class ShardWriter(Protocol):
    """Writes record batches into one shard file."""

    def write_batch(self, batch: pa.RecordBatch) -> None: ...


class Sink(Protocol):
    """An output format: its file suffix, how a shard is written, and how shards are read back."""

    name: str
    suffix: str

    def open(self, path: Path, schema: pa.Schema) -> contextlib.AbstractContextManager[ShardWriter]: ...

    def sql_source(self, paths: list[Path]) -> str:
        """DuckDB SQL reading these shards, each row with its `filename` and `file_row_number`."""
        ...

    def count_rows(self, path: Path) -> int:
        """How many records a shard holds, read cheaply."""
        ...


class ParquetSink:
    """Parquet shards, zstd-compressed (the default: typed columns, small files)."""

    name, suffix = "parquet", ".parquet"

    def open(self, path: Path, schema: pa.Schema) -> contextlib.AbstractContextManager[ShardWriter]:
        return pq.ParquetWriter(path, schema, compression="zstd")

    def sql_source(self, paths: list[Path]) -> str:
        files = "[" + ", ".join(sql_text(str(p)) for p in paths) + "]"
        return f"read_parquet({files}, filename=true, file_row_number=true, union_by_name=true)"

    def count_rows(self, path: Path) -> int:
        return pq.ParquetFile(path).metadata.num_rows  # from the footer


class _JsonlShard:
    def __init__(self, writer: jsonlines.Writer) -> None:
        self._writer = writer

    def write_batch(self, batch: pa.RecordBatch) -> None:
        self._writer.write_all(batch.to_pylist())


class JsonlSink:
    """JSON Lines shards: one record a line, readable by anything (`meta` and `scores` stay JSON strings)."""

    name, suffix = "jsonl", ".jsonl"

    @contextlib.contextmanager
    def open(self, path: Path, schema: pa.Schema) -> Iterator[ShardWriter]:
        with jsonlines.open(path, mode="w", compact=True, sort_keys=False) as writer:
            yield _JsonlShard(writer)

    def sql_source(self, paths: list[Path]) -> str:
        # one file at a time keeps row numbers per file
        return " UNION ALL BY NAME ".join(
            f"(SELECT *, row_number() OVER () - 1 AS file_row_number FROM read_json({sql_text(str(p))},"
            " format='newline_delimited', filename=true))"
            for p in paths
        )

    def count_rows(self, path: Path) -> int:
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())


SINKS: dict[str, Sink] = {sink.name: sink for sink in (ParquetSink(), JsonlSink())}


OUTPUT_HELP = f"Format of the final shards: {' or '.join(SINKS)}."  # help texts ask the sinks


def sql_text(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sink_of(path: Path) -> Sink:
    """The output format a shard file is in, by its suffix (ValueError for a file no sink wrote)."""
    for found in SINKS.values():
        if path.name.endswith(found.suffix):
            return found
    raise ValueError(f"{path}: not a shard of any output format ({', '.join(SINKS)})")


def sink(name: str) -> Sink:
    """The output format `name` (ValueError listing the known ones)."""
    if name not in SINKS:
        raise ValueError(f"unknown output format {name!r}; choose from {', '.join(SINKS)}")
    return SINKS[name]
