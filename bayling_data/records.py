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
