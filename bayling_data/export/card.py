"""The dataset card (README.md): the Hub's YAML header plus tables of what the run made."""

from __future__ import annotations

from typing import Any

import yaml

from bayling_data import __version__, diversity, languages
from bayling_data.run_state import RunState

TABLE_TITLES = {
    "language": "Records with each language (as source or target: a record counts for both; share of records)",
    "direction": "Records per direction",
    "generator": "Records per generator",
    "task": "Records per task",
    "turn_type": "Turns per turn type",
    "instruction_lang": "Dialogues per instruction language",
    "rejected_reason": "Rejected, by reason",
    "rejected_language": "Rejected, by target language",
    "unknown_language": "Records with a language code the registry lacks",
    "script_only_language": "Records with turns no language classifier knows (checked by script only)",
    "teacher": "Records per teacher (--add-teacher; main: the usual one)",
    "source_found": "Imported translation records, by format and where their source was found "
    "(not_found: none could be told apart from the request, so no check compared the translation with it)",
}


def size_category(n: int) -> str:
    """The Hub's size bucket for n records."""
    for limit, label in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if n < limit:
            return label
    return "10M<n<100M"


def _language_codes(stats: dict[str, Any]) -> list[str]:
    codes = []
    for code in stats["counts"].get("language", {}):
        try:
            codes.append(languages.get(code).short)
        except languages.UnknownLanguageError:
            continue
    return sorted(set(codes))


def header(stats: dict[str, Any], shards: dict[str, list[str]], license_id: str) -> dict[str, Any]:
    """The YAML metadata the Hub reads."""
    data_files = [{"split": split, "path": f"data/{split}-*"} for split in ("train", "validation") if shards.get(split)]
    configs: list[dict[str, Any]] = [{"config_name": "default", "data_files": data_files}]

    if shards.get("rejected"):
        configs.append({"config_name": "rejected", "data_files": [{"split": "train", "path": "rejected/rejected-*"}]})
    return {
        "language": _language_codes(stats),
        "license": license_id,
        "task_categories": ["translation", "text-generation"],
        "size_categories": [size_category(stats["kept"])],
        "tags": ["synthetic", "bayling-data", "multilingual", "interactive-translation"],
        "configs": configs,
    }


def markdown_table(title: str, counts: dict[str, int], total: int | None = None) -> str:
    """A two- or three-column markdown table."""
    lines = [f"### {title}", "", "| value | count | share |", "|---|---:|---:|"]
    denominator = total or sum(counts.values()) or 1
    lines += [f"| {key} | {value} | {100 * value / denominator:.1f}% |" for key, value in counts.items()]
    return "\n".join(lines)


def spend_table(spend: dict[str, int]) -> str:
    """Requests and tokens that went into kept and into rejected records, each kind with its own share."""
    lines = ["### Teacher spend", "", "| spent on | kept | rejected | share rejected |", "|---|---:|---:|---:|"]
    for kind in ("requests", "prompt_tokens", "completion_tokens"):
        kept, rejected = spend.get(f"kept_{kind}", 0), spend.get(f"rejected_{kind}", 0)
        share = f"{100 * rejected / (kept + rejected):.1f}%" if kept + rejected else "-"
        lines.append(f"| {kind.replace('_', ' ')} | {kept} | {rejected} | {share} |")
    return "\n".join(lines)


def semantic_table(bands: dict[str, int]) -> str:
    """Per target language: records with a semantic margin, and its 10th percentile and median (by band)."""
    by_lang: dict[str, list[tuple[float, int]]] = {}
    for key, count in bands.items():
        lang, _, band = key.rpartition(" ")
        by_lang.setdefault(lang, []).append((float(band), count))
    lines = [
        "### Semantic margin of translations, per target language (bands of 0.02; the check judges each margin "
        "against its language's median)",
        "",
        "| language | scored | 10th percentile | median |",
        "|---|---:|---:|---:|",
    ]
    for lang, counts in sorted(by_lang.items()):
        counts.sort()
        total = sum(count for _, count in counts)
        low, median = _band_at(counts, total * 0.1), _band_at(counts, total * 0.5)
        lines.append(f"| {lang} | {total} | {low:.2f} | {median:.2f} |")
    return "\n".join(lines)


def _band_at(counts: list[tuple[float, int]], rank: float) -> float:
    seen = 0
    for band, count in counts:
        seen += count
        if seen > rank:
            return band
    return counts[-1][0]


