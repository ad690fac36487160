"""The end every run shares: records routed to the kept or the rejected split, then diversity, shards,
dataset card and run summary."""

from __future__ import annotations

import json
from typing import Any, Protocol

from bayling_data import diversity
from bayling_data.export import card, charts
from bayling_data.export.sinks import sink
from bayling_data.export.writer import (
    DatasetOptions,
    OutputFolder,
    PartWriter,
    ShardOptions,
    atomic_write_bytes,
    finalize,
)
from bayling_data.generators.base import Rejection
from bayling_data.records import Record
from bayling_data.run_state import RunState
from bayling_data.stats import RunStats


def keep_or_reject(record: Record, reason: str | None, writer: PartWriter, stats: RunStats) -> None:
    """Write a record to the kept or the rejected split (with its reason) and count it."""
    writer.add(record, reason)
    if reason is None:
        stats.add_kept(record)
    else:
        stats.add_rejected(reason, record)


def route_rejection(outcome: Rejection, writer: PartWriter, stats: RunStats) -> str:
    """Count a generator's rejection (and keep its record, if it has one, in the rejected split); its reason."""
    reason = outcome.reason if outcome.by_filter else f"generator:{outcome.reason}"
    stats.add_rejected(reason, outcome.record, outcome.usage)
    if outcome.record is not None:
        writer.add(outcome.record, reason)
    return reason


class OutputOptions(Protocol):
    """What finishing reads of a run's options (GenerateOptions and FilterOptions both have it)."""

    shards: ShardOptions
    dataset: DatasetOptions
    output: str  # the sink's name
    filters: dict[str, Any]  # the filter settings, for the summary and the card


def finish(folder: OutputFolder, state: RunState, options: OutputOptions) -> RunState:
    """Diversity figures, shards, dataset card and run summary; then the parts go and the folder is free."""
    shards, dataset = options.shards, options.dataset
    state.diversity = diversity.measure(folder.part_records("train", state))
    state.shards = finalize(
        folder, state, shards.shard_rows, dataset.val_fraction, shards.shard_mb, sink(options.output)
    )
    state.complete, state.filters = True, options.filters
    state.charts = [list(chart) for chart in charts.write_card_charts(folder.root, state.stats)]
    (folder.root / "README.md").write_text(card.render(state, state.shards, dataset.license), "utf-8")
    summary = json.dumps(state.summary(), ensure_ascii=False, indent=1).encode()
    atomic_write_bytes(folder.root / "run_summary.json", summary)
    folder.save_state(state)
    for part in folder.parts_dir.iterdir():
        part.unlink()
    folder.publish()
    folder.unlock()
    return state
