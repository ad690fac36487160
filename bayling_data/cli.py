"""The `bayling-data` command line."""

from __future__ import annotations

import errno
import os
import sys

import typer
from rich.markup import escape

from bayling_data.commands import browse, filtering, generate, push
from bayling_data.commands.arguments import filters_help, generator_help
from bayling_data.commands.common import err, show_warnings
from bayling_data.commands.teacher import teacher_app

FREE_FLAGS = {"allow_extra_args": True, "ignore_unknown_options": True}  # the options parts declare

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
app.command(context_settings=FREE_FLAGS, epilog=generator_help() + "\n\n" + filters_help())(generate.generate)
app.command("filter", context_settings=FREE_FLAGS, epilog=filters_help())(filtering.filter_)
app.command()(filtering.merge)
app.command("languages")(browse.list_languages)
app.command("push")(push.push_command)
app.command()(browse.stats)
app.command()(browse.view)
app.add_typer(teacher_app, name="teacher")


def main() -> None:
    """Console-script entry point: every failure ends in a line or two that say what, where and what next;
    the traceback only with --debug (anywhere on the line) or BAYLING_DEBUG=1."""
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
        os.environ["BAYLING_DEBUG"] = "1"
    show_warnings()
    try:
        app(prog_name="bayling-data")
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        sys.exit(130)
    except Exception as error:
        if os.environ.get("BAYLING_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {escape(explain(error))}", highlight=False)
        sys.exit(1)


def explain(error: BaseException) -> str:
    """What went wrong, where, and what to do next, for an error no command caught itself."""
    if isinstance(error, OSError) and error.errno is not None:
        where = f" ({error.filename})" if error.filename else ""
        if error.errno == errno.ENOSPC:
            return (
                f"no space left on the device{where}. Free some disk space, then run the same command again:"
                " generate with --resume (what was made is kept), filter or merge with --overwrite."
            )
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return f"cannot write{where}: {error.strerror}. Choose an --out you can write to."
        return f"{error.strerror}{where}. Run again with --debug for the details."
    return f"{type(error).__name__}: {error}. This is a bug: run again with --debug and report the traceback."


if __name__ == "__main__":
    sys.exit(main())
