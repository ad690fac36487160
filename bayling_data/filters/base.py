"""The filter step: look at a record, return nothing (keep) or a reason (reject)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Union

from bayling_data.options import build
from bayling_data.records import Record

if TYPE_CHECKING:
    from bayling_data.teacher.client import Teacher


@dataclass
class NoOptions:
    """The options of a step that has none."""


BATCH_SIZE = 1024  # records per batch when a whole stream is filtered
MAX_REMEMBERED = 1 << 16  # records passed by `check_turns` whose finished form is still to come (dialogues in flight)
PARTS = ("all", "unordered", "ordered")


class Step:
    """What every step of the chain declares: its name, its place, its options.

    A step is registered under `name` in the entry-point group `bayling_data.filters` (third parties add
    theirs there). `order` places it in the chain (cheap checks first, teacher checks later, dedup last);
    `Options` (a dataclass of `bayling_data.options.option` fields) holds every setting it reads: their
    keys are the keys of the filter settings file and flags of `generate` and `filter`.
    """

    name = "step"
    order = 500
    ordered = False  # True: the step needs every earlier record, in input order (dedup)
    Options: type = NoOptions
    # settings taken in `generate` with a remote teacher unless given: a check that costs little against a
    # teacher's seconds a request, but would slow `filter` or compete with the embedded teacher for the CPU
    remote_teacher_settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, options: Any = None, /, **values: Any) -> None:
        self.options = options if options is not None else build(self.Options, values)

    @classmethod
    def enabled(cls, options: Any) -> bool:
        """False for a step that its options switch off (a teacher check without its threshold)."""
        return True


class Filter(Step):
    """One check. Subclasses set `name` and implement `check`; they may add signals to `record.scores`.

    Steps that a library makes faster on lists also override `check_batch` (and `remember_batch`).
    """

    name = "filter"

    def check(self, record: Record) -> str | None:
        """None to keep the record, or a short reason (`name:detail`) to reject it."""
        raise NotImplementedError

    def check_batch(self, records: list[Record]) -> list[str | None]:
        """`check` for each record, in order (a later record sees the state the earlier ones left)."""
        return [self.check(record) for record in records]

    def remember(self, record: Record) -> None:
        """See a record kept before (a resumed run) so that state such as dedup indexes carries over."""

    def remember_batch(self, records: list[Record]) -> None:
        """`remember` for each record, in order."""
        for record in records:
            self.remember(record)


class TeacherCheck(Step):
    """A step that asks the teacher about one record (async; records of a batch are checked concurrently)."""

    name = "teacher_check"
    order = 700

    def __init__(self, teacher: Teacher, options: Any = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self.teacher = teacher

    async def acheck(self, record: Record) -> str | None:
        """None to keep the record, or a short reason to reject it."""
        raise NotImplementedError


AnyStep = Union[Filter, TeacherCheck]


class FilterChain:
    """Runs steps in order; the first reason rejects. Counts and times every step.

    `part` runs a share of the steps: "unordered" (those that look at one record alone, in any order)
    then "ordered" (dedup, over records in input order), or "all" of them.
    """

    def __init__(self, filters: list[AnyStep]) -> None:
        self.filters = filters
        self.rejected: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.seen = 0
        # records (by id) that `check_turns` passed, and the steps that passed them: the finished record skips
        # those steps (dedup always looks); forgotten once the record went through the unordered part
        self._passed: OrderedDict[str, frozenset[str]] = OrderedDict()

    def check_batch(self, records: list[Record], part: str = "all") -> list[str | None]:
        """The reject reason (or None) of each record; a step sees only the records every earlier step kept."""
        reasons, alive = self._start(records, part)
        for step in self._steps(part):
            if isinstance(step, TeacherCheck):
                raise TypeError(f"step {step.name} asks the teacher: run the chain with acheck_batch")
            if not alive:
                break
            started = time.perf_counter()
            alive = self._settle(step, alive, self._verdicts(step, records, alive), reasons, started)
        self._forget(records, part)
        return reasons

    async def acheck_batch(self, records: list[Record], part: str = "all") -> list[str | None]:
        """`check_batch` for chains with teacher steps: their requests for a batch's records go out together."""
        reasons, alive = self._start(records, part)
        for step in self._steps(part):
            if not alive:
                break
            started = time.perf_counter()
            batch = [records[i] for i in alive]
            if isinstance(step, TeacherCheck):
                verdicts = list(await asyncio.gather(*(step.acheck(record) for record in batch)))
            else:
                verdicts = self._verdicts(step, records, alive)
            alive = self._settle(step, alive, verdicts, reasons, started)
        self._forget(records, part)
        return reasons

    def _verdicts(self, step: Filter, records: list[Record], alive: list[int]) -> list[str | None]:
        """A filter step's verdicts on the records still in; records it passed already (by `check_turns` as
        they were built) pass without being looked at again (dedup always looks)."""
        if step.ordered:
            return step.check_batch([records[i] for i in alive])
        todo = [i for i in alive if step.name not in self._passed.get(records[i].id, ())]
        found = dict(zip(todo, step.check_batch([records[i] for i in todo]), strict=True))
        return [found.get(i) for i in alive]

    def _forget(self, records: list[Record], part: str) -> None:
        if part != "ordered":
            for record in records:
                self._passed.pop(record.id, None)

    def check_turns(self, record: Record, only: str | None = None) -> str | None:
        """The first reason of the cheap steps (no teacher, no dedup) for a dialogue still being built, so
        that no request is spent on a dialogue already lost; `only` names the one step to run. Not counted
        in the chain's figures: the finished record goes through the whole chain, skipping the steps that
        passed it here."""
        passed = []
        for step in self.filters:
            wanted = isinstance(step, Filter) and not step.ordered and only in (None, step.name)
            if wanted and (reason := step.check(record)):
                return reason if reason.startswith(step.name) else f"{step.name}:{reason}"
            if wanted:
                passed.append(step.name)
        self._passed[record.id] = self._passed.pop(record.id, frozenset()) | frozenset(passed)
        while len(self._passed) > MAX_REMEMBERED:
            self._passed.popitem(last=False)
        return None

    def _start(self, records: list[Record], part: str) -> tuple[list[str | None], list[int]]:
        if part not in PARTS:
            raise ValueError(f"part must be one of {PARTS}")
        if part != "ordered":  # records reach the ordered part after the unordered one: count them once
            self.seen += len(records)
        return [None] * len(records), list(range(len(records)))

    def _steps(self, part: str) -> list[AnyStep]:
        if part == "all":
            return self.filters
        return [step for step in self.filters if step.ordered == (part == "ordered")]

    def _settle(
        self, step: AnyStep, alive: list[int], verdicts: list[str | None], reasons: list[str | None], started: float
    ) -> list[int]:
        """Record a step's verdicts and time; returns the records still in."""
        self.seconds[step.name] += time.perf_counter() - started
        survivors = []
        for i, reason in zip(alive, verdicts, strict=True):
            if reason is None:
                survivors.append(i)
                continue
            full = reason if reason.startswith(step.name) else f"{step.name}:{reason}"
            self.rejected[full] += 1
            reasons[i] = full
        return survivors

    def warm(self, records: Iterable[Record]) -> None:
        """Feed kept records of an earlier run to every filter, streaming in batches."""
        for batch in batched(records, BATCH_SIZE):
            for step in self.filters:
                if isinstance(step, Filter):
                    step.remember_batch(batch)


def batched(items: Iterable, size: int) -> Iterable[list]:
    """Lists of up to `size` consecutive items (itertools.batched arrived in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
