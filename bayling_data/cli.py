"""The `bayling-data` command line."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bayling_data import diversity, languages
from bayling_data.export import card
from bayling_data.export.sinks import sink
from bayling_data.export.writer import OutputFolder
from bayling_data.filters import FilterConfig, build_chain
from bayling_data.languages import UnknownLanguageError
from bayling_data.teacher.accounting import Budget
from bayling_data.teacher.errors import TeacherError
from bayling_data.teacher.local import LocalOptions, LocalServer, terminate_on_sigterm

if TYPE_CHECKING:
    from bayling_data.pipeline import FilterOptions
    from bayling_data.setup_teacher import TeacherOptions
    from bayling_data.teacher import Teacher

T = TypeVar("T")
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
teacher_app = typer.Typer(no_args_is_help=True, help="Run a teacher server (local model, or a mock for dry runs).")
app.add_typer(teacher_app, name="teacher")
err = Console(stderr=True)

# Options that several commands share, declared once.
FiltersFile = Annotated[Optional[Path], typer.Option("--filters", help="YAML/TOML file of filter settings.")]
SkipFilter = Annotated[Optional[str], typer.Option(help="Filter steps to skip, comma-separated.")]
LangidBackend = Annotated[
    Optional[str],
    typer.Option(
        help="Language classifiers that vote, comma-separated: cld2,heliport,py3langid (default), langdetect."
    ),
]
ShardRows = Annotated[int, typer.Option(help="Most records per parquet shard.")]
ShardMb = Annotated[Optional[float], typer.Option(help="About this many MiB per parquet shard.")]
OutputFormat = Annotated[str, typer.Option("--format", help="Format of the final shards: parquet or jsonl.")]
ReplaceOutput = Annotated[bool, typer.Option("--overwrite", help="Replace --out if it holds an earlier output.")]
RoundTripChrf = Annotated[
    Optional[float],
    typer.Option(help="Teacher check: translate answers back, reject below this chrF (0-100). Off by default."),
]
JudgeMinScore = Annotated[
    Optional[int], typer.Option(help="Teacher check: the teacher rates records 1-5, reject below this. Off by default.")
]
TeacherKind = Annotated[str, typer.Option(help="auto (local unless an endpoint is configured), local or remote.")]
TeacherModel = Annotated[Optional[str], typer.Option("--model", help="Teacher model name.")]
BaseUrl = Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint (or OPENAI_BASE_URL).")]
ApiKey = Annotated[Optional[str], typer.Option(help="API key (prefer the OPENAI_API_KEY variable).")]
Concurrency = Annotated[Optional[int], typer.Option(help="Most teacher requests in flight (default 16; 1 for local).")]
Timeout = Annotated[float, typer.Option(help="Seconds before one teacher request times out.")]
CacheFile = Annotated[
    Optional[Path], typer.Option("--cache", help="Teacher cache file (default ~/.cache/bayling-data/).")
]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the teacher cache.")]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error and return the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def run_stoppable(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, where SIGTERM stops the run the way Ctrl-C does: the main task is cancelled, so
    requests already sent are still received and cached (each bounded by --timeout) before the process
    exits; it ends in KeyboardInterrupt. Outside the event loop SIGTERM raises KeyboardInterrupt at once."""

    async def stoppable() -> T:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        outside = signal.getsignal(signal.SIGTERM)
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, outside)

    with terminate_on_sigterm():
        try:
            return asyncio.run(stoppable())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None


def parse_directions(
    spec: str | None, langs: list[languages.Language]
) -> list[tuple[languages.Language, languages.Language]]:
    """`en-zh,zh-en` -> pairs; default: every ordered pair of --langs."""
    if not spec:
        return [(a, b) for a in langs for b in langs if a != b]
    pairs = []
    for part in spec.split(","):
        src, sep, tgt = part.strip().partition("-")
        if not sep:
            raise UnknownLanguageError(f"--directions: {part!r} is not SRC-TGT")
        pairs.append((languages.get(src), languages.get(tgt)))
    return pairs


