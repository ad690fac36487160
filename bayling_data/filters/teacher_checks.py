"""Checks that ask the teacher (off by default): round-trip translation scored with chrF and BLEU, and an
LLM judge. They run after the cheap steps (no request is spent on a record those reject) and before
dedup; requests go through the teacher client, so they are cached, limited and accounted like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sacrebleu.metrics import BLEU, CHRF

from bayling_data import languages
from bayling_data.filters.base import TeacherCheck
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.resources import render_prompt
from bayling_data.teacher.client import Teacher
from bayling_data.teacher.errors import TeacherRequestFailed
from bayling_data.text.answers import clean_answer, extract_json
from bayling_data.text.pairs import translation_pairs

# sacrebleu tokenizers by script: words for most, characters where words are not spaced.
BLEU_TOKENIZERS = {"Hans": "zh", "Hant": "zh", "Jpan": "char", "Thai": "char", "Khmr": "char", "Laoo": "char"}


class _AskingCheck(TeacherCheck):
    """A teacher check with the one way both checks ask."""

    async def ask(self, prompt: str, max_tokens: int, json_mode: bool = False) -> str | None:
        """The teacher's answer at temperature 0 (a re-run is answered from the cache), None if it failed."""
        try:
            reply = await self.teacher.chat(
                [{"role": "user", "content": prompt}], temperature=0.0, max_tokens=max_tokens, json_mode=json_mode
            )
        except TeacherRequestFailed:
            return None
        return reply.content


class RoundTrip(_AskingCheck):
    """Translates the answer back into the source language; rejects when chrF against the source is low."""

    name = "round_trip"
    order = 700
    max_tokens = 512

    @dataclass
    class Options:
        round_trip_min_chrf: Optional[float] = option(
            None,
            "translate answers back, reject below this chrF (0-100; off when null: it costs a request)",
            low=0.0,
            high=100.0,
        )

    @classmethod
    def enabled(cls, options: Any) -> bool:
        return options.round_trip_min_chrf is not None

    def __init__(self, teacher: Teacher, options: Any = None, /, **values: Any) -> None:
        super().__init__(teacher, options, **values)
        self.min_chrf = self.options.round_trip_min_chrf
        self._chrf = CHRF()
        self._bleu = {name: BLEU(tokenize=name, effective_order=True) for name in {"13a", *BLEU_TOKENIZERS.values()}}

    async def acheck(self, record: Record) -> str | None:
        for source, src, translation, tgt in translation_pairs(record):
            source_lang = languages.find(src)
            if src == tgt or source_lang is None:  # an import's source of no stated language: no way back
                continue
            prompt = render_prompt("translate_text", lang=source_lang, text=translation)
            answer = await self.ask(prompt, self.max_tokens)
            if answer is None:
                return "no_answer"
            back = clean_answer(answer)
            chrf = self._chrf.sentence_score(back, [source]).score
            bleu = self._bleu[BLEU_TOKENIZERS.get(source_lang.script, "13a")].sentence_score(back, [source]).score
            record.scores["round_trip"] = {"chrf": round(chrf, 2), "bleu": round(bleu, 2)}
            if chrf < self.min_chrf:
                return "low_chrf"
        return None


class LlmJudge(_AskingCheck):
    """The teacher rates the whole record from 1 to 5; rejects below `min_score`."""

    name = "llm_judge"
    order = 710

    @dataclass
    class Options:
        judge_min_score: Optional[int] = option(
            None, "the teacher rates records 1-5, reject below this (off when null: it costs a request)", low=1, high=5
        )

    @classmethod
    def enabled(cls, options: Any) -> bool:
        return options.judge_min_score is not None

    async def acheck(self, record: Record) -> str | None:
        prompt = render_prompt(
            "judge_record",
            messages=record.messages,
            src=_language_or_none(record.src_lang),
            tgt=_language_or_none(record.tgt_lang),
        )
        answer = await self.ask(prompt, max_tokens=200, json_mode=True)
        verdict = extract_json(answer) if answer is not None else None
        score = verdict.get("score") if verdict else None
        if isinstance(score, str) and score.strip().isdigit():
            score = int(score)
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            return "no_verdict"
        record.scores["judge"] = {"score": score, "reason": str(verdict.get("reason", ""))[:300]}
        return "low_score" if score < self.options.judge_min_score else None


def _language_or_none(code: str) -> languages.Language | None:
    try:
        return languages.get(code) if code else None
    except languages.UnknownLanguageError:
        return None
