"""How `--n` is spread over languages: uniform (round robin) or temperature sampling by resource tier."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bayling_data.languages import Language
from bayling_data.options import option

# Relative data size per tier, for temperature sampling p(lang) ~ size ** T.
TIER_SIZE = {"high": 100.0, "medium": 10.0, "low": 1.0}
MODES = ("uniform", "temperature")


@dataclass
class SpreadOptions:
    """Options of a generator that spreads --n over languages."""

    lang_sampling: str = option(
        "uniform", "spread --n over languages 'uniform' (round robin) or by 'temperature'", choices=MODES
    )
    lang_temperature: float = option(0.3, "temperature T of p ~ (tier size)^T", low=0.0, high=5.0)


class LanguageSpread:
    """Chooses the language of record `index`."""

    def __init__(self, languages: list[Language], options: SpreadOptions) -> None:
        if not languages:
            raise ValueError("no language to spread records over")
        self.languages, self.mode = languages, options.lang_sampling
        self.weights = [TIER_SIZE[lang.tier] ** options.lang_temperature for lang in languages]

    def pick(self, index: int, rng: random.Random) -> Language:
        """Round robin in uniform mode (exactly balanced), weighted draw in temperature mode."""
        if self.mode == "uniform":
            return self.languages[index % len(self.languages)]
        return rng.choices(self.languages, weights=self.weights, k=1)[0]
