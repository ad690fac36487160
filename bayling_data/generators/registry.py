"""Generators by name, from the entry-point group `bayling_data.generators` (third parties add theirs there)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from bayling_data.generators.base import GenerationContext, Generator

GROUP = "bayling_data.generators"


@functools.cache  # installed packages do not change during a run: read the entry points once
def available() -> dict[str, Any]:
    """Name -> generator class, for every installed generator."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type:
    """The class of generator `name` (ValueError naming the installed ones when there is none)."""
    found = available()
    if name not in found:
        known = ", ".join(sorted(found)) or "none (is bayling-data installed?)"
        raise ValueError(f"unknown generator {name!r}; installed: {known}")
    return found[name].load()


@dataclass
class NoOptions:
    """The options of a generator that declares none."""


def options_class(name: str) -> type:
    """The dataclass of options generator `name` declares (its `Options` attribute)."""
    return getattr(load(name), "Options", NoOptions)


def create(name: str, context: GenerationContext) -> Generator:
    """Instantiate generator `name` with a GenerationContext (its options default when not given)."""
    generator = load(name)
    if context.options is None:
        context.options = options_class(name)()
    return generator(context)
