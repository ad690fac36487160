"""`filter` and `merge`: existing corpora through the same filter chain as `generate`, into the same layout."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayling_data.export.writer import DatasetOptions, OutputFolder, PartWriter, ShardOptions
from bayling_data.filters import FilterChain
from bayling_data.filters.base import BATCH_SIZE, batched
from bayling_data.pipeline.finish import finish, keep_or_reject
from bayling_data.progress import RunProgress
from bayling_data.records import Record
from bayling_data.run_state import RunState
from bayling_data.sources.formats import FORMATS, BadContent, detect_format, to_record
from bayling_data.sources.readers import InputError, SkipCounter, bad_input, count_rows, iter_rows
from bayling_data.stats import RunStats


@dataclass
class FilterOptions:
    """Everything `filter` needs."""

    inputs: list[Path]
    out: Path
    format: str | None = None  # None: detect from the first row of each input
    lang: str = ""  # declared language of every turn of imported records (FLORES code)
    on_error: str = "fail"
    shard_rows: int = ShardOptions.shard_rows
    shard_mb: float | None = ShardOptions.shard_mb
    output: str = "parquet"  # the final shards' format (export/sinks.py)
    overwrite: bool = False
    license: str = DatasetOptions.license
    val_fraction: float = DatasetOptions.val_fraction
    filters: dict[str, Any] = field(default_factory=dict)  # the filter settings, for the summary and the card


def iter_input_records(options: FilterOptions, skips: SkipCounter) -> Iterator[tuple[Record, str | None]]:
    """Records of every input, converted from their detected (or given) format, each with a reason to
    reject it already (`bad_content`: a message that is not text, under --on-error skip) or None."""
    for path in options.inputs:
        fmt = options.format
        for row, where in iter_rows(path, options.on_error, skips):
            if fmt is None:
                fmt = detect_format(row)
                if fmt is None:
                    raise InputError(
                        f"{where}: cannot recognise these records (keys: {sorted(row)[:8]}); "
                        f"pass --format ({', '.join(FORMATS)})"
                    )
            try:
                yield to_record(row, fmt, where, options.lang), None
            except BadContent as error:
                if options.on_error != "skip":
                    raise InputError(f"{error}; use --on-error skip to keep such records apart as rejected") from None
                yield error.record, "bad_content"
            except InputError as error:
                bad_input(where, str(error).removeprefix(f"{where}: "), options.on_error, skips)


async def run_filter(
    options: FilterOptions, chain: FilterChain, checked: Iterable[tuple[Record, str | None]] | None = None
) -> RunState:
    """Filter existing corpora into the same output layout as `generate`; returns the final state.

    `checked` lets another engine supply records with the verdict of the chain's unordered part, which
    it ran (None: passed); only the ordered part (dedup) then runs here, in input order.
    """
    folder = OutputFolder(options.out)
    folder.refuse_inputs(options.inputs)
    folder.prepare(resume=False, overwrite=options.overwrite, can_resume=False)
    config = {"inputs": [str(p) for p in options.inputs], "format": options.format, "lang": options.lang}
    state = RunState(config={**config, "on_error": options.on_error})
    writer = PartWriter(folder, state)
    stats = RunStats()
    skips = SkipCounter()
    sizes = [count_rows(path) for path in options.inputs]  # for the ETA; 0: unknown (compressed input, a pipe)
    total = 0 if None in sizes else sum(size or 0 for size in sizes)
    progress = RunProgress(total, 0, "filter", None, count_read=True)
    part = "all" if checked is None else "ordered"
    if checked is None:
        checked = iter_input_records(options, skips)
    try:
        for batch in batched(checked, BATCH_SIZE):  # steps such as near dedup are faster on lists
            verdicts = iter(await chain.acheck_batch([record for record, upstream in batch if not upstream], part))
            for record, upstream in batch:
                keep_or_reject(record, upstream or next(verdicts), writer, stats)
                if writer.buffered >= options.shard_rows:
                    writer.flush(stats=stats.to_dict())
            progress.update(stats.kept, stats.rejected)
    finally:
        progress.close()
    if stats.kept + stats.rejected == 0:
        raise InputError(f"no records found in {', '.join(map(str, options.inputs))}")
    stats.skipped_lines = skips.skipped
    writer.flush(stats=stats.to_dict(), skipped=skips.first)
    return finish(
        folder,
        state,
        shard_rows=options.shard_rows,
        shard_mb=options.shard_mb,
        val_fraction=options.val_fraction,
        output=options.output,
        license_id=options.license,
        filters=options.filters,
    )
