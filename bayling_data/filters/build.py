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
from bayling_data.filters.dedup import FIELDS, ExactDedup, NearDedup
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
from bayling_data.text.langid_backends import BACKENDS, DEFAULT_BACKENDS

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


def _setting(default: Any, kind: type, low: float | None = None, high: float | None = None, **more: Any) -> Any:
    """A setting with the type and range its file value must have (checked by `FilterConfig.validate`)."""
    meta = {"kind": kind, "low": low, "high": high, **more}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class FilterConfig:
    """Which steps run and their settings."""

    skip: list[str] = _setting([], list)  # noqa: RUF009 - a dataclasses.field
    langid_backend: str = _setting(DEFAULT_BACKENDS, str)  # classifiers that vote, fastest first
    min_script_share: float = _setting(0.1, float, 0.0, 1.0)
    unknown_langs: str = _setting("keep", str, choices=UNKNOWN_LANGS)  # a code the registry lacks: keep or reject
    dedup_fields: str = _setting("all", str, choices=FIELDS)
    near_dup_threshold: float = _setting(0.8, float, 0.0, 1.0)
    near_dup_ngram: int = _setting(5, int, 1, 64)
    max_copy_chrf: float = _setting(70.0, float, 0.0, 100.0)
    round_trip_min_chrf: Optional[float] = _setting(None, float, 0.0, 100.0)  # set: translate back, reject below
    judge_min_score: Optional[int] = _setting(None, int, 1, 5)  # set: the teacher rates records 1-5

    @classmethod
    def from_file(cls, path: Path) -> FilterConfig:
        """Read a YAML or TOML file whose keys are this class's fields (ValueError naming the file and key)."""
        try:
            text = path.read_text("utf-8")
            data: Any = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
        except FileNotFoundError:
            raise ValueError(f"--filters {path}: no such file") from None
        except UnicodeDecodeError:
            raise ValueError(f"--filters {path}: not a UTF-8 text file") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ValueError(f"{path}: not valid YAML{where} ({getattr(error, 'problem', error)})") from None
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML ({error})") from None
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of filter settings (key: value lines)")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown filter setting(s) {sorted(unknown)}; known: {sorted(known)}")
        config = cls(**data)
        try:
            config.validate()
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        return config

    @classmethod
    def dedup_only(cls) -> FilterConfig:
        """Exact and near dedup alone (`merge`: its inputs passed the other steps when they were made)."""
        return cls(skip=[step for step in STEPS if step not in DEDUP_STEPS])

    def validate(self) -> None:
        """Raise ValueError for settings of the wrong type or range, or that cannot work (before any model or
        teacher is started)."""
        for setting in fields(self):
            _check(setting, getattr(self, setting.name))
        unknown = set(self.skip) - set(STEPS)
        if unknown:
            raise ValueError(f"skip: unknown filter step(s) {sorted(unknown)}; steps: {', '.join(STEPS)}")
        _check_backends(self.langid_backend)

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


def _check(setting: Any, value: Any) -> None:
    """ValueError when a setting's value has the wrong type or lies outside its range."""
    kind, low, high = setting.metadata["kind"], setting.metadata["low"], setting.metadata["high"]
    if value is None and setting.default is None:
        return
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"{setting.name}: expected a list of step names, e.g. [echo, near_dedup], got {value!r}")
        return
    numeric = kind in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool)
    if not (numeric if kind in (int, float) else isinstance(value, kind)) or (kind is int and isinstance(value, float)):
        raise ValueError(f"{setting.name}: expected {'a number' if kind is float else kind.__name__}, got {value!r}")
    if low is not None and not low <= value <= high:
        raise ValueError(f"{setting.name}: must be from {low} to {high}, got {value!r}")
    choices = setting.metadata.get("choices")
    if choices and value not in choices:
        raise ValueError(f"{setting.name}: must be one of {', '.join(choices)}, got {value!r}")


def _check_backends(spec: str) -> None:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise ValueError(f"langid_backend: unknown backend(s) {unknown or spec!r}; choose from {', '.join(BACKENDS)}")


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
