"""`filter --engine ray`: Ray Data runs the chain's unordered part (the per-record steps) in parallel over
blocks (on a cluster or locally); its ordered part (dedup) then runs once over the whole stream, in input
order, so that duplicates are found across blocks and the kept set is the one the local engine keeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bayling_data.filters import FilterConfig, build_chain
from bayling_data.pipeline import FilterOptions, run_filter
from bayling_data.records import Record
from bayling_data.run_state import RunState
from bayling_data.sources.formats import BadContent, ImportLanguages, detect_format, to_record
from bayling_data.sources.readers import InputError, file_kind, input_files


class PerRecordSteps:
    """A Ray actor: converts rows to records and runs the chain's unordered part on a batch."""

    def __init__(self, config: FilterConfig, fmt: str, langs: ImportLanguages) -> None:
        self.chain = build_chain(config)
        self.fmt, self.langs = fmt, langs

    def __call__(self, batch: Any) -> dict[str, list[str]]:
        records, upstream = [], []
        for n, row in enumerate(batch.to_pylist()):
            try:
                records.append(to_record(row, self.fmt, f"ray-batch:{n}", self.langs))
                upstream.append("")
            except BadContent as error:  # kept apart as rejected, as the local engine does under --on-error skip
                records.append(error.record)
                upstream.append("bad_content")
        verdicts = iter(
            self.chain.check_batch([r for r, u in zip(records, upstream, strict=True) if not u], "unordered")
        )
        reasons = [u or next(verdicts) or "" for u in upstream]
        rows = [json.dumps(record.to_row(), ensure_ascii=False) for record in records]
        return {"record": rows, "reason": reasons}


def _files(inputs: list[Path]) -> tuple[list[str], str]:
    """The input files and the one reader they need: Ray reads jsonl(.gz) or parquet, one kind per run."""
    files = [f for path in inputs for f in input_files(path)]
    kinds = {file_kind(f) for f in files}
    if len(kinds) != 1 or not kinds <= {"jsonl", "parquet"}:
        raise InputError("the Ray engine reads one kind of input at a time: .jsonl(.gz) or .parquet files")
    return [str(f) for f in files], "parquet" if kinds == {"parquet"} else "json"


def _checked(options: FilterOptions, config: FilterConfig, address: str | None) -> Iterator[tuple[Record, str | None]]:
    import ray
    import ray.data

    ray.init(address=address, ignore_reinit_error=True, include_dashboard=False, log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # dedup keeps the first of a group, as the local engine does
    context.enable_progress_bars = False
    files, kind = _files(options.inputs)
    dataset = ray.data.read_parquet(files) if kind == "parquet" else ray.data.read_json(files, lines=True)
    fmt = options.format or detect_format(dataset.take(1)[0])
    if fmt is None:
        raise InputError("cannot recognise the input records; pass --format")
    # a worker holds one of the cluster's CPUs: its sentence encoder computes on one thread, not on every core
    worker_config = FilterConfig(config.skip, {"semantic_threads": 1, **config.settings})
    checked = dataset.map_batches(
        PerRecordSteps,
        fn_constructor_kwargs={"config": worker_config, "fmt": fmt, "langs": options.import_languages},
        batch_format="pyarrow",
        batch_size=1024,
        concurrency=(1, max(1, int(ray.cluster_resources().get("CPU", 1)))),
    )
    try:
        for batch in checked.iter_batches(batch_format="pyarrow", batch_size=4096):
            for row, reason in zip(batch.column("record").to_pylist(), batch.column("reason").to_pylist(), strict=True):
                yield Record.from_row(json.loads(row)), reason or None
    finally:
        ray.shutdown()


def run_filter_ray(options: FilterOptions, config: FilterConfig, address: str | None = None) -> RunState:
    """Filter with Ray Data; the same output layout and kept set as the local engine."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise InputError('the Ray engine needs Ray: pip install "bayling-data[ray]"') from None
    if config.teacher_steps():
        raise InputError(
            f"the Ray engine does not run teacher checks ({', '.join(config.teacher_steps())}): use --engine local"
        )
    return asyncio.run(run_filter(options, build_chain(config), _checked(options, config, address)))
