"""Text as the checks compare it: case-folded, NFKC, without punctuation or spacing differences; its words."""

from __future__ import annotations

import functools
import re
import unicodedata

import regex

_PUNCTUATION_AND_SPACE = regex.compile(r"[^\p{L}\p{M}\p{N}]+")
_ASCII_NON_WORD_TO_SPACE = bytes(c if chr(c).isalnum() else ord(" ") for c in range(256))
# One CJK character, or a run of anything else but spaces: normalized text holds only letters, the marks
# Indic scripts write vowels with (which `\w` does not match), digits and single spaces.
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


@functools.lru_cache(maxsize=16_384)  # several steps normalize the same answer: it is worked out once
def normalize(text: str) -> str:
    """Case-folded NFKC text without punctuation or spacing differences."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if folded.isascii():  # the same result as the regex below, by a byte table
        return " ".join(folded.encode("ascii").translate(_ASCII_NON_WORD_TO_SPACE).decode("ascii").split())
    return _PUNCTUATION_AND_SPACE.sub(" ", folded).strip()


def words(text: str) -> list[str]:
    """The normalized words of a text (single characters for CJK, which has no spaces)."""
    normalized = normalize(text)
    return normalized.split() if normalized.isascii() else _TOKEN.findall(normalized)
