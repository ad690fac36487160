"""Live progress: a rich bar on a terminal, a log line every few seconds elsewhere (CI, files)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bayling_data.teacher.client.accounting import Usage


class RunProgress:
    """Shows records kept/rejected, requests, tokens, rate and ETA. It counts records kept toward `total`, or
    with `count_read` records read, kept or not (filtering a corpus; `total` 0 when its size is unknown)."""

    def __init__(
        self,
        total: int,
        initial: int,
        label: str,
        usage: Usage | None,
        log_every: float = 10.0,
        count_read: bool = False,
    ) -> None:
        self.total, self.usage, self.log_every, self.count_read = total, usage, log_every, count_read
        self.console = Console(stderr=True)
        self.interactive = self.console.is_terminal
        self.started = time.monotonic()
        self.initial = initial
        self._last_log = 0.0
        self._bar: Progress | None = None
        if self.interactive:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                refresh_per_second=4,
            )
            self._task = self._bar.add_task(label, total=total or None, completed=initial, info="")
            self._bar.start()

    def _done(self, kept: int, rejected: int) -> int:
        return kept + rejected if self.count_read else kept

    def _info(self, kept: int, rejected: int) -> str:
        rate = (self._done(kept, rejected) - self.initial) / max(time.monotonic() - self.started, 1e-9)
        pace = f"{rate:.1f} rec/s" if rate >= 1 else f"{rate * 60:.1f} rec/min"
        text = f"kept {kept} rejected {rejected} | {pace}"
        if self.usage is not None:
            u = self.usage
            text += (
                f" | req {u.requests} cached {u.cache_hits} retries {u.retries}"
                f" | tok {u.prompt_tokens}+{u.completion_tokens}"
            )
            if u.cost:
                text += f" | ${u.cost:.4f}"
        return text

    def update(self, kept: int, rejected: int) -> None:
        """Show the latest counts (cheap: rich refreshes on its own clock)."""
        if self._bar is not None:
            self._bar.update(self._task, completed=self._done(kept, rejected), info=self._info(kept, rejected))
            return
        now = time.monotonic()
        done = self._done(kept, rejected)
        if now - self._last_log >= self.log_every or (self.total and done >= self.total):
            self._last_log = now
            counted = f"{done}/{self.total or '?'}" + (" read" if self.count_read else "")
            print(f"[bayling-data] {counted} {self._info(kept, rejected)}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Stop the live display."""
        if self._bar is not None:
            self._bar.stop()
