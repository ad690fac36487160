"""The interactive-translation generator against the mock teacher: structure, languages, constraints, seeds."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest
from conftest import make_teacher

from bayling_data.filters import FilterConfig, build_chain
from bayling_data.generators.interactive_translation import FOLLOW_UPS, TURN_TYPES, parse_turn_mix
from bayling_data.languages import parse_langs
from bayling_data.pipeline import GenerateOptions, run_generate
from bayling_data.resources import templates


def generate(url: str, out, n: int, cache_path, *, langs: str = "zh,en,de", **options) -> list[dict]:
    gen_options = options.pop("generator_options", {})

    async def main():
        teacher = make_teacher(url, cache_path, concurrency=32)
        try:
            opts = GenerateOptions(n=n, out=out, langs=langs, generator_options=gen_options, **options)
            opts.validate()
            return await run_generate(opts.for_teacher(teacher), teacher, build_chain(FilterConfig()))
        finally:
            await teacher.aclose()

    state = asyncio.run(main())
    rows = []
    for name in state.shards["train"]:
        rows += pq.read_table(out / name).to_pylist()
    for row in rows:
        row["meta"] = json.loads(row["meta"])
    return rows


@pytest.fixture(scope="module")
def dialogues(tmp_path_factory):
    from bayling_data.testing.mock_teacher import MockServer

    folder = tmp_path_factory.mktemp("it")
    with MockServer() as server:
        return generate(server.url, folder / "out", 1000, folder / "cache.sqlite")


def _template_pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", text)
    return re.compile("^" + "(.+?)".join(re.escape(p) for p in parts) + "$", re.S)


def test_exactly_n_records_with_alternating_roles(dialogues):
    assert len(dialogues) == 1000
    for row in dialogues:
        roles = [m["role"] for m in row["messages"]]
        assert roles[0] == "user" and roles[-1] == "assistant"
        assert all(a != b for a, b in itertools.pairwise(roles))
        assert 1 <= len(roles) // 2 <= 5
        assert len(row["meta"]["plan"]) == len(roles) // 2


def test_user_turns_come_from_the_instruction_language_templates(dialogues):
    phrasings = templates("interactive_translation")
    by_id = {
        tid: text
        for lang, data in phrasings.items()
        for key, group in data.items()
        if isinstance(group, dict) and key != "language_names"
        for tid, text in group.items()
    }
    lang_of = {
        tid: lang
        for lang, data in phrasings.items()
        for key, group in data.items()
        if isinstance(group, dict) and key != "language_names"
        for tid in group
    }
    for row in dialogues:
        meta = row["meta"]
        users = [m["content"] for m in row["messages"] if m["role"] == "user"]
        assert len(users) == len(meta["templates"])
        for content, template_id in zip(users, meta["templates"], strict=True):
            assert lang_of[template_id] == meta["instruction_lang"]
            assert _template_pattern(by_id[template_id]).match(content), (template_id, content)


def test_constraint_metadata_matches_the_text(dialogues):
    checked = 0
    for row in dialogues:
        answers = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
        for constraint in row["meta"]["constraints"]:
            answer = answers[constraint["turn"]]
            if "words" in constraint:
                found = [w.casefold() in answer.casefold() for w in constraint["words"]]
                assert found == constraint["satisfied"]
                assert constraint["all_satisfied"] == all(found)
                assert constraint["all_satisfied"]  # the filter dropped records that missed their words
                checked += 1
            elif constraint["kind"] == "correct_error":  # quotes words of an earlier translation
                assert any(constraint["wrong"] in earlier for earlier in answers[: constraint["turn"]])
            if "changed" in constraint:  # revisions that changed nothing were filtered out
                assert constraint["changed"] and answer not in answers[: constraint["turn"]]
    assert checked > 20


def test_directions_and_turn_types_are_covered_and_balanced(dialogues):
    directions = Counter((r["src_lang"], r["tgt_lang"]) for r in dialogues)
    assert len(directions) == 6
    assert max(directions.values()) - min(directions.values()) <= 1  # balanced over kept records, not attempts
    turns = Counter(t for r in dialogues for t in r["meta"]["plan"])
    assert set(turns) == set(TURN_TYPES)
    assert Counter(r["meta"]["instruction_lang"] for r in dialogues).keys() == {"zho_Hans", "eng_Latn", "deu_Latn"}


def test_same_seed_same_output_and_options_are_followed(tmp_path):
    from bayling_data.testing.mock_teacher import MockServer

    options = {
        "directions": "en-zh",
        "generator_options": {"turn_mix": "restyle=1", "min_turns": 2, "max_turns": 2},
    }
    with MockServer() as server:
        first = generate(server.url, tmp_path / "a", 40, tmp_path / "c1.sqlite", seed=7, **dict(options))
        second = generate(server.url, tmp_path / "b", 40, tmp_path / "c2.sqlite", seed=7, **dict(options))
        other = generate(server.url, tmp_path / "c", 40, tmp_path / "c3.sqlite", seed=8, **dict(options))
    assert [r["messages"] for r in first] == [r["messages"] for r in second]
    assert [r["messages"] for r in first] != [r["messages"] for r in other]
    assert {(r["src_lang"], r["tgt_lang"]) for r in first} == {("eng_Latn", "zho_Hans")}
    assert all(r["meta"]["plan"] == ["translate", "restyle"] for r in first)


def test_turn_mix_parsing():
    assert parse_turn_mix(None)["refine"] > 0
    mix = parse_turn_mix("explain=2,refine=1")
    assert mix["explain"] == 2 and mix["restyle"] == 0 and set(mix) == set(FOLLOW_UPS)
    with pytest.raises(ValueError, match="unknown turn type"):
        parse_turn_mix("dance=1")
    with pytest.raises(ValueError, match="must be a number"):
        parse_turn_mix("refine=lots")


def test_the_planned_turn_mix_is_exact_per_direction_and_position():
    import random
    from types import SimpleNamespace

    from bayling_data.generators.base import GenerationContext
    from bayling_data.generators.interactive_translation import DEFAULT_MIX, InteractiveTranslation
    from bayling_data.options import build

    langs = parse_langs("zh,en,de")
    directions = [(a, b) for a in langs for b in langs if a != b]
    options = build(InteractiveTranslation.Options, {"min_turns": 5, "max_turns": 5})
    teacher = SimpleNamespace(embedded=False, model="mock-teacher")
    generator = InteractiveTranslation(GenerationContext(teacher, langs, directions, options))
    rng = random.Random(0)
    plans = [generator._plan(index, rng, can_switch=True) for index in range(120 * len(directions))]
    total = sum(DEFAULT_MIX.values())
    for direction in range(len(directions)):
        for position in range(1, 5):
            counts = Counter(plan[position] for plan in plans[direction :: len(directions)])
            assert counts == {kind: 120 * weight / total for kind, weight in DEFAULT_MIX.items()}
