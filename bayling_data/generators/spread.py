"""How `--n` is spread over languages: uniform (round robin) or temperature sampling by resource tier."""

from __future__ import annotations

import random

from bayling_data.languages import Language

# Relative data size per tier, for temperature sampling p(lang) ~ size ** T.
TIER_SIZE = {"high": 100.0, "medium": 10.0, "low": 1.0}


class LanguageSpread:
    """Chooses the language of record `index`."""

    def __init__(self, languages: list[Language], mode: str = "uniform", temperature: float = 0.3) -> None:
        if not languages:
            raise ValueError("no language to spread records over")
        if mode not in ("uniform", "temperature"):
            raise ValueError(f"--lang-sampling must be uniform or temperature, got {mode!r}")
        self.languages, self.mode = languages, mode
        self.weights = [TIER_SIZE[lang.tier] ** temperature for lang in languages]

    def pick(self, index: int, rng: random.Random) -> Language:
        """Round robin in uniform mode (exactly balanced), weighted draw in temperature mode."""
        if self.mode == "uniform":
            return self.languages[index % len(self.languages)]
        return rng.choices(self.languages, weights=self.weights, k=1)[0]
