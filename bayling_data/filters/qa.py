"""Translation QA checks, no teacher needed: what a translation must carry over from its source unchanged.

Like the checks of professional translation QA tools: numbers, placeholders, markup tags, URLs, e-mail
addresses and inline code of the source reappear in the translation. A translation that drops them is
incomplete, and one of a different sentence (a misaligned or hallucinated answer) usually carries other
ones, so these checks also catch answers unrelated to their source, for free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bayling_data.filters.base import Filter
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.text.pairs import length_ratio, translation_pairs
from bayling_data.text.script import main_script
from bayling_data.text.tokens import EMAIL, INLINE_CODE, PLACEHOLDER, TAG, URL, date_format, without_tokens

_TWO_DIGITS = re.compile(r"\d\d")
# digits after a letter are part of a name (XF86AudioPlay, utf8, IPv6), which a translation may rightly leave out
NUMBER = re.compile(r"(?<![^\W\d_])\d+(?:[.,\u00a0\u202f' ]\d{3})*(?:[.,]\d+)?")
TRAILING = ".,;:!?)]}>"


def _urls(text: str) -> set[str]:
    return {match.rstrip(TRAILING).casefold() for match in URL.findall(text)}


def _emails(text: str) -> set[str]:
    return {match.casefold() for match in EMAIL.findall(URL.sub(" ", text))}


_NUMBERED = re.compile(r"%\d+\$")  # "%2$d": printf's second argument, wherever the translation puts it


def _placeholders(text: str) -> set[str]:
    """Placeholders, spaces dropped. printf's are numbered as msgfmt reads them: `%s ... %d` are `%1$s` and
    `%2$d`, so a translation may reorder them (`%2$d ... %1$s`) but not point at an argument its source lacks."""
    found, position = set(), 0
    for match in PLACEHOLDER.findall(text):
        match = re.sub(r"\s+", "", match)
        if match.startswith("%") and not match.startswith("%(") and not _NUMBERED.match(match):
            position += 1
            match = f"%{position}${match[1:]}"
        found.add(match)
    return found


def _tags(text: str) -> set[str]:
    return {name.casefold() for name in TAG.findall(text)}


def _code(text: str) -> set[str]:
    return {span.strip() for span in INLINE_CODE.findall(text)}


def _numbers(text: str) -> set[str]:
    """Numbers of two or more digits, in any digit script, separators dropped (1,000.5 = 1 000,5 = 10005)."""
    if not _TWO_DIGITS.search(text):
        return set()
    found = set()
    for match in NUMBER.findall(without_tokens(text)):
        digits = "".join(ch for ch in match if ch.isdigit())
        if len(digits) >= 2:
            found.add(str(int(digits)))  # int() reads every Unicode digit script; leading zeros go
    return found


class CarriedOver(Filter):
    """Rejects a translation that lacks something its source has and a translation keeps as it is, or
    brings such things of its own.

    Subclasses set `name` and `extract` (the set of such things in a text)."""

    name = "qa"
    order = 70
    markers: tuple[str, ...] = ()  # a cheap test: a source with none of these has nothing to carry over

    @staticmethod
    def extract(text: str) -> set[str]:
        raise NotImplementedError

    def missing(self, source: str, translation: str) -> set[str]:
        """What `source` has and `translation` lacks."""
        return self.extract(source) - self.extract(translation)

    def added(self, source: str, translation: str) -> set[str]:
        """What `translation` has and `source` lacks (a translation of another text brings its own)."""
        return self.extract(translation) - self.extract(source)

    def applies(self, source: str, translation: str) -> bool:
        """Whether the pair may hold what this step compares (a cheap test on `markers`)."""
        return not self.markers or any(marker in source or marker in translation for marker in self.markers)

    def check(self, record: Record) -> str | None:
        for source, _, translation, _ in translation_pairs(record):
            if not self.applies(source, translation):
                continue
            for reason, found in (("missing", self.missing), ("added", self.added)):
                if different := found(source, translation):
                    record.scores[self.name] = {reason: sorted(different)[:5]}
                    return reason
        return None


class Placeholders(CarriedOver):
    """Format placeholders (`%s`, `%1$d`, `%(name)s`, `{name}`, `${var}`, `{{ var }}`)."""

    name = "qa_placeholders"
    order = 70
    markers = ("%", "{", "$")
    extract = staticmethod(_placeholders)

    def applies(self, source: str, translation: str) -> bool:
        # a date or time format ("%I:%M:%S %p") is the translator's to reorder and localize ("%X %p")
        return super().applies(source, translation) and not date_format(source)


class Markup(CarriedOver):
    """Markup tags (by name: attributes may be translated)."""

    name = "qa_markup"
    order = 71
    markers = ("<",)
    extract = staticmethod(_tags)


class Urls(CarriedOver):
    """URLs."""

    name = "qa_urls"
    order = 72
    markers = ("://", "www.")
    extract = staticmethod(_urls)


class Emails(CarriedOver):
    """E-mail addresses. One at a domain reserved for examples (foo@example.org, *.test, ...) may be written
    as an example of the translation's language (toto@exemple.org): any address in its place will do."""

    name = "qa_emails"
    order = 73
    markers = ("@",)
    extract = staticmethod(_emails)

    def missing(self, source: str, translation: str) -> set[str]:
        missing = super().missing(source, translation)
        examples = {address for address in missing if _example_address(address)}
        in_their_place = len(super().added(source, translation))
        return missing - examples if len(examples) <= in_their_place else missing

    def added(self, source: str, translation: str) -> set[str]:
        added = super().added(source, translation)
        replaced = [address for address in super().missing(source, translation) if _example_address(address)]
        return set() if len(added) <= len(replaced) else added