def balance_section(balance: dict[str, Any], stats: dict[str, Any]) -> str:
    """Planned against kept, per direction, language and turn type (generate), with what fell short."""
    planned = balance.get("planned") or {}
    if not any(planned.values()):
        return ""
    short = {(s["table"], s["key"]) for s in balance.get("shortfalls", [])}
    parts = ["## Planned against kept", ""]
    if balance.get("lines"):
        parts += ["Short of the plan:", "", *(f"- {line}" for line in balance["lines"]), "", balance["advice"], ""]
    else:
        parts += ["Every direction, language and turn type was kept as planned (within the run's tolerance).", ""]
    parts += [f"- warning during the run: {line}" for line in balance.get("warnings", [])]
    tables = (
        ("direction", "Direction"),
        ("language", "Language"),
        ("instruction_lang", "Instruction language"),
        ("turn_type", "Turn type"),
    )
    for table, title in tables:
        if not planned.get(table):
            continue
        kept = stats["counts"].get(table, {})
        parts += [
            "",
            f"### {title}: planned and kept",
            "",
            "| value | planned | kept | kept % |",
            "|---|---:|---:|---:|",
        ]
        for key, wanted in sorted(planned[table].items()):
            got = int(kept.get(key, 0))
            mark = " (short)" if (table, key) in short else ""
            parts.append(f"| {key}{mark} | {wanted} | {got} | {100 * got / wanted:.1f}% |")
    return "\n".join(parts) + "\n\n"


def stats_tables(stats: dict[str, Any]) -> str:
    """Every non-empty table of a run's stats (shares of records kept for the language table, whose records
    count twice)."""
    tables = []
    for name, counts in stats["counts"].items():
        if not counts:
            continue
        if name == "spend":
            tables.append(spend_table(counts))
        elif name in ("rejected_by_language", "rejected_by_direction", "cut_by_turn_type", "turn_type_planned"):
            continue  # read by the planned-against-kept table
        elif name == "semantic_margin":
            tables.append(semantic_table(counts))
        else:
            total = stats["kept"] if name == "language" else None
            tables.append(markdown_table(TABLE_TITLES.get(name, name), counts, total))
    return "\n\n".join(tables)


def _charts_section(state: RunState) -> str:
    """The charts written next to the card (plain SVG: the Hub shows them without JavaScript)."""
    charts = state.charts
    if not charts:
        return ""
    return "## Charts\n\n" + "\n\n".join(f"![{title}]({path})" for title, path in charts) + "\n\n"


def _diversity_section(state: RunState) -> str:
    """How varied the turns are, per instruction language, and what rejected records cost."""
    figures = state.diversity
    spend = state.stats["counts"].get("spend") or {}
    if not figures and not spend:
        return ""
    lines = ["## Diversity and cost\n"]
    if figures:
        lines += [
            f"Over the first {diversity.SAMPLE:,} kept dialogues of each instruction language, source text masked:\n",
            diversity.table(figures),
            "",
        ]
    total = spend.get("kept_requests", 0) + spend.get("rejected_requests", 0)
    if total:
        share = spend.get("rejected_requests", 0) / total
        lines.append(f"Teacher requests: {total}, of which {share:.1%} went into rejected records.\n")
    return "\n".join(lines) + "\n"


def render(state: RunState, shards: dict[str, list[str]], license_id: str = "other") -> str:
    """The whole README.md."""
    stats, usage, config = state.stats, state.usage, state.config
    settings = "\n".join(f"| {k} | `{v}` |" for k, v in sorted(config.items()))
    usage_rows = "\n".join(f"| {k} | {v} |" for k, v in usage.items())
    prompt_hashes = "\n".join(f"| {k} | `{v}` |" for k, v in sorted(state.prompt_hashes.items()))
    filters = "\n".join(f"| {k} | `{v}` |" for k, v in state.filters.items())
    return f"""---
{yaml.safe_dump(header(stats, shards, license_id), sort_keys=False, allow_unicode=True).strip()}
---

# Synthetic multilingual instruction data

Made with [bayling-data](https://pypi.org/project/bayling-data/) {__version__}: {stats["kept"]} records
kept, {stats["rejected"]} rejected by the filters (kept apart in the `rejected` config with their reason).

Each record is a chat in `messages` (a list of `{{role, content}}`), ready for a tokenizer's
`apply_chat_template` or TRL's `SFTTrainer`:

```python
from datasets import load_dataset
ds = load_dataset("path/or/repo", split="train")
```

Columns: `id` (content hash), `task`, `generator`, `src_lang`, `tgt_lang` (FLORES-200 codes),
`messages`, `meta` (JSON: turn plan, template ids, instruction language, seed origin, constraint
results, teacher model, prompt hashes, token usage), `scores` (JSON: filter signals).

## Contents

{stats_tables(stats)}

{balance_section(state.balance, stats)}{_charts_section(state)}{_diversity_section(state)}## Teacher and usage

| counter | value |
|---|---:|
{usage_rows}

## Generation settings

| setting | value |
|---|---|
{settings}

## Filters

| setting | value |
|---|---|
{filters}

## Prompt hashes

| prompt | sha256 (12) |
|---|---|
{prompt_hashes}

## Limitations

Synthetic data written by a teacher model: it carries that model's errors and biases. The
filters (language ID per turn, exact and near dedup, quality heuristics) remove much but not all
of what is wrong. Check the teacher's terms of use before you publish or train on the data.
"""
