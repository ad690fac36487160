"""User turns written by the teacher (checked in code, template fallback), the early per-turn stop, the
balance over kept records and the diversity figures, against the mock teacher over HTTP."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from conftest import generate_args, load_output, run_cli, server_stats

from bayling_data.filters import FilterConfig, build_chain
from bayling_data.generators.support.user_turns import Intent, UserTurnWriter
from bayling_data.languages import get
from bayling_data.resources import templates
from bayling_data.testing.mock_teacher import Faults, MockServer, MockState

# The mock writes text that the classifiers recognise in these nine (five have no templates).
NINE = "eng_Latn,zho_Hans,deu_Latn,fra_Latn,spa_Latn,rus_Cyrl,jpn_Jpan,kor_Hang,arb_Arab"


@pytest.fixture(scope="module")
def writer() -> UserTurnWriter:
    return UserTurnWriter("teacher", templates("interactive_translation"), build_chain(FilterConfig()))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Pourriez-vous reprendre la traduction en utilisant le mot « rapide », s'il vous plaît ?", ""),
        ("Merci de revoir la traduction, elle doit être un peu plus naturelle pour nos lecteurs.", "missing_required"),
        ("Could you please rework the translation so that it uses the word rapide somewhere?", "wrong_language"),
        ("", "empty"),
        ("Voici la traduction : Le train rapide part à huit heures du matin.", "answers_itself"),
        ("Utilisez « rapide » " + "encore et encore " * 40, "too_long"),
    ],
)
def test_a_written_user_turn_is_checked_before_use(writer, text, problem):
    intent = Intent("refine.include", {"words": "rapide"}, ["rapide"])
    avoid = ["Le train rapide part à huit heures du matin."]
    assert writer.problem(text, intent, get("fra_Latn"), avoid) == problem


def test_an_inflected_language_name_counts_as_named(writer):
    intent = Intent("translate", {"tgt": "Deutsch"}, ["Deutsch"])
    assert writer.problem("Kannst du mir das bitte ins Deutsche übersetzen?", intent, get("deu_Latn"), []) == ""
    assert writer.problem("Kannst du mir das bitte übersetzen?", intent, get("deu_Latn"), []) == "missing_required"


def _generate(server: MockServer, cli_env, out, n: int, *extra: str, langs: str = "zh,en,de,fr,ja"):
    result = run_cli(generate_args(server.url, out, n, *extra, langs=langs), cli_env)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "run_summary.json").read_text())


def test_teacher_written_user_turns_in_nine_languages(cli_env, tmp_path, writer):
    with MockServer(MockState()) as server:
        summary = _generate(
            server, cli_env, tmp_path / "out", 400, "--user-turns", "teacher", "--instruction-langs", NINE
        )
    rows = load_output(tmp_path / "out", tmp_path)
    by_lang = Counter(json.loads(row["meta"])["instruction_lang"] for row in rows)
    assert len(by_lang) == 9 and min(by_lang.values()) >= 25
    writers = summary["stats"]["counts"]["user_turns"]
    assert writers["teacher"] > 0.9 * sum(writers.values())
    # the mock misses required words and writes in the wrong language now and then: both fall back
    assert any(k.startswith("fallback:missing_required") for k in writers)
    assert any(k.startswith("fallback:wrong_language") for k in writers)
    checked = 0
    for row in rows:
        meta = json.loads(row["meta"])
        instr = get(meta["instruction_lang"])
        users = [m["content"] for m in row["messages"] if m["role"] == "user"]
        assert len(users) == len(meta["plan"]) == len(meta["user_turn_writers"])
        for position, (text, who) in enumerate(zip(users, meta["user_turn_writers"], strict=True)):
            request = text.replace(meta["source_text"], " ") if position == 0 else text
            if who == "teacher":  # in its instruction language, and not answering itself
                assert writer.problem(request, Intent("explain.grammar", {}), instr, []) == "", text
                checked += 1
            else:  # a template of an instruction language that has them
                assert meta["instruction_lang"] in templates("interactive_translation")
        for constraint in meta["constraints"]:
            for word in [*constraint.get("words", []), *filter(None, [constraint.get("wrong")])]:
                assert word.casefold() in users[constraint["turn"]].casefold()
    assert checked > 0.9 * sum(len(json.loads(r["meta"])["plan"]) for r in rows)
    for figures in summary["diversity"].values():
        assert figures["user"]["distinct_turn_share"] >= 0.9
    card = (tmp_path / "out" / "README.md").read_text()
    assert "Diversity and cost" in card and "kor_Hang" in card


def test_template_mode_needs_templates(cli_env, tmp_path):
    with MockServer(MockState()) as server:
        result = run_cli(
            generate_args(server.url, tmp_path / "out", 5, "--user-turns", "template", "--instruction-langs", "sw"),
            cli_env,
        )
    assert result.returncode == 2
    assert re.search(r"no templates for instruction language.*swh_Latn.*--user-turns teacher", result.stderr)


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--instruction-langs", "fr,zzz"], "--instruction-langs: unknown language 'zzz'"),
        (["--min-turns", "3", "--max-turns", "2"], "need --min-turns <= --max-turns"),
        (["--turn-mix", "refine=2,dance=1"], "--turn-mix: unknown turn type 'dance'"),
        (["--no-turn-checks=false"], "--no-turn-checks takes no value"),
    ],
)
def test_bad_generator_options_are_refused_before_the_teacher_is_asked(flags, said, cli_env, tmp_path):
    with MockServer(MockState()) as server:
        result = run_cli(generate_args(server.url, tmp_path / "out", 5, *flags), cli_env)
        asked = server_stats(server)
    assert result.returncode == 2 and said in result.stderr
    assert asked.get("models", 0) == 0 and asked.get("requests", 0) == 0
    assert not (tmp_path / "out").exists()


def test_early_stop_halves_requests_spent_on_rejected_dialogues(cli_env, tmp_path):
    faulty = MockState(faults=Faults(wrong_language=0.1))
    with MockServer(faulty) as server:
        late = _generate(server, cli_env, tmp_path / "late", 200, "--no-turn-checks")
        early = _generate(server, cli_env, tmp_path / "early", 200)

    def wasted(summary):
        spend = summary["stats"]["counts"]["spend"]
        return spend["rejected_requests"] / (spend["rejected_requests"] + spend["kept_requests"])

    assert wasted(early) <= wasted(late) / 2
    assert early["stats"]["counts"]["cut_short"]  # later turns that failed were cut, the dialogue kept
    rows = load_output(tmp_path / "early", tmp_path)
    for row in rows:
        meta = json.loads(row["meta"])
        if "cut_short" in meta:
            assert len(meta["plan"]) < meta["cut_short"]["planned_turns"]
            assert len(row["messages"]) == 2 * len(meta["plan"])


def test_balance_holds_over_kept_records_and_shards(cli_env, tmp_path):
    faulty = MockState(faults=Faults(wrong_language=0.15))
    with MockServer(faulty) as server:
        _generate(server, cli_env, tmp_path / "all", 600, langs="zh,en,de")
        for k in (0, 1):
            _generate(server, cli_env, tmp_path / f"s{k}", 600, "--shard", f"{k}/2", langs="zh,en,de")
    rows = load_output(tmp_path / "all", tmp_path)
    directions = Counter((row["src_lang"], row["tgt_lang"]) for row in rows)
    assert len(directions) == 6 and set(directions.values()) == {100}
    shards = [row for k in (0, 1) for row in load_output(tmp_path / f"s{k}", tmp_path)]
    assert Counter((row["src_lang"], row["tgt_lang"]) for row in shards) == directions
    assert sorted(row["id"] for row in shards) == sorted(row["id"] for row in rows)
