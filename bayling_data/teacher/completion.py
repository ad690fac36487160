"""The fields of a chat completion body that a reply keeps (one reading for direct and Batch API answers)."""

from __future__ import annotations

from typing import Any


def reply_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Stripped content ('' when the body holds no answer), finish reason and token counts."""
    usage = body.get("usage") or {}
    choices = body.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    return {
        "content": ((choice.get("message") or {}).get("content") or "").strip(),
        "finish_reason": choice.get("finish_reason") or "stop",
        "prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "completion_tokens": int(usage.get("completion_tokens") or 0),
    }
