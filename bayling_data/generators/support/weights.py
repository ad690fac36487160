"""Weights given on the command line as `name=weight,name=weight` (a turn mix, a kind mix)."""

from __future__ import annotations


def parse_weights(spec: str, kinds: tuple[str, ...], flag: str, what: str = "kind") -> dict[str, float]:
    """`a=2,b=1` -> {a: 2.0, b: 1.0, every other kind: 0.0}; a bare name weighs 1. ValueError naming `flag`
    for an unknown kind, a weight that is no number or is negative, or no positive weight at all."""
    mix = dict.fromkeys(kinds, 0.0)
    for part in spec.split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in kinds:
            raise ValueError(f"{flag}: unknown {what} {name!r}; choose from {', '.join(kinds)}")
        try:
            mix[name] = float(weight or 1)
        except ValueError:
            raise ValueError(f"{flag}: weight of {name!r} must be a number, got {weight!r}") from None
        if not mix[name] >= 0:
            raise ValueError(f"{flag}: weight of {name!r} must be 0 or more, got {weight!r}")
    if not any(mix.values()):
        raise ValueError(f"{flag}: at least one weight must be positive")
    return mix
