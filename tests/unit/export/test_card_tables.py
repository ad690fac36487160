"""The card's tables add up: shares over the right total, every reject counted under a language."""

from __future__ import annotations

import re

from bayling_data.export.card import stats_tables
from bayling_data.records import Record
from bayling_data.stats import RunStats


def _record(src: str, tgt: str, calls: int) -> Record:
    messages = [{"role": "user", "content": f"{src} {tgt} {calls}"}, {"role": "assistant", "content": "x"}]
    return Record("translate", "g", src, tgt, messages, meta={"usage": {"calls": calls, "prompt_tokens": 100}})


def _rows(tables: str, title: str) -> list[list[str]]:
    section = tables.split(f"### {title}", 1)[1].split("###", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")][2:]  # past the header and the rule
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table]


def test_language_shares_are_of_records_and_rejects_by_language_sum_to_the_rejects():
    stats = RunStats()
    for _ in range(3):
        stats.add_kept(_record("eng_Latn", "deu_Latn", 2))
    stats.add_kept(_record("deu_Latn", "zho_Hans", 2))
    stats.add_rejected("langid:wrong_language", _record("eng_Latn", "zho_Hans", 3))
    stats.add_rejected("generator:teacher_failed:timeout", None, {"calls": 1})
    tables = stats_tables(stats.to_dict())
    languages = {row[0]: row[2] for row in _rows(tables, "Records with each language")}
    assert languages == {"deu_Latn": "100.0%", "eng_Latn": "75.0%", "zho_Hans": "25.0%"}  # of 4 records, not 8
    rejected = {row[0]: int(row[1]) for row in _rows(tables, "Rejected, by target language")}
    assert sum(rejected.values()) == stats.rejected == 2 and rejected["(no record)"] == 1
    spend = {row[0]: row[1:] for row in _rows(tables, "Teacher spend")}
    assert spend["requests"] == ["8", "4", "33.3%"]  # requests with requests, tokens with tokens
    assert spend["prompt tokens"] == ["400", "100", "20.0%"]
    assert not re.search(r"\| kept_requests \|", tables)


def test_semantic_margins_are_summed_up_per_language():
    stats = RunStats()
    for margin in (0.90, 0.97, 1.01, 1.02, 1.03, 1.05, 1.05, 1.06, 1.08, 1.10):
        record = _record("eng_Latn", "deu_Latn", 1)
        record.scores["semantic"] = {"cosine": 0.9, "margin": margin}
        stats.add_kept(record)
    unscored = _record("eng_Latn", "fra_Latn", 1)
    stats.add_rejected("semantic:unfaithful", unscored)  # a cosine only: no margin band
    rows = _rows(stats_tables(stats.to_dict()), "Semantic margin of translations")
    assert rows == [["deu_Latn", "10", "0.96", "1.04"]]
