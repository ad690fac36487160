"""`generate`: a teacher's records through the filters into exactly --n kept, slot by slot, resumable."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional

from bayling_data.export.sinks import OUTPUT_HELP, sink
from bayling_data.export.writer import DatasetOptions, OutputFolder, PartWriter, ShardOptions
from bayling_data.filters import FilterChain
from bayling_data.generators import registry
from bayling_data.generators.base import GenerationContext, Generator, Rejection, SeedItem
from bayling_data.languages import Language, UnknownLanguageError, parse_langs
from bayling_data.languages import get as get_language
from bayling_data.options import REQUIRED, option, resume_fields
from bayling_data.options import build as build_options
from bayling_data.pipeline.balance import (
    BalanceOptions,
    LanguageWatch,
    advice,
    plan_table,
    planned_directions,
    shortfalls,
)
from bayling_data.pipeline.finish import finish, keep_or_reject, route_rejection
from bayling_data.progress import RunProgress
from bayling_data.records import Record
from bayling_data.run_state import RunState
from bayling_data.sources.readers import iter_rows
from bayling_data.stats import RunStats, direction_languages
from bayling_data.teacher import Teacher
from bayling_data.teacher.routing import MAIN, ROUTE, RouteOptions, RouteTable
from bayling_data.text.langid_backends import Py3LangidBackend


class RunIncomplete(RuntimeError):
    """The run stopped before --n records (too many rejects, a budget): what it made is kept, --resume continues."""


DEFAULT_TEMPERATURE, DEFAULT_ANSWER_TOKENS, DEFAULT_SLOT_TRIES = 0.7, 512, 24
# a small local model rambles: keep it short and cool; and it writes some languages only now and then, so a
# record gets one round of 8 tries (three rounds made the quick start's Chinese take minutes more)
LOCAL_TEMPERATURE, LOCAL_ANSWER_TOKENS, LOCAL_SLOT_TRIES = 0.3, 256, 8


@dataclass
class GenerateOptions:
    """The run's own options, each declared once here (`generate` turns them into flags; those marked
    `resume=True` are the run's fingerprint), and what the command adds from the parts that declare theirs:
    shards and dataset flags, the generator's options, the filter settings, the teacher's concurrency."""

    help_panel: ClassVar[str] = "Run"

    n: int = option(REQUIRED, "Number of records to produce (after filtering).", flag="--n", resume=True)
    out: Path = option(REQUIRED, "Output folder (a Hugging Face dataset).")
    langs: str = option(
        "zh,en", "Languages: codes (zh,en,de), 'all', 'flores101', 'flores200' or 'tier:low'.", resume=True
    )
    generator: str = option("interactive_translation", "Generator name.", resume=True)
    directions: Optional[str] = option(
        None, "Translation directions, e.g. en-zh,zh-en (default: all pairs).", resume=True
    )
    source: Optional[Path] = option(None, "Seed texts: .txt, .jsonl, .parquet or a saved dataset.", resume=True)
    source_column: str = option("text", "Column of --source that holds the text.", resume=True)
    source_lang: Optional[str] = option(None, "Language of --source (default: detected per text).", resume=True)
    seed: int = option(0, "Random seed: the same seed gives the same output.", resume=True)
    temperature: Optional[float] = option(
        None,
        f"Teacher sampling temperature (default {DEFAULT_TEMPERATURE}; {LOCAL_TEMPERATURE} local).",
        low=0.0,
        high=100.0,
        resume=True,
    )
    answer_tokens: Optional[int] = option(
        None,
        f"Most tokens per teacher answer (default {DEFAULT_ANSWER_TOKENS}; {LOCAL_ANSWER_TOKENS} local).",
        low=1,
        high=10**7,
        resume=True,
    )
    max_attempts: Optional[int] = option(
        None, "Give up after this many records tried (default 20*n+100).", low=1, high=10**15
    )
    shard: Optional[str] = option(None, "k/N: make the k-th of N disjoint parts of the job (k from 0).", resume=True)
    output: str = option(
        "parquet",
        OUTPUT_HELP,
        flag=("--format", "--output-format"),
    )
    push_to_hub: Optional[str] = option(None, "Push the finished dataset to this Hub repo.")
    hub_private: bool = option(False, "Create the Hub repo as private.")
    resume: bool = option(False, "Continue the run in --out.")
    overwrite: bool = option(False, "Replace --out if it holds an earlier output.")
    # from the parts that declare their own flags, and from the teacher (`for_teacher`)
    shards: ShardOptions = field(default_factory=ShardOptions)
    dataset: DatasetOptions = field(default_factory=DatasetOptions)
    generator_options: Any = None  # the chosen generator's Options object (None: its defaults)
    filters: dict[str, Any] = field(default_factory=dict)  # the filter settings, for the summary and the card
    concurrency: int = 16  # requests the teacher takes at once: dialogues in flight follow it
    checkpoint_seconds: float = option(
        30.0, "Seconds between checkpoints (what a crash can lose at most).", low=1.0, high=86_400.0
    )
    slot_tries: Optional[int] = option(
        None,
        f"Tries a record keeps its planned direction before a later record takes its place (default "
        f"{DEFAULT_SLOT_TRIES}; {LOCAL_SLOT_TRIES} local; one a record for a language whose tries keep failing).",
        low=1,
        high=10_000,
        resume=True,
    )
    balance: BalanceOptions = field(default_factory=BalanceOptions)
    routes: RouteOptions = field(default_factory=RouteOptions)

    def validate(self) -> None:
        """Every option that needs reading (languages, directions, shard, source), before any teacher starts;
        ValueError naming the flag."""
        if self.n <= 0:
            raise ValueError(f"--n must be a positive number of records, got {self.n}")
        if self.resume and self.overwrite:
            raise ValueError("--resume and --overwrite exclude each other")
        if self.source is not None and not self.source.exists():
            raise ValueError(f"--source {self.source}: no such file or folder")
        if self.generator == "interactive_translation" and len(self.languages) < 2 and not self.directions:
            raise UnknownLanguageError("--langs needs at least two languages to translate between")
        _ = self.pairs, self.shard_slice, self.source_code, sink(self.output)

    @functools.cached_property
    def languages(self) -> list[Language]:
        """--langs, read."""
        return parse_langs(self.langs)

    @functools.cached_property
    def pairs(self) -> list[tuple[Language, Language]]:
        """--directions, read: `en-zh,zh-en` -> pairs; default: every ordered pair of --langs."""
        if not self.directions:
            return [(a, b) for a in self.languages for b in self.languages if a != b]
        pairs = []
        for part in self.directions.split(","):
            src, sep, tgt = part.strip().partition("-")
            if not sep:
                raise UnknownLanguageError(f"--directions: {part!r} is not SRC-TGT")
            pairs.append((get_language(src), get_language(tgt)))
        return pairs

    @functools.cached_property
    def shard_slice(self) -> tuple[int, int]:
        """--shard, read: `2/8` -> (2, 8): this worker makes records k, k+N, k+2N, ... of the job."""
        if not self.shard:
            return (0, 1)
        k, sep, count = self.shard.partition("/")
        try:
            shard = (int(k), int(count))
        except ValueError:
            raise ValueError(f"--shard must be k/N with whole numbers, got {self.shard!r}") from None
        if not sep or not 0 <= shard[0] < shard[1]:
            raise ValueError(f"--shard must be k/N with 0 <= k < N, got {self.shard!r}")
        return shard

    @functools.cached_property
    def source_code(self) -> str | None:
        """--source-lang as a FLORES code (None: detected per text)."""
        return get_language(self.source_lang).code if self.source_lang else None

    def for_teacher(self, teacher: Teacher) -> GenerateOptions:
        """The options with what depends on the teacher resolved: its concurrency, and the temperature, answer
        length and tries a record a user left open (shorter, cooler and fewer for the small embedded model)."""
        local = teacher.embedded
        return dataclasses.replace(
            self,
            concurrency=teacher.concurrency,
            temperature=(LOCAL_TEMPERATURE if local else DEFAULT_TEMPERATURE)
            if self.temperature is None
            else self.temperature,
            answer_tokens=self.answer_tokens or (LOCAL_ANSWER_TOKENS if local else DEFAULT_ANSWER_TOKENS),
            slot_tries=self.slot_tries or (LOCAL_SLOT_TRIES if local else DEFAULT_SLOT_TRIES),
        )

    @property
    def target(self) -> int:
        """How many records this shard must keep (the job's --n split over N shards)."""
        k, count = self.shard_slice
        return self.n // count + (1 if k < self.n % count else 0)

    def global_index(self, position: int) -> int:
        """The job-wide index of this shard's record number `position` (disjoint across shards)."""
        k, count = self.shard_slice
        return k + position * count

    def fingerprint(self) -> dict[str, Any]:
        """The settings a resumed run must share with the run it continues: the options marked for it, the
        filtering (what is kept) and the chosen generator's options (another generator's change nothing)."""
        return {
            **resume_fields(self),
            **{f"filter.{k}": v for k, v in sorted(self.filters.items())},
            **{f"gen.{k}": v for k, v in sorted(dataclasses.asdict(self.generator_options).items())},
        }


def seed_items(options: GenerateOptions, start: int) -> Iterator[SeedItem]:
    """Seed items for this shard's positions `start`, `start + 1`, ...: from --source (cycled) or 'ask the teacher'."""
    if options.source is None:
        while True:
            yield SeedItem(text=None)
    detector = Py3LangidBackend() if options.source_code is None else None
    candidates = frozenset(lang.langid for lang in options.languages if lang.langid)
    by_langid = {lang.langid: lang.code for lang in options.languages}
    rows = itertools.chain.from_iterable(iter_rows(options.source) for _ in itertools.count())
    for row, where in itertools.islice(rows, options.global_index(start), None, options.shard_slice[1]):
        text = row.get(options.source_column)
        if not isinstance(text, str):
            raise ValueError(f"{where}: no text column {options.source_column!r} (use --source-column)")
        lang = options.source_code
        if detector is not None and candidates:
            lang = by_langid.get(detector.best(text, candidates)[0])
        yield SeedItem(text=text.strip(), lang=lang, origin=where)


TRIES_PER_ROUND = 8  # tries a slot makes before it is decided again (kept, another round, or given up)


def _record_rng(options: GenerateOptions, number: int, attempt: int) -> random.Random:
    suffix = f":{attempt}" if attempt else ""  # a slot's first try draws what it always drew
    return random.Random(f"{options.seed}:{options.generator}:{number}{suffix}")


@dataclass
class SlotResult:
    """What a slot's tries gave: every rejected try with its reason, in order, and the record that passed
    the steps that look at it alone (None: the slot gave up)."""

    failed: list[tuple[Record | Rejection, str | None]]
    passed: Record | None
    first: int  # the slot's tries before this round
    tries: int  # the slot's tries after it
    final: bool = False  # a rejection no other try can mend (a seed text that cannot be used)
    teacher: str = MAIN  # the name of the teacher it ran on


def _open_run(options: GenerateOptions, teacher: Teacher, chain: FilterChain) -> tuple[OutputFolder, RunState]:
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
    if options.routes.add_teacher:  # the other teachers (never their keys) and the routes
        fingerprint.update(options.routes.fingerprint())
    if state is None:
        return folder, RunState(config=fingerprint)
    _check_same_run(state.config, fingerprint)
    if not state.complete:
        teacher.usage.restore(state.usage)
        for name, other in getattr(teacher, "teachers", {}).items():  # a routed run: each teacher its own
            other.usage.restore((state.usage.get("by_teacher") or {}).get(name, state.usage if name == MAIN else {}))
        chain.warm(folder.part_records("train", state))
    return folder, state


def _make_generator(options: GenerateOptions, teacher: Teacher, chain: FilterChain) -> Generator:
    """The chosen generator, given the teacher, the languages, its options and the run's cheap checks."""
    context = GenerationContext(
        teacher,
        options.languages,
        options.pairs,
        options.generator_options,
        options.temperature,
        options.answer_tokens,
        checks=chain,
    )
    return registry.create(options.generator, context)


class SlotScheduler:
    """Keeps a window of slots in flight and decides them in order.

    Each slot tries in its own task until a record passes the steps that look at it alone (teacher checks
    included); only dedup waits for the slots before it, so a slot is decided (kept or given up, every
    rejected try written with its reason) when it reaches the head of the window. A record dedup rejects
    sends its slot back to the head to try again.
    """

    def __init__(
        self,
        options: GenerateOptions,
        generator: Generator,
        chain: FilterChain,
        writer: PartWriter,
        stats: RunStats,
        warn: Callable[[str], None],
        routes: RouteTable | None = None,
    ) -> None:
        self.options, self.generator, self.chain, self.writer, self.stats = options, generator, chain, writer, stats
        self.warn, self.routes = warn, routes
        self.watch = LanguageWatch()
        self.plan = getattr(generator, "planned", None)
        self.next_index = writer.state.next_index  # the first slot not yet decided
        self.index = self.attempts = self.next_index  # the next slot to start; tries so far
        self.max_attempts = options.max_attempts or 20 * options.target + 100
        self.seeds = seed_items(options, self.next_index)
        self.window = max(2 * options.concurrency, 4)  # enough dialogues in flight to keep every slot busy
        self.pending: deque[tuple[int, SeedItem, asyncio.Task[SlotResult]]] = deque()
        self.unrouted = 0  # rejected tries of slots still in flight: shown at once, written when their turn comes

    def top_up(self) -> None:
        """Start slots until the window is full, --n is covered by kept and pending, or tries run out."""
        options, stats = self.options, self.stats
        while (
            len(self.pending) < self.window
            and stats.kept + len(self.pending) < options.target
            and self.attempts < self.max_attempts
        ):
            seed = next(self.seeds)
            self._start(self.index, seed, 0, at_head=False)
            self.index += 1
            self.attempts += 1

    async def decide_next(self) -> None:
        """Wait for the slot at the head and write what it gave."""
        position, seed, task = self.pending[0]
        # shielded: a stop (Ctrl-C, SIGTERM) cancels the run, not the dialogue, whose request in flight is still
        # received and cached; it leaves `pending` only once finished
        result = await asyncio.shield(task)
        self.pending.popleft()
        self.unrouted -= len(result.failed)
        langs = self._languages(position, seed, result)
        if self.routes is not None and self.routes.teacher_for(langs) != result.teacher:
            langs = []  # it ran on a teacher its languages have since left: it says nothing of the new one
        for outcome, reason in result.failed:
            self._route(outcome, reason)
            self._watch(langs, rejected=True)
        self.attempts += result.tries - result.first - 1
        deduplicated = result.passed is not None and self._route(result.passed, None) is not None
        if result.passed is not None:
            self._watch(langs, rejected=False)  # the teacher wrote it (dedup is not the language's fault)
        failing = bool(self.watch.failing.intersection(langs))  # no more rounds for a language that keeps failing
        retry = result.passed is None and not result.final and not failing
        if (deduplicated or retry) and result.tries < self.options.slot_tries and self.attempts < self.max_attempts:
            self.attempts += 1  # another round of the same slot: its direction stays planned
            self._start(position, seed, result.tries, at_head=True)  # ahead of the slots after it
            return
        self.next_index = position + 1

    def _planned_languages(self, position: int, seed: SeedItem) -> list[str]:
        """The languages of a slot's planned direction ([] when the generator plans none)."""
        if self.plan is None:
            return []
        return direction_languages(self.plan(self.options.global_index(position), seed).get("direction", ""))

    def _languages(self, position: int, seed: SeedItem, result: SlotResult) -> list[str]:
        """The languages of a slot: of its planned direction, else of the records it made."""
        if planned := self._planned_languages(position, seed):
            return planned
        made = [o if isinstance(o, Record) else o.record for o, _ in result.failed] + [result.passed]
        return sorted({lang for r in made if r is not None for lang in (r.src_lang, r.tgt_lang) if lang})

    def _watch(self, langs: list[str], rejected: bool) -> None:
        for lang, line in self.watch.see(langs, rejected):
            moved = self.routes.move(lang, self.routes.teacher_for([lang])) if self.routes is not None else None
            if moved is not None:  # a fresh start on the fallback teacher
                self.watch.forgive(lang)
                self.warn(f"{line}; its records go to teacher {moved} from now on")
            else:
                self.warn(f"{line}; its records get fewer tries from now on")

    def tasks(self) -> list[asyncio.Task[SlotResult]]:
        """The tasks of the slots in flight."""
        return [task for _, _, task in self.pending]

    def _start(self, position: int, seed: SeedItem, first: int, *, at_head: bool) -> None:
        # a slot of a language whose tries keep failing gets one try (in case the teacher writes it after all)
        langs = self._planned_languages(position, seed)
        tries = 1 if self.watch.failing.intersection(langs) else TRIES_PER_ROUND
        # the slot's teacher: every request its task makes goes there (the task copies the context)
        route = ROUTE.set(self.routes.teacher_for(langs) if self.routes is not None else MAIN)
        try:
            task = asyncio.create_task(self._fill(self.options.global_index(position), seed, first, tries))
        finally:
            ROUTE.reset(route)
        (self.pending.appendleft if at_head else self.pending.append)((position, seed, task))

    async def _fill(self, number: int, seed: SeedItem, first: int, tries: int) -> SlotResult:
        """A round of up to `tries` tries for one slot, from try `first`, until a record passes the steps that
        look at it alone."""
        failed: list[tuple[Record | Rejection, str | None]] = []
        for attempt in range(first, first + tries):
            outcome = await self.generator.generate(number, seed, _record_rng(self.options, number, attempt))
            if isinstance(outcome, Rejection):
                reason = None
            else:
                reason = (await self.chain.acheck_batch([outcome], "unordered"))[0]
                if reason is None:
                    return SlotResult(failed, outcome, first, attempt + 1, teacher=ROUTE.get())
            failed.append((outcome, reason))
            self.unrouted += 1
            if isinstance(outcome, Rejection) and not outcome.retry:
                return SlotResult(failed, None, first, first + len(failed), final=True, teacher=ROUTE.get())
        return SlotResult(failed, None, first, first + len(failed), teacher=ROUTE.get())

    def _route(self, outcome: Record | Rejection, reason: str | None) -> str | None:
        """Keep or reject a finished record, in slot order: dedup runs here on what the other steps kept.
        Returns the reason it was rejected for (None: kept)."""
        if isinstance(outcome, Rejection):
            return route_rejection(outcome, self.writer, self.stats)
        if reason is None:
            reason = self.chain.check_batch([outcome], "ordered")[0]
        keep_or_reject(outcome, reason, self.writer, self.stats)
        return reason


async def run_generate(options: GenerateOptions, teacher: Teacher, chain: FilterChain) -> RunState:
    """Generate until exactly `options.target` records (--n, or a shard's share) pass the filters.

    Record number k of the job is a *slot*: its direction, language or turn mix is the k-th of a
    balanced spread, and a rejected try is tried again with fresh draws for the same slot, so balance
    holds over what is kept (not over attempts) and the dataset depends only on the seed.
    """
    folder, state = _open_run(options, teacher, chain)
    if state.complete:
        return state
    stats = RunStats.from_dict(state.stats)
    generator = _make_generator(options, teacher, chain)
    state.prompt_hashes = getattr(generator, "prompt_hashes", {})
    writer = PartWriter(folder, state)
    progress = RunProgress(options.target, stats.kept, f"generate ({options.generator})", teacher.usage)
    warnings = state.balance.setdefault("warnings", [])

    def warn(line: str) -> None:  # shown while the run goes, and kept for the summary
        progress.console.print(f"[yellow]warning:[/] {line}", highlight=False)
        warnings.append(line)

    slots = SlotScheduler(options, generator, chain, writer, stats, warn, getattr(teacher, "table", None))
    last_flush = time.monotonic()

    async def tick() -> None:  # progress moves with teacher requests too, not only with finished records
        while True:
            await asyncio.sleep(1.0)
            progress.update(stats.kept, stats.rejected + slots.unrouted)

    def save() -> None:
        usage = teacher.usage.summary()
        if by_teacher := getattr(teacher, "usage_by_teacher", None):
            usage["by_teacher"] = by_teacher()
        writer.flush(next_index=slots.next_index, stats=stats.to_dict(), usage=usage)

    ticker = asyncio.create_task(tick())
    try:
        while stats.kept < options.target:
            slots.top_up()
            if not slots.pending:
                raise RunIncomplete(_too_many_rejects(stats, options.target, slots.max_attempts))
            await slots.decide_next()
            progress.update(stats.kept, stats.rejected + slots.unrouted)
            if (
                writer.buffered >= options.shards.shard_rows
                or time.monotonic() - last_flush >= options.checkpoint_seconds
            ):
                save()
                last_flush = time.monotonic()
    finally:
        ticker.cancel()
        teacher.stop_new_requests()  # in-flight answers still arrive and are cached for a later --resume
        await asyncio.gather(ticker, *slots.tasks(), return_exceptions=True)
        save()
        progress.close()
    state.balance = _balance(options, generator, stats.to_dict(), warnings)
    return finish(folder, state, options)


def _balance(options: GenerateOptions, generator: Generator, stats: dict[str, Any], warnings: list[str]) -> dict:
    """The run's plan against what it kept: every table's plan, the shortfalls (lines and advice), warnings."""
    indexes = (options.global_index(position) for position in range(options.target))
    shares = getattr(generator, "planned_shares", dict)()
    plan = plan_table(planned_directions(generator, indexes, seed_items(options, 0)), stats, shares)
    found = shortfalls(plan, stats, options.balance.balance_tolerance)
    return {
        "planned": plan,
        "shortfalls": [shortfall.to_dict() for shortfall in found],
        "lines": [shortfall.line() for shortfall in found],
        "advice": advice(found) if found else "",
        "warnings": warnings,
    }


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
