"""Command-line flags built from the options a part declares (`options.option`), so that a part's flags,
defaults and help live with the part: a command parameter annotated with such a dataclass becomes one
flag per declared field, and the command receives the filled-in object."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

import typer

from bayling_data.commands.common import fail
from bayling_data.options import check_value, default_of, flag


def _declared(cls: Any) -> list[dataclasses.Field]:
    """The fields of `cls` that are flags (declared with a help line); none when `cls` is no dataclass."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return []
    return [f for f in dataclasses.fields(cls) if f.metadata.get("help")]


def _flag_names(declared: dataclasses.Field) -> list[str]:
    given = declared.metadata.get("flag") or flag(declared.name)
    return list(given) if isinstance(given, tuple) else [given]


def _flag_name(declared: dataclasses.Field) -> str:
    return _flag_names(declared)[0]


def _filled(cls: type, fields: list[dataclasses.Field], values: dict[str, Any]) -> Any:
    """`cls` from the flags' values, each checked against its declaration (an error names the flag)."""
    for declared in fields:
        try:
            check_value(cls, declared.name, values[declared.name])
        except ValueError as error:
            raise fail(str(error).replace(declared.name, _flag_name(declared).split("/")[0], 1)) from None
    return cls(**{declared.name: values.pop(declared.name) for declared in fields})  # the rest: their defaults


def _flag_parameter(declared: dataclasses.Field, kind: Any, panel: str | None) -> inspect.Parameter:
    meta = declared.metadata
    names = _flag_names(declared)
    if kind is bool and "/" not in names[0] and default_of(declared) is True:
        names = [f"{names[0]}/--no-{names[0].removeprefix('--')}"]
    limits = {"min": meta.get("low"), "max": meta.get("high")} if meta.get("low") is not None else {}
    value = default_of(declared)
    default = typer.Option(
        ... if value is dataclasses.MISSING else value, *names, help=meta["help"], rich_help_panel=panel, **limits
    )
    return inspect.Parameter(declared.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)


def with_declared_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """`command` with each parameter whose type is a declared-options dataclass spread into that class's flags
    (for typer), and the object rebuilt from them, checked, before `command` runs."""
    hints = typing.get_type_hints(command, include_extras=True)
    groups: dict[str, tuple[type, list[dataclasses.Field]]] = {}
    parameters: list[inspect.Parameter] = []
    annotations: dict[str, Any] = {}
    for parameter in inspect.signature(command).parameters.values():
        kind = hints.get(parameter.name, parameter.annotation)
        declared = _declared(kind)
        if not declared:
            parameters.append(parameter.replace(annotation=kind))
            annotations[parameter.name] = kind
            continue
        field_hints = typing.get_type_hints(kind)
        groups[parameter.name] = (kind, declared)
        panel = getattr(kind, "help_panel", None)  # the part's group in --help
        for field in declared:
            parameters.append(_flag_parameter(field, field_hints[field.name], panel))
            annotations[field.name] = field_hints[field.name]
    names = [p.name for p in parameters]
    if len(names) != len(set(names)):
        raise TypeError(f"{command.__name__}: two flags share a name: {sorted(n for n in names if names.count(n) > 1)}")

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        for name, (cls, fields) in groups.items():
            values[name] = _filled(cls, fields, values)
        return command(**values)

    wrapper.__signature__ = inspect.Signature(sorted(parameters, key=lambda p: p.kind))  # type: ignore[attr-defined]
    wrapper.__annotations__ = annotations
    del wrapper.__wrapped__  # typer reads the signature above, not the command's own
    return wrapper
