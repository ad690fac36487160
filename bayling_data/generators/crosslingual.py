"""BayLing 2-style cross-lingual instructions: hub-language (zh/en) seeds carried into 100+ languages."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Optional

from bayling_data.generators.base import GenerationContext, Rejection, SeedItem, TeacherGenerator, TeacherTurns
from bayling_data.generators.support.multilingual import answer, teacher_instruction, translate
from bayling_data.generators.support.spread import LanguageSpread, SpreadOptions
from bayling_data.generators.support.weights import parse_weights
from bayling_data.languages import Language, check_flag, get
from bayling_data.options import option
from bayling_data.records import Facts, Record, generated
from bayling_data.resources import templates

NAME = "crosslingual"
KINDS = ("native", "cross", "translate")
PROMPTS = ("seed_instruction", "translate_text", "answer_system")


def parse_mix(spec: str | None) -> dict[str, float]:
    """`native=2,cross=1,translate=1` -> weights."""
    if not spec:
        return {"native": 2.0, "cross": 1.0, "translate": 1.0}
    return parse_weights(spec, KINDS, "--crosslingual-mix")


def answer_in(instruction_lang: Language, answer_lang: Language) -> str:
    """'Please answer in {language}.' in the instruction's language (English where none is written)."""
    phrasings = templates(NAME)["answer_in"]
    names = phrasings.get("language_names", {}).get(instruction_lang.code, {})
    template = phrasings.get(instruction_lang.code, phrasings["eng_Latn"])
    name = names.get(answer_lang.code) or (answer_lang.native if answer_lang == instruction_lang else answer_lang.name)
    return template.format(language=name)


@dataclass
class CrosslingualOptions(SpreadOptions):
    """Options of the crosslingual generator."""

    hubs: list[str] = option(["en", "zh"], "hub languages the seed instructions start from")
    crosslingual_mix: Optional[str] = option(None, "kind weights, e.g. native=2,cross=1,translate=1")

    def validate(self) -> None:
        """The hubs and the kind mix, before any teacher starts (ValueError naming the flag)."""
        parse_mix(self.crosslingual_mix)
        if not self.hubs:
            raise ValueError("--hubs: name at least one hub language")
        check_flag("--hubs", self.hubs)


class Crosslingual(TeacherGenerator):
    """Generator `crosslingual`: instructions and answers in language X, cross pairs X->Y, hub<->X translation."""

    name = NAME
    Options = CrosslingualOptions
    PROMPTS = PROMPTS

    def __init__(self, context: GenerationContext) -> None:
        super().__init__(context)
        options: CrosslingualOptions = context.options
        self.hubs = [get(code) for code in options.hubs]
        self.mix = parse_mix(options.crosslingual_mix)
        self.spread = LanguageSpread(context.languages, options)

    async def make(self, index: int, seed: SeedItem, rng: random.Random, turns: TeacherTurns) -> Record | Rejection:
        """One cross-lingual record."""
        target = self.spread.pick(index, rng)
        kind = rng.choices(list(self.mix), weights=list(self.mix.values()), k=1)[0]
        hub = self.hubs[index // len(self.context.languages) % len(self.hubs)]
        meta: dict[str, Any] = {"kind": kind, "hub": hub.code, "seed": {"origin": seed.origin}}
        if seed.text is not None:
            hub_text = seed.text
            hub = get(seed.lang) if seed.lang else hub
        else:
            hub_text, asked = await teacher_instruction(turns, hub, rng)
            meta["seed"].update(asked)
        if not hub_text:
            return Rejection("empty_seed", retry=seed.text is None)
        if kind == "translate":
            return await self._translation(hub, target, hub_text, turns, rng, meta)
        answer_lang = target if kind == "native" else self._other(target, rng)
        return await self._instruction(hub, target, answer_lang, hub_text, turns, meta)

    def _other(self, target: Language, rng: random.Random) -> Language:
        choices = [lang for lang in (*self.hubs, *self.context.languages) if lang != target]
        return rng.choice(choices) if choices else target

    async def _instruction(
        self,
        hub: Language,
        lang: Language,
        answer_lang: Language,
        hub_text: str,
        turns: TeacherTurns,
        meta: dict[str, Any],
    ) -> Record:
        instruction = hub_text if lang == hub else await translate(turns, hub_text, lang)
        user = instruction if answer_lang == lang else f"{instruction}\n\n{answer_in(lang, answer_lang)}"
        reply, finish = await answer(turns, user, answer_lang)
        facts = Facts(plan=[meta["kind"]], turn_langs=[lang.code, answer_lang.code], finish_reasons=[finish])
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
        return generated("crosslingual", NAME, lang.code, answer_lang.code, messages, facts, hub_text=hub_text, **meta)

    async def _translation(
        self,
        hub: Language,
        other: Language,
        hub_text: str,
        turns: TeacherTurns,
        rng: random.Random,
        meta: dict[str, Any],
    ) -> Record:
        if other == hub:
            other = self._other(hub, rng)
        to_hub = rng.random() < 0.5  # both directions between the hub and the other language
        text = hub_text if not to_hub else await translate(turns, hub_text, other)
        src, tgt = (other, hub) if to_hub else (hub, other)
        phrasings = templates(NAME)["translate"][hub.code if hub.code in ("eng_Latn", "zho_Hans") else "eng_Latn"]
        template_id = rng.choice(sorted(phrasings))
        instr_lang = get(hub.code if hub.code in ("eng_Latn", "zho_Hans") else "eng_Latn")
        user = phrasings[template_id].format(tgt=tgt.name_in(instr_lang.code), text=text)
        reply, finish = await answer(turns, user, tgt)
        facts = Facts(
            plan=["translate"],
            turn_langs=[None, tgt.code],
            finish_reasons=[finish],
            source_text=text,
            instruction_lang=instr_lang.code,
        )
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
        own = {"hub_text": hub_text, "templates": [template_id], **meta}
        return generated("translate", NAME, src.code, tgt.code, messages, facts, **own)
