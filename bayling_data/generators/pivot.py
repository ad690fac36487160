"""PLUG: answer in a pivot language (English) first, then in the target language."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from bayling_data.generators.base import GenerationContext, Rejection, SeedItem, TeacherGenerator, TeacherTurns
from bayling_data.generators.support.multilingual import answer, teacher_instruction, translate
from bayling_data.generators.support.spread import LanguageSpread, SpreadOptions
from bayling_data.languages import Language, check_flag, get
from bayling_data.options import option
from bayling_data.records import Facts, Record, generated
from bayling_data.resources import templates
from bayling_data.stats import direction_key

NAME = "pivot"
PROMPTS = ("seed_instruction", "translate_text", "answer_system")
FORMATS = ("plug", "target")


def label(lang: Language) -> str:
    """The PLUG heading before the answer in `lang`, written in `lang`."""
    return templates(NAME)["labels"].get(lang.code) or f"Answer ({lang.name}):"


@dataclass
class PivotOptions(SpreadOptions):
    """Options of the pivot generator."""

    pivot_lang: str = option("en", "the language answered first")
    pivot_format: str = option("plug", "'plug' (pivot, then target) or 'target' only", choices=FORMATS)

    def validate(self) -> None:
        """The pivot language, before any teacher starts (ValueError naming the flag)."""
        check_flag("--pivot-lang", [self.pivot_lang])


class Pivot(TeacherGenerator):
    """Generator `pivot`: an instruction in X, answered in the pivot language and then in X."""

    name = NAME
    Options = PivotOptions
    PROMPTS = PROMPTS

    def __init__(self, context: GenerationContext) -> None:
        super().__init__(context)
        options: PivotOptions = context.options
        self.pivot = get(options.pivot_lang)
        self.format = options.pivot_format
        targets = [lang for lang in context.languages if lang != self.pivot]
        self.spread = LanguageSpread(targets or context.languages, options)

    def planned(self, index: int, seed: SeedItem) -> dict[str, str]:
        """What record `index` is planned to be (its direction; nothing fixed under temperature sampling)."""
        if self.spread.mode != "uniform":
            return {}
        return {"direction": direction_key(self.pivot.code, self.spread.pick(index, random.Random(0)).code)}

    async def make(self, index: int, seed: SeedItem, rng: random.Random, turns: TeacherTurns) -> Record | Rejection:
        """One PLUG record."""
        target = self.spread.pick(index, rng)
        meta: dict[str, Any] = {"seed": {"origin": seed.origin}, "pivot_lang": self.pivot.code, "format": self.format}
        if seed.text is not None:
            hub_text, hub = seed.text, get(seed.lang) if seed.lang else self.pivot
        else:
            hub_text, asked = await teacher_instruction(turns, self.pivot, rng)
            hub, meta["seed"] = self.pivot, {**meta["seed"], **asked}
        if not hub_text:
            return Rejection("empty_seed", retry=seed.text is None)
        instruction = hub_text if hub == target else await translate(turns, hub_text, target)
        pivot_answer, finish_pivot = await answer(turns, instruction, self.pivot)
        target_answer, finish_target = await answer(
            turns, instruction, target, pivot_answer=pivot_answer, pivot_lang=self.pivot
        )
        if self.format == "plug":
            head_pivot, head_target = label(self.pivot), label(target)
            content = f"{head_pivot}\n{pivot_answer}\n\n{head_target}\n{target_answer}"
            start = len(head_pivot) + 1
            second = len(head_pivot) + 1 + len(pivot_answer) + 2 + len(head_target) + 1
            segments = [
                None,
                [[start, start + len(pivot_answer), self.pivot.code], [second, len(content), target.code]],
            ]
            turn_langs: list[str | None] = [target.code, None]
        else:
            content, segments, turn_langs = target_answer, None, [target.code, target.code]
        facts = Facts(
            plan=[self.format], turn_langs=turn_langs, finish_reasons=[finish_pivot, finish_target], segments=segments
        )
        messages = [{"role": "user", "content": instruction}, {"role": "assistant", "content": content}]
        own = {"hub_text": hub_text, "pivot_answer": pivot_answer, **meta}
        return generated("pivot", NAME, self.pivot.code, target.code, messages, facts, **own)
