"""Tokens that a translation carries over unchanged: URLs, e-mail addresses, format placeholders, markup
tags, inline code. Translation QA checks compare them; language ID looks past them."""

from __future__ import annotations

import functools
import re

import regex

URL = re.compile(
    r"\b(?:https?|ftp)://[\w-]+(?:\.[\w-]+)+[^\s<>\"'“”‘’«»）」]*|\bwww\.[\w-]+(?:\.[\w-]+)+[^\s<>\"'“”‘’«»）」]*"
)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PLACEHOLDER = re.compile(
    r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXcr]"  # %(name)s
    r"|%\d+\$[-#0 +]*\d*[sdifeEgGxXc]"  # %1$d
    r"|%[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXc]"  # %s %d %.2f
    r"|\$\{\w+\}"  # ${var}
    r"|\{\{\s*[\w.|]+\s*\}\}"  # {{ var }}
    r"|\{\w*(?:[!:][^{}\s]*)?\}"  # {name} {0} {} {x:.2f}
)
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?/?>")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
ENTITY = re.compile(r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);")
_NOT_WORDS = re.compile("|".join(p.pattern for p in (URL, EMAIL, INLINE_CODE, TAG, PLACEHOLDER, ENTITY)))


def without_tokens(text: str) -> str:
    """`text` without URLs, e-mail addresses, inline code, tags, placeholders and HTML entities."""
    # Most prose holds none of the characters these start with: a few substring scans decide.
    if "%" in text or "{" in text or "$" in text or "<" in text or "`" in text or "@" in text or "&" in text:
        return _NOT_WORDS.sub(" ", text)
    return _NOT_WORDS.sub(" ", text) if "://" in text or "www." in text else text


# strftime's directives (%Y, %-d, %OH): what a date or time format is made of. Those printf lacks mark one.
_DATE_DIRECTIVE = re.compile(r"%[-_0^#]?[EO]?[a-zA-Z+]")
_DATE_ONLY = re.compile(r"%[-_0^#]?[EO]?[aAbBhHIjmMpSUwWyYZzklnPTDFRrtuVGgC+]")
# two letters in a row, or one letter outside the Latin script ("و", "и", "是": words; "x" in "10x11" is not)
_A_WORD = regex.compile(r"[\p{L}\p{M}]{2,}|(?!\p{Latin})\p{L}")


def has_words(text: str) -> bool:
    """Whether `text` holds a word outside tokens and date directives ("%Y/%m/%d", "A4x5", "10x11" do not):
    with none, nothing says which language or script it is in, nor whether it was left untranslated."""
    return _A_WORD.search(_DATE_DIRECTIVE.sub(" ", without_tokens(text))) is not None


def date_format(text: str) -> bool:
    """A date or time format ("%I:%M:%S %p"): a translator may reorder and localize its directives ("%X %p")."""
    return _DATE_ONLY.search(text) is not None and not has_words(text)


_WORD = regex.compile(r"[\p{L}\p{M}\p{N}_]+")  # with the marks Indic and other scripts write vowels with


@functools.lru_cache(maxsize=1024)  # a record's turns are checked against the same source
def _words_of(source: str) -> frozenset[str]:
    return frozenset(_WORD.findall(source.casefold()))


def without_source_words(text: str, source: str) -> str:
    """The words of `text` (joined by spaces) that `source` does not have, case-insensitive: what is
    left of a translation without the names and terms it keeps."""
    shared = _words_of(source)
    words = _WORD.findall(text)
    if shared.isdisjoint(_WORD.findall(text.casefold())):
        return " ".join(words)
    return " ".join(word for word in words if word.casefold() not in shared)
