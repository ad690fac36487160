"""The filter chain from settings: which installed steps run, each built from the options it declares.

The settings (a YAML/TOML file, `--filters`, and flags) are flat keys: `skip`, plus the option names the
steps declare (`langid_backend`, `near_dup_threshold`, ...; a plugin's own too). Each key is checked
against the step that reads it; a step gets only its own.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from bayling_data.filters import registry
from bayling_data.filters.base import FilterChain, Step, TeacherCheck
from bayling_data.options import build, check_value, default_of, describe, option
from bayling_data.text.langid_backends import BACKENDS

if TYPE_CHECKING:
    from bayling_data.teacher.client import Teacher


@dataclass
class FilterConfig:
    """Which steps are skipped, and the settings of the steps (by option name)."""

    skip: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> FilterConfig:
        """Read a YAML or TOML file of `skip` and option keys (ValueError naming the file and the key)."""
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
        skip = data.pop("skip", [])
        config = cls(skip=skip, settings=data)
        try:
            config.validate()
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        return config

    @classmethod
    def dedup_only(cls) -> FilterConfig:
        """Exact and near dedup alone (`merge`: its inputs passed the other steps when they were made)."""
        return cls(skip=[name for name, step in registry.steps().items() if not step.ordered])

    def with_remote_teacher(self) -> None:
        """Take the settings the steps that are not skipped want with a remote teacher, where none are given."""
        for name, step in registry.steps().items():
            if name not in self.skip:
                for key, value in step.remote_teacher_settings.items():
                    self.settings.setdefault(key, value)

    def options_for(self, step: type[Step]) -> Any:
        """The options object of `step`: its declared defaults, with the settings given for its keys."""
        own = {f.name for f in dataclasses.fields(step.Options)}
        return build(step.Options, {key: value for key, value in self.settings.items() if key in own})

    def validate(self) -> None:
        """Raise ValueError for an unknown step or key, or a value of the wrong type or range (before any model
        or teacher is started)."""
        if not isinstance(self.skip, list) or not all(isinstance(name, str) for name in self.skip):
            raise ValueError(f"skip: expected a list of step names, e.g. [echo, near_dedup], got {self.skip!r}")
        steps = registry.steps()
        unknown = set(self.skip) - set(steps)
        if unknown:
            raise ValueError(f"skip: unknown filter step(s) {sorted(unknown)}; steps: {', '.join(steps)}")
        owners = registry.setting_owners()
        unknown = sorted(set(self.settings) - set(owners))
        if unknown:
            near = difflib.get_close_matches(unknown[0], list(owners), n=3)
            hint = f"did you mean {', '.join(near)}? " if near else ""
            raise ValueError(f"unknown filter setting(s) {unknown}; {hint}(README, Filtering, lists them all)")
        for key, value in self.settings.items():
            check_value(owners[key][0].Options, key, value)
        if "langid_backend" in self.settings:
            _check_backends(self.settings["langid_backend"])

    def steps_to_run(self) -> list[type[Step]]:
        """The steps that run, in order: every installed one not skipped and not switched off by its options."""
        return [
            step
            for name, step in registry.steps().items()
            if name not in self.skip and step.enabled(self.options_for(step))
        ]

    def teacher_steps(self) -> list[str]:
        """The steps that ask the teacher and are switched on."""
        return [step.name for step in self.steps_to_run() if issubclass(step, TeacherCheck)]

    def summary(self) -> dict[str, Any]:
        """What the run summary and the dataset card say about the filtering: the steps and their settings."""
        running = self.steps_to_run()
        settings = {key: value for step in running for key, value in dataclasses.asdict(self.options_for(step)).items()}
        return {"steps": ", ".join(step.name for step in running), **settings}


@dataclass
class FilterFlags:
    """The flags that choose the filtering of `generate` and `filter`; each step's own settings come as flags
    of their own (`--near-dup-threshold 0.9`) or keys of the --filters file."""

    help_panel: ClassVar[str] = "Filtering"

    config_file: Path | None = option(None, "YAML/TOML file of filter settings.", flag="--filters")
    skip_filter: str | None = option(None, "Filter steps to skip, comma-separated.")

    def config(self, step_settings: dict[str, Any]) -> FilterConfig:
        """The settings file, then the steps' own flags over it (`--langid-backend`, `--round-trip-min-chrf`,
        `--judge-min-score`, ...: each declared once, by its step); validated."""
        config = FilterConfig.from_file(self.config_file) if self.config_file else FilterConfig()
        config.settings.update(step_settings)
        if self.skip_filter:
            config.skip = [name.strip() for name in self.skip_filter.split(",") if name.strip()]
        config.validate()
        return config


def defaults() -> dict[str, Any]:
    """Every settings key with its default, in chain order (the README lists them)."""
    found: dict[str, Any] = {"skip": []}
    for step in registry.steps().values():
        for declared in dataclasses.fields(step.Options):
            found.setdefault(declared.name, default_of(declared))
    return found


def settings_help() -> str:
    """The settings of every installed step, for help texts (plugins' included)."""
    described = ((name, describe(step.Options)) for name, step in registry.steps().items())
    return "\n\n".join(f"{name}: {text}" for name, text in described if text)


def _check_backends(spec: str) -> None:
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise ValueError(f"langid_backend: unknown backend(s) {unknown or spec!r}; choose from {', '.join(BACKENDS)}")


def build_chain(config: FilterConfig, teacher: Teacher | None = None) -> FilterChain:
    """The chain `config` asks for: cheap checks first, then the checks that ask the teacher (only those
    switched on), dedup last (so rejects never enter the index)."""
    config.validate()
    running = config.steps_to_run()
    asking = [step.name for step in running if issubclass(step, TeacherCheck)]
    if asking and teacher is None:
        raise ValueError(f"filter step(s) {', '.join(asking)} need a teacher")
    made: list[Any] = []
    for step in running:
        options = config.options_for(step)
        made.append(step(teacher, options) if issubclass(step, TeacherCheck) else step(options))
    return FilterChain(made)