def extra_options(args: list[str], generator: str | None = None) -> tuple[Any, dict[str, Any]]:
    """The options that parts declare, from the extra arguments of `generate` or `filter`: the chosen
    generator's options object and the filter settings given as flags (`--near-dup-threshold 0.9`). Flags of
    another installed generator are ignored with a warning; anything else is an error."""
    from bayling_data.filters import registry as filter_registry
    from bayling_data.generators import registry
    from bayling_data.options import build, parse_flags

    chosen = registry.options_class(generator) if generator else None
    steps = list(dict.fromkeys(step.Options for step in filter_registry.steps().values()))
    others = []
    for other in registry.available() if generator else ():
        try:
            declared = registry.options_class(other)
        except Exception:  # a broken plugin does not stop a run of another generator
            continue
        if other != generator and declared is not chosen:
            others.append(declared)
    found, rest = parse_flags([*([chosen] if chosen else []), *steps, *dict.fromkeys(others)], args)
    if rest:
        raise ValueError(f"no such option: {rest[0]} (`--help` lists the options)")
    ignored = [key for cls in others for key in found.get(cls, {}) if not chosen or key not in found[chosen]]
    if ignored:
        err.print(f"[yellow]ignored:[/] {', '.join(ignored)} (not options of generator {generator})", highlight=False)
    settings = {key: value for cls in steps for key, value in found[cls].items()}
    return (build(chosen, found[chosen]) if chosen else None), settings


def parse_shard(spec: str | None) -> tuple[int, int]:
    """`2/8` -> (2, 8)."""
    if not spec:
        return (0, 1)
    k, sep, count = spec.partition("/")
    try:
        shard = (int(k), int(count))
    except ValueError:
        raise ValueError(f"--shard must be k/N with whole numbers, got {spec!r}") from None
    if not sep or not 0 <= shard[0] < shard[1]:
        raise ValueError(f"--shard must be k/N with 0 <= k < N, got {spec!r}")
    return shard


def _paths_and_flags(tokens: list[str]) -> tuple[list[Path], list[str]]:
    """Split `filter`'s free arguments: the input paths, and the steps' own flags (each `--name value` or
    `--name=value`) that click, not knowing them, left among the paths."""
    paths: list[Path] = []
    flags: list[str] = []
    tokens = list(tokens)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("--"):
            paths.append(Path(token))
            continue
        flags.append(token)
        if "=" not in token and tokens:
            flags.append(tokens.pop(0))
    if not paths:
        raise ValueError("no input given: filter FILE_OR_FOLDER ... --out OUT")
    return paths, flags


def _filter_config(
    config_file: Optional[Path],
    skip: Optional[str],
    backend: Optional[str],
    round_trip_chrf: Optional[float] = None,
    judge_min_score: Optional[int] = None,
    flags: Optional[dict[str, Any]] = None,
) -> FilterConfig:
    """The settings file, then the flags (the steps' own flags, then the named ones) over it."""
    config = FilterConfig.from_file(config_file) if config_file else FilterConfig()
    config.settings.update(flags or {})
    if skip:
        config.skip = [s.strip() for s in skip.split(",") if s.strip()]
    if backend:
        config.settings["langid_backend"] = backend
    if round_trip_chrf is not None:
        config.settings["round_trip_min_chrf"] = round_trip_chrf
    if judge_min_score is not None:
        config.settings["judge_min_score"] = judge_min_score
    config.validate()
    return config


def _filters_help() -> str:
    """The settings every installed filter step declares, as flags (plugins' included)."""
    from bayling_data.filters.build import settings_help

    try:
        return "Settings of the filter steps (also keys of --filters):\n\n" + settings_help()
    except Exception as error:  # a broken plugin must not break --help
        return f"Filter steps: cannot list them ({type(error).__name__}: {error})"


