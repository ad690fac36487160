"""Credentials a run knows, kept out of everything it prints or stores: answers, messages, URLs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

MIN_SECRET_CHARS = 8  # a shorter value is a placeholder (EMPTY, local), and masking it would garble text
MASK = "***"
# variables that hold credentials a run may know of (the teacher's key, a Hub token for --push-to-hub)
SECRET_VARIABLES = ("OPENAI_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def url_without_credentials(url: str) -> str:
    """`url` with any `user:password@` removed: the form to print, log, store or key a cache by."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def url_credentials(url: str) -> list[str]:
    """The user name and password written into `url` (none: empty)."""
    parts = urlsplit(url)
    return [value for value in (parts.username, parts.password) if value]


class Secrets:
    """The credentials of one run (API key, passwords in URLs, tokens in the environment): found in text,
    or masked out of it."""

    def __init__(self, values: Iterable[str | None] = (), *, environment: bool = True) -> None:
        found = {value for value in values if value}
        if environment:
            found |= {os.environ.get(name) or "" for name in SECRET_VARIABLES}
        # longest first, so that a secret that contains another is masked whole
        self.values = sorted((v for v in found if len(v) >= MIN_SECRET_CHARS), key=len, reverse=True)

    def found_in(self, text: str) -> bool:
        """Whether `text` holds any of the secrets."""
        return any(value in text for value in self.values)

    def mask(self, text: str) -> str:
        """`text` with every secret replaced by ***."""
        for value in self.values:
            text = text.replace(value, MASK)
        return text
