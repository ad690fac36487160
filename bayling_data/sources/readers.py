"""Stream rows from files with their location (file:line), so that bad input is reported precisely."""

from __future__ import annotations

import gzip
import json
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class InputError(ValueError):
    """Bad input, with the file and line it was found at."""


SKIP_HINT = "use --on-error skip to skip such lines"


@dataclass
class SkipCounter:
    """Counts what `--on-error skip` skipped and keeps where and why for the first few."""

    skipped: int = 0
    first: list[str] = field(default_factory=list)
    keep: int = 20

    def skip(self, where: str, why: str) -> None:
        """Count one skipped line (or the rest of a damaged file)."""
        self.skipped += 1
        if len(self.first) < self.keep:
            self.first.append(f"{where}: {why}")


def bad_input(where: str, why: str, on_error: str, skips: SkipCounter, hint: str = SKIP_HINT) -> None:
    """Skip and count under --on-error skip; raise InputError (file:line, what, what next) otherwise."""
    if on_error == "skip":
        skips.skip(where, why)
        return
    raise InputError(f"{where}: {why}; {hint}")


def _lines(path: Path, on_error: str, skips: SkipCounter) -> Iterator[tuple[str, str]]:
    """(text, file:line) of every non-blank line of a text file, plain or gzip; bytes that are not UTF-8
    and a damaged or cut compressed stream are reported with their place."""
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    number = 0
    try:
        with opener(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                where = f"{path}:{number}"
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a byte-order mark is no text
                except UnicodeDecodeError as error:
                    why = f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1})"
                    bad_input(where, why, on_error, skips)
                    continue
                if line.strip():
                    yield line, where
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        why = f"the compressed file is cut short or damaged after line {number} ({error})"
        bad_input(f"{path}:{number + 1}", why, on_error, skips, "use --on-error skip to keep the lines before it")


def _jsonl_rows(path: Path, on_error: str, skips: SkipCounter) -> Iterator[tuple[dict[str, Any], str]]:
    for line, where in _lines(path, on_error, skips):
        try:
            row = json.loads(line)
        except ValueError as error:
            bad_input(where, f"invalid JSON ({error})", on_error, skips)
            continue
        except RecursionError:
            bad_input(where, "JSON nested too deeply to read", on_error, skips)
            continue
        if not isinstance(row, dict):
            bad_input(where, f"expected a JSON object, got {type(row).__name__}", on_error, skips)
            continue
        yield row, where


def _table_rows(path: Path, batches: Iterator[pa.RecordBatch], on_error: str, skips: SkipCounter):
    """Rows of parquet or arrow record batches; a damaged file is named (the rest of it skipped under skip)."""
    number = 0
    try:
        for batch in batches:
            for row in batch.to_pylist():
                number += 1
                yield row, f"{path}:row {number}"
    except (pa.ArrowException, OSError) as error:
        kind = "parquet" if path.name.endswith(".parquet") else "arrow"
        why = f"not a readable {kind} file after row {number} ({error})"
        bad_input(str(path), why, on_error, skips, "use --on-error skip to keep the rows before it")


def _parquet_batches(path: Path) -> Iterator[pa.RecordBatch]:
    yield from pq.ParquetFile(path).iter_batches(batch_size=4096)


STDIN = Path("/dev/stdin")


def user_path(given: str | Path) -> Path:
    """A path as the user means it: `~` is the home folder, `-` is standard input."""
    return STDIN if str(given) == "-" else Path(given).expanduser()


