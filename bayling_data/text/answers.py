"""Turning a teacher's answer into training text (strip preambles and wrapping quotes) or into data (JSON)."""

from __future__ import annotations

import json
import re
from typing import Any

from bayling_data.languages import UnknownLanguageError, get

PREAMBLE = re.compile(
    r"^\s*(?:here(?:'s| is)|sure|certainly|of course|the translation|translation|in \w+,? the translation"
    r"|译文|翻译|以下是|好的|hier ist|die übersetzung|voici|la traducci[oó]n|aqu[ií] est[aá])"
    r"[^\n]{0,80}?[:：]\s*",
    re.IGNORECASE,
)
QUOTES = [('"', '"'), ("“", "”"), ("「", "」"), ("『", "』"), ("„", "“"), ("«", "»"), ("'", "'")]


def joined_parts(content: Any) -> Any:
    """The text of OpenAI-style content parts (`[{"type": "text", "text": ...}, ...]`) joined; any other value
    as it is."""
    if isinstance(content, list) and content and all(isinstance(part, dict) for part in content):
        texts = [part["text"] for part in content if isinstance(part.get("text"), str)]
        if texts:
            return "".join(texts)
    return content


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


def extract_json(text: str) -> dict[str, Any] | None:
    """The JSON object in an answer (also inside a ```json fence or after a preamble), or None."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start : end + 1])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
