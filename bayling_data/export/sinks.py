"""Output formats of the final shards: one small class each (the run's own parts stay parquet, for resume).

Both load with `datasets.load_dataset(OUT)` (the Hub's layout: `data/train-00000-of-00001.<suffix>`) and
both are pushed by `push`. A new format is one more class here and its name in `SINKS`.
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
    """An output format: its file suffix and how a shard is written."""

    name: str
    suffix: str

    def open(self, path: Path, schema: pa.Schema) -> contextlib.AbstractContextManager[ShardWriter]: ...


class ParquetSink:
    """Parquet shards, zstd-compressed (the default: typed columns, small files)."""

    name, suffix = "parquet", ".parquet"

    def open(self, path: Path, schema: pa.Schema) -> contextlib.AbstractContextManager[ShardWriter]:
        return pq.ParquetWriter(path, schema, compression="zstd")


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


SINKS: dict[str, Sink] = {sink.name: sink for sink in (ParquetSink(), JsonlSink())}


def sink(name: str) -> Sink:
    """The output format `name` (ValueError listing the known ones)."""
    if name not in SINKS:
        raise ValueError(f"unknown output format {name!r}; choose from {', '.join(SINKS)}")
    return SINKS[name]
