"""Counts of what a run kept and rejected, by language, direction, generator and turn type."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bayling_data import languages
from bayling_data.records import Record

TABLES = (
    "language",
    "direction",
    "generator",
    "task",
    "turn_type",
    "instruction_lang",
    "rejected_reason",
    "rejected_language",
    "unknown_language",
    "script_only_language",
)


@dataclass
class RunStats:
    """Counters that survive a resume (saved in the run state) and feed the dataset card."""

    kept: int = 0
    rejected: int = 0
    skipped_lines: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {t: Counter() for t in TABLES})

    def add_kept(self, record: Record) -> None:
        """Count a kept record."""
        self.kept += 1
        self._count_unknown(record)
        c = self.counts
        for lang in {record.src_lang, record.tgt_lang} - {""}:
            c["language"][lang] += 1
        c["direction"][f"{record.src_lang or '?'} -> {record.tgt_lang or '?'}"] += 1
        c["generator"][record.generator] += 1
        c["task"][record.task] += 1
        for turn in record.meta.get("plan", []):
            c["turn_type"][turn] += 1
        if instr := record.meta.get("instruction_lang"):
            c["instruction_lang"][instr] += 1

    def add_rejected(self, reason: str, record: Record | None) -> None:
        """Count a rejected record (or a failed generation without one)."""
        self.rejected += 1
        self.counts["rejected_reason"][reason] += 1
        if record is not None:
            self.counts["rejected_language"][record.tgt_lang or "?"] += 1
            self._count_unknown(record)

    def _count_unknown(self, record: Record) -> None:
        for code in {record.src_lang, record.tgt_lang} - {""}:
            if languages.find(code) is None:
                self.counts["unknown_language"][code] += 1
        langid = record.scores.get("langid")
        for code in langid.get("script_only", []) if isinstance(langid, dict) else []:
            self.counts["script_only_language"][code] += 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kept": self.kept,
            "rejected": self.rejected,
            "skipped_lines": self.skipped_lines,
            "counts": {name: dict(counter.most_common()) for name, counter in self.counts.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunStats:
        """Inverse of `to_dict`."""
        stats = cls(
            kept=data.get("kept", 0), rejected=data.get("rejected", 0), skipped_lines=data.get("skipped_lines", 0)
        )
        for name, values in data.get("counts", {}).items():
            stats.counts[name] = Counter(values)
        return stats
