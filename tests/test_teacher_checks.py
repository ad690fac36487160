"""Checks that ask the teacher: round-trip chrF/BLEU and the LLM judge, against the mock teacher over HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import generate_args, load_output, make_teacher, run_cli, server_stats

from bayling_data.filters.teacher_checks import LlmJudge, RoundTrip
from bayling_data.records import Record
from bayling_data.testing.mock_teacher import Faults, MockServer, MockState

SAMPLE = Path(__file__).parent / "data" / "langid_sample.tsv"
TARGETS = ("deu_Latn", "fra_Latn", "spa_Latn")


def parallel_records() -> list[Record]:
    """English sentences and their translations from the multilingual sample (its rows are parallel)."""
    rows = [line.split("\t") for line in SAMPLE.read_text("utf-8").splitlines() if not line.startswith("#")]
    by_lang: dict[str, list[str]] = {}
    for code, text in rows:
        by_lang.setdefault(code, []).append(text)
    return [
        Record(
            "translate",
            "test",
            "eng_Latn",
            tgt,
            [{"role": "user", "content": f"Translate: {source}"}, {"role": "assistant", "content": target}],
            meta={"source_text": source, "turn_langs": [None, tgt], "finish_reasons": ["stop"]},
        )
        for tgt in TARGETS
        for source, target in zip(by_lang["eng_Latn"], by_lang[tgt], strict=True)
    ]


def rejected_rows(out: Path) -> list[dict]:
    return [row for shard in sorted((out / "rejected").glob("*.parquet")) for row in pq.read_table(shard).to_pylist()]


def test_filter_round_trip_keeps_what_translates_back(mock_teacher, cli_env, tmp_path):
    records = parallel_records()
    faithful = records[::2]
    for record in faithful:  # the teacher translates these back to their source; the rest come back as noise
        mock_teacher.state.phrasebook[record.messages[1]["content"]] = record.meta["source_text"]
    copied_source = parallel_records()[1]
    copied_source.messages[1]["content"] = copied_source.meta["source_text"] + " Thank you."
    path = tmp_path / "translations.jsonl"
    rows = [r.to_row() for r in [*records, copied_source]]
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")
    out = tmp_path / "out"
    args = ["filter", str(path), "--out", str(out), "--base-url", mock_teacher.url]
    done = run_cli([*args, "--round-trip-min-chrf", "50", "--judge-min-score", "1"], cli_env)
    assert done.returncode == 0, done.stderr
    kept = load_output(out, tmp_path)
    assert sorted(kept["id"]) == sorted(r.id for r in faithful)
    assert all(json.loads(s)["round_trip"] == {"chrf": 100.0, "bleu": 100.0} for s in kept["scores"])
    rejected = rejected_rows(out)
    reasons = [row["reject_reason"] for row in rejected]
    assert sorted(set(reasons)) == ["round_trip:low_chrf", "untranslated:copy_of_source"]
    assert all(json.loads(r["scores"])["round_trip"]["chrf"] < 50 for r in rejected if r["reject_reason"][0] == "r")
    asked = server_stats(mock_teacher)
    assert asked["task:translate text"] == len(records)  # one back-translation each; none for the cheap reject
    assert asked["task:judge record"] == len(faithful)  # the judge sees only what the round trip kept


def test_generate_with_judge_keeps_only_high_scores(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "out"
    done = run_cli(generate_args(mock_teacher.url, out, 40, "--judge-min-score", "3", "--max-turns", "2"), cli_env)
    assert done.returncode == 0, done.stderr
    kept = load_output(out, tmp_path)
    assert kept.num_rows == 40
    assert all(json.loads(s)["judge"]["score"] >= 3 for s in kept["scores"])
    judged_out = [row for row in rejected_rows(out) if row["reject_reason"] == "llm_judge:low_score"]
    assert judged_out  # the mock gives scores 1 to 5: some are below 3
    assert all(json.loads(row["scores"])["judge"]["score"] < 3 for row in judged_out)
    assert server_stats(mock_teacher)["task:judge record"] >= 40 + len(judged_out)
    filters = json.loads((out / "run_summary.json").read_text())["filters"]
    assert "llm_judge" in filters["steps"] and "round_trip" not in filters["steps"]
    assert filters["judge_min_score"] == 3
    assert "| judge_min_score | `3` |" in (out / "README.md").read_text()  # the card says how data was filtered


def check_against(faults: Faults, make_check, record: Record) -> str | None:
    """One teacher check of `record` against a mock teacher with these faults."""
    with MockServer(MockState(faults=faults)) as server:
        teacher = make_teacher(server.url, max_attempts=2)

        async def check() -> str | None:
            try:
                return await make_check(teacher).acheck(record)
            finally:
                await teacher.aclose()

        return asyncio.run(check())


def test_teacher_checks_reject_when_the_teacher_gives_no_usable_answer():
    record = parallel_records()[0]
    judge = check_against(Faults(malformed_json=1.0), lambda t: LlmJudge(t, judge_min_score=3), record)
    assert judge == "no_verdict"
    round_trip = check_against(Faults(empty=1.0), lambda t: RoundTrip(t, round_trip_min_chrf=50), record)
    assert round_trip == "no_answer"


def test_teacher_checks_are_off_by_default_and_need_a_teacher():
    from bayling_data.filters import FilterConfig, build_chain

    assert [step.name for step in build_chain(FilterConfig()).filters if step.name in ("round_trip", "llm_judge")] == []
    with pytest.raises(ValueError, match="need a teacher"):
        build_chain(FilterConfig(settings={"judge_min_score": 3}))
    with pytest.raises(ValueError, match="1 to 5"):
        FilterConfig(settings={"judge_min_score": 9}).validate()
