"""The filters on real human translations (Django's own, in 90 languages) with planted defects, read from
ShareGPT and Alpaca rows that hold the source inside the request.

The same evaluation as `benchmarks/real_translations.py` (its figures are in benchmarks/README.md),
held to the filter issue's targets so that a change that throws away good data or lets wrong-language
answers through fails here.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import real_translations  # a benchmark script, found through the path above


@pytest.fixture(scope="module")
def items() -> list:
    return real_translations.samples(per_lang=150, seed=0, corpora=("django",))


@pytest.fixture(scope="module", params=["sharegpt", "alpaca"])
def outcome(request, items) -> tuple[dict[str, Counter], Counter]:
    """Each record written as a corpus holds it (the source inside the request), read back as `filter` does."""
    per_lang, clean_reasons, _ = real_translations.evaluate(items, request.param)
    return per_lang, clean_reasons


def share(counts: Counter, label: str) -> float:
    return counts[f"{label}_ok"] / counts[label]


def test_real_data_covers_90_languages(outcome):
    per_lang, _ = outcome
    assert len(per_lang) >= 90
    assert sum(c["clean"] for c in per_lang.values()) >= 12_000


def test_the_source_is_found_in_every_translation_record(outcome):
    per_lang, _ = outcome
    total = sum(per_lang.values(), Counter())
    records = sum(total[label] for label in ("clean", *real_translations.DEFECTS))
    assert total["found"] / records >= 0.99


def test_correct_translations_are_kept(outcome):
    per_lang, clean_reasons = outcome
    total = sum(per_lang.values(), Counter())
    assert share(total, "clean") >= 0.985, clean_reasons.most_common(10)
    low = {
        lang: round(share(c, "clean"), 3)
        for lang, c in per_lang.items()
        if c["clean"] >= 50 and share(c, "clean") < 0.95
    }
    assert not low, low


def test_planted_defects_are_caught(outcome):
    per_lang, _ = outcome
    total = sum(per_lang.values(), Counter())
    assert share(total, "wrong_script") >= 0.99
    assert share(total, "wrong_language") >= 0.95  # texts with 20+ characters of words (shorter: reported)
    assert share(total, "copy") == 1.0
    assert share(total, "duplicate") == 1.0
    assert share(total, "other_sentence") >= 0.5  # with no teacher request
    assert share(total, "dropped_sentence") >= 0.85  # fewer sentences than the source, and shorter