def is_stream(path: Path) -> bool:
    """Whether `path` is a pipe, a terminal or standard input: it can be read once, front to back."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def input_files(path: Path) -> list[Path]:
    """The record files of an input: the file itself, or the jsonl/parquet/arrow files of a folder."""
    path = user_path(path)
    if path.is_dir():
        found = sorted(  # a saved HF dataset's dataset_info.json / state.json are not records
            p
            for p in path.rglob("*")
            if p.is_file() and not p.name.endswith(".json") and (kind := kind_of(p)) is not None and kind.in_folders
        )
        found = [p for p in found if not any(part.startswith(".") for part in p.relative_to(path).parts)]
        if not found:
            raise InputError(f"{path}: no .jsonl, .jsonl.gz, .parquet or .arrow files found in this folder")
        return found
    if not path.exists():
        raise InputError(f"{path}: no such file")
    return [path]


def _arrow_batches(path: Path) -> Iterator[pa.RecordBatch]:
    with pa.memory_map(str(path)) as source:
        try:
            reader = pa.ipc.open_stream(source)
        except pa.ArrowInvalid:
            reader = pa.ipc.open_file(source)
            yield from (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            yield from reader


def _newlines(file: Path) -> int | None:
    if file.name.endswith(".gz"):
        return None  # compressed: as slow to count as to read
    with open(file, "rb") as handle:  # about 1 GB/s: seconds for a corpus that takes minutes to filter
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _text_rows(file: Path, on_error: str, skips: SkipCounter) -> Iterator[tuple[dict[str, Any], str]]:
    for line, where in _lines(file, on_error, skips):
        yield {"text": line.rstrip("\r\n")}, where


@dataclass(frozen=True)
class InputKind:
    """A kind of input file: the name endings that tell it, how its rows are read and, cheaply, counted."""

    name: str
    endings: tuple[str, ...]
    rows: Callable[[Path, str, SkipCounter], Iterator[tuple[dict[str, Any], str]]]
    count: Callable[[Path], int | None]
    in_folders: bool = True  # found when a folder is given (plain text is not: a folder holds records)


INPUT_KINDS = (
    InputKind("jsonl", (".jsonl", ".jsonl.gz", ".json", ".ndjson"), _jsonl_rows, _newlines),
    InputKind(
        "parquet",
        (".parquet",),
        lambda f, on_error, skips: _table_rows(f, _parquet_batches(f), on_error, skips),
        lambda f: pq.ParquetFile(f).metadata.num_rows,
    ),
    InputKind(
        "arrow",
        (".arrow",),
        lambda f, on_error, skips: _table_rows(f, _arrow_batches(f), on_error, skips),
        lambda f: sum(batch.num_rows for batch in _arrow_batches(f)),
    ),
    InputKind("txt", (".txt",), _text_rows, _newlines, in_folders=False),
)


def kind_of(path: Path) -> InputKind | None:
    """The kind of an input file by its name; a pipe or standard input with no telling name is JSON Lines,
    the one format that streams; None: no kind we read."""
    name = path.name.lower()
    for kind in INPUT_KINDS:
        if name.endswith(kind.endings):
            return kind
    return INPUT_KINDS[0] if path == STDIN or is_stream(path) else None


def file_kind(path: Path) -> str:
    """The name of an input file's kind (jsonl, parquet, arrow, txt) or unknown."""
    kind = kind_of(path)
    return kind.name if kind else "unknown"


def count_rows(path: Path) -> int | None:
    """About how many rows `iter_rows(path)` gives, when that is cheap to know (parquet metadata, arrow
    batch lengths, the newlines of plain text files); None when a file is compressed, damaged or of unknown
    kind (the readers report a damaged file with its place)."""
    try:
        return _count_rows(path)
    except (pa.ArrowException, OSError, InputError):
        return None


def _count_rows(path: Path) -> int | None:
    total = 0
    for file in input_files(path):
        kind = kind_of(file)
        if kind is None or is_stream(file):  # counting a pipe would read it to its end, leaving nothing to read
            return None
        counted = kind.count(file)
        if counted is None:
            return None
        total += counted
    return total


def iter_rows(
    path: Path, on_error: str = "fail", skips: SkipCounter | None = None
) -> Iterator[tuple[dict[str, Any], str]]:
    """Rows of a jsonl(.gz) / parquet / txt file, a saved HF dataset folder, or a folder of such files."""
    skips = skips or SkipCounter()
    for file in input_files(path):
        kind = kind_of(file)
        if kind is None:
            endings = ", ".join(ending for kind in INPUT_KINDS for ending in kind.endings)
            raise InputError(f"{file}: unknown file type (expected {endings} or a dataset folder)")
        yield from kind.rows(file, on_error, skips)
