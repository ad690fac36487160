"""Teacher steps shared by the cross-lingual and pivot generators: seed instructions and translation."""

from __future__ import annotations

import random

from bayling_data.generators.base import TeacherTurns
from bayling_data.generators.support.seeds import teacher_text
from bayling_data.languages import Language
from bayling_data.resources import render_prompt
from bayling_data.text.answers import clean_answer

INSTRUCTION_KINDS = (
    "question",
    "request for advice",
    "writing task",
    "request for an explanation",
    "request for a short list",
    "math word problem",
    "request for a summary",
)


async def teacher_instruction(turns: TeacherTurns, lang: Language, rng: random.Random) -> tuple[str, dict[str, str]]:
    """A seed instruction in a hub language, written by the teacher."""
    return await teacher_text(turns, "seed_instruction", lang, rng, INSTRUCTION_KINDS, "kind")


async def translate(turns: TeacherTurns, text: str, lang: Language) -> str:
    """The teacher's translation of `text` into `lang`."""
    prompt = render_prompt("translate_text", lang=lang, text=text)
    reply = await turns.ask([{"role": "user", "content": prompt}])
    return clean_answer(reply.content)


async def answer(
    turns: TeacherTurns,
    instruction: str,
    lang: Language,
    pivot_answer: str | None = None,
    pivot_lang: Language | None = None,
) -> tuple[str, str]:
    """The teacher's answer to `instruction` in `lang` (written from a pivot answer when one is given)."""
    system = render_prompt("answer_system", lang=lang, pivot_answer=pivot_answer, pivot_lang=pivot_lang)
    reply = await turns.ask([{"role": "system", "content": system}, {"role": "user", "content": instruction}])
    return reply.content.strip(), reply.finish_reason
