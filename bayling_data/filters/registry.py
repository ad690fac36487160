"""Filter steps by name, from the entry-point group `bayling_data.filters` (third parties add theirs there)."""

from __future__ import annotations

import dataclasses
import functools
from importlib.metadata import entry_points

from bayling_data.filters.base import Step

GROUP = "bayling_data.filters"


@functools.cache
def steps() -> dict[str, type[Step]]:
    """Every installed step by its name, in chain order (cheap checks, teacher checks, dedup last)."""
    loaded = []
    for point in entry_points(group=GROUP):
        step = point.load()
        if not (isinstance(step, type) and issubclass(step, Step)):
            raise TypeError(f"entry point {point.name} = {point.value} is not a filter step (bayling_data.filters)")
        loaded.append(step)
    return {step.name: step for step in sorted(loaded, key=lambda step: (step.order, step.name))}


@functools.cache
def setting_owners() -> dict[str, list[type[Step]]]:
    """Each settings key (an option name) and the steps that read it."""
    owners: dict[str, list[type[Step]]] = {}
    for step in steps().values():
        for declared in dataclasses.fields(step.Options):
            owners.setdefault(declared.name, []).append(step)
    return owners
