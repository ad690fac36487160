"""The end every run shares: records routed to the kept or the rejected split, then diversity, shards,
dataset card and run summary."""

from __future__ import annotations

import json

from bayling_data import diversity
from bayling_data.export import card, charts
from bayling_data.export.sinks import sink
from bayling_data.export.writer import OutputFolder, PartWriter, atomic_write_bytes, finalize
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


def finish(
    folder: OutputFolder,
    state: RunState,
    *,
    shard_rows: int,
    shard_mb: float | None,
    val_fraction: float,
    output: str,
    license_id: str,
    filters: dict,
) -> RunState:
    """Diversity figures, shards, dataset card and run summary; then the parts go and the folder is free."""
    state.diversity = diversity.measure(folder.part_records("train", state))
    state.shards = finalize(folder, state, shard_rows, val_fraction, shard_mb, sink(output))
    state.complete, state.filters = True, filters
    state.charts = [list(chart) for chart in charts.write_card_charts(folder.root, state.stats)]
    (folder.root / "README.md").write_text(card.render(state, state.shards, license_id), "utf-8")
    summary = json.dumps(state.summary(), ensure_ascii=False, indent=1).encode()
    atomic_write_bytes(folder.root / "run_summary.json", summary)
    folder.save_state(state)
    for part in folder.parts_dir.iterdir():
        part.unlink()
    folder.publish()
    folder.unlock()
    return state
