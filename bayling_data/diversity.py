"""How varied a dataset's turns are: distinct turns and distinct 3-grams per 1,000 dialogues, per
instruction language, for the user side and the assistant side.

A dataset whose user turns repeat a few dozen phrasings teaches a model a handful of commands; these
figures show it. The source text a turn quotes is masked first (a translate request differs from the
next one by its text alone), and the figures come from the first `SAMPLE` dialogues of each
instruction language, so that runs of any size compare (figures of a smaller sample are scaled to
1,000 and marked by its size).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import xxhash

from bayling_data.records import Record

SAMPLE = 1000  # dialogues per instruction language
MASK = "<TEXT>"


@dataclass
class SideCounts:
    """Distinct turns and 3-grams of one side (user or assistant) of one instruction language."""

    turns: int = 0
    distinct: set[int] = field(default_factory=set)
    trigrams: set[int] = field(default_factory=set)

    def add(self, text: str) -> None:
        """Count one turn."""
        self.turns += 1
        self.distinct.add(xxhash.xxh3_64_intdigest(" ".join(text.split()).encode()))
        tokens = text.split() if len(text.split()) > 2 else [ch for ch in text if not ch.isspace()]
        self.trigrams.update(
            xxhash.xxh3_64_intdigest("\x1f".join(tokens[i : i + 3]).encode()) for i in range(len(tokens) - 2)
        )

    def figures(self, scale: float) -> dict[str, Any]:
        """Distinct turns (count per 1,000 dialogues and share of all turns) and distinct 3-grams per 1,000."""
        return {
            "turns": self.turns,
            "distinct_turns_per_1000": round(len(self.distinct) * scale),
            "distinct_turn_share": round(len(self.distinct) / self.turns, 4) if self.turns else None,
            "distinct_3grams_per_1000": round(len(self.trigrams) * scale),
        }


@dataclass
class LanguageCounts:
    """The sample of one instruction language."""

    dialogues: int = 0
    user: SideCounts = field(default_factory=SideCounts)
    assistant: SideCounts = field(default_factory=SideCounts)


def masked(text: str, source: str | None) -> str:
    """The turn with the source text it quotes replaced by a mask."""
    return text.replace(source, MASK) if source else text


def measure(records: Iterable[Record]) -> dict[str, dict[str, Any]]:
    """Diversity figures per instruction language (`-` for records without one), over kept records."""
    by_lang: dict[str, LanguageCounts] = {}
    for record in records:
        counts = by_lang.setdefault(str(record.meta.get("instruction_lang") or "-"), LanguageCounts())
        if counts.dialogues >= SAMPLE:
            continue
        counts.dialogues += 1
        source = record.meta.get("source_text")
        source = source if isinstance(source, str) and len(source) > 3 else None
        for message in record.messages:
            side = counts.user if message["role"] == "user" else counts.assistant
            if message["role"] in ("user", "assistant"):
                side.add(masked(message["content"], source))
    return {
        lang: {
            "dialogues": counts.dialogues,
            "user": counts.user.figures(SAMPLE / counts.dialogues),
            "assistant": counts.assistant.figures(SAMPLE / counts.dialogues),
        }
        for lang, counts in sorted(by_lang.items())
    }


def table(figures: dict[str, dict[str, Any]]) -> str:
    """A markdown table of `measure`'s figures."""
    rows = [
        "| instruction language | dialogues | user turns | distinct user turns /1k | distinct user share |"
        " user 3-grams /1k | distinct assistant turns /1k | assistant 3-grams /1k |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lang, f in figures.items():
        user, assistant = f["user"], f["assistant"]
        share = f"{user['distinct_turn_share']:.1%}" if user["distinct_turn_share"] is not None else "-"
        rows.append(
            f"| {lang} | {f['dialogues']} | {user['turns']} | {user['distinct_turns_per_1000']} | {share} |"
            f" {user['distinct_3grams_per_1000']} | {assistant['distinct_turns_per_1000']} |"
            f" {assistant['distinct_3grams_per_1000']} |"
        )
    return "\n".join(rows)
