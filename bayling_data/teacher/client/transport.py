"""Chat completions over HTTP on the leanest path: one aiohttp session, JSON in and out, nothing else.

The openai SDK stays for what it does best (model listing, Files and the Batch API); the hot path (one
POST per teacher request, thousands per second against a fast server) skips its request and response
machinery, which cost about 1 ms of CPU per request (`benchmarks/teacher_throughput.py`). Errors come
out as the few kinds the client's retry policy tells apart.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import orjson
from multidict import CIMultiDictProxy

from bayling_data.text.secrets import url_without_credentials

MAX_ANSWER_BYTES = 4 * 2**20  # a chat answer of max_tokens tokens is kilobytes; past this it is not an answer


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


class AnswerTooLarge(TransportError):
    """A body larger than any answer we asked for (read no further, so memory and the cache stay bounded)."""


class HtmlAnswer(TransportError):
    """A 200 whose body is an HTML page (a proxy, a login form): not an OpenAI-compatible API."""


class ChatTransport:
    """POSTs chat completion requests to `{base_url}/chat/completions` (and GETs `/models`) with the API key
    as bearer token; a `user:password@` in `base_url` (a proxy's basic authentication) is sent instead of it,
    as HTTP allows one Authorization. `base_url` is the form to show: without the credentials."""

    def __init__(
        self, base_url: str, api_key: str, timeout: float, connections: int, max_bytes: int = MAX_ANSWER_BYTES
    ) -> None:
        self.base_url = url_without_credentials(base_url.rstrip("/"))
        self.url = self.base_url + "/chat/completions"
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"}
        parts = urlsplit(base_url)
        if parts.username is not None:
            self._headers["Authorization"] = aiohttp.BasicAuth(
                unquote(parts.username), unquote(parts.password or "")
            ).encode()
        else:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        """The session, made in the running event loop on first use."""
        connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._connections)
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers=self._headers,
            auto_decompress=False,  # `_read` decompresses, with a bound
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
                raw = await self._read(response)
                if response.status >= 400:
                    raise HttpStatus(response.status, response.headers, raw)
                if response.content_type == "text/html":
                    raise HtmlAnswer("an HTML page")
                return orjson.loads(raw), response.headers
        except asyncio.TimeoutError:
            raise TransportTimeout(f"no answer within {self.timeout} s") from None
        except aiohttp.ClientError as error:  # refused, reset, DNS, closed early, invalid HTTP
            raise TransportUnreachable(str(error) or type(error).__name__) from error

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, decompressed here (not by aiohttp, which unpacks a whole chunk at once: 400 KB of gzip can
        be 400 MB) and read no further than `max_bytes`."""
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in ("gzip", "x-gzip", "deflate") else None
        chunks: list[bytes] = []
        size = 0
        async for packed in response.content.iter_chunked(1 << 16):
            pending = packed
            while pending:
                if inflate is None:
                    chunk, pending = pending, b""
                else:
                    chunk = inflate.decompress(pending, self.max_bytes - size + 1)
                    pending = inflate.unconsumed_tail
                size += len(chunk)
                if size > self.max_bytes:
                    response.close()
                    raise AnswerTooLarge(f"an answer over {self.max_bytes // 2**20} MiB")
                chunks.append(chunk)
        return b"".join(chunks)

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
