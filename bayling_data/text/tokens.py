"""Tokens that a translation carries over unchanged: URLs, e-mail addresses, format placeholders, markup
tags, inline code. Translation QA checks compare them; language ID looks past them."""

from __future__ import annotations

import re

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
    return _NOT_WORDS.sub(" ", text) if any(ch in text for ch in "%{$<`@:&w") else text


_WORD = re.compile(r"\w+")


def without_source_words(text: str, source: str) -> str:
    """`text` without the words it shares with `source`, case-insensitive (the names and terms a
    translation keeps)."""
    shared = {word.casefold() for word in _WORD.findall(source)}
    return _WORD.sub(lambda match: "" if match.group().casefold() in shared else match.group(), text)
