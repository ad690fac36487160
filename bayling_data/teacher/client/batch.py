"""`--batch`: teacher requests go through the OpenAI Batch API (half price, hours of latency).

Requests that miss the cache are gathered for a short window and sent as one batch (a JSONL file
of requests, uploaded, then a batch job). Its id and request keys are stored next to the cache, so
a restarted run polls the jobs it already paid for instead of sending their requests again.
Results go into the cache as they arrive; generators never know the difference.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import openai

from bayling_data.teacher.client.accounting import Usage
from bayling_data.teacher.client.cache import RequestCache
from bayling_data.teacher.client.completion import Unusable, billed_tokens, reply_fields
from bayling_data.teacher.errors import TeacherError, TeacherRequestFailed
from bayling_data.text.secrets import Secrets

FINISHED = ("completed", "failed", "expired", "cancelled")
TAG = "bayling_submission"  # metadata key of our jobs: a restarted run finds a job whose id it never stored


class BatchDispatcher:
    """Collects requests into Batch API jobs and resolves each request when its job is done."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        cache: RequestCache,
        usage: Usage,
        secrets: Secrets,
        *,
        window: float = 2.0,
        max_requests: int = 50_000,
        poll: float = 10.0,
    ) -> None:
        self._client, self._cache, self._usage, self._secrets = client, cache, usage, secrets
        self._window, self._max, self._poll = window, max_requests, poll
        self._queue: dict[str, dict[str, Any]] = {}
        self._futures: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._in_jobs: set[str] = set()
        self._held: dict[str, dict[str, Any]] = {}  # requests waiting on a job that may not exist
        self._tasks: set[asyncio.Task[None]] = set()
        self._flush_handle: asyncio.TimerHandle | None = None
        self._stopping = False

    def resume(self) -> None:
        """Poll the jobs an earlier run submitted and did not collect, and find the jobs it created but was
        stopped before storing their ids (by the tag in their metadata)."""
        for batch_id, keys in self._cache.pending_batches():
            self._in_jobs.update(keys)
            self._spawn(self._collect(batch_id, keys))
        for tag, keys in self._cache.pending_submissions():
            self._in_jobs.update(keys)
            self._spawn(self._recover(tag, keys))

    async def _recover(self, tag: str, keys: list[str]) -> None:
        """Adopt the job tagged `tag` if the server has it; else its requests were never sent: queue them."""
        try:
            found = None
            async for job in self._client.batches.list(limit=100):
                if (job.metadata or {}).get(TAG) == tag:
                    found = job
                    break
        except openai.OpenAIError as error:
            self._fail(keys, error)
            return
        if found is not None:
            self._cache.add_batch(found.id, keys, tag)
            await self._collect(found.id, keys)
            return
        self._cache.drop_submission(tag)
        self._in_jobs.difference_update(keys)
        for key in keys:  # never sent: the requests waiting for them go in a new job
            if (body := self._held.pop(key, None)) is not None:
                self._queue[key] = body
        if self._queue:
            self._schedule()

    def submit(self, key: str, body: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        """A future for the answer to request `key` (queued for the next job unless a job already has it)."""
        future = self._futures.get(key)
        if future is None:
            future = self._futures[key] = asyncio.get_running_loop().create_future()
            if self._stopping:
                future.set_exception(TeacherRequestFailed("run_stopping"))
            elif key not in self._in_jobs:
                self._queue[key] = body
                self._schedule()
            else:
                self._held[key] = body  # in a job of an earlier run, or in one being looked for
        return future

    def _schedule(self) -> None:
        if len(self._queue) >= self._max:
            self._flush()
            return
        if self._flush_handle is not None:
            self._flush_handle.cancel()  # wait until requests stop coming in for a whole window
        self._flush_handle = asyncio.get_running_loop().call_later(self._window, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._queue and not self._stopping:
            queued, self._queue = self._queue, {}
            self._in_jobs.update(queued)
            self._spawn(self._send(queued))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, queued: dict[str, dict[str, Any]]) -> None:
        try:
            self._usage.check_budget()
            lines = "".join(
                json.dumps(
                    {"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": body},
                    ensure_ascii=False,
                )
                + "\n"
                for key, body in queued.items()
            )
            upload = await self._client.files.create(file=("requests.jsonl", lines.encode()), purpose="batch")
            tag = uuid.uuid4().hex
            self._cache.add_submission(tag, list(queued))
            job = await self._client.batches.create(
                input_file_id=upload.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={TAG: tag},
            )
        except (TeacherError, openai.OpenAIError) as error:
            self._fail(list(queued), error)
            return
        self._usage.requests += len(queued)
        self._cache.add_batch(job.id, list(queued), tag)
        await self._collect(job.id, list(queued))

    async def _collect(self, batch_id: str, keys: list[str]) -> None:
        try:
            job = await self._client.batches.retrieve(batch_id)
            while job.status not in FINISHED:
                await asyncio.sleep(self._poll)
                job = await self._client.batches.retrieve(batch_id)
            answered = await self._read(job.output_file_id) if job.output_file_id else {}
        except openai.OpenAIError as error:
            self._fail(keys, error)
            return
        for key in keys:
            self._resolve(key, answered.get(key))
        self._cache.finish_batch(batch_id)

    async def _read(self, file_id: str) -> dict[str, dict[str, Any]]:
        content = await self._client.files.content(file_id)
        answered = {}
        for line in content.text.splitlines():
            if line.strip():
                item = json.loads(line)
                response = item.get("response") or {}
                if response.get("status_code") == 200:
                    answered[item["custom_id"]] = response["body"]
        return answered

    def _resolve(self, key: str, body: dict[str, Any] | None) -> None:
        self._in_jobs.discard(key)
        self._held.pop(key, None)
        future = self._futures.pop(key, None)
        if body is None:
            if future is not None and not future.done():
                future.set_exception(TeacherRequestFailed("batch_error"))
            return
        reply = {"content": "", "finish_reason": "stop", "prompt_tokens": 0, "completion_tokens": 0}  # nothing usable
        try:
            read = reply_fields(body)
        except Unusable:
            self._usage.add_tokens(*billed_tokens(body))
        else:
            estimated = read.pop("estimated")
            self._usage.add_tokens(read["prompt_tokens"], read["completion_tokens"], estimated=estimated)
            if not self._secrets.found_in(read["content"]):  # an answer that echoes a credential is stored nowhere
                reply = read
                self._cache.put(key, reply)  # kept even when no generator waits for it any more
        if future is not None and not future.done():
            future.set_result(reply)

    def _fail(self, keys: list[str], error: BaseException) -> None:
        for key in keys:
            self._in_jobs.discard(key)
            future = self._futures.pop(key, None)
            if future is not None and not future.done():
                future.set_exception(error if isinstance(error, TeacherError) else TeacherRequestFailed("batch_error"))

    def stop(self) -> None:
        """Submit nothing new; requests waiting on jobs give up (their jobs are polled again on --resume)."""
        self._stopping = True
        self._queue.clear()
        for future in self._futures.values():
            if not future.done():
                future.set_exception(TeacherRequestFailed("run_stopping"))
        self._futures.clear()
        for task in self._tasks:
            task.cancel()
