"""Writing-system check: which share of a text's letters is in the expected script.

Every code point's letter-ness and scripts are looked up in one table (a bit per script, built once
from the `regex` module's Unicode properties), so a text costs one numpy gather instead of a regex
scan per script; pure-ASCII text (most Latin-script text) skips even that.
"""

from __future__ import annotations

import functools

import numpy as np
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
# Letters, and the combining marks that Indic and other abugidas write vowels with.
LETTER = r"[\p{L}\p{M}]"
_LETTER_BIT = np.uint32(1 << 31)
_BITS = {code: np.uint32(1 << number) for number, code in enumerate(SCRIPTS)}
_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))


@functools.cache
def _table() -> np.ndarray:
    """Bits per code point: the letter bit, plus one bit per script the letter belongs to."""
    points = np.arange(0x110000, dtype=np.uint32)
    points = points[(points < 0xD800) | (points >= 0xE000)]  # surrogates are not characters
    everything = points.tobytes().decode("utf-32-le")
    table = np.zeros(0x110000, dtype=np.uint32)

    def mark(pattern: str, bit: np.uint32) -> None:
        for match in regex.finditer(pattern + "+", everything):
            table[points[match.start()] : points[match.end() - 1] + 1] |= bit

    mark(LETTER, _LETTER_BIT)
    for code, pattern in SCRIPTS.items():
        mark(pattern, _BITS[code])
    table[table < _LETTER_BIT] = 0  # a script counts only through its letters
    return table


def script_share(text: str, script: str) -> float | None:
    """Share of letters in `script` (None when the text has no letters or the script is unknown)."""
    bit = _BITS.get(script)
    if bit is None:
        return None
    if text.isascii():
        raw = text.encode("ascii")
        if len(raw.translate(None, _ASCII_LETTERS)) == len(raw):
            return None
        return 1.0 if script == "Latn" else 0.0
    codes = _table()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    letters = np.count_nonzero(codes)
    if not letters:
        return None
    return np.count_nonzero(codes & bit) / letters
