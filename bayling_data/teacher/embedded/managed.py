"""What a teacher server that bayling-data starts, watches and stops itself must offer (`ManagedServer`), and
the registry of such servers by the name `--teacher` takes. Another server (llama.cpp's own, vLLM) is one
class with these members and one entry in `MANAGED`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from bayling_data.teacher.embedded.local_server import LocalOptions, LocalServer


class ManagedServer(Protocol):
    """A teacher server in a process of ours, serving the OpenAI API on loopback."""

    base_url: str  # `http://127.0.0.1:PORT/v1`, once started
    model: str  # the model name its answers carry

    @property
    def teacher_id(self) -> str:
        """Cache identity: what answers (the model file), not where (the port changes every run)."""
        ...

    @property
    def concurrency(self) -> int:
        """How many requests it decodes at once: the client keeps that many in flight."""
        ...

    def start(self) -> None:
        """Start it and wait until it answers (TeacherError with its log when it does not)."""

    def stop(self) -> None:
        """Stop it and wait for the process to end."""

    def exit_reason(self) -> str | None:
        """Why it is no longer running, in words (None: it runs); the client stops retrying a dead server."""


# `--teacher NAME`: how to make each managed server from the run's options (the embedded one's, `--slots` ...)
MANAGED: dict[str, Callable[[Any], ManagedServer]] = {
    "local": lambda options: LocalServer(options.local or LocalOptions()),
}
