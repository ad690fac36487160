"""`bayling-data push`: an output folder to the Hugging Face Hub, a commit per shard, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bayling_data.commands.common import err, fail


def push(folder: Path, repo: str, **options: object) -> None:
    """Push an output folder to the Hub, a line per file."""
    from bayling_data.export.push import PushError, files_to_push, push_folder

    try:
        total = len(files_to_push(folder, bool(options.get("include_rejected"))))
        done = 0

        def report(name: str, skipped: bool) -> None:
            nonlocal done
            done += 1
            err.print(f"[{done}/{total}] {'already there' if skipped else 'uploaded'}: {name}", highlight=False)

        result = push_folder(folder, repo, on_file=report, **options)  # type: ignore[arg-type]
    except PushError as error:
        raise fail(str(error), 1) from None
    err.print(
        f"[green]pushed[/] to {repo}: {len(result.uploaded)} uploaded, {len(result.skipped)} already there",
        highlight=False,
    )


def push_command(
    folder: Annotated[Path, typer.Argument(help="An output folder of generate or filter.")],
    repo: Annotated[str, typer.Option(help="Dataset repo on the Hub, e.g. user/name.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repo as private.")] = False,
    revision: Annotated[Optional[str], typer.Option(help="Branch to push to (created if missing).")] = None,
    token: Annotated[Optional[str], typer.Option(help="Hub token (default: HF_TOKEN or the saved login).")] = None,
    include_rejected: Annotated[
        bool, typer.Option("--include-rejected", help="Upload the rejected split too.")
    ] = False,
) -> None:
    """Push an output folder to the Hugging Face Hub, one commit per shard; re-run to resume."""
    push(folder, repo, token=token, private=private, revision=revision, include_rejected=include_rejected)
