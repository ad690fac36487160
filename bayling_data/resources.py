"""Templates (what the student model sees) and teacher prompts, shipped as package data."""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
import yaml

if TYPE_CHECKING:
    from importlib.abc import Traversable


def _root(name: str) -> Traversable:
    folder = resources.files("bayling_data").joinpath(name)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"bayling_data/{name} is missing from the installed package: reinstall with `pip install .`"
        )
    return folder


@functools.cache
def templates(generator: str) -> dict[str, dict[str, Any]]:
    """The user-side phrasings of a generator: {instruction language: {turn kind: {id: text}}}."""
    folder = _root("templates").joinpath(generator)
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found[entry.name.removesuffix(".yaml")] = yaml.safe_load(entry.read_text("utf-8"))
    if not found:
        raise FileNotFoundError(f"no templates for generator {generator!r}")
    return found


def _load_prompt(name: str) -> tuple[str, str, Any]:
    source = _root("prompts").joinpath(name).read_text("utf-8")
    return source, name, lambda: True


_environment = jinja2.Environment(
    loader=jinja2.FunctionLoader(_load_prompt),
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


def render_prompt(name: str, **values: Any) -> str:
    """Render the teacher prompt `prompts/{name}.j2`."""
    return _environment.get_template(f"{name}.j2").render(**values).strip()


@functools.cache
def prompt_hash(name: str) -> str:
    """Short hash of a prompt's source: a changed prompt is visible in every record's meta."""
    source = _root("prompts").joinpath(f"{name}.j2").read_text("utf-8")
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
