"""`bayling-data generate` end to end: a CLI subprocess against the mock teacher, loaded back with datasets."""

from __future__ import annotations

import json

import pytest
from conftest import generate_args, load_output, run_cli, server_stats

from bayling_data.testing.mock_teacher import MockServer, MockState


def test_generate_then_resume_makes_no_request(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "run"
    done = run_cli(generate_args(mock_teacher.url, out), cli_env)
    assert done.returncode == 0, done.stderr
    served = server_stats(mock_teacher)["completions"]
    assert served > 200

    dataset = load_output(out, tmp_path)
    assert dataset.num_rows == 200
    assert len(set(dataset["id"])) == 200
    first = dataset[0]["messages"]
    assert isinstance(first, list) and set(first[0]) == {"role", "content"}
    assert {m["role"] for m in first} <= {"user", "assistant"}
    assert set(dataset["src_lang"]) == {"zho_Hans", "eng_Latn", "deu_Latn"}

    again = run_cli([*generate_args(mock_teacher.url, out), "--resume"], cli_env)
    assert again.returncode == 0, again.stderr
    assert server_stats(mock_teacher)["completions"] == served  # zero new teacher requests

    card = (out / "README.md").read_text()
    assert card.startswith("---\n") and "configs:" in card and "zh" in card
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["stats"]["kept"] == 200


def test_rerun_with_overwrite_is_served_from_cache(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "run"
    assert run_cli(generate_args(mock_teacher.url, out, 30), cli_env).returncode == 0
    served = server_stats(mock_teacher)["completions"]
    rerun = run_cli([*generate_args(mock_teacher.url, out, 30), "--overwrite"], cli_env)
    assert rerun.returncode == 0, rerun.stderr
    assert server_stats(mock_teacher)["completions"] == served


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--langs", "zh,klingon"], "unknown language 'klingon'"),
        (["--langs", "zh,germna"], "did you mean"),
        (["--n", "0"], "--n must be a positive"),
        (["--n", "-3"], "--n must be a positive"),
        (["--turn-mix", "dance=1"], "unknown turn type"),
        (["--teacher", "bogus"], "--teacher: must be one of auto, local, remote, got 'bogus'"),
        (["--timeout", "0"], "Invalid value for '--timeout'"),
    ],
)
def test_bad_options_give_clear_errors(mock_teacher, cli_env, tmp_path, args, message):
    base = generate_args(mock_teacher.url, tmp_path / "run", 5)
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[base.index(flag) + 1 if flag in base else len(base) :] = (
            [value, *base[base.index(flag) + 2 :]] if flag in base else [flag, value]
        )
    done = run_cli(base, cli_env)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_existing_output_needs_resume_or_overwrite(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "run"
    assert run_cli(generate_args(mock_teacher.url, out, 5), cli_env).returncode == 0
    done = run_cli(generate_args(mock_teacher.url, out, 5), cli_env)
    assert done.returncode == 2
    # a finished run has nothing left to resume: only --overwrite makes it again
    assert "already exists: use --overwrite" in done.stderr and "--resume" not in done.stderr


def test_overwrite_refuses_a_folder_that_is_not_ours(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.txt").write_text("do not delete")
    done = run_cli([*generate_args(mock_teacher.url, out, 5), "--overwrite"], cli_env)
    assert done.returncode == 2 and "refusing to delete" in done.stderr
    assert (out / "thesis.txt").exists()


def test_unreachable_endpoint(cli_env, tmp_path):
    with MockServer(MockState()) as server:
        url = server.url
    done = run_cli(generate_args(url, tmp_path / "run", 5), cli_env)
    assert done.returncode != 0
    assert "cannot reach the teacher" in done.stderr and "Traceback" not in done.stderr


def test_bad_api_key(cli_env, tmp_path):
    secret = "sk-wrong-secret-0123456789"
    with MockServer(MockState(api_key="sk-right")) as server:
        done = run_cli(
            [*generate_args(server.url, tmp_path / "run", 5), "--model", "m"], {**cli_env, "OPENAI_API_KEY": secret}
        )
    assert done.returncode != 0
    assert "refused the API key" in done.stderr
    assert secret not in done.stderr + done.stdout


def test_seed_texts_from_source_files(mock_teacher, cli_env, tmp_path):
    """--source as txt and as a saved HF dataset: seeds are used, their language detected, origins kept."""
    import datasets
    from test_filters import sample

    texts = [(code, text) for code, text in sample() if code in ("eng_Latn", "deu_Latn")]
    txt = tmp_path / "seeds.txt"
    txt.write_text("\n".join(text for _, text in texts) + "\n")
    saved = tmp_path / "seeds_ds"
    datasets.Dataset.from_dict({"sentence": [t for _, t in texts]}).save_to_disk(str(saved))
    language = dict((text, code) for code, text in texts)
    for source, extra in ((txt, []), (saved, ["--source-column", "sentence"])):
        out = tmp_path / f"out-{source.name}"
        done = run_cli(generate_args(mock_teacher.url, out, 8, "--source", str(source), *extra, langs="en,de"), cli_env)
        assert done.returncode == 0, done.stderr
        rows = load_output(out, tmp_path)
        for row in rows:
            meta = json.loads(row["meta"])
            assert meta["source_text"] in language
            assert language[meta["source_text"]] == row["src_lang"]  # detected per seed
            assert str(source) in meta["seed"]["origin"]


def test_missing_source_column_is_reported_with_its_location(mock_teacher, cli_env, tmp_path):
    source = tmp_path / "seeds.jsonl"
    source.write_text('{"sentence": "Hello there, how are you today?"}\n')
    done = run_cli(generate_args(mock_teacher.url, tmp_path / "o", 2, "--source", str(source), langs="en,de"), cli_env)
    assert done.returncode == 2
    assert f"{source}:1" in done.stderr and "--source-column" in done.stderr


def test_shards_are_disjoint_deterministic_and_merge(mock_teacher, cli_env, tmp_path):
    parts = []
    for k in range(3):
        out = tmp_path / f"shard{k}"
        done = run_cli(generate_args(mock_teacher.url, out, 41, "--shard", f"{k}/3"), cli_env)
        assert done.returncode == 0, done.stderr
        parts.append(load_output(out, tmp_path))
    assert [p.num_rows for p in parts] == [14, 14, 13]  # 41 split over 3 shards
    indices = [{json.loads(m)["index"] for m in p["meta"]} for p in parts]
    assert all(i % 3 == k for k, found in enumerate(indices) for i in found)  # disjoint by construction
    again = run_cli(generate_args(mock_teacher.url, tmp_path / "again", 41, "--shard", "1/3"), cli_env)
    assert again.returncode == 0
    assert load_output(tmp_path / "again", tmp_path)["id"] == parts[1]["id"]  # deterministic

    merged = tmp_path / "merged"
    done = run_cli(
        ["merge", *(str(tmp_path / f"shard{k}") for k in range(3)), str(tmp_path / "again"), "--out", str(merged)],
        cli_env,
    )
    assert done.returncode == 0, done.stderr
    dataset = load_output(merged, tmp_path)
    assert dataset.num_rows == 41  # the repeated shard 1 was removed as duplicates
    assert sorted(dataset["id"]) == sorted(i for p in parts for i in p["id"])


def test_shard_size_in_megabytes(mock_teacher, cli_env, tmp_path):
    out = tmp_path / "run"
    done = run_cli(generate_args(mock_teacher.url, out, 60, "--shard-mb", "0.01", langs="en,de"), cli_env)
    assert done.returncode == 0, done.stderr
    shards = sorted((out / "data").glob("train-*.parquet"))
    assert len(shards) > 1
    assert all(s.name.endswith(f"-of-{len(shards):05d}.parquet") for s in shards)
    assert all(s.stat().st_size < 3 * 0.01 * 2**20 for s in shards)  # about the size asked for
    assert load_output(out, tmp_path).num_rows == 60


def test_generator_options_belong_to_their_generator(mock_teacher, cli_env, tmp_path):
    """A generator's flags come from the options it declares; the resume fingerprint holds only those, so
    another generator's option changed on --resume is ignored, and a changed option of this one refused."""
    out = tmp_path / "run"
    args = generate_args(mock_teacher.url, out, 30, "--max-turns", "2")
    stopped = run_cli([*args, "--max-requests", "20"], cli_env)
    assert stopped.returncode == 1, stopped.stderr
    irrelevant = run_cli([*args, "--resume", "--pivot-lang", "de"], cli_env)
    assert irrelevant.returncode == 0, irrelevant.stderr
    assert "ignored: pivot_lang" in irrelevant.stderr
    state = json.loads((out / ".bayling" / "state.json").read_text())
    assert state["config"]["gen.max_turns"] == 2 and "gen.pivot_lang" not in state["config"]

    changed = run_cli([*generate_args(mock_teacher.url, tmp_path / "other", 30, "--max-turns", "3")], cli_env)
    assert changed.returncode == 0
    refused = run_cli(
        [*generate_args(mock_teacher.url, tmp_path / "other", 30, "--max-turns", "4"), "--resume"], cli_env
    )
    assert refused.returncode == 2 and "gen.max_turns: was 3, now 4" in refused.stderr

    bad = run_cli(generate_args(mock_teacher.url, tmp_path / "bad", 5, "--max-turns", "many"), cli_env)
    assert bad.returncode == 2 and "--max-turns: expected a whole number, got 'many'" in bad.stderr
    unknown = run_cli(generate_args(mock_teacher.url, tmp_path / "bad", 5, "--max-turnz", "2"), cli_env)
    assert unknown.returncode == 2 and "no such option: --max-turnz" in unknown.stderr


def test_jsonl_output_loads_with_datasets_and_is_pushed(mock_teacher, cli_env, tmp_path):
    from bayling_data.export.push import files_to_push

    out = tmp_path / "run"
    done = run_cli(generate_args(mock_teacher.url, out, 30, "--format", "jsonl", "--shard-rows", "20"), cli_env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (out / "data").iterdir()) == [
        "train-00000-of-00002.jsonl",
        "train-00001-of-00002.jsonl",
    ]
    rows = load_output(out, tmp_path)
    assert rows.num_rows == 30 and rows[0]["messages"][0]["role"] == "user"
    assert json.loads(rows[0]["meta"])  # the same columns as the parquet output
    assert files_to_push(out)[:2] == ["data/train-00000-of-00002.jsonl", "data/train-00001-of-00002.jsonl"]

    merged = tmp_path / "merged"
    done = run_cli(["merge", str(out), "--out", str(merged), "--output-format", "jsonl"], cli_env)  # read back too
    assert done.returncode == 0, done.stderr
    assert load_output(merged, tmp_path).num_rows == 30
    assert sorted(p.suffix for p in (merged / "data").iterdir()) == [".jsonl"]  # filter's flag name works here too
    bad = run_cli(generate_args(mock_teacher.url, tmp_path / "x", 5, "--format", "csv"), cli_env)
    assert bad.returncode == 2 and "unknown output format 'csv'" in bad.stderr
