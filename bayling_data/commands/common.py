"""What every command shares: the error line, a stoppable run, the flags several commands take, and the
tables a finished run prints."""

from __future__ import annotations

import asyncio
import difflib
import logging
import signal
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from bayling_data import diversity
from bayling_data.export import card
from bayling_data.export.sinks import OUTPUT_HELP
from bayling_data.teacher.embedded.local_server import terminate_on_sigterm

if TYPE_CHECKING:
    from bayling_data.filters import FilterConfig
    from bayling_data.run_state import RunState
    from bayling_data.teacher import Teacher

T = TypeVar("T")
err = Console(stderr=True)

# `--output-format` as well: `filter`'s `--format` names its input's format, so there only this one works
OutputFormat = Annotated[str, typer.Option("--format", "--output-format", help=OUTPUT_HELP)]
ReplaceOutput = Annotated[bool, typer.Option("--overwrite", help="Replace --out if it holds an earlier output.")]


class _WarningLines(logging.Handler):
    """Prints what the library logs at WARNING and above as a yellow `warning:` line on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        err.print(f"[yellow]warning:[/] {escape(record.getMessage())}", highlight=False)


def show_warnings() -> None:
    """Let the library's warnings (`logging.getLogger("bayling_data")`) reach the user, once per process."""
    logger = logging.getLogger("bayling_data")
    if not any(isinstance(handler, _WarningLines) for handler in logger.handlers):
        logger.addHandler(_WarningLines(logging.WARNING))
        logger.setLevel(logging.WARNING)
        logger.propagate = False


STOPPING = "stopping: the answers to requests already sent are being received and saved; Ctrl-C again stops at once"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error and return the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def run_stoppable(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, where Ctrl-C and SIGTERM stop the run cleanly: the main task is cancelled, so
    requests already sent are still received and cached (each bounded by --timeout) before the process
    exits, and the user is told so; a second signal ends it at once. It ends in KeyboardInterrupt.
    Outside the event loop SIGTERM raises KeyboardInterrupt at once."""

    # Ctrl-C only where it has its default meaning (a run started in the background ignores it); asyncio.run
    # puts its own handler in its place, which this one replaces while the run lasts
    stops = [signal.SIGTERM] + [signal.SIGINT] * (signal.getsignal(signal.SIGINT) is signal.default_int_handler)

    async def stoppable() -> T:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        signals = 0

        def on_signal(signum: int, frame: object) -> None:
            # the first stops the run cleanly from the loop; a second ends it at once, even in a blocking read
            nonlocal signals
            signals += 1
            if signals > 1:
                raise KeyboardInterrupt
            loop.call_soon_threadsafe(lambda: err.print(STOPPING, highlight=False))
            loop.call_soon_threadsafe(task.cancel)

        outside = {signum: signal.signal(signum, on_signal) for signum in stops}
        try:
            return await main
        finally:
            for signum, handler in outside.items():
                signal.signal(signum, handler)

    with terminate_on_sigterm():
        try:
            return asyncio.run(stoppable())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None


def announce(teacher: Teacher, config: FilterConfig) -> None:
    """Say which teacher answers, and warn when a check asks more of it than the embedded model can give."""
    err.print(f"teacher: {teacher.model} at {teacher.base_url}", highlight=False)
    listed = teacher.listed_models
    if listed and teacher.model not in listed and not teacher.embedded:
        close = difflib.get_close_matches(teacher.model, listed, n=3)
        hint = f"; close: {', '.join(close)}" if close else f"; it lists {', '.join(listed[:5])}"
        err.print(
            f"[yellow]warning:[/] {teacher.base_url} does not list the model {teacher.model!r}{hint}", highlight=False
        )
    if config.teacher_steps() and teacher.embedded:
        err.print(
            f"[yellow]warning:[/] the embedded local teacher is too small for {', '.join(config.teacher_steps())}:"
            " expect it to reject most records (use --base-url with a stronger model)",
            highlight=False,
        )


def print_tables(state: RunState) -> None:
    """The dataset card's tables of a run: counts, rejects, spend, and diversity when measured."""
    typer.echo(card.stats_tables(state.stats))
    if balance := card.balance_section(state.balance, state.stats):
        typer.echo("\n" + balance.rstrip())
    if state.diversity:
        typer.echo(f"\n## Diversity (first {diversity.SAMPLE:,} dialogues per instruction language)\n")
        typer.echo(diversity.table(state.diversity))
