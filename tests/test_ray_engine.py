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
