"""`bayling-data generate`: a dataset of exactly --n records made by a teacher LLM."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from bayling_data import languages
from bayling_data.commands.arguments import extra_options, parse_directions, parse_shard
from bayling_data.commands.common import (
    OutputFormat,
    ReplaceOutput,
    announce,
    err,
    fail,
    run_stoppable,
)
from bayling_data.commands.flags import with_declared_flags
from bayling_data.commands.push import push
from bayling_data.export.sinks import sink
from bayling_data.export.writer import DatasetOptions, OutputFolder, ShardOptions
from bayling_data.filters import FilterConfig, FilterFlags, build_chain
from bayling_data.languages import UnknownLanguageError
from bayling_data.sources.readers import user_path
from bayling_data.teacher.client.accounting import Budget
from bayling_data.teacher.embedded.local_server import LocalOptions
from bayling_data.teacher.errors import TeacherError
from bayling_data.teacher.setup import TeacherOptions

if TYPE_CHECKING:
    from bayling_data.pipeline import GenerateOptions
    from bayling_data.run_state import RunState

LOCAL_MAX_TOKENS, LOCAL_TEMPERATURE = 256, 0.3  # a small local model rambles: keep it short and cool


@with_declared_flags
def generate(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--n", help="Number of records to produce (after filtering).")],
    out: Annotated[Path, typer.Option(help="Output folder (a Hugging Face dataset).")],
    langs: Annotated[
        str, typer.Option(help="Languages: codes (zh,en,de), 'all', 'flores101', 'flores200' or 'tier:low'.")
    ] = "zh,en",
    generator: Annotated[str, typer.Option(help="Generator name.")] = "interactive_translation",
    directions: Annotated[
        Optional[str], typer.Option(help="Translation directions, e.g. en-zh,zh-en (default: all pairs).")
    ] = None,
    source: Annotated[
        Optional[Path], typer.Option(help="Seed texts: .txt, .jsonl, .parquet or a saved dataset.")
    ] = None,
    source_column: Annotated[str, typer.Option(help="Column of --source that holds the text.")] = "text",
    source_lang: Annotated[
        Optional[str], typer.Option(help="Language of --source (default: detected per text).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same output.")] = 0,
    temperature: Annotated[
        Optional[float], typer.Option(help=f"Teacher sampling temperature (default 0.7; {LOCAL_TEMPERATURE} local).")
    ] = None,
    answer_tokens: Annotated[
        Optional[int], typer.Option(help=f"Most tokens per teacher answer (default 512; {LOCAL_MAX_TOKENS} local).")
    ] = None,
    max_attempts: Annotated[
        Optional[int], typer.Option(help="Give up after this many records tried (default 20*n+100).")
    ] = None,
    shard: Annotated[
        Optional[str], typer.Option(help="k/N: make the k-th of N disjoint parts of the job (k from 0).")
    ] = None,
    shards: ShardOptions = ShardOptions(),  # noqa: B008 - spread into flags by with_declared_flags
    output: OutputFormat = "parquet",
    dataset: DatasetOptions = DatasetOptions(),  # noqa: B008 - spread into flags by with_declared_flags
    push_to_hub: Annotated[Optional[str], typer.Option(help="Push the finished dataset to this Hub repo.")] = None,
    hub_private: Annotated[bool, typer.Option("--hub-private", help="Create the Hub repo as private.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out.")] = False,
    overwrite: ReplaceOutput = False,
    teacher: TeacherOptions = TeacherOptions(),  # noqa: B008 - spread into flags by with_declared_flags
    local: LocalOptions = LocalOptions(),  # noqa: B008
    budget: Budget = Budget(),  # noqa: B008
    filters: FilterFlags = FilterFlags(),  # noqa: B008
) -> None:
    """Generate a dataset of exactly --n records with a teacher LLM."""
    if n <= 0:
        raise fail(f"--n must be a positive number of records, got {n}")
    if resume and overwrite:
        raise fail("--resume and --overwrite exclude each other")
    source = user_path(source) if source is not None else None
    if source is not None and not source.exists():
        raise fail(f"--source {source}: no such file or folder")
    try:
        generator_options, step_settings = extra_options(ctx.args, generator)
        config = filters.config(step_settings)
        options = _options(
            langs, directions, source_lang, shard, output, temperature, answer_tokens,
            n=n, out=out, generator=generator, seed=seed, source=source, source_column=source_column,
            max_attempts=max_attempts, resume=resume, overwrite=overwrite, shard_rows=shards.shard_rows,
            shard_mb=shards.shard_mb, license=dataset.license, val_fraction=dataset.val_fraction,
            generator_options=generator_options, filters=config.summary(),
        )  # fmt: skip
    except (UnknownLanguageError, ValueError, FileNotFoundError) as error:
        raise fail(str(error)) from None
    state = _run(options, replace(teacher, budget=budget, local=local), config, temperature, answer_tokens)
    stats = state.stats
    err.print(f"[green]done:[/] {stats['kept']} records in {out} ({stats['rejected']} rejected)", highlight=False)
    if push_to_hub:
        push(out, push_to_hub, token=None, private=hub_private, revision=None, include_rejected=False)


def _options(
    langs: str,
    directions: str | None,
    source_lang: str | None,
    shard: str | None,
    output: str,
    temperature: float | None,
    answer_tokens: int | None,
    **same: Any,
) -> GenerateOptions:
    """The run's options from the flags that need reading (languages, directions, shard, format); the `same`
    ones pass as they are."""
    from bayling_data.pipeline import GenerateOptions

    lang_list = languages.parse_langs(langs)
    if same["generator"] == "interactive_translation" and len(lang_list) < 2 and not directions:
        raise UnknownLanguageError("--langs needs at least two languages to translate between")
    return GenerateOptions(
        langs=lang_list,
        directions=parse_directions(directions, lang_list),
        source_lang=languages.get(source_lang).code if source_lang else None,
        shard=parse_shard(shard),
        output=sink(output).name,
        temperature=0.7 if temperature is None else temperature,
        max_tokens=answer_tokens or 512,
        **same,
    )


def _run(
    options: GenerateOptions,
    teacher_options: TeacherOptions,
    config: FilterConfig,
    temperature: float | None,
    answer_tokens: int | None,
) -> RunState:
    """Open the teacher and run; every way it can end short becomes one line."""
    from bayling_data.pipeline import RunIncomplete, run_generate
    from bayling_data.teacher.setup import open_teacher

    try:  # before any teacher starts
        folder = OutputFolder(options.out)
        folder.refuse_to_hold(teacher_options.cache_file(), "--cache")
        folder.check_start(resume=options.resume, overwrite=options.overwrite)
    except FileExistsError as error:
        raise fail(str(error)) from None

    async def main() -> RunState:
        async with open_teacher(teacher_options) as chosen:
            options.concurrency = chosen.concurrency
            if chosen.embedded:
                options.max_tokens = answer_tokens or LOCAL_MAX_TOKENS
                options.temperature = LOCAL_TEMPERATURE if temperature is None else temperature
            announce(chosen, config)
            return await run_generate(options, chosen, build_chain(config, teacher=chosen))

    try:
        return run_stoppable(main())
    except KeyboardInterrupt:
        raise fail("interrupted: what was made is saved; continue with the same command and --resume", 130) from None
    except (TeacherError, RunIncomplete) as error:
        made = OutputFolder(options.out).state_path.exists()
        again = f"\nWhat was made is saved in {options.out}; continue with --resume." if made else ""
        raise fail(f"{error}{again}", 1) from None
    except (ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
