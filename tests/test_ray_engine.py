"""`filter --engine ray` on a local Ray instance keeps exactly what the local engine keeps."""

from __future__ import annotations

import json
import random

import pytest
from conftest import load_output, run_cli
from test_filters import sample

pytest.importorskip("ray", reason='the Ray engine test needs Ray: pip install ".[dev]"')


def corpus(path) -> None:
    """German chats with duplicates, near-duplicates (in other blocks too) and wrong-language answers."""
    german = [text.rstrip(".").split() for code, text in sample() if code == "deu_Latn"]
    english = [text for code, text in sample() if code == "eng_Latn"]
    rng = random.Random(7)
    rows = []
    for i in range(3000):
        words = [w for sentence in rng.sample(german, 3) for w in sentence]
        answer = " ".join(rng.sample(words, rng.randint(14, 24))) + "."
        if rows and i % 50 == 7:
            row = json.loads(json.dumps(rng.choice(rows)))  # an exact duplicate of an earlier row
        elif rows and i % 50 == 11:
            row = json.loads(json.dumps(rows[rng.randrange(len(rows))]))
            row["conversations"][1]["value"] = row["conversations"][1]["value"].replace(" ", "  ", 1) + " Ja"
        else:
            if i % 50 == 13:
                answer = rng.choice(english) + f" ({i})"
            row = {
                "conversations": [
                    {"from": "human", "value": f"Schreib mir bitte einen Satz, Nummer {i}."},
                    {"from": "gpt", "value": answer},
                ]
            }
        rows.append(row)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")


def test_ray_engine_keeps_what_the_local_engine_keeps(cli_env, tmp_path):
    source = tmp_path / "chats.jsonl"
    corpus(source)
    local = run_cli(["filter", str(source), "--out", str(tmp_path / "local"), "--lang", "de"], cli_env)
    assert local.returncode == 0, local.stderr
    distributed = run_cli(
        [
            "filter",
            str(source),
            "--out",
            str(tmp_path / "ray"),
            "--lang",
            "de",
            "--engine",
            "ray",
            "--shard-rows",
            "500",
        ],
        cli_env,
        timeout=600,
    )
    assert distributed.returncode == 0, distributed.stderr
    kept_local = load_output(tmp_path / "local", tmp_path)
    kept_ray = load_output(tmp_path / "ray", tmp_path)
    assert kept_ray.num_rows == kept_local.num_rows > 2500
    assert kept_ray["id"] == kept_local["id"]  # same records, same order
    reasons = [
        json.loads((tmp_path / d / "run_summary.json").read_text())["stats"]["counts"]["rejected_reason"]
        for d in ("local", "ray")
    ]
    assert reasons[0] == reasons[1]
    assert {"exact_dedup:duplicate", "near_dedup:near_duplicate", "langid:wrong_language:deu_Latn"} <= set(reasons[0])


def test_ray_engine_runs_the_semantic_check(cli_env, tmp_path, german_pairs):
    """Each Ray worker runs the check on one thread (a worker holds one CPU) and writes its scores."""
    rows = [{"instruction": "Übersetze ins Deutsche.", "input": s, "output": t} for s, t in german_pairs[:60]]
    for row, (_, other) in zip(rows[-6:], german_pairs[60:66], strict=True):
        row["output"] = other  # the translation of another sentence
    path = tmp_path / "alpaca.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    args = ["filter", str(path), "--out", str(tmp_path / "out"), "--lang", "de", "--semantic-min-score", "0.92"]
    done = run_cli([*args, "--engine", "ray"], cli_env, timeout=600)
    assert done.returncode == 0, done.stderr
    reasons = json.loads((tmp_path / "out" / "run_summary.json").read_text())["stats"]["counts"]["rejected_reason"]
    assert reasons.get("semantic:unfaithful", 0) >= 2, reasons
    kept = load_output(tmp_path / "out", tmp_path)
    assert kept.num_rows >= 50 and all("semantic" in json.loads(scores) for scores in kept["scores"])
