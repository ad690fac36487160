"""The filter step: look at a record, return nothing (keep) or a reason (reject)."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterable

from bayling_data.records import Record

BATCH_SIZE = 1024  # records per batch when a whole stream is filtered


class Filter:
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


class FilterChain:
    """Runs filters in order; the first reason rejects. Counts and times every step."""

    def __init__(self, filters: list[Filter]) -> None:
        self.filters = filters
        self.rejected: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.seen = 0

    def __call__(self, record: Record) -> str | None:
        """The reject reason for `record`, or None when every filter keeps it."""
        return self.check_batch([record])[0]

    def check_batch(self, records: list[Record]) -> list[str | None]:
        """The reject reason (or None) of each record; a step sees only the records every earlier step kept."""
        self.seen += len(records)
        reasons: list[str | None] = [None] * len(records)
        alive = list(range(len(records)))
        for step in self.filters:
            if not alive:
                break
            started = time.perf_counter()
            verdicts = step.check_batch([records[i] for i in alive])
            self.seconds[step.name] += time.perf_counter() - started
            survivors = []
            for i, reason in zip(alive, verdicts, strict=True):
                if reason is None:
                    survivors.append(i)
                    continue
                full = reason if reason.startswith(step.name) else f"{step.name}:{reason}"
                self.rejected[full] += 1
                reasons[i] = full
            alive = survivors
        return reasons

    def warm(self, records: Iterable[Record]) -> None:
        """Feed kept records of an earlier run to every filter, streaming in batches."""
        for batch in batched(records, BATCH_SIZE):
            for step in self.filters:
                step.remember_batch(batch)


def batched(items: Iterable, size: int) -> Iterable[list]:
    """Lists of up to `size` consecutive items (itertools.batched arrived in Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
