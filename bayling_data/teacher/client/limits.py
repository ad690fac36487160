"""Request-per-minute and token-per-minute limits, plus what the server says in `x-ratelimit-*` headers."""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Mapping

WINDOW = 60.0  # seconds
MAX_HEADER_PAUSE = 60.0  # never trust a reset hint beyond a minute


def parse_duration(value: str) -> float | None:
    """OpenAI-style reset durations: '1s', '6m0s', '20ms', '0.5s'."""
    total, found = 0.0, False
    for amount, unit in re.findall(r"([\d.]+)(ms|s|m|h)", value):
        found = True
        total += float(amount) * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]
    if found:
        return total
    try:
        return float(value)
    except ValueError:
        return None


class RateLimiter:
    """Sliding one-minute windows for requests and tokens; pauses when the server reports exhaustion."""

    def __init__(self, rpm: int | None = None, tpm: int | None = None, window: float = WINDOW) -> None:
        self.rpm, self.tpm, self.window = rpm, tpm, window
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def _expire(self, now: float) -> None:
        while self._requests and now - self._requests[0] >= self.window:
            self._requests.popleft()
        while self._tokens and now - self._tokens[0][0] >= self.window:
            self._tokens.popleft()

    def _wait_time(self, now: float, tokens: int) -> float:
        wait = max(0.0, self._paused_until - now)
        if self.rpm is not None and len(self._requests) >= self.rpm:
            wait = max(wait, self.window - (now - self._requests[0]))
        if self.tpm is not None and self._tokens:
            used = sum(count for _, count in self._tokens)
            if used + tokens > self.tpm:
                wait = max(wait, self.window - (now - self._tokens[0][0]))
        return wait

    async def acquire(self, tokens: int, stop: asyncio.Event | None = None) -> bool:
        """Wait (at most a window at a time) until a request of about `tokens` tokens fits the limits; False
        when `stop` is set first (the run is stopping: the wait ends at once)."""
        if self.rpm is None and self.tpm is None and self._paused_until == 0.0:
            return True
        stop = stop or asyncio.Event()
        async with self._lock:
            while True:
                now = time.monotonic()
                self._expire(now)
                wait = self._wait_time(now, tokens)
                if wait <= 0:
                    break
                try:
                    await asyncio.wait_for(stop.wait(), min(wait, self.window))
                except asyncio.TimeoutError:
                    continue
                return False
            self._requests.append(now)
            self._tokens.append((now, tokens))
        return True

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (a 429 with Retry-After says the whole client is too fast)."""
        self._paused_until = max(self._paused_until, time.monotonic() + min(seconds, MAX_HEADER_PAUSE))

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from `x-ratelimit-remaining-*` / `x-ratelimit-reset-*`: pause when nothing remains."""
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            reset = headers.get(f"x-ratelimit-reset-{kind}")
            if remaining is None or reset is None:
                continue
            try:
                left = int(float(remaining))
            except ValueError:
                continue
            pause = parse_duration(reset)
            if left <= 0 and pause is not None:
                self.pause(pause)
