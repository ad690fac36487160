"""Cross-lingual (BayLing 2) and pivot (PLUG) generators against the mock teacher."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import generate_args, load_output, run_cli

from bayling_data import languages
from bayling_data.filters.langid import LanguageFilter
from bayling_data.generators.crosslingual import answer_in
from bayling_data.generators.pivot import label
from bayling_data.records import Record


def rows_of(out, tmp_path) -> list[dict]:
    rows = list(load_output(out, tmp_path))
    for row in rows:
        row["meta"] = json.loads(row["meta"])
    return rows


def test_crosslingual_over_all_languages(mock_teacher, cli_env, tmp_path):
    everything = languages.all_languages()
    n = 2 * len(everything)
    out = tmp_path / "all"
    # The mock teacher writes pseudo-words in each language's script: real language ID cannot accept them,
    # so this run checks codes, scripts and structure with the classifier step skipped.
    args = ["--generator", "crosslingual", "--skip-filter", "langid,near_dedup,semantic", "--concurrency", "64"]
    done = run_cli(generate_args(mock_teacher.url, out, n, *args, langs="all"), cli_env, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = rows_of(out, tmp_path)
    assert len(rows) == n
    codes = {lang.code for lang in everything}
    covered = Counter()
    for row in rows:
        assert row["src_lang"] in codes and row["tgt_lang"] in codes
        covered.update({row["src_lang"], row["tgt_lang"]})
        assert row["meta"]["kind"] in ("native", "cross", "translate")
    assert set(covered) == codes  # every listed language appears with its code


def test_crosslingual_kinds_and_answer_language(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "x"
    done = run_cli(
        generate_args(mock_teacher.url, out, 60, "--generator", "crosslingual", langs="de,fr,es,ru"), cli_env
    )
    assert done.returncode == 0, done.stderr
    rows = rows_of(out, tmp_path)
    kinds = Counter(row["meta"]["kind"] for row in rows)
    assert set(kinds) == {"native", "cross", "translate"}
    for row in rows:
        user = row["messages"][0]["content"]
        if row["meta"]["kind"] == "cross":
            assert user.endswith(answer_in(languages.get(row["src_lang"]), languages.get(row["tgt_lang"])))
            assert row["src_lang"] != row["tgt_lang"]
        if row["meta"]["kind"] == "native":
            assert row["src_lang"] == row["tgt_lang"]
    assert Counter(row["src_lang"] for row in rows if row["meta"]["kind"] == "native")
    # the language spread holds over kept records: each of the four is the target of exactly 60 / 4
    hubs = {row["meta"]["hub"] for row in rows}
    targets = Counter(
        row["src_lang"] if row["meta"]["kind"] != "translate" or row["src_lang"] not in hubs else row["tgt_lang"]
        for row in rows
    )
    assert targets == dict.fromkeys(("deu_Latn", "fra_Latn", "spa_Latn", "rus_Cyrl"), 15)


@pytest.mark.parametrize("fmt", ["plug", "target"])
def test_pivot_answers_in_english_then_target(mock_teacher, cli_env, tmp_path, fmt):
    out = tmp_path / fmt
    args = ["--generator", "pivot", "--pivot-format", fmt]
    done = run_cli(generate_args(mock_teacher.url, out, 30, *args, langs="de,ru,zh"), cli_env)
    assert done.returncode == 0, done.stderr
    rows = rows_of(out, tmp_path)
    assert {row["tgt_lang"] for row in rows} == {"deu_Latn", "rus_Cyrl", "zho_Hans"}
    for row in rows:
        target = languages.get(row["tgt_lang"])
        answer = row["messages"][1]["content"]
        if fmt == "plug":
            assert answer.startswith(label(languages.get("en")))
            assert f"\n\n{label(target)}\n" in answer
            spans = row["meta"]["segments"][1]
            assert [code for _, _, code in spans] == ["eng_Latn", target.code]
            assert answer[spans[0][0] : spans[0][1]] == row["meta"]["pivot_answer"]
        else:
            assert label(target) not in answer


def test_langid_checks_each_plug_segment():
    english = "The museum opens at nine in the morning and closes late on Fridays."
    german = "Das Museum öffnet um neun Uhr morgens und schließt freitags spät."
    head_en, head_de = label(languages.get("en")), label(languages.get("de"))

    def plug(first: str, second: str) -> Record:
        content = f"{head_en}\n{first}\n\n{head_de}\n{second}"
        start, second_start = len(head_en) + 1, len(head_en) + 1 + len(first) + 2 + len(head_de) + 1
        return Record(
            "pivot",
            "pivot",
            "eng_Latn",
            "deu_Latn",
            [
                {"role": "user", "content": "Wann öffnet das Museum und wann schließt es am Freitag?"},
                {"role": "assistant", "content": content},
            ],
            meta={
                "turn_langs": ["deu_Latn", None],
                "segments": [None, [[start, start + len(first), "eng_Latn"], [second_start, len(content), "deu_Latn"]]],
            },
        )

    assert LanguageFilter().check(plug(english, german)) is None
    assert LanguageFilter().check(plug(english, english)) == "wrong_language:deu_Latn"
