"""Recognise the record shapes of existing corpora and turn them into our records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bayling_data.records import Record, meta_problem
from bayling_data.sources.readers import InputError
from bayling_data.text.answers import joined_parts
from bayling_data.text.source_finder import FoundSource, find_in_user_turn, is_translation_request, unquoted

FORMATS = ("bayling", "sharegpt", "alpaca", "messages")
CHAT_ROLES = frozenset({"system", "user", "assistant"})
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
}


def detect_format(row: dict[str, Any]) -> str | None:
    """The format of a row, or None when it is none we know."""
    if {"messages", "task", "generator"} <= row.keys():
        return "bayling"
    if "conversations" in row:
        return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    if "messages" in row:
        return "messages"
    return None


class BadContent(InputError):
    """A message whose content is not text (a number, null, a list): the record can be kept apart as
    rejected (`bad_content`) with the content shown as JSON, instead of being read as "42" or "None"."""

    def __init__(self, message: str, record: Record) -> None:
        super().__init__(message)
        self.record = record


def _messages(value: Any, where: str, field_name: str, role_key: str, content_key: str) -> list[dict[str, Any]]:
    """Messages from a list of objects, with the field names of a format; InputError when the shape is wrong."""
    if value is None:
        raise InputError(f"{where}: `{field_name}` is missing")
    if not isinstance(value, list) or not value:
        got = type(value).__name__ if not isinstance(value, list) else "an empty list"
        raise InputError(f"{where}: `{field_name}` must be a list of {{{role_key}, {content_key}}} objects, got {got}")
    messages = []
    for position, item in enumerate(value, start=1):
        if not isinstance(item, dict) or content_key not in item:
            raise InputError(
                f"{where}: message {position} of `{field_name}` is not a {{{role_key}, {content_key}}} object"
            )
        role = item.get(role_key)
        if field_name == "conversations":
            role = SHAREGPT_ROLES.get(str(role).lower())
            if role is None:
                raise InputError(f"{where}: message {position}: unknown speaker {item.get(role_key)!r}")
        if not isinstance(role, str):
            raise InputError(f"{where}: message {position} has no role (a string such as user or assistant)")
        if role.lower() in CHAT_ROLES:  # User, ASSISTANT: the same roles
            role = role.lower()
        messages.append({"role": role, "content": joined_parts(item[content_key])})
    return messages


def _json_object(value: Any, where: str, key: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise InputError(f"{where}: `{key}` is not valid JSON") from None
    if not isinstance(value, dict):
        raise InputError(f"{where}: `{key}` must be a JSON object, got {type(value).__name__}")
    return value


def _bayling_record(row: dict[str, Any], where: str) -> Record:
    messages = _messages(row.get("messages"), where, "messages", "role", "content")
    for key in ("task", "generator"):
        if not isinstance(row.get(key), str):
            raise InputError(f"{where}: `{key}` must be a string, got {type(row.get(key)).__name__}")
    for key in ("src_lang", "tgt_lang", "id"):
        if row.get(key) is not None and not isinstance(row.get(key), str):
            raise InputError(f"{where}: `{key}` must be a string, got {row.get(key)!r}")
    meta = _json_object(row.get("meta"), where, "meta")
    if problem := meta_problem(meta):
        raise InputError(f"{where}: {problem}")
    return Record(
        task=row["task"],
        generator=row["generator"],
        src_lang=row.get("src_lang") or "",
        tgt_lang=row.get("tgt_lang") or "",
        messages=messages,
        meta=meta,
        scores=_json_object(row.get("scores"), where, "scores"),
        id=row.get("id") or "",
    )


def _chat_messages(row: dict[str, Any], fmt: str, where: str) -> list[dict[str, Any]]:
    if fmt == "sharegpt":
        return _messages(row.get("conversations"), where, "conversations", "from", "value")
    if fmt == "messages":
        return _messages(row.get("messages"), where, "messages", "role", "content")
    if fmt == "alpaca":
        missing = [key for key in ("instruction", "output") if key not in row]
        if missing:
            raise InputError(f"{where}: an alpaca record needs `{missing[0]}`")
        prompt = row["instruction"]
        if row.get("input"):
            prompt = (
                f"{prompt}\n\n{row['input']}" if isinstance(prompt, str) and isinstance(row["input"], str) else None
            )
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": row["output"]}]
    raise InputError(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")


@dataclass(frozen=True)
class ImportLanguages:
    """What an import says of its languages: the answers' (`--lang`), the sources' (`--source-lang`), and
    where a translation's source is kept when not in the user turn (`--source-field`: a column or meta key)."""

    lang: str = ""
    source_lang: str = ""
    source_field: str | None = None


