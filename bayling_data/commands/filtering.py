"""`bayling-data filter` (clean existing corpora with the filters of generate) and `merge` (combine outputs)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bayling_data.commands.arguments import extra_options, paths_and_flags
from bayling_data.commands.common import (
    OutputFormat,
    ReplaceOutput,
    announce,
    err,
    fail,
    print_tables,
    run_stoppable,
)
from bayling_data.commands.flags import with_declared_flags
from bayling_data.export.sinks import sink
from bayling_data.export.writer import DatasetOptions, OutputFolder, ShardOptions
from bayling_data.filters import FilterConfig, FilterFlags, build_chain
from bayling_data.languages import UnknownLanguageError
from bayling_data.pipeline.filter import FilterOptions
from bayling_data.teacher.errors import TeacherError
from bayling_data.teacher.setup import TeacherOptions

if TYPE_CHECKING:
    from bayling_data.run_state import RunState


@with_declared_flags
def filter_(
    ctx: typer.Context,
    inputs: Annotated[list[Path], typer.Argument(help="jsonl, jsonl.gz, parquet files or saved HF dataset folders.")],
    run: FilterOptions,  # spread into flags by with_declared_flags, like every part's options below
    shards: ShardOptions = ShardOptions(),  # noqa: B008
    dataset: DatasetOptions = DatasetOptions(),  # noqa: B008
    filters: FilterFlags = FilterFlags(),  # noqa: B008
    teacher: TeacherOptions = TeacherOptions(),  # noqa: B008
) -> None:
    """Clean existing corpora with the same filters as generate; rejects are kept apart with their reason.

    The teacher options matter only with a teacher check (--round-trip-min-chrf, --judge-min-score)."""
    from bayling_data.sources.readers import InputError

    try:
        paths, flags = paths_and_flags([str(path) for path in inputs] + ctx.args)
        config = filters.config(extra_options(flags)[1])
        options = replace(run, inputs=paths, shards=shards, dataset=dataset, filters=config.summary())
        options.validate()
        if options.engine == "ray":
            from bayling_data.ray_engine import run_filter_ray

            state = run_filter_ray(options, config, options.ray_address)
        else:
            state = run_stoppable(_filter_here(options, config, teacher))
    except (InputError, UnknownLanguageError, ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
    except TeacherError as error:
        again = "run the same command with --overwrite: the teacher's answers so far are cached"
        raise fail(f"{error}\n{again}", 1) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    print_tables(state)
    s = state.stats
    if state.skipped:
        shown = "; ".join(state.skipped[:3])
        more = f" (first {len(state.skipped)} in run_summary.json)" if s["skipped_lines"] > 3 else ""
        err.print(f"[yellow]skipped {s['skipped_lines']}:[/] {escape(shown)}{more}", highlight=False)
    err.print(
        f"[green]done:[/] kept {s['kept']}, rejected {s['rejected']}, skipped lines {s['skipped_lines']} -> {run.out}",
        highlight=False,
    )


async def _filter_here(options: FilterOptions, config: FilterConfig, teacher_options: TeacherOptions) -> RunState:
    """`filter` in this process; the teacher is started (or reached) only when a teacher check is on."""
    from bayling_data.pipeline import run_filter
    from bayling_data.teacher.setup import open_teacher

    if not config.teacher_steps():
        return await run_filter(options, build_chain(config))
    OutputFolder(options.out).refuse_to_hold(teacher_options.cache_file(), "--cache")
    async with open_teacher(teacher_options) as teacher:
        announce(teacher, config)
        return await run_filter(options, build_chain(config, teacher=teacher))


@with_declared_flags
def merge(
    folders: Annotated[list[Path], typer.Argument(help="Output folders to combine (e.g. the shards of one job).")],
    out: Annotated[Path, typer.Option(help="Output folder of the merged dataset.")],
    shards: ShardOptions = ShardOptions(),  # noqa: B008 - spread into flags by with_declared_flags
    dataset: DatasetOptions = DatasetOptions(),  # noqa: B008
    output: OutputFormat = "parquet",
    overwrite: ReplaceOutput = False,
) -> None:
    """Combine output folders into one dataset, removing exact and near duplicates across them."""
    from bayling_data.pipeline import run_filter
    from bayling_data.sources.readers import InputError

    missing = [f for f in folders if not (f / "data").is_dir()]
    if missing:
        raise fail(f"not a finished bayling-data output (no data/ folder): {', '.join(map(str, missing))}")
    dedup_only = FilterConfig.dedup_only()
    try:
        options = FilterOptions(
            inputs=[f / "data" for f in folders],
            out=out,
            format="bayling",
            output=sink(output).name,
            overwrite=overwrite,
            shards=shards,
            dataset=dataset,
            filters=dedup_only.summary(),
        )
        state = asyncio.run(run_filter(options, build_chain(dedup_only)))
    except (InputError, ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
    s = state.stats
    err.print(f"[green]merged:[/] {s['kept']} records, {s['rejected']} duplicates removed -> {out}", highlight=False)
