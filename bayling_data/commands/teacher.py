"""`bayling-data teacher serve|mock`: the local teacher alone, or a mock teacher for dry runs."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from bayling_data.commands.common import err, fail
from bayling_data.commands.flags import with_declared_flags
from bayling_data.teacher.embedded.local_server import LocalOptions, LocalServer, terminate_on_sigterm
from bayling_data.teacher.errors import TeacherError

teacher_app = typer.Typer(no_args_is_help=True, help="Run a teacher server (local model, or a mock for dry runs).")


@teacher_app.command("serve")
@with_declared_flags
def teacher_serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 8080,
    local: LocalOptions = LocalOptions(),  # noqa: B008 - spread into flags by with_declared_flags
) -> None:
    """Run the local teacher so that several runs can share it (--base-url http://127.0.0.1:PORT/v1)."""
    try:
        server = LocalServer(replace(local, port=port))
        with terminate_on_sigterm(), server:
            err.print(f"local teacher {server.model} at {server.base_url} (Ctrl-C stops it)", highlight=False)
            server.wait()
    except KeyboardInterrupt:
        return
    except TeacherError as error:
        raise fail(str(error), 1) from None


@teacher_app.command("mock")
def teacher_mock(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8081,
    latency: Annotated[float, typer.Option(help="Seconds added to every answer.")] = 0.0,
    fail_langs: Annotated[
        str, typer.Option(help="Languages it cannot write (codes, comma-separated): it answers them in another.")
    ] = "",
) -> None:
    """Run a deterministic fake OpenAI-compatible teacher (no model) for dry runs of a pipeline."""
    from bayling_data.languages import UnknownLanguageError, check_flag, get
    from bayling_data.testing.mock_teacher import Faults, MockState, serve_forever

    codes = [code.strip() for code in fail_langs.split(",") if code.strip()]
    try:
        check_flag("--fail-langs", codes)
    except UnknownLanguageError as error:
        raise fail(str(error)) from None
    faults = Faults(fail_langs=tuple(get(code).code for code in codes))
    err.print(f"mock teacher at http://127.0.0.1:{port}/v1", highlight=False)
    serve_forever(MockState(latency=latency, faults=faults), port)
