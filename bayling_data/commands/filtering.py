"""`bayling-data filter` (clean existing corpora with the filters of generate) and `merge` (combine outputs)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.markup import escape

from bayling_data import languages
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
from bayling_data.teacher.errors import TeacherError
from bayling_data.teacher.setup import TeacherOptions

if TYPE_CHECKING:
    from bayling_data.pipeline import FilterOptions
    from bayling_data.run_state import RunState


@with_declared_flags
def filter_(
    ctx: typer.Context,
    inputs: Annotated[list[Path], typer.Argument(help="jsonl, jsonl.gz, parquet files or saved HF dataset folders.")],
    out: Annotated[Path, typer.Option(help="Output folder (same layout as generate).")],
    input_format: Annotated[
        Optional[str], typer.Option("--format", help="bayling, sharegpt, alpaca or messages (default: detected).")
    ] = None,
    lang: Annotated[
        Optional[str], typer.Option(help="Language every turn should be in (enables language ID on imports).")
    ] = None,
    on_error: Annotated[str, typer.Option(help="fail (default) or skip malformed lines.")] = "fail",
    shards: ShardOptions = ShardOptions(),  # noqa: B008 - spread into flags by with_declared_flags
    dataset: DatasetOptions = DatasetOptions(),  # noqa: B008
    output: Annotated[
        str, typer.Option("--output-format", help="Format of the final shards: parquet or jsonl.")
    ] = "parquet",
    overwrite: ReplaceOutput = False,
    engine: Annotated[str, typer.Option(help="local (this process) or ray (Ray Data, local or a cluster).")] = "local",
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster to join (default: start one here).")] = None,
    filters: FilterFlags = FilterFlags(),  # noqa: B008 - spread into flags by with_declared_flags
    teacher: TeacherOptions = TeacherOptions(),  # noqa: B008
) -> None:
    """Clean existing corpora with the same filters as generate; rejects are kept apart with their reason.

    The teacher options matter only with a teacher check (--round-trip-min-chrf, --judge-min-score)."""
    from bayling_data.pipeline import FilterOptions
    from bayling_data.sources.formats import FORMATS
    from bayling_data.sources.readers import InputError

    if on_error not in ("fail", "skip"):
        raise fail(f"--on-error must be fail or skip, got {on_error!r}")
    if input_format is not None and input_format not in FORMATS:
        raise fail(f"unknown --format {input_format!r}; choose from {', '.join(FORMATS)}")
    try:
        paths, flags = paths_and_flags([str(path) for path in inputs] + ctx.args)
        options = FilterOptions(
            inputs=paths,
            out=out,
            format=input_format,
            lang=languages.get(lang).code if lang else "",
            on_error=on_error,
            **_output_fields(shards, dataset, output, overwrite),
        )
        config = filters.config(extra_options(flags)[1])
        options.filters = config.summary()
        if engine == "ray":
            from bayling_data.ray_engine import run_filter_ray

            state = run_filter_ray(options, config, ray_address)
        elif engine == "local":
            state = run_stoppable(_filter_here(options, config, teacher))
        else:
            raise ValueError(f"--engine must be local or ray, got {engine!r}")
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
        f"[green]done:[/] kept {s['kept']}, rejected {s['rejected']}, skipped lines {s['skipped_lines']} -> {out}",
        highlight=False,
    )


def _output_fields(shards: ShardOptions, dataset: DatasetOptions, output: str, overwrite: bool) -> dict[str, Any]:
    """The fields of FilterOptions that say how the output is written, from the flags filter and merge share."""
    return {
        "shard_rows": shards.shard_rows,
        "shard_mb": shards.shard_mb,
        "output": sink(output).name,
        "overwrite": overwrite,
        "license": dataset.license,
        "val_fraction": dataset.val_fraction,
    }


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
    from bayling_data.pipeline import FilterOptions, run_filter
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
            filters=dedup_only.summary(),
            **_output_fields(shards, dataset, output, overwrite),
        )
        state = asyncio.run(run_filter(options, build_chain(dedup_only)))
    except (InputError, ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
    s = state.stats
    err.print(f"[green]merged:[/] {s['kept']} records, {s['rejected']} duplicates removed -> {out}", highlight=False)
