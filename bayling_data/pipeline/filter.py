"""`filter` and `merge`: existing corpora through the same filter chain as `generate`, into the same layout."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional

from bayling_data.export.sinks import OUTPUT_HELP, sink
from bayling_data.export.writer import DatasetOptions, OutputFolder, PartWriter, ShardOptions
from bayling_data.filters import FilterChain
from bayling_data.filters.base import BATCH_SIZE, batched
from bayling_data.languages import check_flag
from bayling_data.languages import get as get_language
from bayling_data.options import REQUIRED, option
from bayling_data.pipeline.finish import finish, keep_or_reject
from bayling_data.progress import RunProgress
from bayling_data.records import Record
from bayling_data.run_state import RunState
from bayling_data.sources.formats import FORMATS, BadContent, ImportLanguages, detect_format, to_record
from bayling_data.sources.readers import InputError, SkipCounter, bad_input, count_rows, iter_rows
from bayling_data.stats import RunStats


@dataclass
class FilterOptions:
    """`filter`'s own options, each declared once here (the command turns them into flags), and what the
    command adds: the inputs, the shards and dataset flags, the filter settings. `merge` uses them too."""

    help_panel: ClassVar[str] = "Run"

    out: Path = option(REQUIRED, "Output folder (same layout as generate).")
    format: Optional[str] = option(
        None, "Format of the input: bayling, sharegpt, alpaca or messages (default: detected).", choices=FORMATS
    )
    lang: Optional[str] = option(
        None, "Language the answers (and requests without a source) are in: enables language ID on imports."
    )
    source_lang: Optional[str] = option(
        None, "Language of the texts translation requests point at (default: not checked, its script inferred)."
    )
    source_field: Optional[str] = option(
        None, "Column or meta key holding a translation's source (default: found in the user turn or `input`)."
    )
    on_error: str = option("fail", "fail (default) or skip malformed lines.", choices=("fail", "skip"))
    output: str = option("parquet", OUTPUT_HELP, flag="--output-format")
    overwrite: bool = option(False, "Replace --out if it holds an earlier output.")
    engine: str = option(
        "local", "local (this process) or ray (Ray Data, local or a cluster).", choices=("local", "ray")
    )
    ray_address: Optional[str] = option(None, "Ray cluster to join (default: start one here).")
    inputs: list[Path] = field(default_factory=list)  # the command's arguments
    shards: ShardOptions = field(default_factory=ShardOptions)
    dataset: DatasetOptions = field(default_factory=DatasetOptions)
    filters: dict[str, Any] = field(default_factory=dict)  # the filter settings, for the summary and the card

    def validate(self) -> None:
        """The language and the output format, before anything is read (ValueError naming the flag)."""
        _ = self.import_languages, sink(self.output)

    @functools.cached_property
    def import_languages(self) -> ImportLanguages:
        """--lang and --source-lang as FLORES codes ('' when not given: no language is declared)."""
        check_flag("--lang", [self.lang] if self.lang else [])
        check_flag("--source-lang", [self.source_lang] if self.source_lang else [])
        return ImportLanguages(
            get_language(self.lang).code if self.lang else "",
            get_language(self.source_lang).code if self.source_lang else "",
            self.source_field,
        )


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
                yield to_record(row, fmt, where, options.import_languages), None
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
    langs = options.import_languages
    config = {
        "inputs": [str(p) for p in options.inputs],
        "format": options.format,
        "lang": langs.lang,
        "source_lang": langs.source_lang,
        "source_field": langs.source_field,
    }
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
                if writer.buffered >= options.shards.shard_rows:
                    writer.flush(stats=stats.to_dict())
            progress.update(stats.kept, stats.rejected)
    finally:
        progress.close()
    if stats.kept + stats.rejected == 0:
        raise InputError(f"no records found in {', '.join(map(str, options.inputs))}")
    stats.skipped_lines = skips.skipped
    writer.flush(stats=stats.to_dict(), skipped=skips.first)
    return finish(folder, state, options)
