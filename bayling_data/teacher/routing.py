"""More than one teacher in a run: which one writes a record, by its languages, and a fallback for a
language that keeps failing on its teacher.

`--add-teacher NAME=URL[,MODEL][,KEY_ENV]` names another teacher (the one the usual teacher flags open is
`main`); `--route KEY=NAME` sends records to it by language (`sw=big`: a record with Swahili on either
side), tier (`tier:low=big`) or direction (`en-sw=big`); `--fallback NAME` is where a language moves
once its tries keep failing on its teacher. A record's whole dialogue comes from one teacher: the
scheduler picks it for the slot (from the slot's planned direction) and every request the slot's task
makes goes there (a context variable, copied into the task when it starts).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar, Optional

from bayling_data import languages
from bayling_data.options import option
from bayling_data.stats import direction_key
from bayling_data.teacher.client import Reply, Teacher

MAIN = "main"
ROUTE = contextvars.ContextVar("bayling_teacher_route", default=MAIN)  # the teacher of the running slot


@dataclass
class RouteOptions:
    """Other teachers, which records they write, and the fallback."""

    help_panel: ClassVar[str] = "Teacher"

    add_teacher: Optional[list[str]] = option(
        None,
        "Another teacher, NAME=URL[,MODEL][,KEY_ENV] (repeat the flag; the usual one is 'main').",
        flag="--add-teacher",  # --teacher chooses the usual one's kind (auto, local, remote)
    )
    route: Optional[list[str]] = option(
        None, "Records to a teacher: LANG=NAME, tier:low=NAME or SRC-TGT=NAME (repeat; the most specific wins)."
    )
    fallback: Optional[str] = option(None, "Teacher a language moves to when its tries keep failing on its own.")

    def specs(self) -> dict[str, TeacherSpec]:
        """The other teachers by name (ValueError naming --add-teacher for a malformed one)."""
        found: dict[str, TeacherSpec] = {}
        for text in self.add_teacher or []:
            spec = TeacherSpec.parse(text)
            if spec.name in found or spec.name == MAIN:
                raise ValueError(f"--add-teacher {text}: the name {spec.name!r} is taken")
            found[spec.name] = spec
        return found

    def table(self) -> RouteTable:
        """The routes and the fallback, checked against the teachers' names."""
        names = {MAIN, *self.specs()}
        routes: dict[tuple[str, str], str] = {}
        for text in self.route or []:
            key, _, name = text.partition("=")
            if not name or name not in names:
                raise ValueError(f"--route {text}: expected KEY=NAME with NAME one of {sorted(names)}")
            routes[_route_key(key.strip(), text)] = name
        if self.fallback is not None and self.fallback not in names:
            raise ValueError(f"--fallback {self.fallback}: no teacher of that name ({sorted(names)})")
        return RouteTable(routes, self.fallback)

    def fingerprint(self) -> dict[str, Any]:
        """What a resumed run must share: the teachers (without keys) and the routes."""
        return {"teachers": {n: [s.base_url, s.model] for n, s in self.specs().items()}, "routes": self.route or []}


@dataclass(frozen=True)
class TeacherSpec:
    """Another teacher: its name, endpoint, model (None: the first it lists) and the variable holding its key."""

    name: str
    base_url: str
    model: str | None = None
    key_env: str | None = None

    @classmethod
    def parse(cls, text: str) -> TeacherSpec:
        """From `NAME=URL[,MODEL][,KEY_ENV]`."""
        name, _, rest = text.partition("=")
        parts = [part.strip() for part in rest.split(",")]
        if not name.strip() or not parts[0].startswith(("http://", "https://")) or len(parts) > 3:
            raise ValueError(f"--add-teacher {text}: expected NAME=URL[,MODEL][,KEY_ENV], e.g. big=http://host:8000/v1")
        key_env = parts[2] if len(parts) > 2 and parts[2] else None
        if key_env is not None and key_env not in os.environ:
            raise ValueError(f"--add-teacher {name.strip()}: the variable {key_env} (its key) is not set")
        return cls(name.strip(), parts[0], (parts[1] or None) if len(parts) > 1 else None, key_env)