def _example_address(address: str) -> bool:
    """An address at a domain reserved for examples and tests (RFC 2606, RFC 6761)."""
    labels = address.rsplit("@", 1)[-1].split(".")
    return "example" in labels or labels[-1] in {"test", "invalid", "localhost"}


class InlineCode(CarriedOver):
    """Inline code and commands in backticks (their text: a translation may quote them otherwise)."""

    name = "qa_code"
    order = 74
    markers = ("`",)
    extract = staticmethod(_code)

    def missing(self, source: str, translation: str) -> set[str]:
        return {span for span in self.extract(source) if span not in translation}

    def added(self, source: str, translation: str) -> set[str]:
        return set()  # a translation may put a command in backticks that its source left plain


class Numbers(CarriedOver):
    """Numbers of two or more digits (any digit script; group and decimal separators may differ)."""

    name = "qa_numbers"
    order = 75
    extract = staticmethod(_numbers)

    def added(self, source: str, translation: str) -> set[str]:
        # A source without numbers may get some by translation ("October" -> "10월"): only a source
        # with numbers of its own is held to them.
        numbers = self.extract(source)
        return self.extract(translation) - numbers if numbers else set()


SHAPE_LENGTH = (0.5, 2.0)  # a translation's length (script-adjusted) outside this share of its source differs
# A break between two sentences (the last one's end is the final mark, counted apart).
_SENTENCE_BREAK = re.compile(r"(?:[.!?।۔؟]\s+|[。！？])(?=\S)")
UNMARKED_SENTENCES = ("Thai", "Laoo")  # scripts whose sentences end with a space, not a mark
_FINAL_KINDS = {**dict.fromkeys("?？؟;՞፧", "question"), **dict.fromkeys("!！", "exclamation")}
_FINAL_KINDS |= {**dict.fromkeys(":：", "colon"), **dict.fromkeys(".。।۔።။។", "stop")}


def _final_kind(text: str) -> str | None:
    stripped = text.rstrip().rstrip("\"'»”’」』）)]").rstrip()
    return _FINAL_KINDS.get(stripped[-1]) if stripped else None


def shape_differences(source: str, translation: str, ratio: float) -> list[str]:
    """The ways a translation's shape differs from its source's: each is common alone in good translations
    (measured: 0.02-1% of real ones), rare together."""
    translation = translation.replace("::", "።")  # Amharic typed without the Ethiopic full stop
    differences = []
    for name, marks in (("brackets", "()（）"), ("quotes", '"“”„«»「」『』'), ("colon", ":：")):
        if any(m in source for m in marks) != any(m in translation for m in marks):
            differences.append(name)
    if len(_SENTENCE_BREAK.findall(source.strip())) != len(_SENTENCE_BREAK.findall(translation.strip())):
        differences.append("sentences")
    src_end, tgt_end = _final_kind(source), _final_kind(translation)
    if src_end != tgt_end and not (src_end == "stop" and tgt_end is None):  # a dropped full stop is common
        differences.append("final_mark")
    if not SHAPE_LENGTH[0] <= ratio <= SHAPE_LENGTH[1]:
        differences.append("length")
    return differences


class Shape(Filter):
    """Rejects a translation whose shape differs from its source's on several counts at once: brackets,
    quotes, colons, the number of sentences, the final mark, the length. It catches answers that
    translate another sentence (a misaligned pair) at little cost to good translations."""

    name = "shape"
    order = 76

    @dataclass
    class Options:
        max_shape_differences: int = option(
            2,
            "most ways (of brackets, quotes, colon, sentences, final mark, "
            "length within 0.5-2x) a translation's shape may differ",
            low=0,
            high=6,
        )

    def check(self, record: Record) -> str | None:
        for source, src, translation, tgt in translation_pairs(record):
            ratio = length_ratio(source, src, translation, tgt)
            differences = shape_differences(source, translation, ratio)
            if len(differences) > self.options.max_shape_differences:
                record.scores["shape"] = differences
                return "mismatch"
        return None


class Sentences(Filter):
    """Rejects a translation that has fewer sentences than its source of two or more and is also markedly
    shorter: a sentence left out. Each sign alone is common in good translations (translators merge
    sentences; languages differ in length); together they are rare (measured on real translations:
    `benchmarks/real_translations.py`)."""

    name = "sentences"
    order = 77

    @dataclass
    class Options:
        max_dropped_ratio: float = option(
            0.8,
            "a translation with fewer sentences than its source lost one when it is also shorter than this "
            "share of it (script-adjusted)",
            low=0.0,
            high=2.0,
        )

    def check(self, record: Record) -> str | None:
        for source, src, translation, tgt in translation_pairs(record):
            if main_script(translation) in UNMARKED_SENTENCES:
                continue  # its sentences cannot be counted
            in_source = len(_SENTENCE_BREAK.findall(source.strip())) + 1
            in_translation = len(_SENTENCE_BREAK.findall(translation.strip())) + 1
            if in_source >= 2 and in_translation < in_source:
                ratio = length_ratio(source, src, translation, tgt)
                if ratio < self.options.max_dropped_ratio:
                    record.scores["sentences"] = {"source": in_source, "translation": in_translation}
                    return "fewer_than_source"
        return None
