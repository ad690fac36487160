"""Writing-system check: which share of a text's letters is in the expected script."""

from __future__ import annotations

import regex

# ISO 15924 code -> the Unicode script(s) whose letters count as that writing system.
SCRIPTS: dict[str, str] = {
    "Latn": r"\p{Latin}",
    "Cyrl": r"\p{Cyrillic}",
    "Arab": r"\p{Arabic}",
    "Grek": r"\p{Greek}",
    "Hans": r"\p{Han}",
    "Hant": r"\p{Han}",
    "Jpan": r"[\p{Han}\p{Hiragana}\p{Katakana}]",
    "Hang": r"[\p{Hangul}\p{Han}]",
    "Deva": r"\p{Devanagari}",
    "Beng": r"\p{Bengali}",
    "Guru": r"\p{Gurmukhi}",
    "Gujr": r"\p{Gujarati}",
    "Orya": r"\p{Oriya}",
    "Taml": r"\p{Tamil}",
    "Telu": r"\p{Telugu}",
    "Knda": r"\p{Kannada}",
    "Mlym": r"\p{Malayalam}",
    "Sinh": r"\p{Sinhala}",
    "Thai": r"\p{Thai}",
    "Laoo": r"\p{Lao}",
    "Khmr": r"\p{Khmer}",
    "Mymr": r"\p{Myanmar}",
    "Geor": r"\p{Georgian}",
    "Armn": r"\p{Armenian}",
    "Hebr": r"\p{Hebrew}",
    "Ethi": r"\p{Ethiopic}",
    "Tibt": r"\p{Tibetan}",
}
_PATTERNS = {code: regex.compile(pattern) for code, pattern in SCRIPTS.items()}
# Letters, and the combining marks that Indic and other abugidas write vowels with.
_LETTER = regex.compile(r"[\p{L}\p{M}]")


def script_share(text: str, script: str) -> float | None:
    """Share of letters in `script` (None when the text has no letters or the script is unknown)."""
    pattern = _PATTERNS.get(script)
    if pattern is None:
        return None
    letters = len(_LETTER.findall(text))
    if not letters:
        return None
    return min(1.0, len(pattern.findall(text)) / letters)
