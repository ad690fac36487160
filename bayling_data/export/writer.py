"""Crash-safe output: parts written atomically with a state file, then shards in the Hub's layout.

During a run, kept and rejected records are buffered and flushed as parquet *parts* under
`.bayling/parts/`; after each flush the run state (`.bayling/state.json`) is replaced atomically.
A resume reads the state, drops parts it does not list, and continues. When the run is complete,
the parts are rewritten as `data/train-00000-of-000NN.parquet` (and `rejected/...`) shards.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from bayling_data.export.sinks import SINKS, Sink
from bayling_data.options import option
from bayling_data.records import REJECTED_SCHEMA, SCHEMA, Record, rows_to_table
from bayling_data.run_state import RunState

STATE_DIR = ".bayling"
OWNER = "owner"  # in the state folder: the id of the process that runs in this output
_HELD: dict[str, tuple[int, int]] = {}  # output folders this process has locked: their descriptor, how many hold it


@dataclass
class ShardOptions:
    """How the final data is cut into shards (`generate`, `filter` and `merge` take these flags)."""

    help_panel: ClassVar[str] = "Output"

    shard_rows: int = option(10_000, "Most records per shard.", low=1, high=10**9)
    shard_mb: float | None = option(
        None, "About this many MiB per shard (instead of a row count).", low=0.001, high=1e6
    )


@dataclass
class DatasetOptions:
    """What the finished dataset declares and how its kept records split (`generate`, `filter` and `merge`
    take these flags)."""

    help_panel: ClassVar[str] = "Output"

    license: str = option("other", "License written in the dataset card (a Hub license id, e.g. cc-by-4.0).")
    val_fraction: float = option(
        0.0, "Share of kept records in a validation split (chosen by id hash).", low=0.0, high=0.9
    )


class OutputExistsError(FileExistsError):
    """The output folder has content and neither --resume nor --overwrite was given."""


class OutputInUse(OutputExistsError):
    """Another run writes to the same output folder."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write a file so that a reader (or a crash) sees the old content or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a parquet file atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


