"""Options a part declares for itself: a dataclass whose fields carry their type, default, range and help.

A generator, a filter step or any plugin writes

    @dataclass
    class Options:
        max_turns: int = option(5, "most user turns in a dialogue", low=1, high=20)

and gets validation (`check`), reading from a settings file (`from_mapping`), command-line flags
(`parse_flags`: `--max-turns 3`) and help text (`describe`) from that one declaration: defaults live there
and nowhere else.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any, Union

REQUIRED: Any = dataclasses.MISSING  # the default of an option that must be given


def option(
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    flag: str | tuple[str, ...] | None = None,
    resume: bool = False,
) -> Any:
    """A declared option (a dataclass field): its default (REQUIRED: none, it must be given), a line of help,
    an optional range or choice, its command-line flag (or flags) when that is not `--field-name`, and
    whether a resumed run must have the same value (`resume`: part of the run's fingerprint)."""
    meta = {"help": help, "low": low, "high": high, "choices": choices, "flag": flag, "resume": resume}
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=functools.partial(type(default), default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@functools.cache
def _types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _base(kind: Any) -> tuple[Any, bool]:
    """(the type without Optional, whether None is allowed)."""
    if typing.get_origin(kind) in (Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(kind))
    return kind, False


def _type_name(kind: Any) -> str:
    if typing.get_origin(kind) is list:
        return "a list of " + typing.get_args(kind)[0].__name__
    return {float: "a number", int: "a whole number", str: "text", bool: "true or false"}.get(kind, str(kind))


def check_value(cls: type, name: str, value: Any) -> None:
    """ValueError (`NAME: expected ..., got ...`) when `value` does not fit option `name` of `cls`."""
    declared = {f.name: f for f in dataclasses.fields(cls)}[name]
    kind, nullable = _base(_types(cls)[name])
    if value is None:
        if nullable:
            return
        raise ValueError(f"{name}: expected {_type_name(kind)}, got null")
    if typing.get_origin(kind) is list:
        item = typing.get_args(kind)[0]
        fits = isinstance(value, list) and all(isinstance(v, item) for v in value)
    elif kind is float:
        fits = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif kind is int:
        fits = isinstance(value, int) and not isinstance(value, bool)
    else:
        fits = isinstance(value, kind)
    if not fits:
        example = " e.g. [a, b]" if typing.get_origin(kind) is list else ""
        raise ValueError(f"{name}: expected {_type_name(kind)}{example}, got {value!r}")
    low, high, choices = (declared.metadata.get(k) for k in ("low", "high", "choices"))
    if low is not None and not low <= value <= high:
        raise ValueError(f"{name}: must be from {low} to {high}, got {value!r}")
    if choices and value not in choices:
        raise ValueError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")


def check(options: Any) -> None:
    """Validate every field of an options object (ValueError naming the option)."""
    for declared in dataclasses.fields(options):
        check_value(type(options), declared.name, getattr(options, declared.name))


def flag(name: str) -> str:
    """The command-line flag of option `name` (`max_turns` -> `--max-turns`)."""
    return "--" + name.replace("_", "-")


def from_text(cls: type, name: str, text: str) -> Any:
    """An option's value from its command-line text (ValueError naming the flag when it does not fit)."""
    kind, nullable = _base(_types(cls)[name])
    try:
        if nullable and text.lower() in ("none", "null", ""):
            return None
        if typing.get_origin(kind) is list:
            return [part.strip() for part in text.split(",") if part.strip()]
        if kind is bool:
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return text.lower() in ("true", "1", "yes")
        return kind(text)
    except ValueError:
        raise ValueError(f"{flag(name)}: expected {_type_name(kind)}, got {text!r}") from None


def parse_flags(classes: list[type], args: list[str]) -> tuple[dict[type, dict[str, Any]], list[str]]:
    """Values for the options of `classes` from `--name value` / `--name=value` arguments (a true-or-false
    option also as `--name` / `--no-name`); returns them per class and the arguments no class declares."""
    owners: dict[str, tuple[type, str]] = {}
    switches: dict[str, bool] = {}  # the flags of true-or-false options that take no value
    for cls in classes:  # a flag two classes declare belongs to the first
        for declared in dataclasses.fields(cls):
            owners.setdefault(flag(declared.name), (cls, declared.name))
            if _base(_types(cls)[declared.name])[0] is bool:
                negative = "--no-" + flag(declared.name).removeprefix("--")
                owners.setdefault(negative, (cls, declared.name))
                switches.setdefault(flag(declared.name), True)
                switches.setdefault(negative, False)
    found: dict[type, dict[str, Any]] = {cls: {} for cls in classes}
    rest: list[str] = []
    position = 0
    while position < len(args):
        argument = args[position]
        name, equals, text = argument.partition("=")
        if name not in owners:
            rest.append(argument)
            position += 1
            continue
        if equals and name in switches and not switches[name]:
            raise ValueError(f"{name} takes no value (write {name}, or --{name.removeprefix('--no-')}=true|false)")
        if name in switches and not equals:
            cls, field_name = owners[name]
            found[cls][field_name] = switches[name]
            position += 1
            continue
        if not equals:
            if position + 1 >= len(args):
                raise ValueError(f"{name} needs a value")
            text, position = args[position + 1], position + 1
        cls, field_name = owners[name]
        found[cls][field_name] = from_text(cls, field_name, text)
        position += 1
    return found, rest


def build(cls: type, values: dict[str, Any]) -> Any:
    """An options object from `values` (defaults for the rest), validated: each field, then the class's own
    `validate()` when it has one (checks across fields, or of values such as language codes), so that a
    bad option is refused before any model or teacher is started."""
    options = cls(**values)
    check(options)
    if callable(getattr(options, "validate", None)):
        options.validate()
    return options


def default_of(declared: dataclasses.Field) -> Any:
    """The default of a declared option (a fresh one for a list; REQUIRED when it has none)."""
    return declared.default_factory() if callable(declared.default_factory) else declared.default


def resume_fields(options: Any) -> dict[str, Any]:
    """The values of the options declared with `resume=True`, JSON-ready (paths as text)."""
    return {
        declared.name: _plain(getattr(options, declared.name))
        for declared in dataclasses.fields(options)
        if declared.metadata.get("resume")
    }


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str, list, dict)) else str(value)


def describe(cls: type) -> str:
    """`--flag (default): help; ...` for every option of `cls` (empty when it has none), for help texts."""
    parts = []
    for declared in dataclasses.fields(cls):
        default = default_of(declared)
        shown = ",".join(default) if isinstance(default, list) else default
        names = flag(declared.name)
        if isinstance(default, bool):
            names += "/--no-" + names.removeprefix("--")
        parts.append(f"{names} ({shown}): {declared.metadata.get('help', '')}")
    return "; ".join(parts)
