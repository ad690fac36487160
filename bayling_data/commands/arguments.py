"""Reading what the user typed beyond the declared flags: input paths, the options that generators and
filter steps declare (plugins' too), and the help texts that list them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bayling_data.commands.common import err
from bayling_data.sources.readers import user_path


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


def paths_and_flags(tokens: list[str]) -> tuple[list[Path], list[str]]:
    """Split `filter`'s free arguments: the input paths, and the steps' own flags (each `--name value` or
    `--name=value`) that click, not knowing them, left among the paths."""
    paths: list[Path] = []
    flags: list[str] = []
    tokens = list(tokens)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("--"):
            paths.append(user_path(token))
            continue
        flags.append(token)
        if "=" not in token and tokens:
            flags.append(tokens.pop(0))
    if not paths:
        raise ValueError("no input given: filter FILE_OR_FOLDER ... --out OUT")
    return paths, flags


def filters_help() -> str:
    """The settings every installed filter step declares, as flags (plugins' included)."""
    from bayling_data.filters.build import settings_help

    try:
        return "Settings of the filter steps (also keys of --filters):\n\n" + settings_help()
    except Exception as error:  # a broken plugin must not break --help
        return f"Filter steps: cannot list them ({type(error).__name__}: {error})"


def generator_help() -> str:
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
