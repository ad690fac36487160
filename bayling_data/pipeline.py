"""Wires source -> generator -> filters -> writer: streaming, exactly --n records, resumable."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import random
import time
from collections import deque
from collections.abc import Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayling_data import diversity
from bayling_data.export import card, charts
from bayling_data.export.sinks import sink
from bayling_data.export.writer import (
    DatasetOptions,
    OutputFolder,
    PartWriter,
    ShardOptions,
    atomic_write_bytes,
    finalize,
)
from bayling_data.filters import FilterChain
from bayling_data.filters.base import BATCH_SIZE, batched
from bayling_data.generators import registry
from bayling_data.generators.base import GenerationContext, Rejection, SeedItem
from bayling_data.languages import Language
from bayling_data.options import build as build_options
from bayling_data.progress import RunProgress
from bayling_data.records import Record
from bayling_data.sources.formats import FORMATS, BadContent, detect_format, to_record
from bayling_data.sources.readers import InputError, SkipCounter, bad_input, count_rows, iter_rows
from bayling_data.stats import RunStats
from bayling_data.teacher import Teacher
from bayling_data.text.langid_backends import Py3LangidBackend


class RunIncomplete(RuntimeError):
    """The run stopped before --n records (too many rejects, a budget): what it made is kept, --resume continues."""


@dataclass
class GenerateOptions:
    """Everything `generate` needs besides the teacher."""

    langs: list[Language]
    directions: list[tuple[Language, Language]]
    n: int
    out: Path
    generator: str = "interactive_translation"
    seed: int = 0
    source: Path | None = None
    source_column: str = "text"
    source_lang: str | None = None
    concurrency: int = 16
    shard_rows: int = ShardOptions.shard_rows
    shard_mb: float | None = ShardOptions.shard_mb
    output: str = "parquet"  # the final shards' format (export/sinks.py)
    checkpoint_seconds: float = 30.0
    max_attempts: int | None = None
    resume: bool = False
    overwrite: bool = False
    temperature: float = 0.7
    max_tokens: int = 512
    license: str = DatasetOptions.license
    val_fraction: float = DatasetOptions.val_fraction
    shard: tuple[int, int] = (0, 1)  # (k, N): this worker makes records k, k+N, k+2N, ... of the job
    generator_options: Any = None  # the chosen generator's Options object (None: its defaults)
    filters: dict[str, Any] = field(default_factory=dict)  # the filter settings, for the summary and the card

    @property
    def target(self) -> int:
        """How many records this shard must keep (the job's --n split over N shards)."""
        k, count = self.shard
        return self.n // count + (1 if k < self.n % count else 0)

    def global_index(self, position: int) -> int:
        """The job-wide index of this shard's record number `position` (disjoint across shards)."""
        k, count = self.shard
        return k + position * count

    def fingerprint(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run it continues."""
        return {
            "generator": self.generator,
            "langs": [lang.code for lang in self.langs],
            "directions": [f"{s.code}-{t.code}" for s, t in self.directions],
            "n": self.n,
            "shard": list(self.shard),
            "seed": self.seed,
            "source": str(self.source) if self.source else None,
            "source_column": self.source_column,
            "source_lang": self.source_lang,
            "temperature": self.temperature,
            "answer_tokens": self.max_tokens,
            # the filtering decides what is kept: a resume with other steps or settings mixes two datasets
            **{f"filter.{k}": v for k, v in sorted(self.filters.items())},
            # only what the chosen generator reads: another generator's option changes nothing here
            **{f"gen.{k}": v for k, v in sorted(dataclasses.asdict(self.generator_options).items())},
        }


def seed_items(options: GenerateOptions, start: int) -> Iterator[SeedItem]:
    """Seed items for this shard's positions `start`, `start + 1`, ...: from --source (cycled) or 'ask the teacher'."""
    if options.source is None:
        while True:
            yield SeedItem(text=None)
    detector = Py3LangidBackend() if options.source_lang is None else None
    candidates = frozenset(lang.langid for lang in options.langs if lang.langid)
    by_langid = {lang.langid: lang.code for lang in options.langs}
    rows = itertools.chain.from_iterable(iter_rows(options.source) for _ in itertools.count())
    for row, where in itertools.islice(rows, options.global_index(start), None, options.shard[1]):
        text = row.get(options.source_column)
        if not isinstance(text, str):
            raise ValueError(f"{where}: no text column {options.source_column!r} (use --source-column)")
        lang = options.source_lang
        if detector is not None and candidates:
            lang = by_langid.get(detector.best(text, candidates)[0])
        yield SeedItem(text=text.strip(), lang=lang, origin=where)


TRIES_PER_SLOT = 8  # a slot whose record is rejected this often is given up (a later slot takes its place)


def _record_rng(options: GenerateOptions, number: int, attempt: int) -> random.Random:
    suffix = f":{attempt}" if attempt else ""  # a slot's first try draws what it always drew
    return random.Random(f"{options.seed}:{options.generator}:{number}{suffix}")


@dataclass
class SlotResult:
    """What a slot's tries gave: every rejected try with its reason, in order, and the record that passed
    the steps that look at it alone (None: the slot gave up)."""

    failed: list[tuple[Record | Rejection, str | None]]
    passed: Record | None
    tries: int


def _open_run(options: GenerateOptions, teacher: Teacher, chain: FilterChain) -> tuple[OutputFolder, dict[str, Any]]:
    """The output folder and the run's state: new, or the one to resume (same settings checked; usage and
    the dedup index restored)."""
    if not dataclasses.is_dataclass(options.generator_options):  # a mapping (or None): the declared defaults apply
        declared = registry.options_class(options.generator)
        options.generator_options = build_options(declared, options.generator_options or {})
    folder = OutputFolder(options.out)
    folder.refuse_inputs([options.source] if options.source else [])
    state = folder.prepare(resume=options.resume, overwrite=options.overwrite)
    # records from two teachers are two datasets: the endpoint (never its credentials) and the model count too
    fingerprint = {**options.fingerprint(), "teacher": teacher.teacher_id, "model": teacher.model}
    if state is None:
        state = {
            "version": 1,
            "config": fingerprint,
            "next_index": 0,
            "complete": False,
            "stats": RunStats().to_dict(),
            "usage": {},
        }
    else:
        _check_same_run(state["config"], fingerprint)
        if not state["complete"]:
            teacher.usage.restore(state.get("usage", {}))
            chain.warm(folder.part_records("train", state))
    return folder, state


def _make_generator(options: GenerateOptions, teacher: Teacher, chain: FilterChain) -> Any:
    """The chosen generator, given the teacher, the languages, its options and the run's cheap checks."""
    context = GenerationContext(
        teacher,
        options.langs,
        options.directions,
        options.generator_options,
        options.temperature,
        options.max_tokens,
        checks=chain,
    )
    return registry.create(options.generator, context)


async def _fill_slot(
    generator: Any,
    chain: FilterChain,
    options: GenerateOptions,
    unrouted: list[int],
    number: int,
    seed: SeedItem,
    first: int,
) -> SlotResult:
    """Tries for one slot until a record passes the steps that look at it alone (teacher checks included), in
    its own task: only dedup waits for the slots before it. `unrouted` counts the rejected tries not yet
    written."""
    failed: list[tuple[Record | Rejection, str | None]] = []
    for attempt in range(first, TRIES_PER_SLOT):
        outcome = await generator.generate(number, seed, _record_rng(options, number, attempt))
        reason = None if isinstance(outcome, Rejection) else (await chain.acheck_batch([outcome], "unordered"))[0]
        if reason is None and not isinstance(outcome, Rejection):
            return SlotResult(failed, outcome, attempt + 1)
        failed.append((outcome, reason))
        unrouted[0] += 1
        if isinstance(outcome, Rejection) and not outcome.retry:
            break
    return SlotResult(failed, None, first + len(failed))


async def run_generate(options: GenerateOptions, teacher: Teacher, chain: FilterChain) -> dict[str, Any]:
    """Generate until exactly `options.target` records (--n, or a shard's share) pass the filters.

    Record number k of the job is a *slot*: its direction, language or turn mix is the k-th of a
    balanced spread, and a rejected try is tried again with fresh draws for the same slot, so balance
    holds over what is kept (not over attempts) and the dataset depends only on the seed.
    """
    folder, state = _open_run(options, teacher, chain)
    if state["complete"]:
        return state
    stats = RunStats.from_dict(state["stats"])
    generator = _make_generator(options, teacher, chain)
    state["prompt_hashes"] = getattr(generator, "prompt_hashes", {})
    writer = PartWriter(folder, state)
    max_attempts = options.max_attempts or 20 * options.target + 100
    next_index = state["next_index"]
    seeds = seed_items(options, next_index)
    window = max(2 * options.concurrency, 4)  # enough dialogues in flight to keep every slot busy
    pending: deque[tuple[int, SeedItem, asyncio.Task[SlotResult]]] = deque()
    progress = RunProgress(options.target, stats.kept, f"generate ({options.generator})", teacher.usage)
    last_flush = time.monotonic()

    unrouted = [0]  # rejected tries of slots still in flight: shown at once, written when their slot's turn comes

    async def tick() -> None:  # progress moves with teacher requests too, not only with finished records
        while True:
            await asyncio.sleep(1.0)
            progress.update(stats.kept, stats.rejected + unrouted[0])

    ticker = asyncio.create_task(tick())

    def save() -> None:
        writer.flush({"next_index": next_index, "stats": stats.to_dict(), "usage": teacher.usage.summary()})

    def fill(number: int, seed: SeedItem, first: int) -> Coroutine[Any, Any, SlotResult]:
        return _fill_slot(generator, chain, options, unrouted, number, seed, first)

    try:
        index = attempts = next_index
        while stats.kept < options.target:
            while len(pending) < window and stats.kept + len(pending) < options.target and attempts < max_attempts:
                seed, number = next(seeds), options.global_index(index)
                pending.append((index, seed, asyncio.create_task(fill(number, seed, 0))))
                index += 1
                attempts += 1
            if not pending:
                raise RunIncomplete(_too_many_rejects(stats, options.target, max_attempts))
            position, seed, task = pending[0]
            # shielded: a stop (Ctrl-C, SIGTERM) cancels this loop, not the dialogue, whose request in flight
            # is still received and cached below; it leaves `pending` only once finished
            result = await asyncio.shield(task)
            pending.popleft()
            unrouted[0] -= len(result.failed)
            for outcome, reason in result.failed:
                _route(outcome, reason, chain, writer, stats)
            attempts += result.tries - 1
            deduplicated = result.passed is not None and _route(result.passed, None, chain, writer, stats) is not None
            if deduplicated and result.tries < TRIES_PER_SLOT:
                # dedup rejected it: the same slot tries again, ahead of the slots after it
                retry = fill(options.global_index(position), seed, result.tries)
                pending.appendleft((position, seed, asyncio.create_task(retry)))
                continue
            next_index = position + 1
            progress.update(stats.kept, stats.rejected + unrouted[0])
            if writer.buffered >= options.shard_rows or time.monotonic() - last_flush >= options.checkpoint_seconds:
                save()
                last_flush = time.monotonic()
    finally:
        ticker.cancel()
        teacher.stop_new_requests()  # in-flight answers still arrive and are cached for a later --resume
        await asyncio.gather(ticker, *(task for _, _, task in pending), return_exceptions=True)
        save()
        progress.close()
    return _finish(folder, state, options)


def _finish(folder: OutputFolder, state: dict[str, Any], options: GenerateOptions | FilterOptions) -> dict[str, Any]:
    """Diversity figures, shards, dataset card and run summary; then the parts go."""
    state["diversity"] = diversity.measure(folder.part_records("train", state))
    shards = finalize(folder, state, options.shard_rows, options.val_fraction, options.shard_mb, sink(options.output))
    state.update(complete=True, shards=shards, filters=options.filters)
    state["charts"] = charts.write_card_charts(folder.root, state["stats"])
    (folder.root / "README.md").write_text(card.render(state, shards, options.license), "utf-8")
    keys = ("config", "filters", "stats", "diversity", "skipped", "usage", "shards", "prompt_hashes")
    summary = {k: state.get(k) for k in keys if k in state}
    atomic_write_bytes(folder.root / "run_summary.json", json.dumps(summary, ensure_ascii=False, indent=1).encode())
    folder.save_state(state)
    for part in folder.parts_dir.iterdir():
        part.unlink()
    folder.publish()
    folder.unlock()
    return state


def _route(
    outcome: Record | Rejection, reason: str | None, chain: FilterChain, writer: PartWriter, stats: RunStats
) -> str | None:
    """Keep or reject a finished record, in input order: dedup runs here on what the other steps kept.
    Returns the reason it was rejected for (None: kept)."""
    if isinstance(outcome, Rejection):
        reason = outcome.reason if outcome.by_filter else f"generator:{outcome.reason}"
        stats.add_rejected(reason, outcome.record, outcome.usage)
        if outcome.record is not None:
            writer.add(outcome.record, reason)
        return reason
    if reason is None:
        reason = chain.check_batch([outcome], "ordered")[0]
    _keep_or_reject(outcome, reason, writer, stats)
    return reason


def _keep_or_reject(record: Record, reason: str | None, writer: PartWriter, stats: RunStats) -> None:
    """Write a record to the kept or the rejected split (with its reason) and count it."""
    writer.add(record, reason)
    if reason is None:
        stats.add_kept(record)
    else:
        stats.add_rejected(reason, record)


def _check_same_run(saved: dict[str, Any], current: dict[str, Any]) -> None:
    changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
    if changed:
        details = "; ".join(f"{k}: was {saved.get(k)!r}, now {current.get(k)!r}" for k in changed)
        raise ValueError(f"--resume with different settings than the original run ({details})")


def _too_many_rejects(stats: RunStats, n: int, attempts: int) -> str:
    top = ", ".join(f"{reason} ({count})" for reason, count in stats.counts["rejected_reason"].most_common(5))
    return (
        f"only {stats.kept} of {n} records passed the filters after {attempts} attempts; top reject reasons:"
        f" {top}. Raise --max-attempts, relax filters (--skip-filter), or use a stronger teacher."
    )


@dataclass
class FilterOptions:
    """Everything `filter` needs."""

    inputs: list[Path]
    out: Path
    format: str | None = None  # None: detect from the first row of each input
    lang: str = ""  # declared language of every turn of imported records (FLORES code)
    on_error: str = "fail"
    shard_rows: int = ShardOptions.shard_rows
    shard_mb: float | None = ShardOptions.shard_mb
    output: str = "parquet"  # the final shards' format (export/sinks.py)
    overwrite: bool = False
    license: str = DatasetOptions.license
    val_fraction: float = DatasetOptions.val_fraction
    filters: dict[str, Any] = field(default_factory=dict)  # the filter settings, for the summary and the card


def iter_input_records(options: FilterOptions, skips: SkipCounter) -> Iterator[tuple[Record, str | None]]:
    """Records of every input, converted from their detected (or given) format, each with a reason to
    reject it already (`bad_content`: a message that is not text, under --on-error skip) or None."""
    for path in options.inputs:
        fmt = options.format
        for row, where in iter_rows(path, options.on_error, skips):
            if fmt is None:
                fmt = detect_format(row)
                if fmt is None:
                    raise InputError(
                        f"{where}: cannot recognise these records (keys: {sorted(row)[:8]}); "
                        f"pass --format ({', '.join(FORMATS)})"
                    )
            try:
                yield to_record(row, fmt, where, options.lang), None
            except BadContent as error:
                if options.on_error != "skip":
                    raise InputError(f"{error}; use --on-error skip to keep such records apart as rejected") from None
                yield error.record, "bad_content"
            except InputError as error:
                bad_input(where, str(error).removeprefix(f"{where}: "), options.on_error, skips)


async def run_filter(
    options: FilterOptions, chain: FilterChain, checked: Iterable[tuple[Record, str | None]] | None = None
) -> dict[str, Any]:
    """Filter existing corpora into the same output layout as `generate`; returns the final state.

    `checked` lets another engine supply records with the verdict of the chain's unordered part, which
    it ran (None: passed); only the ordered part (dedup) then runs here, in input order.
    """
    folder = OutputFolder(options.out)
    folder.refuse_inputs(options.inputs)
    folder.prepare(resume=False, overwrite=options.overwrite, can_resume=False)
    state: dict[str, Any] = {
        "version": 1,
        "complete": False,
        "usage": {},
        "config": {
            "inputs": [str(p) for p in options.inputs],
            "format": options.format,
            "lang": options.lang,
            "on_error": options.on_error,
        },
    }
    writer = PartWriter(folder, state)
    stats = RunStats()
    skips = SkipCounter()
    sizes = [count_rows(path) for path in options.inputs]  # for the ETA; 0: unknown (compressed input)
    total = 0 if None in sizes else sum(size or 0 for size in sizes)
    progress = RunProgress(total, 0, "filter", None, count_read=True)
    part = "all" if checked is None else "ordered"
    if checked is None:
        checked = iter_input_records(options, skips)
    try:
        for batch in batched(checked, BATCH_SIZE):  # steps such as near dedup are faster on lists
            verdicts = iter(await chain.acheck_batch([record for record, upstream in batch if not upstream], part))
            for record, upstream in batch:
                _keep_or_reject(record, upstream or next(verdicts), writer, stats)
                if writer.buffered >= options.shard_rows:
                    writer.flush({"stats": stats.to_dict()})
            progress.update(stats.kept, stats.rejected)
    finally:
        progress.close()
    if stats.kept + stats.rejected == 0:
        raise InputError(f"no records found in {', '.join(map(str, options.inputs))}")
    stats.skipped_lines = skips.skipped
    writer.flush({"stats": stats.to_dict(), "skipped": skips.first})
    return _finish(folder, state, options)
