"""A translation record's (source, translation) pairs, and how their lengths compare across scripts."""

from __future__ import annotations

from bayling_data.languages import script_of
from bayling_data.records import Record
from bayling_data.text.script import main_script

# Rough characters-per-meaning factor of a script, relative to Latin text.
SCRIPT_DENSITY = {"Hans": 0.3, "Hant": 0.3, "Jpan": 0.45, "Hang": 0.5}
UNDETERMINED = "und"  # ISO 639 for a language not known: `und_Latn` is "some Latin-script language"


def translation_pairs(record: Record) -> list[tuple[str, str, str, str]]:
    """(source, source lang, translation, target lang) for the first translate turn of a record.

    An imported record's source may come with no language (none given with --source-lang): it is then
    `und_<script>`, the script its letters are in, which is what the length and copy checks need."""
    source = record.meta.get("source_text")
    answers = record.turns("assistant")
    if not source or not answers:
        return []
    src = record.src_lang or f"{UNDETERMINED}_{main_script(source) or 'Zyyy'}"
    return [(source, src, answers[0], record.tgt_lang)]


def length_ratio(source: str, src: str, translation: str, tgt: str) -> float:
    """Length of a translation over its source's, each in Latin-letter equivalents of its script."""
    src_len = len(source) / SCRIPT_DENSITY.get(script_of(src) or "", 1.0)
    tgt_len = len(translation) / SCRIPT_DENSITY.get(script_of(tgt) or main_script(translation) or "", 1.0)
    return tgt_len / max(src_len, 1.0)
