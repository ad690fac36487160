"""`bayling-data filter` on ShareGPT and Alpaca files with planted defects."""

from __future__ import annotations

import gzip
import json

from conftest import load_output, run_cli
from test_filters import sample

GOOD = [text for code, text in sample() if code == "deu_Latn"]
ENGLISH = [text for code, text in sample() if code == "eng_Latn"]


def sharegpt_rows() -> list[dict]:
    rows = []
    for i, de in enumerate(GOOD):
        rows.append(
            {
                "conversations": [
                    {"from": "human", "value": f"Schreib mir bitte einen Satz über den Alltag, Nummer {i}."},
                    {"from": "gpt", "value": de},
                ]
            }
        )
    rows.append(json.loads(json.dumps(rows[0])))  # exact duplicate
    rows.append(
        {
            "conversations": [
                {"from": "human", "value": "Schreib mir bitte einen Satz über das Wetter."},
                {"from": "gpt", "value": ENGLISH[1]},
            ]
        }
    )  # answer in the wrong language
    rows.append(
        {
            "conversations": [
                {"from": "human", "value": "Erzähl mir etwas über Züge, bitte."},
                {"from": "gpt", "value": "Als KI kann ich dazu leider nichts sagen."},
            ]
        }
    )  # refusal
    return rows


def test_filter_sharegpt_catches_planted_defects(cli_env, tmp_path):
    path = tmp_path / "chats.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in sharegpt_rows():
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    out = tmp_path / "clean"
    done = run_cli(["filter", str(path), "--out", str(out), "--lang", "de"], cli_env)
    assert done.returncode == 0, done.stderr
    kept = load_output(out, tmp_path)
    assert kept.num_rows == len(GOOD)
    summary = json.loads((out / "run_summary.json").read_text())
    reasons = summary["stats"]["counts"]["rejected_reason"]
    assert reasons == {
        "exact_dedup:duplicate": 1,
        "langid:wrong_language:deu_Latn": 1,
        "meta_talk:refusal_or_preamble": 1,
    }
    assert "exact_dedup:duplicate" in done.stdout  # the stats table is printed


def test_filter_splits_off_validation_and_writes_the_license(cli_env, tmp_path):
    """The dataset flags of generate (--val-fraction, --license) work on filter too, checked like any flag."""
    import datasets

    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in sharegpt_rows()), "utf-8")
    out = tmp_path / "clean"
    dataset_flags = ["--val-fraction", "0.3", "--license", "cc-by-4.0"]
    done = run_cli(["filter", str(path), "--out", str(out), "--lang", "de", *dataset_flags], cli_env)
    assert done.returncode == 0, done.stderr
    splits = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf"))
    assert splits["train"].num_rows + splits["validation"].num_rows == len(GOOD)
    assert 0 < splits["validation"].num_rows < len(GOOD) / 2
    assert "\nlicense: cc-by-4.0\n" in (out / "README.md").read_text("utf-8")
    refused = run_cli(["filter", str(path), "--out", str(tmp_path / "o2"), "--val-fraction", "1.5"], cli_env)
    assert refused.returncode == 2 and "--val-fraction" in refused.stderr and "Traceback" not in refused.stderr


def test_filter_alpaca_and_bad_lines(cli_env, tmp_path):
    path = tmp_path / "alpaca.jsonl"
    lines = [
        json.dumps({"instruction": "Übersetze ins Deutsche.", "input": en, "output": de}, ensure_ascii=False)
        for en, de in zip(ENGLISH, GOOD, strict=True)
    ]
    lines.insert(2, '{"instruction": "broken')
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "clean"
    failed = run_cli(["filter", str(path), "--out", str(out)], cli_env)
    assert failed.returncode == 2
    assert f"{path}:3" in failed.stderr and "--on-error skip" in failed.stderr

    done = run_cli(["filter", str(path), "--out", str(out), "--on-error", "skip", "--overwrite"], cli_env)
    assert done.returncode == 0, done.stderr
    assert load_output(out, tmp_path).num_rows == len(GOOD)
    assert json.loads((out / "run_summary.json").read_text())["stats"]["skipped_lines"] == 1
    assert f"{len(GOOD)}/{len(lines)} read" in done.stderr  # progress against the line count of the input


