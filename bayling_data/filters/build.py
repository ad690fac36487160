"""Build the filter chain from options (flags or a YAML/TOML config file)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from bayling_data.filters.base import FilterChain
from bayling_data.filters.dedup import ExactDedup, NearDedup
from bayling_data.filters.langid import UNKNOWN_LANGS, LanguageFilter
from bayling_data.filters.qa import QA_STEPS
from bayling_data.filters.quality import (
    Constraints,
    Echo,
    EmptyOrTruncated,
    LengthRatio,
    MetaTalk,
    Repetition,
    Untranslated,
)
from bayling_data.text.langid_backends import DEFAULT_BACKENDS

STEPS = (
    "empty_or_truncated",
    "meta_talk",
    "length_ratio",
    "repetition",
    "untranslated",
    "echo",
    *(step.name for step in QA_STEPS),
    "constraints",
    "langid",
    "round_trip",
    "llm_judge",
    "exact_dedup",
    "near_dedup",
)
TEACHER_STEPS = ("round_trip", "llm_judge")  # off unless their setting is given; they need a teacher
DEDUP_STEPS = ("exact_dedup", "near_dedup")  # the chain's "ordered" part: every earlier record, in order

if TYPE_CHECKING:
    from bayling_data.teacher.client import Teacher


@dataclass
class FilterConfig:
    """Which steps run and their settings."""

    skip: list[str] = field(default_factory=list)
    langid_backend: str = DEFAULT_BACKENDS  # classifiers that vote, fastest first
    min_script_share: float = 0.1
    unknown_langs: str = "keep"  # a language code the registry lacks: keep (script checks only) or reject
    dedup_fields: str = "all"
    near_dup_threshold: float = 0.8
    near_dup_ngram: int = 5
    max_copy_chrf: float = 70.0
    round_trip_min_chrf: Optional[float] = None  # set: translate answers back, reject below this chrF
    judge_min_score: Optional[int] = None  # set: the teacher rates records 1-5, reject below this score

    @classmethod
    def from_file(cls, path: Path) -> FilterConfig:
        """Read a YAML or TOML file whose keys are this class's fields."""
        text = path.read_text("utf-8")
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of filter settings")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown filter setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)

    @classmethod
    def dedup_only(cls) -> FilterConfig:
        """Exact and near dedup alone (`merge`: its inputs passed the other steps when they were made)."""
        return cls(skip=[step for step in STEPS if step not in DEDUP_STEPS])

    def validate(self) -> None:
        """Raise ValueError for settings that cannot work (before any model or teacher is started)."""
        unknown = set(self.skip) - set(STEPS)
        if unknown:
            raise ValueError(f"cannot skip unknown filter(s) {sorted(unknown)}; steps: {', '.join(STEPS)}")
        if self.unknown_langs not in UNKNOWN_LANGS:
            raise ValueError(f"unknown_langs must be one of {', '.join(UNKNOWN_LANGS)}, got {self.unknown_langs!r}")
        if self.judge_min_score is not None and not 1 <= self.judge_min_score <= 5:
            raise ValueError(f"judge_min_score (--judge-min-score) must be 1 to 5, got {self.judge_min_score}")

    def teacher_steps(self) -> list[str]:
        """The steps that ask the teacher and are switched on."""
        wanted = {"round_trip": self.round_trip_min_chrf, "llm_judge": self.judge_min_score}
        return [name for name in TEACHER_STEPS if wanted[name] is not None and name not in self.skip]

    def steps_to_run(self) -> list[str]:
        """The steps that run, in order: all not skipped, the teacher checks only when switched on."""
        asking = self.teacher_steps()
        return [name for name in STEPS if name not in self.skip and (name not in TEACHER_STEPS or name in asking)]

    def summary(self) -> dict[str, Any]:
        """What the run summary and the dataset card say about the filtering."""
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "skip"}
        return {"steps": ", ".join(self.steps_to_run()), **settings}


def build_chain(config: FilterConfig, teacher: Teacher | None = None) -> FilterChain:
    """The chain `config` asks for: cheap checks first, then the checks that ask the teacher (only those
    switched on), dedup last (so rejects never enter the index)."""
    from bayling_data.filters.teacher_checks import LlmJudge, RoundTrip

    config.validate()
    asking = config.teacher_steps()
    if asking and teacher is None:
        raise ValueError(f"filter step(s) {', '.join(asking)} need a teacher")
    makers: dict[str, Any] = {
        "empty_or_truncated": EmptyOrTruncated,
        "meta_talk": MetaTalk,
        "length_ratio": LengthRatio,
        "repetition": Repetition,
        "echo": Echo,
        "untranslated": lambda: Untranslated(config.max_copy_chrf),
        "constraints": Constraints,
        "langid": lambda: LanguageFilter(
            config.langid_backend, config.min_script_share, unknown_langs=config.unknown_langs
        ),
        **{step.name: step for step in QA_STEPS},
        "exact_dedup": lambda: ExactDedup(config.dedup_fields),
        "near_dedup": lambda: NearDedup(config.near_dup_threshold, config.near_dup_ngram, fields=config.dedup_fields),
        "round_trip": lambda: RoundTrip(teacher, config.round_trip_min_chrf),
        "llm_judge": lambda: LlmJudge(teacher, config.judge_min_score),
    }
    return FilterChain([makers[name]() for name in config.steps_to_run()])
