"""Writing-system check: which share of a text's letters is in the expected script.

Every code point's letter-ness and scripts are looked up in one table (a bit per script, built once
from the `regex` module's Unicode properties), so a text costs one numpy gather instead of a regex
scan per script; pure-ASCII text (most Latin-script text) skips even that.
"""

from __future__ import annotations

import functools

import numpy as np
import regex

# ISO 15924 code -> the Unicode scripts whose letters count as that writing system (Japanese and Korean
# mix several: their parts count together).
WRITING_SYSTEMS: dict[str, tuple[str, ...]] = {
    "Latn": ("Latin",),
    "Cyrl": ("Cyrillic",),
    "Arab": ("Arabic",),
    "Grek": ("Greek",),
    "Hans": ("Han",),
    "Hant": ("Han",),
    "Jpan": ("Han", "Hiragana", "Katakana"),
    "Hang": ("Hangul", "Han"),
    "Deva": ("Devanagari",),
    "Beng": ("Bengali",),
    "Guru": ("Gurmukhi",),
    "Gujr": ("Gujarati",),
    "Orya": ("Oriya",),
    "Taml": ("Tamil",),
    "Telu": ("Telugu",),
    "Knda": ("Kannada",),
    "Mlym": ("Malayalam",),
    "Sinh": ("Sinhala",),
    "Thai": ("Thai",),
    "Laoo": ("Lao",),
    "Khmr": ("Khmer",),
    "Mymr": ("Myanmar",),
    "Geor": ("Georgian",),
    "Armn": ("Armenian",),
    "Hebr": ("Hebrew",),
    "Ethi": ("Ethiopic",),
    "Tibt": ("Tibetan",),
    "Olck": ("Ol_Chiki",),
    "Tfng": ("Tifinagh",),
}
UNICODE_SCRIPTS = tuple(dict.fromkeys(name for names in WRITING_SYSTEMS.values() for name in names))
# A letter of these scripts writes a syllable or a word (several Latin letters' worth): weighed so when
# scripts are compared, so that Chinese text full of Latin identifiers is still mostly Chinese.
SYLLABIC_WEIGHT = {"Han": 3, "Hiragana": 2, "Katakana": 2, "Hangul": 3}
# Letters, and the combining marks that Indic and other abugidas write vowels with.
LETTER = r"[\p{L}\p{M}]"
_LETTER_BIT = np.uint32(1 << 31)
_SCRIPT_BITS = {name: np.uint32(1 << number) for number, name in enumerate(UNICODE_SCRIPTS)}
_BITS = {code: np.uint32(sum(int(_SCRIPT_BITS[name]) for name in names)) for code, names in WRITING_SYSTEMS.items()}
_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))


@functools.cache
def _table() -> np.ndarray:
    """Bits per code point: the letter bit, plus the bit of the Unicode script the letter belongs to."""
    points = np.arange(0x110000, dtype=np.uint32)
    points = points[(points < 0xD800) | (points >= 0xE000)]  # surrogates are not characters
    everything = points.tobytes().decode("utf-32-le")
    table = np.zeros(0x110000, dtype=np.uint32)

    def mark(pattern: str, bit: np.uint32) -> None:
        for match in regex.finditer(pattern + "+", everything):
            table[points[match.start()] : points[match.end() - 1] + 1] |= bit

    mark(LETTER, _LETTER_BIT)
    for name, bit in _SCRIPT_BITS.items():
        mark(rf"\p{{{name}}}", bit)
    table[table < _LETTER_BIT] = 0  # a script counts only through its letters
    return table


def _codes(text: str) -> np.ndarray:
    return _table()[np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]


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
    codes = _codes(text)
    letters = np.count_nonzero(codes)
    if not letters:
        return None
    return np.count_nonzero(codes & bit) / letters


def outweighing_script(text: str, script: str) -> str | None:
    """The Unicode script, outside the writing system `script`, whose letters outweigh that system's in
    `text` (syllabic letters weighed as several), or None. A turn declared Latin-script but written
    mostly in Greek is caught however many Latin names and commands it carries."""
    own = _BITS.get(script)
    if own is None or text.isascii():
        return None  # ASCII text: the share floor of `script_share` decides
    codes = _codes(text)
    present = int(np.bitwise_or.reduce(codes)) if codes.size else 0
    weights: dict[str, int] = {}
    for name, bit in _SCRIPT_BITS.items():
        if present & int(bit):
            weights[name] = SYLLABIC_WEIGHT.get(name, 1) * int(np.count_nonzero(codes & bit))
    mine = sum(weight for name, weight in weights.items() if int(_SCRIPT_BITS[name]) & int(own))
    others = [(weight, name) for name, weight in weights.items() if not int(_SCRIPT_BITS[name]) & int(own)]
    if not others:
        return None
    weight, name = max(others)
    return name if weight > mine else None


@functools.lru_cache(maxsize=16_384)  # every check of a translation asks it of the same source
def main_script(text: str) -> str | None:
    """The writing system (ISO 15924 code) most of `text`'s letters are in, or None (no letters)."""
    if text.isascii():
        return "Latn" if script_share(text, "Latn") else None
    codes = _codes(text)
    if not np.count_nonzero(codes):
        return None
    counts = {code: int(np.count_nonzero(codes & bit)) for code, bit in _BITS.items()}
    best = max(counts, key=counts.__getitem__)  # the first of a tie: Hans before Hant and Jpan (Han only)
    return best if counts[best] else None
