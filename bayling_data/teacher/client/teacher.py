"""The teacher client: chat completions and model listing over a lean aiohttp transport, bounded
concurrency, retries by cause, rate limits, cache; the openai SDK for the Batch API only."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from bayling_data.teacher.client.accounting import Usage
from bayling_data.teacher.client.cache import RequestCache, request_key
from bayling_data.teacher.client.completion import Unusable, billed_tokens, reply_fields
from bayling_data.teacher.client.limits import RateLimiter
from bayling_data.teacher.client.transport import (
    AnswerTooLarge,
    ChatTransport,
    HtmlAnswer,
    HttpStatus,
    TransportTimeout,
    TransportUnreachable,
)
from bayling_data.teacher.errors import (
    TeacherAuthError,
    TeacherError,
    TeacherRefusing,
    TeacherRequestFailed,
    TeacherUnreachable,
    TeacherUnusable,
)
from bayling_data.text.answers import extract_json
from bayling_data.text.secrets import Secrets, url_credentials, url_without_credentials

if TYPE_CHECKING:
    from bayling_data.teacher.client.batch import BatchDispatcher

MAX_RETRY_AFTER = 120.0  # seconds: never wait longer than this on one Retry-After
MAX_BACKOFF = 30.0
log = logging.getLogger("bayling_data")

# Worth another try: no connection or no answer in time, rate limited, a server error, an empty or cut answer.
RETRYABLE = (TransportUnreachable, TransportTimeout, Unusable, json.JSONDecodeError, AnswerTooLarge)
UNUSABLE = (Unusable, json.JSONDecodeError, AnswerTooLarge)  # a 200 (paid for, often) with nothing to use
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
REFUSED_IN_A_ROW = 20  # requests refused (4xx) with none answered between: the endpoint refuses them all
UNUSABLE_IN_A_ROW = 20  # answers with nothing usable and none usable between: the endpoint gives nothing


@dataclass(frozen=True)
class Reply:
    """What the teacher said, and how."""

    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool = False


class Teacher:
    """Chat completions against any OpenAI-compatible endpoint."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        model: str,
        teacher_id: str,
        usage: Usage,
        cache: RequestCache | None = None,
        concurrency: int = 16,
        timeout: float = 120.0,
        max_attempts: int = 5,
        backoff: float = 0.5,
        limiter: RateLimiter | None = None,
        embedded: bool = False,
        server_gone: Callable[[], str | None] | None = None,
    ) -> None:
        self.model = model
        self.embedded = embedded  # the small local model bayling-data started itself (not a user's endpoint)
        self.server_gone = server_gone  # for a server we started: why it is no longer there (None: it runs)
        self.base_url = url_without_credentials(base_url)  # the form to print and store
        self.teacher_id = url_without_credentials(teacher_id)  # identifies the model behind the endpoint in cache keys
        self.secrets = Secrets([api_key, *url_credentials(base_url)])  # never printed, stored or kept in an answer
        self.usage = usage
        self.cache = cache
        self.max_attempts = max_attempts
        self.limiter = limiter or RateLimiter()
        self._stopping = False
        self._stopped = asyncio.Event()  # wakes requests waiting out a backoff or a Retry-After on a stop
        self._refused_in_a_row = 0
        self._unusable_in_a_row = 0
        self._warned_estimate = False
        self.listed_models: list[str] = []  # what the endpoint's /models listed (after `check`)
        self.batch: BatchDispatcher | None = None
        self.backoff = backoff
        self.concurrency = concurrency
        self._limit = asyncio.Semaphore(concurrency)
        self._api_key, self._timeout = api_key, timeout
        self._sdk: Any = None  # the openai SDK's client, for the Batch API only (made when asked for)
        self._transport = ChatTransport(base_url, api_key, timeout, concurrency)

    async def check(self) -> None:
        """Fail early and clearly on an unreachable endpoint, a refused key or a server that is no OpenAI API;
        remember the models it lists (`listed_models`)."""
        self.listed_models = await list_models(self._transport)

    async def chat(
        self,
        messages: list[dict[str, str]],
        *,
        temperature: float = 0.7,
        max_tokens: int = 512,
        seed: int | None = None,
        json_mode: bool = False,
        stop: list[str] | None = None,
    ) -> Reply:
        """One chat completion: from the cache if this exact request was answered before."""
        params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            params["seed"] = seed
        if stop:
            params["stop"] = stop
        if json_mode:
            params["response_format"] = {"type": "json_object"}
        key = request_key({"teacher": self.teacher_id, "model": self.model, "messages": messages, **params})
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.usage.cache_hits += 1
            if self.secrets.found_in(hit["content"]):  # stored by an older version: still never used
                raise TeacherRequestFailed("answer_holds_a_secret")
            return Reply(**hit, cached=True)
        if self.batch is not None:  # no await between the cache check and the submit: no double send
            answer = await self.batch.submit(key, {"model": self.model, "messages": messages, **params})
            if not answer["content"] or (json_mode and extract_json(answer["content"]) is None):
                raise TeacherRequestFailed("batch_empty_or_malformed")
            return Reply(**answer)
        reply = await self._request(messages, params, json_mode)
        if self.cache is not None:
            self.cache.put(
                key,
                {
                    "content": reply.content,
                    "finish_reason": reply.finish_reason,
                    "prompt_tokens": reply.prompt_tokens,
                    "completion_tokens": reply.completion_tokens,
                },
            )
        return reply

    async def _request(self, messages: list[dict[str, str]], params: dict[str, Any], json_mode: bool) -> Reply:
        """`_once` with retries by cause: a connection or timeout problem, a 429 (after its Retry-After, which
        holds every request), a 5xx, an empty or malformed answer; backoff doubles with jitter."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                reply = await self._once(messages, params, json_mode)
                self._refused_in_a_row = self._unusable_in_a_row = 0
                return reply
            except HttpStatus as error:
                if error.status == 401:
                    raise TeacherAuthError(_auth_message(self.base_url, error.status)) from None
                if error.status not in RETRYABLE_STATUS:
                    self._refused(error)
                if error.status not in RETRYABLE_STATUS or attempt == self.max_attempts:
                    self.usage.failures += 1
                    raise TeacherRequestFailed(f"http_{error.status}") from None
                self.usage.add_retry(f"http_{error.status}")
                await self._wait(self._delay(attempt, error))
            except RETRYABLE as error:
                gone = self.server_gone() if self.server_gone and isinstance(error, TransportUnreachable) else None
                if gone:  # no point retrying a server that has exited
                    raise TeacherUnreachable(gone) from None
                if isinstance(error, UNUSABLE):
                    self._unusable(error)
                if attempt == self.max_attempts:
                    raise self._final(error) from None
                self.usage.add_retry(_cause(error))
                await self._wait(self._delay(attempt, None))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _wait(self, seconds: float) -> None:
        """Sleep before a retry; a stop ends the wait at once (nothing is in flight meanwhile)."""
        try:
            await asyncio.wait_for(self._stopped.wait(), seconds)
        except asyncio.TimeoutError:
            return
        raise TeacherRequestFailed("run_stopping")

    def _unusable(self, error: Exception) -> None:
        """Count an answer with nothing usable; the run ends when each of the last UNUSABLE_IN_A_ROW was one."""
        self._unusable_in_a_row += 1
        if self._unusable_in_a_row >= UNUSABLE_IN_A_ROW:
            what = "a body that is not JSON" if isinstance(error, json.JSONDecodeError) else str(error)
            raise TeacherUnusable(
                f"the teacher at {self.base_url} gave {UNUSABLE_IN_A_ROW} answers in a row with nothing usable"
                f" (the last: {self.secrets.mask(what)}); check --model (a content filter, a reasoning model that"
                " needs more --answer-tokens, a proxy that answers for the model?)"
            )

    def _refused(self, error: HttpStatus) -> None:
        """Count a request refused for good; the run ends when every one of the last REFUSED_IN_A_ROW was."""
        self._refused_in_a_row += 1
        if self._refused_in_a_row >= REFUSED_IN_A_ROW:
            said = self.secrets.mask(error.said())  # never echo a key; a placeholder (EMPTY, local) is none
            raise TeacherRefusing(
                f"the teacher at {self.base_url} refused {REFUSED_IN_A_ROW} requests in a row"
                f" (HTTP {error.status}{': ' + said if said else ''}); check --model and what the endpoint accepts"
            )

    def _delay(self, attempt: int, error: HttpStatus | None) -> float:
        """Seconds before the next attempt: the server's Retry-After on a 429, else exponential with jitter."""
        if error is not None and error.status == 429:
            self.limiter.observe(error.headers)
            seconds = retry_after(error.headers.get("retry-after", ""))
            if seconds is not None:
                seconds = min(seconds, MAX_RETRY_AFTER)
                self.limiter.pause(seconds)  # every request waits, not only this one
                return seconds
        return min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF) + random.uniform(0, self.backoff)

    def _final(self, error: Exception) -> Exception:
        """What a request that failed every attempt becomes: a lost record, or the end of the run."""
        if isinstance(error, TransportUnreachable):
            return TeacherUnreachable(
                f"the teacher at {self.base_url} stopped answering after {self.max_attempts} attempts"
                f" ({connection_problem(error, self._transport.timeout)})"
            )
        self.usage.failures += 1
        if isinstance(error, TransportTimeout):
            return TeacherRequestFailed("timeout")  # one slow answer loses one record, not the run
        return TeacherRequestFailed(_reason(error))

    async def _once(self, messages: list[dict[str, str]], params: dict[str, Any], json_mode: bool) -> Reply:
        estimate = sum(len(m["content"]) for m in messages) // 4 + int(params.get("max_tokens", 0))
        async with self._limit:
            if self._stopping:
                raise TeacherRequestFailed("run_stopping")
            if not await self.limiter.acquire(estimate, self._stopped):
                raise TeacherRequestFailed("run_stopping")
            self.usage.check_budget()
            self.usage.requests += 1
            try:
                completion, headers = await self._transport.post({"model": self.model, "messages": messages, **params})
            except HtmlAnswer:
                raise NotAnApi(f"POST {self.base_url}/chat/completions answered an HTML page") from None
            self.limiter.observe(headers)
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        try:
            reply = reply_fields(completion, prompt)
        except Unusable:
            self.usage.add_tokens(*billed_tokens(completion))  # what the server says it billed for nothing
            raise
        self._count_tokens(reply)
        if self.secrets.found_in(reply["content"]):  # a proxy or model that echoes the key: store none of it
            self.usage.failures += 1
            raise TeacherRequestFailed("answer_holds_a_secret")
        if json_mode and extract_json(reply["content"]) is None:
            raise Unusable("malformed JSON", "malformed_JSON")
        return Reply(**{k: v for k, v in reply.items() if k != "estimated"})

    def _count_tokens(self, reply: dict[str, Any]) -> None:
        """Add an answer's tokens to the usage; say once when the server sends no usage (they are estimated)."""
        self.usage.add_tokens(reply["prompt_tokens"], reply["completion_tokens"], estimated=reply["estimated"])
        if reply["estimated"] and not self._warned_estimate:
            self._warned_estimate = True
            log.warning(
                "the teacher at %s sends no token usage: tokens, cost and the --max-cost/--max-tokens budgets are"
                " estimated from the text (about 4 characters a token)",
                self.base_url,
            )

    def use_batch_api(self, window: float = 2.0, poll: float = 10.0) -> None:
        """Send requests that miss the cache through the Batch API (needs the cache: that is where jobs live)."""
        if self.cache is None:
            raise TeacherError("--batch needs the request cache (drop --no-cache)")
        import openai  # half a second to import: only runs that use the Batch API pay for it

        from bayling_data.teacher.client.batch import BatchDispatcher

        self._sdk = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=self._api_key,
            timeout=self._timeout,
            max_retries=0,
            http_client=openai.DefaultAioHttpClient(timeout=self._timeout),
        )
        self.batch = BatchDispatcher(self._sdk, self.cache, self.usage, self.secrets, window=window, poll=poll)
        self.batch.resume()

    def stop_new_requests(self) -> None:
        """Send nothing new; requests already sent still finish and are cached (nothing paid is lost)."""
        self._stopping = True
        self._stopped.set()
        if self.batch is not None:
            self.batch.stop()  # submitted jobs stay on the server; --resume polls them

    async def aclose(self) -> None:
        """Commit the cache's pending answers and close the HTTP clients."""
        if self.cache is not None:
            self.cache.flush()
        await self._transport.close()
        if self._sdk is not None:
            await self._sdk.close()


