"""Writing-system check: which share of a text's letters is in the expected script."""

from __future__ import annotations

import functools
import unicodedata

# ISO 15924 code -> prefixes of Unicode character names that belong to it.
SCRIPT_PREFIXES: dict[str, tuple[str, ...]] = {
    "Latn": ("LATIN",),
    "Cyrl": ("CYRILLIC",),
    "Arab": ("ARABIC",),
    "Grek": ("GREEK",),
    "Hans": ("CJK",),
    "Hant": ("CJK",),
    "Jpan": ("CJK", "HIRAGANA", "KATAKANA"),
    "Hang": ("HANGUL", "CJK"),
    "Deva": ("DEVANAGARI",),
    "Beng": ("BENGALI",),
    "Guru": ("GURMUKHI",),
    "Gujr": ("GUJARATI",),
    "Orya": ("ORIYA",),
    "Taml": ("TAMIL",),
    "Telu": ("TELUGU",),
    "Knda": ("KANNADA",),
    "Mlym": ("MALAYALAM",),
    "Sinh": ("SINHALA",),
    "Thai": ("THAI",),
    "Laoo": ("LAO",),
    "Khmr": ("KHMER",),
    "Mymr": ("MYANMAR",),
    "Geor": ("GEORGIAN",),
    "Armn": ("ARMENIAN",),
    "Hebr": ("HEBREW",),
    "Ethi": ("ETHIOPIC",),
    "Tibt": ("TIBETAN",),
}


@functools.lru_cache(maxsize=65536)
def _char_name(char: str) -> str:
    return unicodedata.name(char, "")


def script_share(text: str, script: str) -> float | None:
    """Share of letters in `script` (None when the text has no letters or the script is unknown)."""
    prefixes = SCRIPT_PREFIXES.get(script)
    if prefixes is None:
        return None
    letters = matching = 0
    for char in text:
        if char.isalpha():
            letters += 1
            if _char_name(char).startswith(prefixes):
                matching += 1
    return matching / letters if letters else None
