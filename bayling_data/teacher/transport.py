"""Chat completions over HTTP on the leanest path: one aiohttp session, JSON in and out, nothing else.

The openai SDK stays for what it does best (model listing, Files and the Batch API); the hot path (one
POST per teacher request, thousands per second against a fast server) skips its request and response
machinery, which cost about 1 ms of CPU per request (`benchmarks/teacher_throughput.py`). Errors come
out as the few kinds the client's retry policy tells apart.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDictProxy


class TransportError(Exception):
    """A request that got no usable HTTP answer, or an answer that is an error."""


class TransportTimeout(TransportError):
    """No answer within the timeout."""


class TransportUnreachable(TransportError):
    """No connection, or the connection broke: refused, unknown host, reset, closed early."""


class HttpStatus(TransportError):
    """An HTTP error status, with the answer's headers (rate limits, Retry-After) and the start of its body."""

    def __init__(self, status: int, headers: CIMultiDictProxy[str], body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.headers, self.body = status, headers, body[:500]

    def said(self) -> str:
        """What the server said, on one short line: an OpenAI-style `error.message` (or `detail`, `message`),
        else the start of the body."""
        try:
            answer = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            answer = self.body.decode("utf-8", "replace")
        if isinstance(answer, dict):
            found = answer.get("error", answer.get("detail", answer.get("message", answer)))
            answer = found.get("message", found) if isinstance(found, dict) else found
        return " ".join(str(answer).split())[:200]


class HtmlAnswer(TransportError):
    """A 200 whose body is an HTML page (a proxy, a login form): not an OpenAI-compatible API."""


class ChatTransport:
    """POSTs chat completion requests to `{base_url}/chat/completions` (and GETs `/models`) with the API key
    as bearer token."""

    def __init__(self, base_url: str, api_key: str, timeout: float, connections: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        """The session, made in the running event loop on first use."""
        connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._connections)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout), headers=self._headers
        )
        return self._session

    async def post(self, body: dict[str, Any]) -> tuple[Any, CIMultiDictProxy[str]]:
        """The decoded JSON answer and its headers (a json.JSONDecodeError, which orjson's error is, for a broken
        200 body)."""
        return await self._call("POST", self.url, orjson.dumps(body))

    async def get(self, path: str) -> tuple[Any, CIMultiDictProxy[str]]:
        """`GET {base_url}{path}`, decoded like `post`."""
        return await self._call("GET", self.base_url + path, None)

    async def _call(self, method: str, url: str, payload: bytes | None) -> tuple[Any, CIMultiDictProxy[str]]:
        session = self._session or self._open()
        try:
            async with session.request(method, url, data=payload) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise HttpStatus(response.status, response.headers, raw)
                if response.content_type == "text/html":
                    raise HtmlAnswer(f"{method} {url} answered an HTML page")
                return orjson.loads(raw), response.headers
        except asyncio.TimeoutError:
            raise TransportTimeout(f"no answer within {self.timeout} s") from None
        except aiohttp.ClientError as error:  # refused, reset, DNS, closed early, invalid HTTP
            raise TransportUnreachable(str(error) or type(error).__name__) from error

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