class NotAnApi(TeacherError):
    """The endpoint answers, but not as an OpenAI-compatible API (an HTML page, a login form, ...)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}, not an OpenAI-compatible answer: check --base-url (it usually ends in /v1)")


async def list_models(transport: ChatTransport) -> list[str]:
    """The endpoint's model ids (empty when it has no /models); TeacherError, saying what and what next,
    when it refuses the key, cannot be reached, does not answer in time or is not an OpenAI API."""
    base_url = transport.base_url
    try:
        page, _ = await transport.get("/models")
    except HttpStatus as error:
        if error.status == 401:
            raise TeacherAuthError(_auth_message(base_url, error.status)) from None
        return []  # some servers have no /models; the first chat request will tell
    except (TransportUnreachable, TransportTimeout) as error:
        raise TeacherUnreachable(
            f"cannot reach the teacher at {base_url}: {connection_problem(error, transport.timeout)}"
            " (check --base-url / OPENAI_BASE_URL, or omit both to use the embedded local teacher)"
        ) from None
    except HtmlAnswer:
        raise NotAnApi(f"GET {base_url}/models answered an HTML page") from None
    except ValueError:  # not JSON
        raise NotAnApi(f"GET {base_url}/models answered something that is not a model list") from None
    try:
        return [str(model["id"]) for model in page.get("data") or []]
    except (TypeError, KeyError, AttributeError):
        raise NotAnApi(f"GET {base_url}/models answered something that is not a model list") from None


def retry_after(value: str) -> float | None:
    """Seconds a `Retry-After` header asks to wait: a number of seconds or an HTTP date; None when it is neither
    (or negative, or in the past: then the usual backoff applies)."""
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return seconds if seconds > 0 and seconds == seconds else None


def connection_problem(error: BaseException, timeout: Any) -> str:
    """What kept a connection from working, in words: refused, no answer in time, unknown host, ..."""
    if isinstance(error, TransportTimeout):
        return f"no answer within {timeout} s (timed out): is the server running and not stuck? see --timeout"
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(cause).lower():
            return "connection refused: nothing listens at that address and port"
        if "name or service not known" in str(cause).lower() or "nodename nor servname" in str(cause).lower():
            return "unknown host name"
        cause = cause.__cause__ or cause.__context__
    return str(error.__cause__ or error)


def _auth_message(base_url: str, status: int) -> str:
    return f"the teacher at {base_url} refused the API key (HTTP {status}): check OPENAI_API_KEY / --api-key"


def _cause(error: BaseException) -> str:
    """Why a request is tried again, as a counter's key."""
    if isinstance(error, TransportTimeout):
        return "timeout"
    if isinstance(error, TransportUnreachable):
        return "connection"
    if isinstance(error, json.JSONDecodeError):
        return "broken_json"
    return _reason(error)


def _reason(error: BaseException) -> str:
    if isinstance(error, Unusable):
        return error.cause
    return str(error).replace(" ", "_") or type(error).__name__