def _generator_help() -> str:
    """The options every installed generator declares, for `generate --help` (plugins' included)."""
    from bayling_data.generators import registry
    from bayling_data.options import describe

    lines = ["Options of the generators (only the chosen --generator's count; another's are ignored):"]
    for name in sorted(registry.available()):
        try:
            lines.append(f"{name}: {describe(registry.options_class(name)) or 'none'}")
        except Exception as error:  # a broken plugin must not break --help
            lines.append(f"{name}: cannot load ({type(error).__name__}: {error})")
    return "\n\n".join(lines)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog=_generator_help() + "\n\n" + _filters_help(),
)
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
    teacher: TeacherKind = "auto",
    model: TeacherModel = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    concurrency: Concurrency = None,
    timeout: Timeout = 120.0,
    temperature: Annotated[
        Optional[float], typer.Option(help="Teacher sampling temperature (default 0.7; 0.3 local).")
    ] = None,
    answer_tokens: Annotated[
        Optional[int], typer.Option(help="Most tokens per teacher answer (default 512; 256 local).")
    ] = None,
    max_cost: Annotated[Optional[float], typer.Option(help="Stop cleanly when this many USD are spent.")] = None,
    max_requests: Annotated[Optional[int], typer.Option(help="Stop cleanly after this many teacher requests.")] = None,
    max_tokens: Annotated[Optional[int], typer.Option(help="Stop cleanly after this many tokens in+out.")] = None,
    batch: Annotated[bool, typer.Option("--batch", help="Send requests through the OpenAI Batch API.")] = False,
    batch_window: Annotated[
        float, typer.Option(help="--batch: seconds without new requests before a job is sent.")
    ] = 2.0,
    batch_poll: Annotated[float, typer.Option(help="--batch: seconds between status checks of a job.")] = 30.0,
    rpm: Annotated[Optional[int], typer.Option(help="Most teacher requests per minute.")] = None,
    tpm: Annotated[
        Optional[int], typer.Option(help="Most teacher tokens per minute (estimated before sending).")
    ] = None,
    price_in: Annotated[
        Optional[float], typer.Option(help="USD per million input tokens (overrides the table).")
    ] = None,
    price_out: Annotated[Optional[float], typer.Option(help="USD per million output tokens.")] = None,
    max_attempts: Annotated[
        Optional[int], typer.Option(help="Give up after this many records tried (default 20*n+100).")
    ] = None,
    cache: CacheFile = None,
    no_cache: NoCache = False,
    model_path: Annotated[Optional[Path], typer.Option(help="GGUF model for the local teacher.")] = None,
    ctx_size: Annotated[int, typer.Option(help="Context size of each slot of the local teacher.")] = LocalOptions.n_ctx,
    threads: Annotated[int, typer.Option(help="Threads of the local teacher (0: all cores).")] = LocalOptions.threads,
    slots: Annotated[int, typer.Option(min=1, help="Requests the local teacher decodes at once.")] = LocalOptions.slots,
    filters_config: FiltersFile = None,
    skip_filter: SkipFilter = None,
    langid_backend: LangidBackend = None,
    round_trip_chrf: RoundTripChrf = None,
    judge_min_score: JudgeMinScore = None,
    shard_rows: ShardRows = 10_000,
    shard_mb: ShardMb = None,
    output: OutputFormat = "parquet",
    license_id: Annotated[str, typer.Option("--license", help="License written in the dataset card.")] = "other",
    val_fraction: Annotated[float, typer.Option(help="Share of records in a validation split (by id hash).")] = 0.0,
    push_to_hub: Annotated[Optional[str], typer.Option(help="Push the finished dataset to this Hub repo.")] = None,
    hub_private: Annotated[bool, typer.Option("--hub-private", help="Create the Hub repo as private.")] = False,
    shard: Annotated[
        Optional[str], typer.Option(help="k/N: make the k-th of N disjoint parts of the job (k from 0).")
    ] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out.")] = False,
    overwrite: ReplaceOutput = False,
) -> None:
    """Generate a dataset of exactly --n records with a teacher LLM."""
    from bayling_data.pipeline import GenerateOptions, RunIncomplete, run_generate
    from bayling_data.setup_teacher import open_teacher

    if n <= 0:
        raise fail(f"--n must be a positive number of records, got {n}")
    if resume and overwrite:
        raise fail("--resume and --overwrite exclude each other")
    if teacher not in ("auto", "local", "remote"):
        raise fail(f"--teacher must be auto, local or remote, got {teacher!r}")
    try:
        generator_options, filter_flags = extra_options(ctx.args, generator)
        lang_list = languages.parse_langs(langs)
        if generator == "interactive_translation" and len(lang_list) < 2 and not directions:
            raise UnknownLanguageError("--langs needs at least two languages to translate between")
        options = GenerateOptions(
            langs=lang_list,
            directions=parse_directions(directions, lang_list),
            n=n,
            out=out,
            generator=generator,
            seed=seed,
            source=source,
            source_column=source_column,
            source_lang=languages.get(source_lang).code if source_lang else None,
            max_attempts=max_attempts,
            resume=resume,
            overwrite=overwrite,
            temperature=0.7 if temperature is None else temperature,
            max_tokens=answer_tokens or 512,
            shard_rows=shard_rows,
            shard_mb=shard_mb,
            output=sink(output).name,
            license=license_id,
            val_fraction=val_fraction,
            shard=parse_shard(shard),
            concurrency=concurrency or 16,
            generator_options=generator_options,
        )
        filter_config = _filter_config(
            filters_config, skip_filter, langid_backend, round_trip_chrf, judge_min_score, filter_flags
        )
        options.filters = filter_config.summary()
    except (UnknownLanguageError, ValueError, FileNotFoundError) as error:
        raise fail(str(error)) from None
    if source is not None and not source.exists():
        raise fail(f"--source {source}: no such file or folder")
    teacher_options = _teacher_options(
        teacher,
        base_url,
        api_key,
        model,
        concurrency,
        timeout,
        cache,
        no_cache,
        price_in=price_in,
        price_out=price_out,
        budget=Budget(max_cost=max_cost, max_requests=max_requests, max_tokens=max_tokens),
        rpm=rpm,
        tpm=tpm,
        batch=batch,
        batch_window=batch_window,
        batch_poll=batch_poll,
        local=LocalOptions(model_path=model_path, n_ctx=ctx_size, threads=threads, slots=slots),
    )

    async def main() -> dict:
        async with open_teacher(teacher_options) as chosen:
            options.concurrency = chosen.concurrency
            if chosen.embedded:  # a small local model rambles: keep it short and cool
                options.max_tokens = answer_tokens or 256
                options.temperature = 0.3 if temperature is None else temperature
            _announce(chosen, filter_config)
            return await run_generate(options, chosen, build_chain(filter_config, teacher=chosen))

    try:
        state = run_stoppable(main())
    except KeyboardInterrupt:
        raise fail("interrupted: what was made is saved; continue with the same command and --resume", 130) from None
    except (TeacherError, RunIncomplete) as error:
        made = OutputFolder(out).state_path.exists()
        raise fail(
            f"{error}" + (f"\nWhat was made is saved in {out}; continue with --resume." if made else ""), 1
        ) from None
    except (ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
    stats = state["stats"]
    err.print(f"[green]done:[/] {stats['kept']} records in {out} ({stats['rejected']} rejected)", highlight=False)
    if push_to_hub:
        _push(out, push_to_hub, token=None, private=hub_private, revision=None, include_rejected=False)


def _push(folder: Path, repo: str, **options: object) -> None:
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


@app.command(
    "filter",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog=_filters_help(),
)
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
    filters_config: FiltersFile = None,
    skip_filter: SkipFilter = None,
    langid_backend: LangidBackend = None,
    shard_rows: ShardRows = 10_000,
    shard_mb: ShardMb = None,
    output: Annotated[
        str, typer.Option("--output-format", help="Format of the final shards: parquet or jsonl.")
    ] = "parquet",
    overwrite: ReplaceOutput = False,
    engine: Annotated[str, typer.Option(help="local (this process) or ray (Ray Data, local or a cluster).")] = "local",
    ray_address: Annotated[Optional[str], typer.Option(help="Ray cluster to join (default: start one here).")] = None,
    round_trip_chrf: RoundTripChrf = None,
    judge_min_score: JudgeMinScore = None,
    teacher: TeacherKind = "auto",
    model: TeacherModel = None,
    base_url: BaseUrl = None,
    api_key: ApiKey = None,
    concurrency: Concurrency = None,
    timeout: Timeout = 120.0,
    cache: CacheFile = None,
    no_cache: NoCache = False,
) -> None:
    """Clean existing corpora with the same filters as generate; rejects are kept apart with their reason.

    The teacher options matter only with a teacher check (--round-trip-chrf, --judge-min-score)."""
    from bayling_data.pipeline import FilterOptions
    from bayling_data.sources.formats import FORMATS
    from bayling_data.sources.readers import InputError

    if on_error not in ("fail", "skip"):
        raise fail(f"--on-error must be fail or skip, got {on_error!r}")
    if input_format is not None and input_format not in FORMATS:
        raise fail(f"unknown --format {input_format!r}; choose from {', '.join(FORMATS)}")
    try:
        inputs, flags = _paths_and_flags([str(path) for path in inputs] + ctx.args)
        options = FilterOptions(
            inputs=inputs,
            out=out,
            format=input_format,
            lang=languages.get(lang).code if lang else "",
            on_error=on_error,
            shard_rows=shard_rows,
            shard_mb=shard_mb,
            output=sink(output).name,
            overwrite=overwrite,
        )
        _, filter_flags = extra_options(flags)
        config = _filter_config(
            filters_config, skip_filter, langid_backend, round_trip_chrf, judge_min_score, filter_flags
        )
        options.filters = config.summary()
        teacher_options = _teacher_options(
            teacher, base_url, api_key, model, concurrency, timeout, cache, no_cache, local=LocalOptions()
        )
        if engine == "ray":
            from bayling_data.ray_engine import run_filter_ray

            state = run_filter_ray(options, config, ray_address)
        elif engine == "local":
            state = run_stoppable(_filter_here(options, config, teacher_options))
        else:
            raise ValueError(f"--engine must be local or ray, got {engine!r}")
    except (InputError, UnknownLanguageError, ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
    except TeacherError as error:
        again = "run the same command with --overwrite: the teacher's answers so far are cached"
        raise fail(f"{error}\n{again}", 1) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None
    typer.echo(card.stats_tables(state["stats"]))
    if state.get("diversity"):
        typer.echo(f"\n## Diversity (first {diversity.SAMPLE:,} dialogues per instruction language)\n")
        typer.echo(diversity.table(state["diversity"]))
    s = state["stats"]
    if state.get("skipped"):
        shown = "; ".join(state["skipped"][:3])
        more = f" (first {len(state['skipped'])} in run_summary.json)" if s["skipped_lines"] > 3 else ""
        err.print(f"[yellow]skipped {s['skipped_lines']}:[/] {escape(shown)}{more}", highlight=False)
    err.print(
        f"[green]done:[/] kept {s['kept']}, rejected {s['rejected']}, skipped lines {s['skipped_lines']} -> {out}",
        highlight=False,
    )


def _teacher_options(
    kind: str,
    base_url: Optional[str],
    api_key: Optional[str],
    model: Optional[str],
    concurrency: Optional[int],
    timeout: float,
    cache: Optional[Path],
    no_cache: bool,
    **more: object,
) -> TeacherOptions:
    """The teacher options every command that asks the teacher takes, plus `more` of its own."""
    from bayling_data.setup_teacher import TeacherOptions

    return TeacherOptions(
        kind=kind,
        base_url=base_url,
        api_key=api_key,
        model=model,
        concurrency=concurrency,
        timeout=timeout,
        cache_path=cache,
        use_cache=not no_cache,
        **more,  # type: ignore[arg-type]
    )


async def _filter_here(options: FilterOptions, config: FilterConfig, teacher_options: TeacherOptions) -> dict:
    """`filter` in this process; the teacher is started (or reached) only when a teacher check is on."""
    from bayling_data.pipeline import run_filter
    from bayling_data.setup_teacher import open_teacher

    if not config.teacher_steps():
        return await run_filter(options, build_chain(config))
    async with open_teacher(teacher_options) as teacher:
        _announce(teacher, config)
        return await run_filter(options, build_chain(config, teacher=teacher))


def _announce(teacher: Teacher, config: FilterConfig) -> None:
    """Say which teacher answers, and warn when a check asks more of it than the embedded model can give."""
    err.print(f"teacher: {teacher.model} at {teacher.base_url}", highlight=False)
    if config.teacher_steps() and teacher.embedded:
        err.print(
            f"[yellow]warning:[/] the embedded local teacher is too small for {', '.join(config.teacher_steps())}:"
            " expect it to reject most records (use --base-url with a stronger model)",
            highlight=False,
        )


@app.command()
def merge(
    folders: Annotated[list[Path], typer.Argument(help="Output folders to combine (e.g. the shards of one job).")],
    out: Annotated[Path, typer.Option(help="Output folder of the merged dataset.")],
    shard_rows: ShardRows = 10_000,
    shard_mb: ShardMb = None,
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
            shard_rows=shard_rows,
            shard_mb=shard_mb,
            output=sink(output).name,
            overwrite=overwrite,
            filters=dedup_only.summary(),
        )
        state = asyncio.run(run_filter(options, build_chain(dedup_only)))
    except (InputError, ValueError, FileExistsError) as error:
        raise fail(str(error)) from None
    s = state["stats"]
    err.print(f"[green]merged:[/] {s['kept']} records, {s['rejected']} duplicates removed -> {out}", highlight=False)


@app.command("languages")
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


@app.command()
def push(
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
    _push(folder, repo, token=token, private=private, revision=revision, include_rejected=include_rejected)


@app.command()
def stats(folder: Annotated[Path, typer.Argument(help="An output folder of generate or filter.")]) -> None:
    """Print the tables of an output folder's dataset card."""
    state = OutputFolder(folder).load_state()
    if state is None:
        raise fail(f"{folder} is not a bayling-data output folder (no .bayling/state.json)")
    typer.echo(card.stats_tables(state["stats"]))
    if state.get("diversity"):
        typer.echo(f"\n## Diversity (first {diversity.SAMPLE:,} dialogues per instruction language)\n")
        typer.echo(diversity.table(state["diversity"]))
    typer.echo(f"\nkept {state['stats']['kept']}, rejected {state['stats']['rejected']}, complete: {state['complete']}")


@app.command()
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


@teacher_app.command("serve")
def teacher_serve(
    model_path: Annotated[Optional[Path], typer.Option(help="GGUF model (default: the packaged SmolLM2-135M).")] = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 8080,
    ctx_size: Annotated[int, typer.Option(help="Context size of each slot.")] = LocalOptions.n_ctx,
    threads: Annotated[int, typer.Option(help="Threads (0: all cores).")] = LocalOptions.threads,
    slots: Annotated[int, typer.Option(min=1, help="Requests decoded at once.")] = LocalOptions.slots,
) -> None:
    """Run the local teacher so that several runs can share it (--base-url http://127.0.0.1:PORT/v1)."""
    try:
        server = LocalServer(
            LocalOptions(model_path=model_path, port=port, n_ctx=ctx_size, threads=threads, slots=slots)
        )
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
) -> None:
    """Run a deterministic fake OpenAI-compatible teacher (no model) for dry runs of a pipeline."""
    from bayling_data.teacher.mock_server import MockState, serve_forever

    err.print(f"mock teacher at http://127.0.0.1:{port}/v1", highlight=False)
    serve_forever(MockState(latency=latency), port)


def main() -> None:
    """Console-script entry point: every failure ends in a line or two that say what, where and what next;
    the traceback only with --debug (anywhere on the line) or BAYLING_DEBUG=1."""
    if "--debug" in sys.argv:
        sys.argv.remove("--debug")
        os.environ["BAYLING_DEBUG"] = "1"
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
