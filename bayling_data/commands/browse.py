"""Commands that look at what exists: the languages, an output's tables, the viewer, and the Hub upload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bayling_data import languages
from bayling_data.commands.common import err, fail, print_tables
from bayling_data.export.writer import OutputFolder
from bayling_data.languages import UnknownLanguageError


def list_languages(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    which: Annotated[
        str, typer.Option("--langs", help="Which languages: all, flores101, flores200, tier:low, codes...")
    ] = "all",
) -> None:
    """List the languages bayling-data knows."""
    try:
        chosen = languages.parse_langs(which)
    except UnknownLanguageError as error:
        raise fail(str(error)) from None
    if as_json:
        rows = [
            {
                "code": x.code,
                "iso1": x.iso1,
                "iso3": x.iso3,
                "name": x.name,
                "native": x.native,
                "script": x.script,
                "tier": x.tier,
                "flores101": x.flores101,
                "flores200": x.flores200,
                "langid": x.langid or None,
            }
            for x in chosen
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(chosen)} languages")
    for column in ("code", "iso1", "iso3", "name", "native", "script", "tier", "langid"):
        table.add_column(column)
    for x in chosen:
        table.add_row(x.code, x.iso1, x.iso3, x.name, x.native, x.script, x.tier, x.langid or "script only")
    Console().print(table)


def stats(folder: Annotated[Path, typer.Argument(help="An output folder of generate or filter.")]) -> None:
    """Print the tables of an output folder's dataset card."""
    state = OutputFolder(folder).load_state()
    if state is None:
        raise fail(f"{folder} is not a bayling-data output folder (no .bayling/state.json)")
    print_tables(state)
    typer.echo(f"\nkept {state.stats['kept']}, rejected {state.stats['rejected']}, complete: {state.complete}")


def view(
    folder: Annotated[Path, typer.Argument(help="An output folder of generate, filter or merge.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 8765,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
) -> None:
    """Look at a dataset in the browser: overview charts, search and facets, each dialogue as a chat (Ctrl-C stops)."""
    import webbrowser

    from bayling_data.view.data import NotAnOutputFolder
    from bayling_data.view.server import serve

    def ready(url: str) -> None:
        err.print(f"viewing {folder} at {url} (Ctrl-C stops)", highlight=False)
        if open_browser:
            webbrowser.open(url)

    try:
        serve(folder, port, on_ready=ready)
    except NotAnOutputFolder as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"cannot listen on 127.0.0.1:{port} ({error.strerror or error}); pick another --port") from None
