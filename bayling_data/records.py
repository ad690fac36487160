"""The record schema: one record is one training example."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import xxhash

MESSAGE_TYPE = pa.struct([("role", pa.string()), ("content", pa.string())])

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("task", pa.string()),
        ("generator", pa.string()),
        ("src_lang", pa.string()),
        ("tgt_lang", pa.string()),
        ("messages", pa.list_(MESSAGE_TYPE)),
        ("meta", pa.string()),  # JSON object
        ("scores", pa.string()),  # JSON object: filter signals
    ]
)

REJECTED_SCHEMA = SCHEMA.append(pa.field("reject_reason", pa.string()))


@dataclass
class Record:
    """One training example: a chat in `messages` plus what made it and what filters saw."""

    task: str
    generator: str
    src_lang: str
    tgt_lang: str
    messages: list[dict[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = content_id(self.task, self.src_lang, self.tgt_lang, self.messages)

    def turns(self, role: str) -> list[str]:
        """The contents of every message with `role`, in order."""
        return [m["content"] for m in self.messages if m["role"] == role]

    def to_row(self) -> dict[str, Any]:
        """A row for the parquet schema (meta and scores as JSON strings)."""
        return {
            "id": self.id,
            "task": self.task,
            "generator": self.generator,
            "src_lang": self.src_lang,
            "tgt_lang": self.tgt_lang,
            "messages": [{"role": m["role"], "content": m["content"]} for m in self.messages],
            "meta": json.dumps(self.meta, ensure_ascii=False, sort_keys=True),
            "scores": json.dumps(self.scores, ensure_ascii=False, sort_keys=True),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Record:
        """Inverse of `to_row`."""
        return cls(
            task=row["task"],
            generator=row["generator"],
            src_lang=row["src_lang"] or "",
            tgt_lang=row["tgt_lang"] or "",
            messages=[{"role": m["role"], "content": m["content"]} for m in row["messages"]],
            meta=_json_dict(row.get("meta")),
            scores=_json_dict(row.get("scores")),
            id=row.get("id") or "",
        )


def _text_list(value: Any, none_ok: bool = False) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) or (none_ok and v is None) for v in value)


def _span(start: Any, end: Any, lang: Any) -> bool:
    return isinstance(start, int) and isinstance(end, int) and isinstance(lang, str)


def _spans(value: Any) -> bool:  # per message: None or [[start, end, language], ...]
    return isinstance(value, list) and all(
        v is None or (isinstance(v, list) and all(isinstance(s, list) and len(s) == 3 and _span(*s) for s in v))
        for v in value
    )


# The `meta` keys that generators write and filters read, and the shape each must have. Records from
# outside (imported corpora) are checked against it at the edge, so no filter meets a wrong type.
META_CONTRACT: dict[str, tuple[str, Any]] = {
    "source_text": ("text", lambda v: isinstance(v, str)),
    "instruction_lang": ("a language code", lambda v: isinstance(v, str)),
    "plan": ("a list of turn types", _text_list),
    "turn_langs": ("a list of language codes (or null), one per message", lambda v: _text_list(v, none_ok=True)),
    "finish_reasons": ("a list of finish reasons", _text_list),
    "constraints": ("a list of objects", lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v)),
    "segments": ("a list of [start, end, language] spans per message", _spans),
}


@dataclass
class Facts:
    """What a generator states about its dialogue and the filters read: the typed part of `meta` (the keys
    of META_CONTRACT). `plan` and `finish_reasons` have one entry per turn pair, `turn_langs` one per
    message (None: no language expected, e.g. a request holding the source text)."""

    plan: list[str]
    turn_langs: list[str | None]
    finish_reasons: list[str]
    source_text: str | None = None  # the text a translation record translates
    instruction_lang: str | None = None  # the language the user side is written in
    constraints: list[dict[str, Any]] | None = None  # words a turn asked to include, per refine turn
    segments: list[Any] | None = None  # per message: None or [[start, end, language], ...]


def generated(
    task: str, generator: str, src: str, tgt: str, messages: list[dict[str, str]], facts: Facts, **meta: Any
) -> Record:
    """A record a generator made: its facts (checked against the contract) and any meta of its own;
    provenance (teacher, prompts, usage) is added by the generator base class."""
    stated = {key: value for key, value in vars(facts).items() if value is not None}
    if problem := meta_problem(stated):
        raise ValueError(f"generator {generator}: {problem}")
    return Record(task, generator, src, tgt, list(messages), meta={**meta, **stated})


def meta_problem(meta: dict[str, Any]) -> str | None:
    """What breaks the meta contract (`meta.KEY must be ...`), or None."""
    for key, (shape, fits) in META_CONTRACT.items():
        if key in meta and meta[key] is not None and not fits(meta[key]):
            return f"meta.{key} must be {shape}, got {json.dumps(meta[key], default=str)[:40]}"
    return None


def _json_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return json.loads(value) if value else {}


def content_id(task: str, src_lang: str, tgt_lang: str, messages: list[dict[str, str]]) -> str:
    """Stable id: a 128-bit hash of what the example teaches (not of how it was made)."""
    canonical = json.dumps(
        [task, src_lang, tgt_lang, [[m["role"], m["content"]] for m in messages]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return xxhash.xxh3_128_hexdigest(canonical.encode("utf-8"))


def rows_to_table(rows: list[dict[str, Any]], rejected: bool = False) -> pa.Table:
    """Build an Arrow table with the fixed schema from rows made by `Record.to_row`."""
    return pa.Table.from_pylist(rows, schema=REJECTED_SCHEMA if rejected else SCHEMA)
