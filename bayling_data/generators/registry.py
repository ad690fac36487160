"""Generators by name, from the entry-point group `bayling_data.generators` (third parties add theirs there)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from bayling_data.generators.base import GenerationContext, Generator

GROUP = "bayling_data.generators"


def available() -> dict[str, Any]:
    """Name -> generator class, for every installed generator."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def create(name: str, context: GenerationContext) -> Generator:
    """Instantiate generator `name` with a GenerationContext."""
    found = available()
    if name not in found:
        known = ", ".join(sorted(found)) or "none (is bayling-data installed?)"
        raise ValueError(f"unknown generator {name!r}; installed: {known}")
    return found[name].load()(context)
