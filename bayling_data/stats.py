"""Counts of what a run kept and rejected, by language, direction, generator and turn type."""

from __future__ import annotations

import math
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
    "rejected_by_language",  # "<language>\t<reason>": a rejected record counts for its source and its target
    "rejected_by_direction",  # "<src> -> <tgt>\t<reason>"
    "unknown_language",
    "script_only_language",
    "spend",  # requests and tokens that went into kept and into rejected records
    "user_turns",  # who wrote the user turns of kept records (template, teacher) and the fallbacks
    "cut_short",  # dialogues kept with fewer turns than planned, by the reason their next turn failed
    "cut_by_turn_type",  # "<turn type>\t<reason>": the planned turn that failed, cutting a kept dialogue short
    "source_found",  # imported translation records by format and how their source was found (or not_found)
    "turn_type_planned",  # turns the kept dialogues were planned with (kept ones and those cut off after)
    "teacher",  # kept records per named teacher (runs with --add-teacher; "main" for the usual one)
    "semantic_margin",  # records by target language and band of semantic margin ("deu_Latn 0.96"), kept or not
)
MARGIN_BAND = 0.02  # width of the semantic margin bands counted
ARROW = " -> "


def direction_key(src: str, tgt: str) -> str:
    """How the run's tables name a direction (`eng_Latn -> deu_Latn`; `?` for a side with no language)."""
    return f"{src or '?'}{ARROW}{tgt or '?'}"


def direction_languages(key: str) -> list[str]:
    """The languages of a direction key (none of `?`)."""
    return [lang for lang in key.split(ARROW) if lang and lang != "?"]


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
        self._count_import_and_meaning(record)
        c = self.counts
        for lang in {record.src_lang, record.tgt_lang} - {""}:
            c["language"][lang] += 1
        c["direction"][direction_key(record.src_lang, record.tgt_lang)] += 1
        c["generator"][record.generator] += 1
        if teacher := record.meta.get("teacher"):
            c["teacher"][teacher] += 1
        c["task"][record.task] += 1
        for turn in record.meta.get("plan", []):
            c["turn_type"][turn] += 1
        cut = record.meta.get("cut_short")
        for turn in (cut or {}).get("planned") or record.meta.get("plan", []):
            c["turn_type_planned"][turn] += 1
        if instr := record.meta.get("instruction_lang"):
            c["instruction_lang"][instr] += 1
        for writer in record.meta.get("user_turn_writers", []):
            c["user_turns"][writer] += 1
        if cut:
            c["cut_short"][cut.get("reason", "?")] += 1
            planned, made = cut.get("planned") or [], len(record.meta.get("plan", []))
            if made < len(planned):
                c["cut_by_turn_type"][f"{planned[made]}\t{cut.get('reason', '?')}"] += 1
        self._count_spend("kept", record.meta.get("usage"))

    def add_rejected(self, reason: str, record: Record | None, usage: dict[str, int] | None = None) -> None:
        """Count a rejected record (or a failed generation without one) and what it cost."""
        self.rejected += 1
        self.counts["rejected_reason"][reason] += 1
        if record is not None:
            self.counts["rejected_language"][record.tgt_lang or "?"] += 1
            for lang in {record.src_lang, record.tgt_lang} - {""}:
                self.counts["rejected_by_language"][f"{lang}\t{reason}"] += 1
            if record.src_lang and record.tgt_lang:
                self.counts["rejected_by_direction"][
                    f"{direction_key(record.src_lang, record.tgt_lang)}\t{reason}"
                ] += 1
            self._count_unknown(record)
            self._count_import_and_meaning(record)
        else:  # a generation that failed before it had a record: counted, so the table sums to the rejects
            self.counts["rejected_language"]["(no record)"] += 1
        self._count_spend("rejected", usage or (record.meta.get("usage") if record is not None else None))

    def _count_spend(self, side: str, usage: Any) -> None:
        if isinstance(usage, dict):
            spend = self.counts["spend"]
            spend[f"{side}_requests"] += int(usage.get("calls", 0))
            spend[f"{side}_prompt_tokens"] += int(usage.get("prompt_tokens", 0))
            spend[f"{side}_completion_tokens"] += int(usage.get("completion_tokens", 0))

    def _count_import_and_meaning(self, record: Record) -> None:
        """How an import's source was found, and the band of its semantic margin (kept or rejected alike)."""
        if how := record.meta.get("source_found"):
            self.counts["source_found"][f"{record.generator.removeprefix('import:')}: {how}"] += 1
        margin = (record.scores.get("semantic") or {}).get("margin")
        if isinstance(margin, (int, float)):
            band = math.floor(margin / MARGIN_BAND) * MARGIN_BAND
            self.counts["semantic_margin"][f"{record.tgt_lang or '?'} {band:.2f}"] += 1

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
