"""Reading a chat completion body (direct and Batch API answers alike), whatever shape a server gives it.

Servers and proxies differ: content as a list of parts, `content: null` from a content filter or a
reasoning model that spent its tokens thinking, tool calls only, no `usage`, usage counts as strings.
What can be read is read; what cannot is an `Unusable` answer that says what it held instead.
"""

from __future__ import annotations

import math
from typing import Any

import regex

from bayling_data.text.answers import joined_parts

CHARS_PER_TOKEN = 4  # about, for scripts with spaces; a Han, kana or Hangul character is about one token
_DENSE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")


class Unusable(Exception):
    """A 200 answer with nothing usable in it; the message says what it held instead, `cause` is a short key
    (for the count of retries by cause)."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def estimate_tokens(text: str) -> int:
    """About how many tokens `text` is, for servers that send no usage (errs on the high side)."""
    dense = len(_DENSE.findall(text))
    return dense + math.ceil((len(text) - dense) / CHARS_PER_TOKEN)


def _count(usage: dict[str, Any], name: str) -> int | None:
    """A usage count that is a whole number >= 0; None for anything else (missing, negative, 'lots')."""
    value = usage.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return int(value)


def _content(message: Any, finish_reason: str) -> str:
    """The text of a message: a string, or the text parts of a list of parts."""
    if not isinstance(message, dict):
        raise Unusable(f"message is {type(message).__name__}, not an object", "not_a_message")
    content = joined_parts(message.get("content"))  # [{"type": "text", "text": ...}, ...]
    if content is None:
        if message.get("tool_calls") or message.get("function_call"):
            raise Unusable("tool calls only, no text", "tool_calls_only")
        if message.get("reasoning_content") or message.get("reasoning"):
            why = f"reasoning only, content null (finish_reason {finish_reason}): raise --answer-tokens?"
            raise Unusable(why, "reasoning_only")
        raise Unusable(f"content null (finish_reason {finish_reason})", "content_null")
    if not isinstance(content, str):
        raise Unusable(f"content is {type(content).__name__}, not text", "content_not_text")
    return content.strip()


def billed_tokens(body: Any) -> tuple[int, int]:
    """The prompt and completion tokens a body's `usage` reports (0 for what it does not say)."""
    usage = body.get("usage") if isinstance(body, dict) and isinstance(body.get("usage"), dict) else {}
    return _count(usage, "prompt_tokens") or 0, _count(usage, "completion_tokens") or 0


def reply_fields(body: Any, prompt: str = "") -> dict[str, Any]:
    """Stripped content, finish reason and token counts of a completion; `Unusable` when it holds no text.
    Counts the server does not send (or sends as nonsense) are estimated from the text: from `prompt` for
    the input, from the answer for the output; `estimated` says so."""
    if not isinstance(body, dict):
        raise Unusable(f"the answer is {type(body).__name__}, not a chat completion", "not_a_completion")
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise Unusable(
            "no choices" if not choices else f"choices is {type(choices).__name__}, not a list", "no_choices"
        )
    choice = choices[0] if isinstance(choices[0], dict) else {}
    finish_reason = choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else "stop"
    content = _content(choice.get("message"), finish_reason)
    if not content:
        raise Unusable(f"empty content (finish_reason {finish_reason})", "empty_content")
    prompt_tokens, completion_tokens = _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")
    return {
        "content": content,
        "finish_reason": finish_reason,
        "prompt_tokens": estimate_tokens(prompt) if prompt_tokens is None else prompt_tokens,
        "completion_tokens": estimate_tokens(content) if completion_tokens is None else completion_tokens,
        "estimated": prompt_tokens is None or completion_tokens is None,
    }
