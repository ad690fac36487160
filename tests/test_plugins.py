"""A plugin installed from another package: its generator and its filter step run from the CLI with their own
flags, and show in --help, with no file of bayling-data edited (examples/plugin)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import generate_args, load_output, run_cli

from bayling_data.records import META_CONTRACT, Facts, generated
from bayling_data.testing.mock_teacher import MockServer, MockState

PLUGIN = Path(__file__).resolve().parent.parent / "examples" / "plugin"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """The example plugin installed into a folder of its own (on PYTHONPATH for the CLI runs only)."""
    target = tmp_path_factory.mktemp("plugin")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PLUGIN),
        ],
        check=True,
    )
    return target


def test_plugin_generator_and_filter_run_with_their_own_flags(plugin_path, cli_env, tmp_path):
    env = {**cli_env, "PYTHONPATH": str(plugin_path)}
    helped = run_cli(["generate", "--help"], env)
    assert "topic_questions: --topic (travel)" in helped.stdout
    assert "min_answer_words: --min-answer-words (3)" in helped.stdout
    out = tmp_path / "topics"
    with MockServer(MockState()) as server:
        args = generate_args(server.url, out, 6, "--generator", "topic_questions", "--topic", "trains", langs="en,de")
        done = run_cli([*args, "--min-answer-words", "4"], env)
        assert done.returncode == 0, done.stderr
    rows = load_output(out, tmp_path)
    assert rows.num_rows == 6 and set(rows["generator"]) == {"topic_questions"}
    assert all("trains" in messages[0]["content"] for messages in rows["messages"])
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["config"]["gen.topic"] == "trains"
    assert "min_answer_words" in summary["filters"]["steps"] and summary["filters"]["min_answer_words"] == 4
    assert all(json.loads(scores)["answer_words"] >= 4 for scores in rows["scores"])

    wrong = run_cli([*args, "--min-answer-words", "0", "--overwrite"], env)
    assert wrong.returncode == 2 and "min_answer_words: must be from 1 to 10000" in wrong.stderr


def test_the_record_facts_are_the_meta_contract_and_are_checked():
    """What generators state (`Facts`) is exactly what filters may read (META_CONTRACT), and a generator
    that states a fact of the wrong shape is stopped where it builds the record."""
    assert set(Facts.__dataclass_fields__) == set(META_CONTRACT)
    facts = Facts(plan=["translate"], turn_langs=[None, "deu_Latn"], finish_reasons=["stop"], source_text="Hi.")
    messages = [{"role": "user", "content": "Translate: Hi."}, {"role": "assistant", "content": "Hallo."}]
    record = generated("translate", "mine", "eng_Latn", "deu_Latn", messages, facts, topic="greetings")
    assert record.meta == {
        "topic": "greetings",
        "plan": ["translate"],
        "turn_langs": [None, "deu_Latn"],
        "finish_reasons": ["stop"],
        "source_text": "Hi.",
    }
    wrong = Facts(plan=["translate"], turn_langs="deu_Latn", finish_reasons=["stop"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"generator mine: meta\.turn_langs must be a list of language codes"):
        generated("translate", "mine", "eng_Latn", "deu_Latn", messages, wrong)