def _route_key(key: str, text: str) -> tuple[str, str]:
    """("lang", code), ("tier", tier) or ("direction", "src -> tgt") from a route's left side."""
    try:
        if key.startswith("tier:"):
            tier = key.removeprefix("tier:")
            if tier not in languages.TIERS:
                raise ValueError(f"unknown tier {tier!r} ({', '.join(languages.TIERS)})")
            return ("tier", tier)
        if "-" in key and "_" not in key:
            src, _, tgt = key.partition("-")
            return ("direction", direction_key(languages.get(src).code, languages.get(tgt).code))
        return ("lang", languages.get(key).code)
    except ValueError as error:
        raise ValueError(f"--route {text}: {error}") from None


@dataclass
class RouteTable:
    """Which teacher writes a record of some languages: a direction's route, else a language's (either side),
    else a tier's, else `main`; languages moved to the fallback go there."""

    routes: dict[tuple[str, str], str]
    fallback: str | None = None
    moved: dict[str, str] = dataclasses.field(default_factory=dict)

    def teacher_for(self, langs: list[str]) -> str:
        """The teacher's name for a record in `langs` ([source, target] when planned)."""
        for lang in langs:
            if lang in self.moved:
                return self.moved[lang]
        if len(langs) == 2 and (name := self.routes.get(("direction", direction_key(*langs)))):
            return name
        for lang in langs:
            if name := self.routes.get(("lang", lang)):
                return name
        for lang in langs:
            found = languages.find(lang)
            if found is not None and (name := self.routes.get(("tier", found.tier))):
                return name
        return MAIN

    def move(self, lang: str, current: str) -> str | None:
        """Send `lang` to the fallback (its name), unless it is there already or there is none."""
        if self.fallback is None or self.fallback == current:
            return None
        self.moved[lang] = self.fallback
        return self.fallback


class RoutedTeacher:
    """Several teachers behind one: `chat` goes to the running slot's teacher (ROUTE); everything else is the
    main teacher's, but `model`, which names the teacher that writes."""

    def __init__(self, teachers: dict[str, Teacher], table: RouteTable) -> None:
        self.teachers, self.table = teachers, table

    def __getattr__(self, name: str) -> Any:
        return getattr(self.teachers[MAIN], name)

    @property
    def model(self) -> str:
        """The model of the teacher writing the running slot."""
        return self.teachers[ROUTE.get()].model

    async def chat(self, *args: Any, **kwargs: Any) -> Reply:
        """A request to the running slot's teacher."""
        return await self.teachers[ROUTE.get()].chat(*args, **kwargs)

    def stop_new_requests(self) -> None:
        """Stop every teacher taking new requests."""
        for teacher in self.teachers.values():
            teacher.stop_new_requests()

    def routed_name(self) -> str:
        """The name of the running slot's teacher (for the record's provenance)."""
        return ROUTE.get()

    def usage_by_teacher(self) -> dict[str, dict[str, Any]]:
        """Each teacher's model, endpoint, requests, tokens and cost."""
        return {
            name: {"model": t.model, "base_url": t.base_url, **t.usage.summary()} for name, t in self.teachers.items()
        }


@contextlib.asynccontextmanager
async def open_routed(main: Teacher, specs: dict[str, TeacherSpec], options: Any) -> AsyncIterator[dict[str, Teacher]]:
    """Every teacher by name: `main` and one opened per spec with the main teacher's other settings."""
    from bayling_data.teacher.setup import open_teacher

    async with contextlib.AsyncExitStack() as stack:
        teachers = {MAIN: main}
        for name, spec in specs.items():
            key = os.environ[spec.key_env] if spec.key_env else "EMPTY"  # never the main key to another host
            other = dataclasses.replace(options, kind="remote", base_url=spec.base_url, model=spec.model, api_key=key)
            teachers[name] = await stack.enter_async_context(open_teacher(other))
        yield teachers
