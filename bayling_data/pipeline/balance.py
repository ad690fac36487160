"""Planned against kept: which directions, languages and turn types a run made fewer of than it planned,
why, and what to do; and the early warning for a language whose tries keep failing.

The plan of a run is what its generator planned for the first --n slots (record k's direction is the
k-th of a balanced spread) and, for turn types, what the kept dialogues were planned with before a
failing turn cut them short. A shortfall is a key kept less than planned by more than a tolerance.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from bayling_data.generators.base import SeedItem
from bayling_data.options import option
from bayling_data.stats import direction_languages


@dataclass
class BalanceOptions:
    """How far a run may fall short of its plan, and what a shortfall does."""

    help_panel: ClassVar[str] = "Run"

    balance_tolerance: float = option(
        0.05, "Share a direction, language or turn type may fall short of its plan unreported.", low=0.0, high=1.0
    )
    strict_balance: bool = option(False, "Exit non-zero when one falls short (everything kept is still written).")


@dataclass
class Shortfall:
    """A direction, language or turn type kept less than planned, and the top reasons its records failed."""

    table: str  # direction, language or turn_type
    key: str
    planned: int
    kept: int
    reasons: list[tuple[str, int]]

    def line(self) -> str:
        """`swh_Latn (language): 1 kept of 73 planned; langid:wrong_language:swh_Latn (191)`."""
        none = "no turn of its own failed: dialogues were cut before it" if self.table == "turn_type" else "no record"
        why = ", ".join(f"{reason} ({count})" for reason, count in self.reasons) or none
        return f"{self.key} ({self.table.replace('_', ' ')}): {self.kept} kept of {self.planned} planned; {why}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (run_summary.json)."""
        return {"table": self.table, "key": self.key, "planned": self.planned, "kept": self.kept,
                "reasons": [list(r) for r in self.reasons]}  # fmt: skip


def planned_directions(generator: Any, indexes: Iterable[int], seeds: Iterator[SeedItem]) -> Counter[str]:
    """Directions the generator plans for the slots `indexes` (empty when it plans none: no `planned` hook,
    or a spread drawn at random)."""
    plan = getattr(generator, "planned", None)
    planned: Counter[str] = Counter()
    if plan is None:
        return planned
    for index, seed in zip(indexes, seeds, strict=False):  # seeds never end (a --source is cycled)
        if direction := plan(index, seed).get("direction"):
            planned[direction] += 1
    return planned


def plan_table(
    directions: Counter[str], stats: dict[str, Any], shares: dict[str, dict[str, float]] | None = None
) -> dict[str, dict[str, int]]:
    """{table: {key: planned}}: directions, the languages they hold (a record counts for its source and its
    target, as the kept language table counts), the turn types the kept dialogues were planned with, and
    tables the generator plans as shares of what is kept (`shares`: instruction languages)."""
    languages: Counter[str] = Counter()
    for direction, count in directions.items():
        for lang in set(direction_languages(direction)):
            languages[lang] += count
    turn_types = Counter(stats["counts"].get("turn_type_planned", {}))
    plan = {"direction": dict(directions), "language": dict(languages), "turn_type": dict(turn_types)}
    for table, by_key in (shares or {}).items():
        plan[table] = {key: round(share * stats["kept"]) for key, share in by_key.items()}
    return plan


def shortfalls(plan: dict[str, dict[str, int]], stats: dict[str, Any], tolerance: float) -> list[Shortfall]:
    """Every key kept less than (1 - tolerance) of its plan, and two records or more under it (one is the
    rounding of a small run), with the top reasons its records were rejected (a turn type: cut short for)."""
    reasons_of = {
        table: _reasons_by_key(stats["counts"].get(source, {}))
        for table, source in (
            ("direction", "rejected_by_direction"),
            ("language", "rejected_by_language"),
            ("turn_type", "cut_by_turn_type"),
        )
    }
    reasons_of["instruction_lang"] = reasons_of["language"]
    found = []
    for table, planned in plan.items():
        kept = stats["counts"].get(table, {})
        for key, wanted in sorted(planned.items()):
            got = int(kept.get(key, 0))
            if got < wanted * (1 - tolerance) and wanted - got >= 2:
                reasons = reasons_of.get(table, {}).get(key, Counter())
                found.append(Shortfall(table, key, wanted, got, reasons.most_common(3)))
    return found


def _reasons_by_key(counts: dict[str, int]) -> dict[str, Counter[str]]:
    """{key: Counter(reason)} from counts keyed "<key>\t<reason>"."""
    by_key: dict[str, Counter[str]] = {}
    for joined, count in counts.items():
        key, _, reason = joined.partition("\t")
        by_key.setdefault(key, Counter())[reason] += count
    return by_key


def advice(found: list[Shortfall]) -> str:
    """What a user can do about the shortfalls (one line)."""
    short_langs = sorted({s.key for s in found if s.table == "language"})
    hints = []
    if short_langs:
        hints.append(f"a teacher that writes {', '.join(short_langs[:5])} well, or --langs without them")
    if any(s.table == "turn_type" for s in found):
        hints.append("a turn mix without the short turn types (--turn-mix), or a relaxed step (--skip-filter)")
    hints.append("--skip-filter for a step that rejects good records")
    return "what to do: " + "; ".join(hints)


class LanguageWatch:
    """Warns once per language whose recent tries fail far more often than the others' (a teacher that cannot
    write it): over its last `window` tries, at least `share` rejected and `gap` more than the other
    languages' tries over the run."""

    def __init__(self, window: int = 50, share: float = 0.9, gap: float = 0.3) -> None:
        self.window, self.share, self.gap = window, share, gap
        self.recent: dict[str, deque[bool]] = {}
        self.tries: Counter[str] = Counter()  # per language, and "" for every try
        self.rejected: Counter[str] = Counter()
        self.failing: set[str] = set()

    def see(self, langs: list[str], rejected: bool) -> list[tuple[str, str]]:
        """Count one try of a record in `langs`; (language, line) for each that starts failing with it."""
        self.tries[""] += 1
        self.rejected[""] += rejected
        newly = []
        for lang in langs:
            self.tries[lang] += 1
            self.rejected[lang] += rejected
            recent = self.recent.setdefault(lang, deque(maxlen=self.window))
            recent.append(rejected)
            if lang in self.failing or len(recent) < self.window:
                continue
            own = sum(recent) / len(recent)
            others = self.tries[""] - self.tries[lang]
            rest = (self.rejected[""] - self.rejected[lang]) / others if others else 0.0
            if own >= self.share and own - rest >= self.gap:
                self.failing.add(lang)
                line = f"{lang}: {sum(recent)} of its last {len(recent)} tries rejected (other languages: {rest:.0%})"
                newly.append((lang, line))
        return newly

    def forgive(self, lang: str) -> None:
        """Judge `lang` afresh from its next tries (it moved to another teacher)."""
        self.failing.discard(lang)
        self.recent.pop(lang, None)
