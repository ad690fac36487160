"""`bayling-data generate`: a dataset of exactly --n records made by a teacher LLM."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import typer

from bayling_data.commands.arguments import extra_options
from bayling_data.commands.common import (
    announce,
    err,
    fail,
    run_stoppable,
)
from bayling_data.commands.flags import with_declared_flags
from bayling_data.commands.push import push
from bayling_data.export.writer import DatasetOptions, OutputFolder, ShardOptions
from bayling_data.filters import FilterConfig, FilterFlags, build_chain
from bayling_data.languages import UnknownLanguageError
from bayling_data.pipeline.balance import BalanceOptions
from bayling_data.pipeline.generate import GenerateOptions
from bayling_data.sources.readers import user_path
from bayling_data.teacher.client.accounting import Budget
from bayling_data.teacher.embedded.local_server import LocalOptions
from bayling_data.teacher.errors import TeacherError
from bayling_data.teacher.routing import RouteOptions
from bayling_data.teacher.setup import TeacherOptions

if TYPE_CHECKING:
    from bayling_data.run_state import RunState


@with_declared_flags
def generate(
    ctx: typer.Context,
    run: GenerateOptions,  # spread into flags by with_declared_flags, like every part's options below
    shards: ShardOptions = ShardOptions(),  # noqa: B008
    dataset: DatasetOptions = DatasetOptions(),  # noqa: B008
    teacher: TeacherOptions = TeacherOptions(),  # noqa: B008
    local: LocalOptions = LocalOptions(),  # noqa: B008
    budget: Budget = Budget(),  # noqa: B008
    filters: FilterFlags = FilterFlags(),  # noqa: B008
    balance: BalanceOptions = BalanceOptions(),  # noqa: B008
    routes: RouteOptions = RouteOptions(),  # noqa: B008
) -> None:
    """Generate a dataset of exactly --n records with a teacher LLM."""
    try:
        generator_options, step_settings = extra_options(ctx.args, run.generator)
        config = filters.config(step_settings)
        if teacher.resolved().kind == "remote":
            config.with_remote_teacher()
        options = replace(
            run,
            source=user_path(run.source) if run.source is not None else None,
            shards=shards,
            dataset=dataset,
            balance=balance,
            routes=routes,
            generator_options=generator_options,
            filters=config.summary(),
        )
        options.validate()
        routes.table()  # the other teachers and the routes, checked before any teacher starts
    except (UnknownLanguageError, ValueError, FileNotFoundError) as error:
        raise fail(str(error)) from None
    state = _run(options, replace(teacher, budget=budget, local=local), config)
    stats = state.stats
    err.print(f"[green]done:[/] {stats['kept']} records in {run.out} ({stats['rejected']} rejected)", highlight=False)
    short = state.balance.get("shortfalls", [])
    if short:
        tolerance = f"{balance.balance_tolerance:.0%}"
        err.print(f"[yellow]short of the plan[/] (more than {tolerance} under it):", highlight=False)
        for line in state.balance["lines"]:
            err.print(f"  {line}", highlight=False, markup=False)
        err.print(state.balance["advice"], highlight=False, markup=False)
        if balance.strict_balance:
            raise fail(f"--strict-balance: {len(short)} short of the plan; everything kept is in {run.out}", 3)
    if run.push_to_hub:
        push(run.out, run.push_to_hub, token=None, private=run.hub_private, revision=None, include_rejected=False)


def _run(options: GenerateOptions, teacher_options: TeacherOptions, config: FilterConfig) -> RunState:
    """Open the teacher and run; every way it can end short becomes one line."""
    from bayling_data.pipeline import RunIncomplete, run_generate
    from bayling_data.teacher.routing import MAIN, RoutedTeacher, open_routed
    from bayling_data.teacher.setup import open_teacher

    try:  # before any teacher starts
        folder = OutputFolder(options.out)
        folder.refuse_to_hold(teacher_options.cache_file(), "--cache")
        folder.check_start(resume=options.resume, overwrite=options.overwrite)
    except FileExistsError as error:
        raise fail(str(error)) from None

    async def main() -> RunState:
        async with open_teacher(teacher_options) as chosen:
            announce(chosen, config)
            if not options.routes.add_teacher:
                return await run_generate(options.for_teacher(chosen), chosen, build_chain(config, teacher=chosen))
            async with open_routed(chosen, options.routes.specs(), teacher_options) as teachers:
                for name, other in teachers.items():
                    if name != MAIN:
                        err.print(f"teacher {name}: {other.model} at {other.base_url}", highlight=False)
                routed = RoutedTeacher(teachers, options.routes.table())
                chain = build_chain(config, teacher=chosen)  # teacher checks ask the main teacher
                return await run_generate(options.for_teacher(chosen), routed, chain)

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
