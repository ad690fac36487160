"""Heuristic quality checks: empty/truncated answers, refusals and meta-talk, copies, ratios, repetition."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sacrebleu.metrics import CHRF

from bayling_data.filters.base import Filter
from bayling_data.languages import script_of
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.text.normalize import normalize, words
from bayling_data.text.pairs import length_ratio, translation_pairs
from bayling_data.text.script import script_share
from bayling_data.text.tokens import has_words, without_tokens

# Marks that end a sentence or a complete unit, in many scripts (a source ending in one of these was
# complete, so its translation should end in one too).
FINAL_MARKS = frozenset(".!?。！？…‥।॥۔؟።፧၊။។៕።:;)]}\"'»”’」』）】〉》>*`")


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, line feed, carriage return

# Scripts whose writing ends a sentence with no mark (Thai and Lao separate sentences with a space).
UNMARKED_ENDS = frozenset({"Thai", "Laoo"})


class EmptyOrTruncated(Filter):
    """Rejects records with an empty turn, no assistant turn, or an answer cut short.

    Generated answers say why they ended (`finish_reason` "length": cut at the token limit). Imported
    ones do not: a translation is judged against its source (a source that ends a sentence wants a
    translation that ends one, a source that does not, like a UI string or a heading, does not), and
    any answer on strong signs only: an unclosed code block, or a bracket opened and never closed at
    its end."""

    name = "empty_or_truncated"
    order = 10

    @dataclass
    class Options:
        # Translators drop a final full stop often enough (UI strings, CJK, Vietnamese): a translation that
        # does so is called cut only when it is also this much shorter than its source (script-adjusted).
        max_cut_ratio: float = option(
            0.7,
            "a translation is cut when its source ends a sentence, it does not "
            "and it is shorter than this share of its source",
            low=0.0,
            high=2.0,
        )

    def check(self, record: Record) -> str | None:
        if not record.messages or record.messages[-1]["role"] != "assistant":
            return "no_final_answer"
        if any(not m["content"].strip() for m in record.messages):
            return "empty_turn"
        if any(CONTROL_CHARACTERS.search(m["content"]) for m in record.messages):
            return "control_characters"  # NUL, escape, backspace: no training text holds them
        reasons = record.meta.get("finish_reasons")
        if reasons is not None:
            return "truncated" if "length" in reasons else None
        pairs = translation_pairs(record)
        for source, src, translation, tgt in pairs:
            if script_of(tgt) in UNMARKED_ENDS:
                continue
            short = length_ratio(source, src, translation, tgt) < self.options.max_cut_ratio
            if short and _ends_sentence(source) and not _ends_sentence(translation):
                return "truncated_text"
        if not _visibly_cut(record.messages[-1]["content"]):
            return None
        # a translation that keeps its source's open bracket ("digit expected after (?+") is not cut
        return None if any(_visibly_cut(source) for source, *_ in pairs) else "truncated_text"


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip()
    if not stripped or stripped[-1] not in FINAL_MARKS:
        return False
    return not (stripped[-1] == "." and len(stripped.split()) == 1)  # "Sept." is an abbreviation


_OPENERS = {"(": ")", "[": "]", "{": "}", "（": "）", "「": "」", "【": "】"}
# Letters written right to left (Hebrew, Arabic, Syriac, Thaana, N'Ko, ...): the display mirrors brackets among
# them, so translators type them either way round (Urdu "فائل کا راستہ(path(" shows as a closed pair); there a
# pair's marks must also add up to an odd count.
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def _visibly_cut(text: str) -> bool:
    """An unclosed ``` block, or a bracket opened after the last closing one of its kind (text cut inside it)."""
    if text.count("```") % 2:
        return True
    present = [(opener, closer) for opener, closer in _OPENERS.items() if opener in text]
    mirrored = bool(present) and RIGHT_TO_LEFT.search(text) is not None
    for opener, closer in present:
        opened, closed = text.count(opener), text.count(closer)
        if opened > closed and ((opened + closed) % 2 if mirrored else text.rfind(closer) < text.rfind(opener)):
            return True
    return False