def test_input_size_for_progress(tmp_path):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    from bayling_data.sources.readers import count_rows

    (tmp_path / "rows.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n')
    pq.write_table(pa.table({"a": list(range(5))}), tmp_path / "rows.parquet")
    datasets.Dataset.from_dict({"a": list(range(4))}).save_to_disk(str(tmp_path / "saved"))
    assert count_rows(tmp_path / "rows.jsonl") == 3
    assert count_rows(tmp_path / "rows.parquet") == 5
    assert count_rows(tmp_path / "saved") == 4  # arrow files of a saved dataset
    with gzip.open(tmp_path / "rows.jsonl.gz", "wt") as handle:
        handle.write('{"a": 1}\n')
    assert count_rows(tmp_path / "rows.jsonl.gz") is None  # unknown without decompressing


def test_filter_unknown_format_is_an_error(cli_env, tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_text('{"question": "a", "answer": "b"}\n')
    done = run_cli(["filter", str(path), "--out", str(tmp_path / "o")], cli_env)
    assert done.returncode == 2
    assert "cannot recognise" in done.stderr and "--format" in done.stderr
    assert not (tmp_path / "o" / "data").exists()


def test_filter_keeps_going_past_unknown_language_codes(cli_env, tmp_path):
    """A record whose language the registry lacks never stops a run: it keeps the checks that need no
    classifier, and the summary and the card count such codes."""
    rows = []
    for i, (en, de) in enumerate(zip(ENGLISH, GOOD, strict=True)):
        tgt = "xyz_Latn" if i % 2 else "deu_Latn"
        messages = [{"role": "user", "content": f"Translate: {en}"}, {"role": "assistant", "content": de}]
        rows.append(
            {"task": "translate", "generator": "import", "src_lang": "eng_Latn", "tgt_lang": tgt, "messages": messages,
             "meta": {"source_text": en}}
        )  # fmt: skip
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n")
    out = tmp_path / "clean"
    done = run_cli(["filter", str(path), "--out", str(out), "--format", "bayling"], cli_env)
    assert done.returncode == 0, done.stderr
    assert load_output(out, tmp_path).num_rows == len(rows)
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["stats"]["counts"]["unknown_language"] == {"xyz_Latn": len(rows) // 2}
    assert summary["stats"]["counts"]["script_only_language"] == {"xyz_Latn": len(rows) // 2}  # said, not hidden
    assert "xyz_Latn" in (out / "README.md").read_text()

    strict = tmp_path / "strict.yaml"
    strict.write_text("unknown_langs: reject\n")
    done = run_cli(["filter", str(path), "--out", str(tmp_path / "strict"), "--filters", str(strict)], cli_env)
    assert done.returncode == 0, done.stderr
    reasons = json.loads((tmp_path / "strict" / "run_summary.json").read_text())["stats"]["counts"]["rejected_reason"]
    assert reasons == {"langid:unknown_language:xyz_Latn": len(rows) // 2}


def test_unknown_language_on_the_command_line_is_an_error(cli_env, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "ho"}]}\n')
    done = run_cli(["filter", str(path), "--out", str(tmp_path / "o"), "--lang", "lmo_latn_x"], cli_env)
    assert done.returncode == 2
    assert "unknown language" in done.stderr and "Traceback" not in done.stderr


def _rejected_reasons(out) -> dict[str, int]:
    return json.loads((out / "run_summary.json").read_text())["stats"]["counts"]["rejected_reason"]


def _chat(request: str, answer: str) -> dict:
    return {"conversations": [{"from": "human", "value": request}, {"from": "gpt", "value": answer}]}


HELP_EN = "Usage:\n  gresource [--section SECTION] COMMAND [ARGS…]\n\nCommands:\n  help      Show this information"
HELP_DE = "Aufruf:\n  gresource [--section SECTION] BEFEHL [ARGUMENTE …]\n\nBefehle:\n  help      Hilfe anzeigen"


def test_imported_translations_are_checked_against_the_source_inside_the_request(cli_env, tmp_path):
    """No `meta.source_text`: the source is the text after the request, and the checks that compare a
    translation with its source run (a changed number is caught; command-line help whose option names a
    translation keeps is not an echo of the request)."""
    pairs = [*zip(ENGLISH, GOOD, strict=True), (HELP_EN, HELP_DE)]
    rows = [_chat(f"Übersetze ins Deutsche:\n\n{en}", de) for en, de in pairs]
    rows.append(_chat("Translate into German: There are 25 items in your basket.", "Es gibt 52 Artikel im Korb."))
    rows.append(_chat("Übersetze bitte ins Deutsche", GOOD[0]))  # no text to translate: not found
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    out = tmp_path / "clean"
    done = run_cli(["filter", str(path), "--out", str(out), "--lang", "de", "--source-lang", "en"], cli_env)
    assert done.returncode == 0, done.stderr
    assert _rejected_reasons(out) == {"qa_numbers:missing": 1}
    kept = load_output(out, tmp_path)
    assert HELP_DE in [messages[1]["content"] for messages in kept["messages"]]
    assert set(kept["task"]) == {"translate"}
    found = json.loads((out / "run_summary.json").read_text())["stats"]["counts"]["source_found"]
    assert found == {"sharegpt: paragraphs": len(pairs), "sharegpt: after_colon": 1, "sharegpt: not_found": 1}
    assert "| sharegpt: not_found | 1 |" in (out / "README.md").read_text()


def test_source_field_names_where_the_source_is(cli_env, tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "Auf Deutsch."}, {"role": "assistant", "content": de}], "src": en}
        for en, de in zip(ENGLISH, GOOD, strict=True)
    ]
    rows[0]["messages"][1]["content"] = rows[1]["messages"][1]["content"] + " " + GOOD[0]  # a sentence added
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    out = tmp_path / "clean"
    done = run_cli(["filter", str(path), "--out", str(out), "--lang", "de", "--source-field", "src"], cli_env)
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["stats"]["counts"]["source_found"] == {"messages: field": len(rows)}
    assert _rejected_reasons(out) == {"length_ratio:too_long": 1}  # the added sentence

    wrong = run_cli(["filter", str(path), "--out", str(tmp_path / "x"), "--source-lang", "klingonish"], cli_env)
    assert wrong.returncode == 2 and "--source-lang: unknown language 'klingonish'" in wrong.stderr
