"""Seed texts written by the teacher, spread over domains and topics (when the user gives no --source)."""

from __future__ import annotations

import random

from bayling_data.generators.base import TeacherTurns
from bayling_data.languages import Language
from bayling_data.resources import render_prompt
from bayling_data.text.answers import clean_answer

REGISTERS = ("news", "dialogue", "technical", "literary", "legal", "medical", "everyday")
TOPICS = (
    "the weather this week",
    "cooking a family dinner",
    "a train journey",
    "a new smartphone app",
    "climate change",
    "a football match",
    "learning a language",
    "a visit to the doctor",
    "renting an apartment",
    "a job interview",
    "a museum exhibition",
    "online shopping",
    "a city's public transport",
    "a birthday party",
    "a software update",
    "saving money",
    "a hiking trip",
    "a scientific discovery",
    "a local election",
    "a rental contract",
    "a new medicine",
    "a school exam",
    "a street market",
    "a power outage",
    "a wedding",
    "a coffee shop",
    "a music festival",
    "a lost wallet",
    "a company meeting",
    "a library",
)


async def teacher_text(
    turns: TeacherTurns, prompt: str, lang: Language, rng: random.Random, kinds: tuple[str, ...], kind_field: str
) -> tuple[str, dict[str, str]]:
    """Ask the teacher for a text (`prompt`) in `lang` of a random kind on a random topic; returns the text
    and what it was asked for."""
    kind, topic = rng.choice(kinds), rng.choice(TOPICS)
    message = render_prompt(prompt, lang=lang, topic=topic, **{kind_field: kind})
    reply = await turns.ask([{"role": "user", "content": message}], max_tokens=100)
    return first_paragraph(clean_answer(reply.content)), {kind_field: kind, "topic": topic}


async def teacher_seed(turns: TeacherTurns, lang: Language, rng: random.Random) -> tuple[str, dict[str, str]]:
    """A seed text to translate, in `lang`, of some register (news, dialogue, legal...) and topic."""
    return await teacher_text(turns, "seed_text", lang, rng, REGISTERS, "register")


def first_paragraph(text: str, limit: int = 400) -> str:
    """The first non-empty paragraph, at most `limit` characters: a seed is one to three sentences."""
    paragraph = next((p.strip() for p in text.split("\n\n") if p.strip()), "")
    return paragraph[:limit].strip()
