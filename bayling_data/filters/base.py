"""The filter step: look at a record, return nothing (keep) or a reason (reject)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable

from bayling_data.records import Record


class Filter:
    """One check. Subclasses set `name` and implement `check`; they may add signals to `record.scores`."""

    name = "filter"

    def check(self, record: Record) -> str | None:
        """None to keep the record, or a short reason (`name:detail`) to reject it."""
        raise NotImplementedError

    def remember(self, record: Record) -> None:
        """See a record kept before (a resumed run) so that state such as dedup indexes carries over."""


class FilterChain:
    """Runs filters in order; the first reason rejects. Counts and times every step."""

    def __init__(self, filters: list[Filter]) -> None:
        self.filters = filters
        self.rejected: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.seen = 0

    def __call__(self, record: Record) -> str | None:
        """The reject reason for `record`, or None when every filter keeps it."""
        self.seen += 1
        for step in self.filters:
            started = time.perf_counter()
            reason = step.check(record)
            self.seconds[step.name] += time.perf_counter() - started
            if reason is not None:
                full = reason if reason.startswith(step.name) else f"{step.name}:{reason}"
                self.rejected[full] += 1
                return full
        return None

    def warm(self, records: Iterable[Record]) -> None:
        """Feed kept records of an earlier run to every filter, streaming (one pass, one record at a time)."""
        for record in records:
            for step in self.filters:
                step.remember(record)
