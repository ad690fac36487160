"""What every generator shares: its inputs (context, seed item) and its output (record or rejection)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bayling_data.languages import Language
from bayling_data.records import Record
from bayling_data.resources import prompt_hash
from bayling_data.teacher import Reply, Teacher, TeacherRequestFailed

if TYPE_CHECKING:
    from bayling_data.filters.base import FilterChain


@dataclass(frozen=True)
class SeedItem:
    """A seed text from the user's source (None text: the generator asks the teacher for one)."""

    text: str | None
    lang: str | None = None  # FLORES code when known
    origin: str = "teacher"  # e.g. "corpus.jsonl:12"


@dataclass
class Rejection:
    """Why a generator produced no record (the partial record, when there is one, is kept for review)."""

    reason: str
    record: Record | None = None
    retry: bool = True  # False: another try of the same seed item cannot do better (an unusable seed)
    by_filter: bool = False  # True: `reason` is a filter step's, given as a turn arrived (counted as that step's)
    usage: dict[str, int] = field(default_factory=dict)  # what the tries cost (requests, tokens)


@dataclass
class GenerationContext:
    """Everything a generator needs besides the seed item: the run's options and the teacher."""

    teacher: Teacher
    languages: list[Language]
    directions: list[tuple[Language, Language]]
    options: Any = None  # the generator's own Options object (see bayling_data.options)
    temperature: float = 0.7
    max_tokens: int = 512
    checks: FilterChain | None = None  # the run's filters: a dialogue is checked turn by turn as it is built


class Generator(Protocol):
    """A generator builds one record per call; the pipeline runs thousands of calls at once."""

    name: str

    async def generate(self, index: int, seed: SeedItem, rng: random.Random) -> Record | Rejection:
        """Build the record number `index` from `seed`, drawing every choice from `rng`."""
        ...


class TeacherGenerator:
    """What the built-in generators share: the context, prompt hashes, failure handling and provenance.

    A subclass sets `name`, `Options` and `PROMPTS` (the prompt templates it renders) and implements
    `make`, which returns the record (or a rejection), asking the teacher through `TeacherTurns`. A request
    that fails after all retries rejects the record here (`teacher_failed:<reason>`), and every record
    gets the same provenance: teacher model, prompt hashes, token usage, index.
    """

    name = ""
    PROMPTS: tuple[str, ...] = ()

    def __init__(self, context: GenerationContext) -> None:
        self.context = context
        self.prompt_hashes = {prompt: prompt_hash(prompt) for prompt in self.PROMPTS}

    async def generate(self, index: int, seed: SeedItem, rng: random.Random) -> Record | Rejection:
        """Build the record number `index` from `seed`, drawing every choice from `rng`."""
        turns = TeacherTurns(self.context, rng)
        try:
            made = await self.make(index, seed, rng, turns)
        except TeacherRequestFailed as failure:
            return Rejection(f"teacher_failed:{failure.reason}", usage=turns.usage())
        provenance = {
            "teacher_model": self.context.teacher.model,
            "prompt_hashes": self.prompt_hashes,
            "usage": turns.usage(),
            "index": index,
        }
        if routed := getattr(self.context.teacher, "routed_name", None):
            provenance["teacher"] = routed()  # which of the run's teachers (--add-teacher) wrote it
        if isinstance(made, Rejection):
            made.usage = provenance["usage"]
            if made.record is not None:  # a dialogue ended by its first turn: kept apart for review
                made.record.meta.update(provenance)
            return made
        made.meta.update(provenance)
        return made

    async def make(self, index: int, seed: SeedItem, rng: random.Random, turns: TeacherTurns) -> Record | Rejection:
        """The record (or why not), asking the teacher through `turns`; TeacherRequestFailed may escape."""
        raise NotImplementedError


class TeacherTurns:
    """Helper for generators: calls the teacher with per-record seeds and sums the tokens used."""

    def __init__(self, context: GenerationContext, rng: random.Random) -> None:
        self.context = context
        self.seed = rng.getrandbits(31)
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.calls = 0

    async def ask(
        self,
        messages: list[dict[str, str]],
        *,
        json_mode: bool = False,
        max_tokens: int | None = None,
        stop: list[str] | None = None,
    ) -> Reply:
        """One teacher call, deterministic for this record (same seed, same messages)."""
        reply = await self.context.teacher.chat(
            messages,
            temperature=self.context.temperature,
            max_tokens=max_tokens or self.context.max_tokens,
            seed=self.seed + self.calls,
            json_mode=json_mode,
            stop=stop,
        )
        self.calls += 1
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens
        return reply

    def usage(self) -> dict[str, int]:
        """Tokens this record cost."""
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens, "calls": self.calls}