class OutputFolder:
    """An output folder: its run state, its parts and its final shards.

    With --overwrite the new output is written beside the old one (`.NAME.overwrite`) and takes its
    place only when complete (`publish`): a run that fails or is stopped leaves the old output as it was.
    One run at a time writes to a folder: `prepare` takes a lock on it, held until the run ends. A `~` is
    the home folder, and an --out that is a link is the folder it points to (the link stays and points to
    the new output).
    """

    def __init__(self, target: Path) -> None:
        target = Path(target).expanduser()
        self.target = target.resolve() if target.is_symlink() else target
        self.root = self.target  # where this run writes: the target, or the folder beside it with --overwrite
        self._lock: str | None = None  # the lock file this folder holds (a key of _HELD)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def parts_dir(self) -> Path:
        return self.state_dir / "parts"

    @property
    def state_path(self) -> Path:
        return self.state_dir / "state.json"

    def refuse_inputs(self, inputs: list[Path]) -> None:
        """Raise before anything is touched when the output is an input, or one holds the other: an
        --overwrite would otherwise delete what the run has still to read."""
        out = self.target.resolve()
        for given in inputs:
            path = given.resolve()
            if out == path or out in path.parents or path in out.parents:
                raise OutputExistsError(
                    f"--out {self.target} is also an input ({given}) or holds one: write the output to another folder"
                )

    def refuse_to_hold(self, path: Path | None, flag: str) -> None:
        """Raise before anything is touched when `path` (say, the teacher cache) lies inside the output, which
        an --overwrite replaces whole."""
        if path is None:
            return
        out, inside = self.target.resolve(), Path(path).expanduser().resolve()
        if out == inside or out in inside.parents:
            raise OutputExistsError(
                f"{flag} {path} lies inside --out {self.target}, which --overwrite replaces whole:"
                f" put {flag} outside the output folder"
            )

    def lock(self) -> None:
        """Take the folder for this run (a lock on the folder itself, so nothing is written beside it), or
        raise OutputInUse naming the process that has it."""
        if self._lock is not None:
            return
        if self.target.exists() and not self.target.is_dir():
            raise OutputExistsError(f"--out {self.target} is a file, not a folder: choose a folder for the output")
        self.target.mkdir(parents=True, exist_ok=True)
        path = str(self.target.resolve())
        if path in _HELD:  # this process has it already (a run in the same process before this one)
            handle, holders = _HELD[path]
            _HELD[path] = (handle, holders + 1)
            self._lock = path
            return
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            owner = self.target / STATE_DIR / OWNER
            holder = owner.read_text("utf-8").strip() if owner.is_file() else "?"
            raise OutputInUse(
                f"--out {self.target} is being written by another run (process {holder}):"
                " wait for it to end, or choose another --out"
            ) from None
        _HELD[path] = (handle, 1)
        self._lock = path

    def unlock(self) -> None:
        """Let another run have the folder (once no other holder in this process has it)."""
        if self._lock is None:
            return
        handle, holders = _HELD.pop(self._lock)
        if holders > 1:
            _HELD[self._lock] = (handle, holders - 1)
        else:
            os.close(handle)  # closing releases the lock
        self._lock = None

    def load_state(self) -> RunState | None:
        """The saved run state, or None for a new folder."""
        if not self.state_path.exists():
            return None
        try:
            return RunState.from_dict(json.loads(self.state_path.read_text("utf-8")))
        except (ValueError, TypeError, AttributeError):
            raise OutputExistsError(
                f"{self.state_path} is damaged: this output cannot be resumed; use --overwrite to make it again"
            ) from None

    def check_start(self, *, resume: bool, overwrite: bool, can_resume: bool = True) -> RunState | None:
        """The checks `prepare` makes, touching nothing (a command runs them before it starts a teacher);
        returns the saved state. `can_resume`: the command has --resume (generate), so an error may suggest it."""
        if self.target.exists() and not self.target.is_dir():
            raise OutputExistsError(f"--out {self.target} is a file, not a folder: choose a folder for the output")
        state = self.load_state()
        # a run killed before its first checkpoint left only the state folder: that is no content
        has_content = self.target.is_dir() and any(
            entry.name != STATE_DIR or state is not None for entry in self.target.iterdir()
        )
        if not has_content:
            return state
        if overwrite and state is None:
            raise OutputExistsError(
                f"{self.target} is not empty and is not a bayling-data output: refusing to delete it"
            )
        if not overwrite and not resume:
            resumable = state is not None and can_resume and not state.complete
            hint = "pass --resume to continue that run or --overwrite" if resumable else "use --overwrite"
            raise OutputExistsError(f"{self.target} already exists: {hint} to replace it, or choose another --out")
        if not overwrite and state is None:
            raise OutputExistsError(f"{self.target} is not empty and holds no bayling-data run to resume")
        return state

    def prepare(self, *, resume: bool, overwrite: bool, can_resume: bool = True) -> RunState | None:
        """Take the folder (`lock`) and make it ready; returns the state to resume from (None: start fresh)."""
        self.lock()
        state = self.check_start(resume=resume, overwrite=overwrite, can_resume=can_resume)
        if state is None and self.state_dir.exists():
            shutil.rmtree(self.state_dir)  # a run killed before its first checkpoint left only this
        if overwrite and state is not None:
            self.root = self.target.parent / f".{self.target.name}.overwrite"
            if self.root.exists():
                shutil.rmtree(self.root)  # an earlier --overwrite run that did not finish
            state = None
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        (self.target / STATE_DIR).mkdir(exist_ok=True)
        (self.target / STATE_DIR / OWNER).write_text(str(os.getpid()), "utf-8")
        if state is not None:
            listed = {name for names in state.parts.values() for name in names}
            for part in self.parts_dir.iterdir():
                if part.name not in listed:
                    part.unlink()  # written after the last saved state: its records will be made again
        return state

    def publish(self) -> None:
        """Put a complete output written beside the old one (--overwrite) in the old one's place."""
        if self.root == self.target:
            return
        old = self.target.parent / f".{self.target.name}.replaced"
        if old.is_symlink():
            old.unlink()  # left by an older version, which moved a linked --out aside
        elif old.exists():
            shutil.rmtree(old)
        os.replace(self.target, old)
        os.replace(self.root, self.target)
        shutil.rmtree(old)
        self.root = self.target

    def save_state(self, state: RunState) -> None:
        """Replace the state file atomically."""
        data = json.dumps(state.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
        atomic_write_bytes(self.state_path, data)

    def part_records(self, split: str, state: RunState) -> Iterator[Record]:
        """Stream the records of one split's parts."""
        for name in state.parts.get(split, []):
            for batch in pq.ParquetFile(self.parts_dir / name).iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    yield Record.from_row(row)


class PartWriter:
    """Buffers kept and rejected rows and flushes them as parts, then saves the state."""

    def __init__(self, folder: OutputFolder, state: RunState) -> None:
        self.folder = folder
        self.state = state
        self.buffers: dict[str, list[dict[str, Any]]] = {"train": [], "rejected": []}

    def add(self, record: Record, reject_reason: str | None = None) -> None:
        """Buffer one record (rejected ones keep their reason)."""
        row = record.to_row()
        if reject_reason is None:
            self.buffers["train"].append(row)
        else:
            row["reject_reason"] = reject_reason
            self.buffers["rejected"].append(row)

    @property
    def buffered(self) -> int:
        """Rows waiting to be flushed."""
        return sum(len(rows) for rows in self.buffers.values())

    def flush(self, **updates: Any) -> None:
        """Write buffered rows as parts, then save the state with `updates` (fields of RunState) applied."""
        for split, rows in self.buffers.items():
            if not rows:
                continue
            name = f"{split}-{len(self.state.parts[split]):05d}.parquet"
            atomic_write_table(self.folder.parts_dir / name, rows_to_table(rows, rejected=split == "rejected"))
            self.state.parts[split].append(name)
            rows.clear()
        for key, value in updates.items():
            if not hasattr(self.state, key):
                raise AttributeError(f"RunState has no field {key!r}")
            setattr(self.state, key, value)
        self.folder.save_state(self.state)


def is_validation(record_id: str, fraction: float) -> bool:
    """Stable split choice: the same id always lands in the same split."""
    return fraction > 0 and xxhash.xxh3_64_intdigest(record_id.encode()) / 2**64 < fraction


def rows_for_size(parts: list[Path], megabytes: float) -> int:
    """How many rows make a shard of about `megabytes` MiB, from the parts' compressed size per row."""
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    size = sum(p.stat().st_size for p in parts)
    return max(1, int(megabytes * 2**20 * rows / size)) if rows and size else 1


def finalize(
    folder: OutputFolder,
    state: RunState,
    shard_rows: int,
    val_fraction: float = 0.0,
    shard_mb: float | None = None,
    output: Sink = SINKS["parquet"],
) -> dict[str, list[str]]:
    """Rewrite the parts as Hub-layout shards (in the `output` format) of at most `shard_rows` rows (and about
    `shard_mb` MiB when given); returns the shard paths per split."""
    for subdir in ("data", "rejected"):
        if (folder.root / subdir).exists():
            shutil.rmtree(folder.root / subdir)  # a finalize interrupted before: start it again
    kept_parts = [folder.parts_dir / name for name in state.parts.get("train", [])]
    rejected_parts = [folder.parts_dir / name for name in state.parts.get("rejected", [])]
    if shard_mb is not None:
        shard_rows = min(shard_rows, rows_for_size(kept_parts + rejected_parts, shard_mb))
    plan = [("train", "data", SCHEMA, kept_parts, lambda i: not is_validation(i, val_fraction))]
    if val_fraction > 0:
        plan.append(("validation", "data", SCHEMA, kept_parts, lambda i: is_validation(i, val_fraction)))
    plan.append(("rejected", "rejected", REJECTED_SCHEMA, rejected_parts, lambda i: True))
    written: dict[str, list[str]] = {}
    for split, subdir, schema, parts, keep in plan:
        total = sum(sum(keep(i) for i in pq.read_table(p, columns=["id"])["id"].to_pylist()) for p in parts)
        if total == 0 and split != "train":
            continue
        (folder.root / subdir).mkdir(exist_ok=True)
        count = max(1, math.ceil(total / shard_rows))
        names = [f"{subdir}/{split}-{k:05d}-of-{count:05d}{output.suffix}" for k in range(count)]
        _reshard(_batches(parts, keep, shard_rows), [folder.root / n for n in names], schema, shard_rows, output)
        written[split] = names
    return written


def _batches(parts: list[Path], keep: Callable[[str], bool], shard_rows: int) -> Iterator[pa.RecordBatch]:
    for part in parts:
        for batch in pq.ParquetFile(part).iter_batches(batch_size=min(shard_rows, 8192)):
            mask = pa.array([keep(i) for i in batch.column("id").to_pylist()], type=pa.bool_())
            yield batch.filter(mask)


def _reshard(
    stream: Iterator[pa.RecordBatch], shards: list[Path], schema: pa.Schema, shard_rows: int, output: Sink
) -> None:
    pending: list[pa.RecordBatch] = []
    for shard in shards:
        tmp = shard.with_name(f".{shard.name}.tmp")
        with output.open(tmp, schema) as writer:
            room = shard_rows
            while room > 0:
                batch = pending.pop() if pending else next(stream, None)
                if batch is None:
                    break
                if batch.num_rows > room:
                    pending.append(batch.slice(room))
                    batch = batch.slice(0, room)
                if batch.num_rows:
                    writer.write_batch(batch)
                room -= batch.num_rows
        os.replace(tmp, shard)
