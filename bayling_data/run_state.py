"""What a run has made so far: saved atomically after every checkpoint (`.bayling/state.json`), read by a
resume, the writer, the dataset card and `stats`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bayling_data.stats import RunStats

SUMMARY_FIELDS = (
    "config", "filters", "stats", "balance", "diversity", "skipped", "usage", "shards", "prompt_hashes",
)  # fmt: skip


@dataclass
class RunState:
    """The run's state. `config` holds the settings a resume must share (generate) or the inputs (filter);
    `parts` the files written so far per split; the rest fills in as the run goes and when it finishes."""

    config: dict[str, Any] = field(default_factory=dict)
    next_index: int = 0  # generate: the first slot not yet decided
    complete: bool = False
    stats: dict[str, Any] = field(default_factory=lambda: RunStats().to_dict())
    usage: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, list[str]] = field(default_factory=lambda: {"train": [], "rejected": []})
    prompt_hashes: dict[str, str] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # filter: where and why the first skipped lines were skipped
    diversity: dict[str, Any] = field(default_factory=dict)
    shards: dict[str, list[str]] = field(default_factory=dict)
    charts: list[list[str]] = field(default_factory=list)  # (title, path) of the card's charts
    balance: dict[str, Any] = field(default_factory=dict)  # generate: planned against kept, shortfalls, warnings
    version: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what state.json holds)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunState:
        """The state saved by `to_dict` (keys it does not know, from another version, are left out)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def summary(self) -> dict[str, Any]:
        """What run_summary.json holds: settings, counts, diversity, spend, shards."""
        return {key: getattr(self, key) for key in SUMMARY_FIELDS}
