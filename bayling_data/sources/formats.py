"""Recognise the record shapes of existing corpora and turn them into our records."""

from __future__ import annotations

from typing import Any

from bayling_data.records import Record
from bayling_data.sources.readers import InputError

FORMATS = ("bayling", "sharegpt", "alpaca", "messages")
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
    if isinstance(row.get("conversations"), list):
        return "sharegpt"
    if "instruction" in row and "output" in row:
        return "alpaca"
    if isinstance(row.get("messages"), list):
        return "messages"
    return None


def to_record(row: dict[str, Any], fmt: str, where: str, lang: str = "") -> Record:
    """Convert one row of a known format (raises InputError with its location when it does not fit)."""
    try:
        if fmt == "bayling":
            return Record.from_row(row)
        if fmt == "sharegpt":
            messages = [
                {"role": SHAREGPT_ROLES[str(turn["from"]).lower()], "content": str(turn["value"])}
                for turn in row["conversations"]
            ]
        elif fmt == "alpaca":
            prompt = str(row["instruction"])
            if row.get("input"):
                prompt = f"{prompt}\n\n{row['input']}"
            messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": str(row["output"])}]
        elif fmt == "messages":
            messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in row["messages"]]
        else:
            raise InputError(f"unknown --format {fmt!r}; choose from {', '.join(FORMATS)}")
    except (KeyError, TypeError) as error:
        raise InputError(f"{where}: not a valid {fmt} record (missing or bad field {error})") from None
    return Record(
        task="chat", generator=f"import:{fmt}", src_lang=lang, tgt_lang=lang, messages=messages, meta={"origin": where}
    )