# Refusals and assistant meta-talk, in many languages. Checked at the start of answers.
META_TALK = re.compile(
    r"^\s*(?:(?:as an ai|as a language model|i'm sorry,? but i can(?:no|')t|i cannot (?:help|assist|translate)"
    r"|i am unable to|here is the translation|here's the translation|sure[,!] here"
    r"|als (?:ki|künstliche intelligenz|sprachmodell)|es tut mir leid,? aber ich kann"
    r"|en tant qu'(?:ia|intelligence artificielle|modèle de langage)|je suis désolé,? mais je ne peux"
    r"|como (?:ia|modelo de lenguaje|inteligencia artificial)|lo siento,? pero no puedo"
    r"|как (?:ии|языковая модель|искусственный интеллект)|извините,? но я не могу)\b"  # whole words: not "Als Kinder"
    r"|作为一个?(?:人工智能|ai|语言模型)|抱歉，?我无法|对不起，?我不能|以下是(?:翻译|译文)"
    r"|aiとして|申し訳ありませんが|言語モデルとして|ai로서|죄송하지만)",
    re.IGNORECASE,
)


# Commentary about the translation inside an answer that should be the translation alone.
COMMENTARY = re.compile(
    r"\b(?:this translation|the translation|the original (?:text|sentence)|translated (?:as|to|into)"
    r"|i(?: have|'ve)? (?:made|changed|rephrased|translated|used)|in this (?:version|translation)"
    r"|your translation|(?:corrected|revised|improved|updated|shortened) (?:translation|version))\b"
    r"|(?:译文|原文|我把|我将)|\b(?:diese übersetzung|der originaltext|ich habe (?:den|die|das) )",
    re.IGNORECASE,
)
TRANSLATION_TURNS = frozenset({"translate", "refine", "restyle", "correct_error", "switch_target"})


class MetaTalk(Filter):
    """Rejects answers that refuse, talk about themselves, or comment where only a translation belongs."""

    name = "meta_talk"
    order = 20

    def check(self, record: Record) -> str | None:
        answers = record.turns("assistant")
        for answer in answers:
            if META_TALK.search(answer):
                return "refusal_or_preamble"
        plan = record.meta.get("plan", [])
        if len(plan) == len(answers):
            for kind, answer in zip(plan, answers, strict=True):
                if kind in TRANSLATION_TURNS and COMMENTARY.search(answer):
                    return "commentary_in_translation"
        return None


class LengthRatio(Filter):
    """Rejects a translation whose length is implausible for its source, adjusted by script."""

    name = "length_ratio"
    order = 30

    @dataclass
    class Options:
        min_length_ratio: float = option(
            0.25, "shortest translation, as a share of its source (script-adjusted)", low=0.0, high=10.0
        )
        max_length_ratio: float = option(3.0, "longest translation, as a multiple of its source", low=0.0, high=100.0)

    def check(self, record: Record) -> str | None:
        for source, src, translation, tgt in translation_pairs(record):
            ratio = length_ratio(source, src, translation, tgt)
            record.scores["length_ratio"] = round(ratio, 3)
            low, high = self.options.min_length_ratio, self.options.max_length_ratio
            if len(source) >= 10 and not low <= ratio <= high:
                return "too_short" if ratio < low else "too_long"
        return None


