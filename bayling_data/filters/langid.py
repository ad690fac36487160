"""Language ID per turn, against the language each turn declares.

A turn passes when its letters are mostly in its declared script and, where a classifier knows the
language, when at least one of several classifiers (CLD2, heliport, py3langid: they fail on different
texts) names the declared language or one that short text cannot tell from it (nb/nn, hr/bs/sr, ms/id,
the zh variants, Arabic varieties). What a translation carries over unchanged (placeholders, tags, URLs,
code, names shared with its source) is left out before a classifier looks. Measured on real human
translations in 90 languages: `benchmarks/real_translations.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bayling_data import languages
from bayling_data.filters.base import Filter
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.text.langid_backends import BACKENDS, DEFAULT_BACKENDS, Backend, make_backends
from bayling_data.text.script import outweighing_script, script_share
from bayling_data.text.source_finder import QUOTED  # a user turn quotes words of another language
from bayling_data.text.tokens import has_words, without_source_words, without_tokens

# What to do with a turn whose declared language the registry does not know: keep it to the checks that
# need no classifier (its script, when the code names one), or reject the record.
UNKNOWN_LANGS = ("keep", "reject")
PASSED_MEMORY = 20_000  # turns remembered as passed


class LanguageFilter(Filter):
    """Rejects a record when a turn is not in the language it declares (script first, then the classifiers)."""

    name = "langid"
    order = 90

    @dataclass
    class Options:
        langid_backend: str = option(DEFAULT_BACKENDS, f"classifiers that vote, fastest first ({', '.join(BACKENDS)})")
        min_script_share: float = option(0.1, "least share of letters in the declared script", low=0.0, high=1.0)
        unknown_langs: str = option(
            "keep", "a language code the registry lacks: keep (script checks only) or reject", choices=UNKNOWN_LANGS
        )
        langid_min_chars: int = option(
            20, "fewest characters of words a classifier judges (shorter: script only)", low=1, high=10_000
        )

    max_chars = 300  # a few hundred characters decide the language as well as the whole text

    def __init__(self, options: Any = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self.backends = make_backends(self.options.langid_backend)
        self.min_script_share = self.options.min_script_share
        self.min_chars = self.options.langid_min_chars
        self.unknown_langs = self.options.unknown_langs
        # turns already found in their language: a dialogue checked turn by turn as it is built, then whole,
        # shows the same turns again (bounded: cleared when full)
        self._passed: dict[tuple[str, str, str | None, bool], str] = {}

    def _remember(self, key: tuple[str, str, str | None, bool], verdict: str) -> None:
        if len(self._passed) >= PASSED_MEMORY:
            self._passed.clear()
        self._passed[key] = verdict

    def check(self, record: Record) -> str | None:
        source = record.meta.get("source_text")
        source = source if isinstance(source, str) else None
        classified, script_only = 0, set()
        for position, code, text in _checked_texts(record, expected_turn_langs(record)):
            lang = languages.find(code)
            if lang is None and self.unknown_langs == "reject":
                return f"unknown_language:{code}"
            translating = position >= 0 and code != record.src_lang
            key = (code, text, source if position >= 0 else None, translating)
            passed = self._passed.get(key)
            if passed is None and not has_words(text):
                passed = "short"  # "%Y/%m/%d", "A4x၅": no word says which language or script this is in
            if passed is None:
                if wrong := self._wrong_script(record, position, code, text, source):
                    return wrong
                voters = [backend for backend in self.backends if backend.supports(lang.code)] if lang else []
                if voters:
                    guesses = self._votes(lang.code, voters, text, source if translating else None)
                    if guesses:
                        record.scores["langid"] = {"turn": position, "declared": code, "guesses": guesses}
                        return f"wrong_language:{code}"
                passed = "classified" if voters and guesses is not None else "script_only" if not voters else "short"
                self._remember(key, passed)
            if passed == "script_only":
                script_only.add(code)  # no classifier knows the language: the script check decided
            classified += passed == "classified"
        record.scores["langid"] = {"classified_turns": classified}
        if script_only:
            record.scores["langid"]["script_only"] = sorted(script_only)  # counted in the run's stats
        return None

    def _votes(self, code: str, voters: list[Backend], text: str, source: str | None) -> list[str] | None:
        """The voters' guesses when none names `code` (empty when one does; None when too short to judge).

        The fastest voter first looks at the turn as it is (without placeholders and tags): it settles
        most turns. Otherwise all vote on the turn without the words it shares with its source. A language
        that only one of several classifiers knows (low-resource and constructed ones, where that one is
        least sure) passes when it is ranked first or second."""
        words = _identifiable(text, None)
        if len(words) < self.min_chars:
            return None
        depth = 2 if len(voters) == 1 < len(self.backends) else 1
        guesses = voters[0].top(words[: self.max_chars], depth)
        if _names(code, guesses):
            return []
        rest = voters[1:]
        if source:
            own = _identifiable(words, source)
            if len(own) < self.min_chars:
                return None
            if own != words:  # the first voter has not seen this text yet
                words, rest, guesses = own, voters, []
        for backend in rest:
            guess = backend.top(words[: self.max_chars], depth)
            if _names(code, guess):
                return []
            guesses += guess
        return guesses

    def _wrong_script(self, record: Record, position: int, code: str, text: str, source: str | None) -> str | None:
        """`wrong_script:<code>` when too few of the turn's letters are in its declared script, or another
        script outweighs it (words the turn shares with the source it translates are left out of that
        weighing: names and commands stay as they are)."""
        script = languages.script_of(code)
        text = without_tokens(text)  # a placeholder's Latin letters are not the turn's
        share = script_share(text, script) if script else None
        if share is None or share == 1.0:
            return None  # no letters to judge, or every one in the declared script
        foreign = None
        if share >= self.min_script_share:
            weighed = without_source_words(text, source) if source and position >= 0 else text
            foreign = outweighing_script(weighed, script)
            if foreign is None:
                return None
        record.scores["langid"] = {"turn": position, "declared": code, "script_share": round(float(share), 3)}
        if foreign:
            record.scores["langid"]["outweighed_by"] = foreign
        return f"wrong_script:{code}"


def _names(code: str, guesses: list[str]) -> bool:
    return any(languages.same_group(code, guess) for guess in guesses)


def _identifiable(text: str, source: str | None) -> str:
    """What a classifier should look at: no placeholders, tags, URLs or code, and no words shared with the
    source a turn translates (names and terms a translation keeps), unless those make up most of it (then
    the turn may well be in the source's language, which the classifier must see)."""
    words = " ".join(without_tokens(text).split())
    if source:
        own = without_source_words(words, source)
        if len(own) >= len(words) / 2:
            return own
    return words


def _checked_texts(record: Record, declared: list[str | None]) -> list[tuple[int, str, str]]:
    """(message index, language, text) for every part of a message that declares a language.

    A message made of parts in different languages (a PLUG answer) lists them in `meta.segments`
    as [start, end, language] character spans; quoted words in user turns are left out.
    """
    segments = record.meta.get("segments") or []
    checked = []
    source = record.meta.get("source_text")
    if isinstance(source, str) and record.src_lang:
        checked.append((-1, record.src_lang, source))  # the seed a translation starts from (index -1)
    for position, message in enumerate(record.messages):
        spans = segments[position] if position < len(segments) else None
        if spans:
            checked += [(position, code, message["content"][start:end]) for start, end, code in spans]
        elif position < len(declared) and declared[position]:
            text = message["content"]
            checked.append((position, declared[position], QUOTED.sub(" ", text) if message["role"] == "user" else text))
    return checked


def expected_turn_langs(record: Record) -> list[str | None]:
    """The language each message should be in: from `meta.turn_langs`, else user=src and assistant=tgt."""
    declared = record.meta.get("turn_langs")
    if isinstance(declared, list) and len(declared) == len(record.messages):
        return declared
    by_role = {"user": record.src_lang or None, "assistant": record.tgt_lang or None}
    return [by_role.get(m["role"]) for m in record.messages]
