"""Turning a teacher's answer into training text: strip preambles and wrapping quotes."""

from __future__ import annotations

import re

from bayling_data.languages import UnknownLanguageError, get

PREAMBLE = re.compile(
    r"^\s*(?:here(?:'s| is)|sure|certainly|of course|the translation|translation|in \w+,? the translation"
    r"|译文|翻译|以下是|好的|hier ist|die übersetzung|voici|la traducci[oó]n|aqu[ií] est[aá])"
    r"[^\n]{0,80}?[:：]\s*",
    re.IGNORECASE,
)
QUOTES = [('"', '"'), ("“", "”"), ("「", "」"), ("『", "』"), ("„", "“"), ("«", "»"), ("'", "'")]


def clean_answer(text: str) -> str:
    """Drop a 'Here is the translation:' preamble or an 'English:' label, and quotes around the whole answer."""
    text = text.strip()
    stripped = PREAMBLE.sub("", text, count=1).strip()
    label, colon, rest = stripped.partition(":")
    if colon and rest.strip() and _is_language_name(label):
        stripped = rest.strip()
    if stripped:
        text = stripped
    for left, right in QUOTES:
        if len(text) > 2 and text.startswith(left) and text.endswith(right) and text.count(left) <= 2:
            text = text[len(left) : -len(right)].strip()
            break
    return text


def _is_language_name(label: str) -> bool:
    if not label or len(label) > 30 or "\n" in label:
        return False
    try:
        get(label.strip())
    except UnknownLanguageError:
        return False
    return True