class Untranslated(Filter):
    """Catches a 'translation' that copies its source (high chrF between them), whatever langID says."""

    name = "untranslated"
    order = 50

    @dataclass
    class Options:
        max_copy_chrf: float = option(
            70.0, "chrF to the source at or above which a translation is a copy", low=0.0, high=100.0
        )
        min_chars_for_chrf: int = option(
            20,
            "shorter sources (names, terms: cognates score like copies) are copies only when equal",
            low=0,
            high=10_000,
        )

    def __init__(self, options: Any = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self._chrf = CHRF()

    def check(self, record: Record) -> str | None:
        for source, src, translation, tgt in translation_pairs(record):
            if src == tgt or not has_words(source):
                continue  # a source with no words ("%H:%M", "A4") is rightly written as it is
            # What a translation keeps as it is (placeholders, tags, URLs, code) says nothing about copying.
            source, translation = without_tokens(source), without_tokens(translation)
            if normalize(source) == normalize(translation) or (
                len(source) >= 20 and normalize(source) in normalize(translation)
            ):
                return "copy_of_source"
            if len(normalize(source)) < self.options.min_chars_for_chrf:
                continue  # short names and terms: cognates ("Dokumentation") score like copies
            if _too_different_to_be_a_copy(source, translation, script_of(src) or ""):
                record.scores["copy_chrf"] = 0.0
                continue  # skip the (slower) chrF
            score = self._chrf.sentence_score(translation, [source]).score
            record.scores["copy_chrf"] = round(score, 2)
            if score >= self.options.max_copy_chrf:
                return "copy_of_source"
        return None


def _too_different_to_be_a_copy(source: str, translation: str, source_script: str) -> bool:
    """Cheap signs, cheapest first, that a translation shares too little with its source for a chrF of a copy.

    Measured on sentences edited at random (words dropped, replaced, re-cased, suffixed): below a word
    overlap of 0.25 chrF never passed 51, and copies reach 70.
    """
    share = script_share(translation, source_script)
    if share is not None and share < 0.5:
        return True  # most of its letters are in another script than the source's
    source_words, translation_words = set(normalize(source).split()), set(normalize(translation).split())
    fewer = min(len(source_words), len(translation_words))
    if fewer >= 5 and len(source_words & translation_words) / fewer < 0.25:
        return True
    return _trigram_overlap(source, translation) < 0.2


def _trigram_overlap(a: str, b: str) -> float:
    """Share of the shorter text's character trigrams found in the other (a cheap upper bound for copies)."""
    grams_a = {a[i : i + 3] for i in range(len(a) - 2)}
    grams_b = {b[i : i + 3] for i in range(len(b) - 2)}
    if not grams_a or not grams_b:
        return 1.0
    return len(grams_a & grams_b) / min(len(grams_a), len(grams_b))


class Repetition(Filter):
    """Rejects answers that loop: a large share of repeated word 3-grams."""

    name = "repetition"
    order = 40

    @dataclass
    class Options:
        max_repeated_ngrams: float = option(
            0.3, "largest share of repeated word 3-grams in one answer", low=0.0, high=1.0
        )

    def check(self, record: Record) -> str | None:
        worst = 0.0
        for answer in record.turns("assistant"):
            tokens = words(answer)
            grams = list(zip(tokens, tokens[1:], tokens[2:], strict=False))  # word 3-grams
            if len(grams) < 8 or len(set(grams)) == len(grams):
                continue  # too short to judge, or no n-gram twice (most answers): nothing to count
            counts = Counter(grams)
            repeated = sum(c for c in counts.values() if c > 1) / len(grams)
            worst = max(worst, repeated)
        record.scores["repetition"] = round(worst, 3)
        return "repeated_ngrams" if worst > self.options.max_repeated_ngrams else None


class Echo(Filter):
    """Rejects an answer that repeats a line of the request it answers (the prompt echoed back)."""

    name = "echo"
    order = 60

    @dataclass
    class Options:
        echo_min_chars: int = option(
            12, "shortest line of a request that counts when an answer repeats it", low=1, high=10_000
        )

    def check(self, record: Record) -> str | None:
        request = ""
        source = record.meta.get("source_text")
        quoted = {normalize(line) for line in source.splitlines()} if isinstance(source, str) else set()
        for message in record.messages:
            if message["role"] == "user":
                request = message["content"]
            elif message["role"] == "assistant" and request:
                answer = normalize(message["content"])
                for line in request.splitlines():
                    line = normalize(line)
                    if len(line) >= self.options.echo_min_chars and line in answer and line not in quoted:
                        return "repeats_request"
        return None


class Constraints(Filter):
    """Rejects records whose refine turn misses its words, or whose revision turn changed nothing."""

    name = "constraints"
    order = 80

    def check(self, record: Record) -> str | None:
        for constraint in record.meta.get("constraints", []):
            if constraint.get("all_satisfied") is False:
                return "missing_words"
            if constraint.get("changed") is False:
                return "unchanged_revision"  # asked to restyle or fix, answered with the same text
        return None