def to_record(row: dict[str, Any], fmt: str, where: str, langs: ImportLanguages | None = None) -> Record:
    """Convert one row of a known format (InputError with its location when it does not fit; BadContent, with
    the record, when a message's content is not text).

    A translation request's source is looked for (`--source-field`, an Alpaca `input`, or inside the user
    turn) and, when found, the record becomes a translation record with `meta.source_text`, so that every
    check that compares a translation with its source runs on it; `meta.source_found` says how it was found
    (`not_found` for a translation request whose text could not be told apart)."""
    langs = langs or ImportLanguages()
    if fmt == "bayling":
        record = _bayling_record(row, where)
        if record.meta.get("source_text") is None and (langs.source_field or record.task == "translate"):
            _as_translation(record, _source_of(row, fmt, record.messages, record.meta, langs.source_field, where))
    else:
        messages, meta = _chat_messages(row, fmt, where), {"origin": where}
        found = _source_of(row, fmt, messages, meta, langs.source_field, where)
        if found is None:
            record = Record("chat", f"import:{fmt}", langs.lang, langs.lang, messages, meta=meta)
        else:  # a translation record: its source is in the language --source-lang names
            record = Record("translate", f"import:{fmt}", langs.source_lang, langs.lang, messages, meta=meta)
            _as_translation(record, found)
    bad = [position for position, m in enumerate(record.messages, start=1) if not isinstance(m["content"], str)]
    if bad:
        value = record.messages[bad[0] - 1]["content"]
        for m in record.messages:
            if not isinstance(m["content"], str):
                m["content"] = json.dumps(m["content"], ensure_ascii=False, default=str)
        record.id = ""
        record.__post_init__()  # the id of what is stored
        raise BadContent(f"{where}: message {bad[0]} content must be text, got {value!r}", record)
    return record


def _first_user_turn(messages: list[dict[str, Any]]) -> int | None:
    return next((i for i, m in enumerate(messages) if m["role"] == "user"), None)


def _source_of(
    row: dict[str, Any],
    fmt: str,
    messages: list[dict[str, Any]],
    meta: dict[str, Any],
    field_name: str | None,
    where: str,
) -> FoundSource | None:
    """The source of a translation record; None when the row asks for no translation, and a FoundSource with
    no text (`not_found`) when it asks for one but its text cannot be told apart from the request."""
    position = _first_user_turn(messages)
    turn = messages[position]["content"] if position is not None else None
    if field_name:
        value = row.get(field_name, meta.get(field_name))
        if value is not None and not isinstance(value, str):
            raise InputError(f"{where}: --source-field {field_name} must hold text, got {type(value).__name__}")
        return FoundSource(unquoted(value), "field", "") if value and value.strip() else None
    if not isinstance(turn, str):
        return None
    if fmt == "alpaca" and isinstance(row.get("input"), str) and row["input"].strip():
        instruction = row.get("instruction")
        if isinstance(instruction, str) and is_translation_request(instruction):
            return FoundSource(unquoted(row["input"]), "input", instruction)
        return None
    found = find_in_user_turn(turn)
    if found is None and is_translation_request(turn):
        return FoundSource("", "not_found", turn)
    return found


def _as_translation(record: Record, found: FoundSource | None) -> None:
    """Give `record` the facts of a translation: its source, how it was found, and no language expected of
    the user turn that holds it (request and source may be in two languages; the source is checked apart)."""
    if found is None:
        return
    record.meta["source_found"] = found.how
    if found.text:
        record.meta["source_text"] = found.text
    position = _first_user_turn(record.messages)
    if "turn_langs" not in record.meta and record.tgt_lang:
        by_role = {"user": record.src_lang or None, "assistant": record.tgt_lang}
        record.meta["turn_langs"] = [
            None if i == position else by_role.get(m["role"]) for i, m in enumerate(record.messages)
        ]
