"""Every language asked for, or a clear account of why not: planned against kept, the shortfall report,
--strict-balance, and slots that keep their direction through rejects (real mock teacher on 127.0.0.1)."""

from __future__ import annotations

import json
from collections import Counter

from conftest import generate_args, load_output, run_cli

from bayling_data.pipeline.balance import LanguageWatch, plan_table, shortfalls
from bayling_data.testing.mock_teacher import Faults, MockServer, MockState


def test_a_language_the_teacher_cannot_write_is_named_short_with_its_reasons(cli_env, tmp_path):
    out = tmp_path / "out"
    with MockServer(MockState(faults=Faults(fail_langs=("swh_Latn",)))) as server:
        done = run_cli(generate_args(server.url, out, 30, langs="zh,en,sw"), cli_env)
        strict = run_cli(
            generate_args(server.url, tmp_path / "strict", 30, "--strict-balance", langs="zh,en,sw"), cli_env
        )
    assert done.returncode == 0, done.stderr
    assert "short of the plan" in done.stderr
    assert "swh_Latn (language): 0 kept of 20 planned; langid:wrong_language:swh_Latn" in done.stderr
    assert "warning: swh_Latn:" in done.stderr  # said while the run went
    balance = json.loads((out / "run_summary.json").read_text())["balance"]
    short = {(s["table"], s["key"]): s for s in balance["shortfalls"]}
    assert short[("language", "swh_Latn")]["planned"] == 20 and short[("language", "swh_Latn")]["kept"] == 0
    assert ("language", "zho_Hans") not in short
    assert balance["warnings"] and "swh_Latn" in balance["warnings"][0]
    card = (out / "README.md").read_text()
    assert "## Planned against kept" in card and "| swh_Latn (short) | 20 | 0 | 0.0% |" in card

    assert strict.returncode == 3, strict.stderr
    assert "--strict-balance" in strict.stderr and "Traceback" not in strict.stderr
    assert load_output(tmp_path / "strict", tmp_path).num_rows == 30  # everything kept is written


def test_directions_stay_balanced_when_many_tries_are_rejected(cli_env, tmp_path):
    """A slot that fails its first round keeps its direction for more rounds: no direction fills in for
    another; the shortfall report then names only what really fell short (turn types cut by bad answers)."""
    out = tmp_path / "out"
    with MockServer(MockState(faults=Faults(wrong_language=0.3))) as server:
        done = run_cli(generate_args(server.url, out, 60), cli_env)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "run_summary.json").read_text())
    assert set(summary["stats"]["counts"]["direction"].values()) == {10}
    assert not [s for s in summary["balance"]["shortfalls"] if s["table"] in ("direction", "language")]


def _stats(kept: dict[str, dict[str, int]], rejected: dict[str, int]) -> dict:
    counts = {**{table: Counter(values) for table, values in kept.items()}, "rejected_by_language": Counter(rejected)}
    return {"kept": sum(kept.get("direction", {}).values()), "counts": counts}


def test_a_shortfall_needs_more_than_the_tolerance_and_two_records():
    planned = Counter({"eng_Latn -> deu_Latn": 100, "eng_Latn -> swh_Latn": 100, "deu_Latn -> eng_Latn": 3})
    kept = {
        "direction": {"eng_Latn -> deu_Latn": 96, "eng_Latn -> swh_Latn": 90, "deu_Latn -> eng_Latn": 2},
        "language": {"eng_Latn": 194, "deu_Latn": 98, "swh_Latn": 90},
    }
    stats = _stats(kept, {"swh_Latn\tlangid:wrong_language:swh_Latn": 40, "eng_Latn\tqa_numbers:missing": 2})
    found = shortfalls(plan_table(planned, stats), stats, tolerance=0.05)
    assert [(s.table, s.key) for s in found] == [("direction", "eng_Latn -> swh_Latn"), ("language", "swh_Latn")]
    assert found[1].reasons == [("langid:wrong_language:swh_Latn", 40)]
    assert "swh_Latn (language): 90 kept of 100 planned" in found[1].line()


def test_a_language_is_flagged_once_its_recent_tries_fail_far_more_than_the_others():
    watch = LanguageWatch(window=10, share=0.9, gap=0.3)
    flagged = []
    for i in range(40):
        flagged += watch.see(["eng_Latn", "deu_Latn"], rejected=i % 5 == 0)  # 20% rejected
        flagged += watch.see(["eng_Latn", "swh_Latn"], rejected=True)
    assert watch.failing == {"swh_Latn"}
    assert len(flagged) == 1 and flagged[0][0] == "swh_Latn"
    assert flagged[0][1].startswith("swh_Latn: 10 of its last 10 tries rejected")
