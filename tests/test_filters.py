"""Each filter on records made to fail it and records made to pass it; language-ID accuracy by language and length."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest

from bayling_data import languages
from bayling_data.filters import FilterChain, FilterConfig, build_chain
from bayling_data.filters.dedup import ExactDedup, NearDedup
from bayling_data.filters.langid import LanguageFilter
from bayling_data.filters.quality import (
    Constraints,
    Echo,
    EmptyOrTruncated,
    LengthRatio,
    MetaTalk,
    Repetition,
    Untranslated,
)
from bayling_data.records import Record
from bayling_data.text.script import script_share

SAMPLE = Path(__file__).parent / "data" / "langid_sample.tsv"


def sample() -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in SAMPLE.read_text("utf-8").splitlines() if not line.startswith("#")]
    return [(code, text) for code, text in rows]


def translation(src_text: str, answer: str, src: str = "eng_Latn", tgt: str = "deu_Latn", **meta) -> Record:
    return Record(
        "translate",
        "test",
        src,
        tgt,
        [{"role": "user", "content": f"Translate: {src_text}"}, {"role": "assistant", "content": answer}],
        meta={"source_text": src_text, "turn_langs": [None, tgt], **meta},
    )


LONG_UI_DE = "Ausgewählte Einträge, die mit ihnen verknüpften Objekte und alle Dateien, auf die sie verweisen, löschen"


def chat(request: str, answer: str) -> Record:
    """An imported chat: no languages, no source, no finish reason."""
    return Record(
        "chat", "import", "", "", [{"role": "user", "content": request}, {"role": "assistant", "content": answer}]
    )


EN = "The train to the airport leaves every twenty minutes, even on Sundays and public holidays."
DE = "Der Zug zum Flughafen fährt alle zwanzig Minuten, auch an Sonntagen und Feiertagen."
ZH = "去机场的火车每二十分钟一班，星期天和节假日也一样。"
# Cyrillic siblings with Latin-script names in them (names must not make language ID unsure of the rest).
RU_WITH_NAMES = "Поезд в аэропорт Heathrow отправляется каждые двадцать минут, даже по воскресеньям, сказал John Smith."
UK_WITH_NAMES = "Поїзд до аеропорту Heathrow відправляється кожні двадцять хвилин, навіть у неділю, сказав John Smith."


def test_script_share():
    assert script_share(ZH, "Hans") == 1.0
    assert script_share("Python 3.12 的新功能介绍", "Hans") > 0.1  # CJK with Latin identifiers still counts
    assert script_share("qù jīchǎng de huǒchē", "Hans") == 0.0  # pinyin is not Han script
    assert script_share("12345 !!", "Latn") is None
    assert script_share("Привет, world", "Cyrl") == pytest.approx(6 / 11)  # letters only: no digits or commas
    assert script_share("こんにちは、世界", "Jpan") == 1.0  # kana and Han both count as Japanese
    assert script_share("नमस्ते", "Deva") == 1.0  # vowel signs (marks) are letters of the script
    assert script_share("caf\u00e9 \ud800", "Latn") == 1.0  # a lone surrogate (broken input) is not a letter
    assert script_share("plain ascii", "Cyrl") == 0.0
    assert script_share("text", "Zzzz") is None  # a script with no table entry


CASES = {
    "truncated": (
        EmptyOrTruncated(),
        translation(EN, DE, finish_reasons=["length"]),
        translation(EN, DE, finish_reasons=["stop"]),
    ),
    "empty": (EmptyOrTruncated(), translation(EN, "   "), translation(EN, DE)),
    # Imported data has no finish reason: a translation is judged against its source ...
    "cut-translation": (
        EmptyOrTruncated(),
        translation(EN, DE[: len(DE) // 2].rstrip()),
        translation(EN, DE.rstrip(".")),  # a dropped full stop alone is no cut
    ),
    "ui-string-without-final-mark": (  # a long UI string ending as its source does is complete
        EmptyOrTruncated(),
        translation(EN, "Der Zug zum Flughafen fährt alle"),
        translation("Delete the selected items, their related objects and every file they point to", LONG_UI_DE),
    ),
    # ... and any answer on strong signs only.
    "unclosed-code-block": (
        EmptyOrTruncated(),
        chat("Show me", "Here:\n```python\nprint('hi')"),
        chat("Show me", "Here:\n```python\nprint('hi')\n```"),
    ),
    "unclosed-bracket": (
        EmptyOrTruncated(),
        chat("Tell me", DE + " (Danach fuhren wir zum Bahnhof und"),
        chat("Tell me", DE + " (Danach fuhren wir zum Bahnhof) und"),
    ),
    "unclosed-bracket-urdu": (  # right to left, brackets come either way round: "(path(" shows as "(path)"
        EmptyOrTruncated(),
        translation("Boolean (Either True, False or None)", "بولین (True، False یا None", tgt="urd_Arab"),
        translation("Boolean (Either True, False or None)", "بولین (True، False یا None(", tgt="urd_Arab"),
    ),
    "unclosed-bracket-of-the-source": (  # a bracket the source leaves open may stay open
        EmptyOrTruncated(),
        translation("digit expected after a sign", "(?+ नंतर अंक अपेक्षित आहे", tgt="mar_Deva"),
        translation("digit expected after (?+", "(?+ नंतर अंक अपेक्षित आहे", tgt="mar_Deva"),
    ),
    "refusal": (MetaTalk(), translation(EN, "As an AI language model, I cannot translate this."), translation(EN, DE)),
    "refusal-de-not-kinder": (
        MetaTalk(),
        translation(EN, "Als KI kann ich das nicht übersetzen."),
        translation(EN, "Als Kinder fuhren wir jeden Sommer mit dem Zug an die See."),
    ),
    "refusal-zh": (
        MetaTalk(),
        translation(EN, "作为一个人工智能，我无法翻译。", tgt="zho_Hans"),
        translation(EN, ZH, tgt="zho_Hans"),
    ),
    "commentary": (
        MetaTalk(),
        translation(EN, f"{DE}\n\nIn this translation, I used a formal tone.", plan=["translate"]),
        translation(EN, DE, plan=["translate"]),
    ),
    "too-short": (LengthRatio(), translation(EN, "Zug."), translation(EN, DE)),
    "too-long": (LengthRatio(), translation(EN, ZH * 6, tgt="zho_Hans"), translation(EN, ZH, tgt="zho_Hans")),
    "copy": (Untranslated(), translation(EN, EN), translation(EN, DE)),
    "copy-with-notes": (
        Untranslated(),
        translation(EN, f"{EN}\n\nIch habe den Satz kaum verändert."),
        translation(EN, DE),
    ),
    "repetition": (Repetition(), translation(EN, "der Zug fährt " * 12), translation(EN, DE)),
    "unchanged": (
        Constraints(),
        translation(EN, DE, constraints=[{"turn": 1, "kind": "restyle.formal", "changed": False}]),
        translation(EN, DE, constraints=[{"turn": 1, "kind": "restyle.formal", "changed": True}]),
    ),
    "echo": (Echo(), translation(EN, f"Translate: {EN}\n{DE}"), translation(EN, DE)),
    "seed-in-wrong-language": (LanguageFilter(), translation(DE, DE.replace("Zug", "Bus")), translation(EN, DE)),
    "constraints": (
        Constraints(),
        translation(EN, DE, constraints=[{"all_satisfied": False, "words": ["Bahn"]}]),
        translation(EN, DE, constraints=[{"all_satisfied": True, "words": ["Zug"]}]),
    ),
    "langid-english-for-german": (
        LanguageFilter(),
        translation(EN, EN.replace("airport", "station")),
        translation(EN, DE),
    ),
    "langid-pinyin": (
        LanguageFilter(),
        translation(EN, "qù jīchǎng de huǒchē měi èrshí fēnzhōng yī bān", tgt="zho_Hans"),
        translation(EN, ZH, tgt="zho_Hans"),
    ),
    "langid-cyrillic-sibling-with-latin-names": (
        LanguageFilter(),
        translation(EN, RU_WITH_NAMES, tgt="ukr_Cyrl"),
        translation(EN, UK_WITH_NAMES, tgt="ukr_Cyrl"),
    ),
    "langid-dutch-sibling": (
        LanguageFilter(),
        translation(EN, "De trein naar het vliegveld vertrekt elke twintig minuten, ook op zondag."),
        translation(EN, DE),
    ),
}


@pytest.mark.parametrize(("step", "bad", "good"), list(CASES.values()), ids=list(CASES))
def test_filter_rejects_bad_and_keeps_good(step, bad, good):
    assert step.check(bad) is not None
    assert step.check(good) is None


def test_copy_pre_checks_never_skip_a_copy():
    """The cheap checks that skip chrF must never skip a pair whose chrF reaches the copy threshold."""
    from sacrebleu.metrics import CHRF

    from bayling_data.filters.quality import _too_different_to_be_a_copy

    chrf, rng = CHRF(), random.Random(7)
    by_script = defaultdict(list)
    for code, text in sample():
        if " " in text:
            by_script[languages.get(code).script].append(text)
    copies = 0
    for _ in range(3000):
        script = rng.choice(sorted(by_script))
        texts = by_script[script]
        vocabulary = [word for text in texts for word in text.split()]
        source = " ".join(rng.sample(texts, rng.randint(1, min(3, len(texts)))))
        edit_rate, edited = rng.random(), []
        for word in source.split():  # drop, replace or alter a share of the words
            roll = rng.random() / edit_rate if edit_rate else 1.0
            if roll >= 1:
                edited.append(word)
            elif roll > 2 / 3:
                edited.append(word.upper() if rng.random() < 0.5 else word + rng.choice("aeioun"))
            elif roll > 1 / 3:
                edited.append(rng.choice(vocabulary))
        candidate = " ".join(edited)
        if chrf.sentence_score(candidate, [source]).score >= 70:
            copies += 1
            assert not _too_different_to_be_a_copy(source, candidate, script), (source, candidate)
    assert copies > 300  # the edits made enough near-copies for the check to mean something


def test_untranslated_copy_is_caught_even_when_langid_is_unsure():
    copy = translation(EN, EN, src="eng_Latn", tgt="nob_Latn")
    assert Untranslated().check(copy) == "copy_of_source"


def test_inseparable_languages_are_not_rejected():
    bokmal = "Toget til flyplassen går hvert tjuende minutt, også på søndager og helligdager."
    assert LanguageFilter().check(translation(EN, bokmal, tgt="nno_Latn")) is None


def test_user_turns_ignore_quoted_foreign_words():
    record = Record(
        "refine",
        "test",
        "eng_Latn",
        "zho_Hans",
        [
            {"role": "user", "content": "Please use “火车站的列车时刻表” instead of “火车” in the translation."},
            {"role": "assistant", "content": ZH},
        ],
        meta={"turn_langs": ["eng_Latn", "zho_Hans"]},
    )
    assert LanguageFilter().check(record) is None


def test_exact_and_near_dedup():
    exact, near = ExactDedup(), NearDedup(near_dup_threshold=0.7, near_dup_ngram=3)
    first = translation(EN, DE)
    same_but_spacing = translation(EN.replace(" ", "  "), DE.upper())
    close = translation(EN, DE.replace("Feiertagen", "Feiertagen auch"))
    other = translation("Please send me the contract before Friday.", "Bitte schicken Sie mir den Vertrag vor Freitag.")
    assert exact.check(first) is None
    assert exact.check(same_but_spacing) == "duplicate"
    assert near.check(first) is None
    assert near.check(close) == "near_duplicate"
    assert near.check(other) is None


def test_dedup_text_is_normalized_per_message():
    from bayling_data.filters.dedup import dedup_text

    record = Record(
        "translate",
        "test",
        "eng_Latn",
        "spa_Latn",
        [
            {"role": "user", "content": "Translate: Hello,\tWORLD!"},
            {"role": "assistant", "content": "  ¡Hola,   mundo!  "},
            {"role": "user", "content": "..."},
            {"role": "assistant", "content": "ＦＵＬＬ_width"},  # NFKC folds full-width letters
        ],
    )
    assert dedup_text(record, "all") == "translate hello world hola mundo full width"
    assert dedup_text(record, "user") == "translate hello world"
    assert dedup_text(record, "assistant") == "hola mundo full width"
    assert dedup_text(record, "first_user") == "translate hello world"


def test_dedup_state_carries_over_a_resume():
    kept = [translation(EN, DE)]
    exact, near = ExactDedup(), NearDedup()
    FilterChain([exact, near]).warm(iter(kept))  # a one-pass stream, as read back from the parts
    assert exact.check(translation(EN, DE)) == "duplicate"
    assert near.check(translation(EN, DE)) == "near_duplicate"


@pytest.mark.parametrize("backend", ["cld2,heliport,py3langid", "py3langid", "heliport", "langdetect", "cld2"])
def test_langid_accuracy_by_language_and_length(backend):
    """Correct text is accepted and text declared as the wrong language is rejected, per backend."""
    step = LanguageFilter(langid_backend=backend)
    rows = sample()
    accepted = defaultdict(list)
    caught = 0
    for code, text in rows:
        size = "short" if len(text) < 60 else "long"
        accepted[(code, size)].append(step.check(translation(EN, text, tgt=code)) is None)
        wrong = "eng_Latn" if code != "eng_Latn" else "deu_Latn"
        caught += step.check(translation(EN, text, tgt=wrong)) is not None
    overall = sum(sum(v) for v in accepted.values()) / len(rows)
    report = {f"{c}/{s}": f"{sum(v)}/{len(v)}" for (c, s), v in sorted(accepted.items())}
    print(backend, f"accepted {overall:.0%}", f"wrong caught {caught}/{len(rows)}", report)
    assert overall >= 0.9, report
    assert caught / len(rows) >= 0.9


# Text in the first language declared as the second: close relatives that short text can still tell apart.
SIBLINGS = [
    ("ces_Latn", "slk_Latn"),
    ("slk_Latn", "ces_Latn"),
    ("swe_Latn", "dan_Latn"),  # (Danish and Bokmål are one group: their short sentences are often the same)
    ("spa_Latn", "por_Latn"),
    ("por_Latn", "spa_Latn"),
    ("ita_Latn", "spa_Latn"),
    ("rus_Cyrl", "ukr_Cyrl"),
    ("ukr_Cyrl", "rus_Cyrl"),
    ("nld_Latn", "deu_Latn"),
    ("pes_Arab", "arb_Arab"),
    ("hin_Deva", "npi_Deva"),
]


@pytest.mark.parametrize("backend", ["cld2,heliport,py3langid", "py3langid", "heliport", "langdetect", "cld2"])
def test_langid_tells_close_relatives_apart(backend):
    step = LanguageFilter(langid_backend=backend)
    by_lang = defaultdict(list)
    for code, text in sample():
        by_lang[code].append(text)
    caught = {
        f"{text_lang}->{declared}": sum(
            step.check(translation(EN, t, tgt=declared)) is not None for t in by_lang[text_lang]
        )
        for text_lang, declared in SIBLINGS
    }
    print(backend, caught)
    assert sum(caught.values()) >= 0.9 * 4 * len(SIBLINGS), caught


def test_readme_lists_every_filter_setting_with_its_default():
    import re

    import yaml

    from bayling_data.filters.build import defaults

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    block = re.search(r"```yaml\n(skip:.*?)```", readme, re.S)
    assert block, "README has no filter settings example"
    assert yaml.safe_load(block.group(1)) == defaults()


def test_filter_config_file(tmp_path):
    config = tmp_path / "filters.yaml"
    config.write_text("skip: [near_dedup]\nnear_dup_threshold: 0.9\n")
    chain = build_chain(FilterConfig.from_file(config))
    assert "near_dedup" not in [f.name for f in chain.filters]
    toml = tmp_path / "filters.toml"
    toml.write_text('langid_backend = "cld2"\n')
    config = FilterConfig.from_file(toml)
    assert config.settings == {"langid_backend": "cld2"}
    langid = next(f for f in build_chain(config).filters if f.name == "langid")
    assert [b.name for b in langid.backends] == ["cld2"]  # the step gets its own options
    bad = tmp_path / "bad.yaml"
    bad.write_text("near_dup_treshold: 0.9\n")
    with pytest.raises(ValueError, match="unknown filter setting"):
        FilterConfig.from_file(bad)


def test_compact_lsh_finds_candidates_across_merges():
    import numpy as np

    from bayling_data.filters.lsh import CompactLSH

    index = CompactLSH(num_perm=128, bands=16, min_merge=4, block_rows=8)  # merges after every batch; batches
    rng = np.random.default_rng(0)  # of 7 signatures cross the storage blocks of 8
    signatures = rng.integers(0, 2**32, size=(50, 128), dtype=np.uint32)
    for start in range(0, 50, 7):
        index.add(signatures[start : start + 7])
    assert index.count == 50
    probe = signatures[3].copy()
    probe[:10] = 0  # 10 of 128 values changed: most bands still match
    unrelated = rng.integers(0, 2**32, size=128, dtype=np.uint32)
    close_to_unrelated = unrelated.copy()
    close_to_unrelated[-4:] = 1
    batch = np.stack([probe, unrelated, close_to_unrelated])
    usable = np.array([True, True, True])
    similarities = index.add_unless_similar(batch, usable, threshold=0.9)
    assert similarities[0] == pytest.approx(118 / 128)  # found in the merged keys, not indexed again
    assert similarities[1] == 0  # nothing like it: indexed
    assert similarities[2] == pytest.approx(124 / 128)  # found in its own batch
    again = index.add_unless_similar(batch[:1], np.array([True]), threshold=0.9)[0]
    assert again == pytest.approx(118 / 128)  # the probe was not indexed: no exact match for it now
    assert index.add_unless_similar(batch[:1], np.array([False]), threshold=0.9)[0] == 0  # no text: not looked up


GREEK_WITH_COMMANDS = "Εκτελέστε την εντολή `pip install django` και μετά ανοίξτε το PostgreSQL με τον χρήστη admin."
ZH_WITH_IDENTIFIERS = "使用 get_absolute_url() 方法返回 PostgreSQL 数据库中 UserProfile 对象的 URL。"
JA_MIXED = "ファイルをアップロードしてから、管理画面で「保存」をクリックしてください。"
KO_WITH_NAMES = "Django 관리자에서 PostgreSQL 데이터베이스의 사용자를 삭제할 수 있습니다."


@pytest.mark.parametrize(
    ("text", "declared", "verdict"),
    [
        (GREEK_WITH_COMMANDS, "deu_Latn", "wrong_script:deu_Latn"),  # its Latin tokens pass a 10% floor
        (ZH_WITH_IDENTIFIERS, "zho_Hans", None),  # Latin identifiers do not outweigh the Chinese
        (JA_MIXED, "jpn_Jpan", None),  # kana and kanji count together
        (KO_WITH_NAMES, "kor_Hang", None),
        (JA_MIXED, "zho_Hans", "wrong_script:zho_Hans"),  # kana outweigh the kanji a Chinese text may hold
    ],
)
def test_dominant_script(text, declared, verdict):
    record = translation(EN, text, tgt=declared)
    assert LanguageFilter().check(record) == verdict, record.scores


def test_unknown_language_code_keeps_the_checks_that_need_no_classifier():
    limburgish = "De trein nao 't vlegveld geit eder twintig menute, ouch zóndaags en op fiesdaag."
    assert LanguageFilter().check(translation(EN, limburgish, tgt="xyz_Latn")) is None
    assert LanguageFilter().check(translation(EN, GREEK_WITH_COMMANDS, tgt="xyz_Latn")) == "wrong_script:xyz_Latn"
    assert LanguageFilter().check(translation(EN, limburgish, tgt="xyz")) is None  # no script named: kept
    strict = LanguageFilter(unknown_langs="reject")
    assert strict.check(translation(EN, limburgish, tgt="xyz_Latn")) == "unknown_language:xyz_Latn"
    # the other steps do not stop at an unknown code either
    chain = build_chain(FilterConfig(skip=["langid"]))
    assert chain.check_batch([translation(EN, limburgish, tgt="xyz_Latn")]) == [None]


@pytest.mark.parametrize(
    ("source", "bad", "good", "reason"),
    [
        (
            "Delete %(count)d %(items)s?",
            "%(count)d löschen?",
            "%(count)d %(items)s löschen?",
            "qa_placeholders:missing",
        ),
        ("Delete it?", "%(count)d löschen?", "Löschen?", "qa_placeholders:added"),
        (  # numbered placeholders may reorder what their source holds (GTK's Marathi)
            "Unexpected start tag '%s' on line %d char %d",
            "Unerwartetes Start-Tag in Zeile %1$d",
            "Zeile %2$d, Zeichen %3$d: unerwartetes Start-Tag „%1$s“",
            "qa_placeholders:missing",
        ),
        ("Page %d of %d", "Seite %1$d von %3$d", "%2$d Seiten, diese ist %1$d", "qa_placeholders:missing"),
        ("Hello {name}, welcome.", "Hallo, willkommen.", "Hallo {name}, willkommen.", "qa_placeholders:missing"),
        ("See <a href='x'>the docs</a>.", "Siehe die Doku.", "Siehe <a href='y'>die Doku</a>.", "qa_markup:missing"),
        (
            "Read https://docs.example.org/en/.",
            "Lies die Doku.",
            "Lies https://docs.example.org/en/.",
            "qa_urls:missing",
        ),
        ("Write to help@example.org.", "Schreib uns.", "Schreib an help@example.org.", "qa_emails:missing"),
        ("Mail bugs@debian.org.", "Schreib an bugs@debain.org.", "Schreib an bugs@debian.org.", "qa_emails:missing"),
        (  # an example address may be written as an example of the translation's language (Debian's French)
            "Thus, if a mail address on the local host is foo@example.org, the correct value would be example.org.",
            "Par exemple, si une adresse électronique locale est celle-ci, la valeur sera « example.org ».",
            "Par exemple, si une adresse électronique locale est toto@exemple.org, la valeur sera « exemple.org ».",
            "qa_emails:missing",
        ),
        ("Run `make test` now.", "Jetzt testen.", "Führe jetzt „make test“ aus.", "qa_code:missing"),
        ("It costs 1,500.25 euros.", "Es kostet 1.400 Euro.", "Es kostet 1 500,25 Euro.", "qa_numbers:missing"),
        ("Version 12 is out.", "Version 12 und 13.", "Version 12 ist da.", "qa_numbers:added"),
        ("XF86AudioPlay on 24 keys", "Reproducer sur 42 claves", "Reproducer sur 24 claves", "qa_numbers:missing"),
    ],
)
def test_translation_qa_checks(source, bad, good, reason):
    chain = build_chain(FilterConfig(skip=["langid", "length_ratio", "shape", "untranslated", "empty_or_truncated"]))
    assert chain.check_batch([translation(source, bad)]) == [reason]
    assert chain.check_batch([translation(source, good)]) == [None]


def test_a_text_with_no_words_is_not_judged_for_script_copy_or_placeholders():
    """Date formats and sizes in GTK's catalogues: their translators reorder and localize the directives and
    digits, and no word says which language or script they are in, nor whether they were left untranslated."""
    chain = build_chain(FilterConfig(skip=["semantic"]))
    for source, answer, tgt in [
        ("%m/%d/%y", "%Y/%m/%d", "jpn_Jpan"),
        ("%m/%d/%y", "%d/%m/%y", "cat_Latn"),  # chrF says copy; a format is rightly kept
        ("%I:%M:%S %p", "%X %p", "amh_Ethi"),  # %X: the locale's time, which printf reads as a placeholder
        ("%H:%M", "%OH:%OM", "arb_Arab"),
        ("%a %b %e %H:%M:%S %Y", "%Y. %b. %-e. %a. %H:%M:%S", "hun_Latn"),
        ("10x11", "১০x১১", "ben_Beng"),
    ]:
        assert chain.check_batch([translation(source, answer, tgt=tgt)]) == [None], (source, answer)
    # a word in the wrong script is still one, and a placeholder left out of a sentence is still missing
    assert LanguageFilter().check(translation("%H:%M", "%H:%M Uhr", tgt="jpn_Jpan")) == "wrong_script:jpn_Jpan"
    assert LanguageFilter().check(translation("or", "ё", tgt="uzn_Latn")) == "wrong_script:uzn_Latn"  # one letter
    assert chain.check_batch([translation("%d files", "Dateien")]) == ["qa_placeholders:missing"]


def test_a_dropped_sentence_is_judged_only_where_sentences_end_with_a_mark():
    """Thai and Lao end a sentence with a space: Debian's Thai translation of two sentences has no mark."""
    from bayling_data.filters.qa import Sentences

    source = "This name will also be used by other programs. It should be the single, fully qualified domain name."
    thai = "ชื่อนี้จะถูกใช้โดยโปรแกรมอื่นๆ และควรจะเป็นชื่อโดเมนเต็ม เพียงรายการเดียว"
    assert Sentences().check(translation(source, thai, tgt="tha_Thai")) is None
    assert Sentences().check(translation(source, "Dieser Name wird auch von anderen Programmen verwendet.")) == (
        "fewer_than_source"
    )


def test_numbers_in_other_digit_scripts_and_months():
    from bayling_data.filters.qa import Numbers

    assert Numbers().check(translation("Page 12 of 345", "الصفحة ١٢ من ٣٤٥", tgt="arb_Arab")) is None
    assert Numbers().check(translation("October", "10월", tgt="kor_Hang")) is None  # a source without numbers


def test_shape_catches_a_translation_of_another_sentence():
    from bayling_data.filters.qa import Shape

    source = "Are you sure? All related items (and their files) will be deleted."
    other = "Passwort geändert: Sie können sich jetzt anmelden"
    assert Shape().check(translation(source, other)) == "mismatch"
    assert (
        Shape().check(
            translation(source, "Sind Sie sicher? Alle verknüpften Einträge (und ihre Dateien) werden gelöscht.")
        )
        is None
    )
