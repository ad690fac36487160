"""Choose and build the teacher for a run: an endpoint from flags/env, or the embedded local server."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from bayling_data.options import option
from bayling_data.teacher import Teacher
from bayling_data.teacher.client import list_models
from bayling_data.teacher.client.accounting import Budget, Usage
from bayling_data.teacher.client.cache import RequestCache
from bayling_data.teacher.client.limits import RateLimiter
from bayling_data.teacher.client.transport import ChatTransport
from bayling_data.teacher.embedded.local_server import LocalOptions
from bayling_data.teacher.embedded.managed import MANAGED
from bayling_data.teacher.errors import TeacherError

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
KINDS = ("auto", *MANAGED, "remote")
LOCAL_MIN_TIMEOUT = 900.0  # seconds: the embedded teacher's answers on a loaded 2-core machine took over 120


@dataclass
class TeacherOptions:
    """Flags that choose the teacher."""

    help_panel: ClassVar[str] = "Teacher"

    kind: str = option(
        "auto", "auto (local unless an endpoint is configured), local or remote.", choices=KINDS, flag="--teacher"
    )
    base_url: str | None = option(None, "OpenAI-compatible endpoint (or OPENAI_BASE_URL).")
    api_key: str | None = option(None, "API key (prefer the OPENAI_API_KEY variable).")
    model: str | None = option(None, "Teacher model name (default: the first the endpoint lists).")
    concurrency: int | None = option(
        None, "Most teacher requests in flight (default 16; the local teacher's --slots).", low=1, high=100_000
    )
    timeout: float = option(120.0, "Seconds before one teacher request times out.", low=0.1, high=86_400.0)
    cache_path: Path | None = option(None, "Teacher cache file (default ~/.cache/bayling-data/).", flag="--cache")
    use_cache: bool = option(True, "Read and write the teacher cache.", flag="--use-cache/--no-cache")
    price_in: float | None = option(None, "USD per million input tokens (overrides the table).", low=0.0, high=1e6)
    price_out: float | None = option(None, "USD per million output tokens.", low=0.0, high=1e6)
    batch: bool = option(False, "Send requests through the OpenAI Batch API.")
    batch_window: float = option(2.0, "--batch: seconds without new requests before a job is sent.", low=0.0, high=1e6)
    batch_poll: float = option(30.0, "--batch: seconds between status checks of a job.", low=0.1, high=1e6)
    rpm: int | None = option(None, "Most teacher requests per minute.", low=1, high=10**9)
    tpm: int | None = option(None, "Most teacher tokens per minute (estimated before sending).", low=1, high=10**12)
    max_attempts: int = 5  # tries of one request
    budget: Budget | None = None
    local: LocalOptions | None = None

    def resolved(self) -> TeacherOptions:
        """Fill gaps from OPENAI_BASE_URL / OPENAI_API_KEY."""
        base_url = self.base_url or os.environ.get("OPENAI_BASE_URL") or None
        api_key = self.api_key or os.environ.get("OPENAI_API_KEY") or None
        kind = self.kind
        if kind == "auto":
            kind = "remote" if (base_url or api_key) else "local"
        return TeacherOptions(**{**self.__dict__, "kind": kind, "base_url": base_url, "api_key": api_key})

    def cache_file(self) -> Path | None:
        """Where the answers are cached (None: --no-cache)."""
        return (self.cache_path or default_cache_path()).expanduser() if self.use_cache else None


def default_cache_path() -> Path:
    """`$XDG_CACHE_HOME/bayling-data/teacher-cache.sqlite` (shared by every run of this user)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "bayling-data" / "teacher-cache.sqlite"


async def _first_model(base_url: str, api_key: str, timeout: float) -> str:
    transport = ChatTransport(base_url, api_key, min(timeout, 20.0), 1)
    try:
        models = await list_models(transport)
    finally:
        await transport.close()
    if not models:
        raise TeacherError(f"{base_url} lists no model: pass --model")
    return models[0]


@contextlib.asynccontextmanager
async def open_teacher(options: TeacherOptions) -> AsyncIterator[Teacher]:
    """A ready teacher (endpoint checked); starts and stops the local server when that is the choice."""
    options = options.resolved()
    cache_file = options.cache_file()
    cache = RequestCache(cache_file) if cache_file is not None else None
    with contextlib.ExitStack() as stack:
        if cache is not None:
            stack.callback(cache.close)
        if options.kind in MANAGED:
            server = MANAGED[options.kind](options)
            server.start()  # in the main thread: the child dies with the thread that started it
            stack.callback(server.stop)
            base_url, api_key, model, teacher_id = server.base_url, "local", server.model, server.teacher_id
            gone = server.exit_reason
            concurrency = options.concurrency or server.concurrency
            # a server we started and watch (`gone`) is slow when the machine is busy, not lost: give it time
            timeout = max(options.timeout, LOCAL_MIN_TIMEOUT)
        else:
            base_url = options.base_url or OPENAI_URL
            api_key = options.api_key or "EMPTY"  # self-hosted servers accept any key
            if options.model:
                model = options.model
            elif base_url == OPENAI_URL:
                model = OPENAI_DEFAULT_MODEL
            else:
                model = await _first_model(base_url, api_key, options.timeout)
            teacher_id, gone = base_url, None
            concurrency = options.concurrency or 16
            timeout = options.timeout
        usage = Usage.for_model(model, options.price_in, options.price_out)
        if options.budget is not None:
            usage.budget = options.budget
        teacher = Teacher(
            base_url=base_url,
            api_key=api_key,
            model=model,
            teacher_id=teacher_id,
            embedded=options.kind in MANAGED,
            server_gone=gone,
            usage=usage,
            cache=cache,
            concurrency=concurrency,
            timeout=timeout,
            max_attempts=options.max_attempts,
            limiter=RateLimiter(options.rpm, options.tpm),
        )
        if options.batch:
            teacher.use_batch_api(options.batch_window, options.batch_poll)
        try:
            await teacher.check()
            yield teacher
        finally:
            await teacher.aclose()
