"""The embedded teacher's process: an OpenAI-compatible chat endpoint on loopback over `llama_engine.Engine`.

Run by `teacher.local.LocalServer` as `python -m bayling_data.teacher.embedded.server`; it answers
`GET /v1/models`, `POST /v1/chat/completions` (temperature, max_tokens, seed, stop, response_format
json_object) and `GET /_stats` (the engine's counters); it decodes up to `--slots` requests at once and
drops a request whose client has gone (a client that timed out does not leave the work running).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from bayling_data.teacher.embedded.engine import Engine, Job, PromptTooLong


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=status)


def make_app(engine: Engine, model: str) -> web.Application:
    """The two endpoints, answering for `model`."""

    async def models(request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": model, "object": "model", "owned_by": "local"}]})

    async def chat(request: web.Request) -> web.Response:
        try:
            body: dict[str, Any] = await request.json()
            messages = body["messages"]
            stop = body.get("stop") or []
            job_args = {
                "max_tokens": int(body.get("max_tokens") or 512),
                "temperature": float(body.get("temperature", 0.8)),
                "seed": None if body.get("seed") is None else int(body["seed"]),
                "json": (body.get("response_format") or {}).get("type") == "json_object",
                "stop": [stop] if isinstance(stop, str) else list(stop),
            }
            prompt = engine.chat_prompt(messages)
        except (ValueError, KeyError, TypeError) as error:
            return _error(400, f"bad request: {error}")
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[Job] = loop.create_future()
        job = Job(prompt=prompt, done=lambda job: loop.call_soon_threadsafe(_resolve, finished, job), **job_args)
        try:
            engine.submit(job)
        except PromptTooLong as error:
            return _error(400, str(error))
        try:
            await finished
        except asyncio.CancelledError:  # the client went away: free its slot
            job.cancelled = True
            raise
        if job.finish_reason not in ("stop", "length"):
            return _error(500, f"decoding failed ({job.finish_reason})")
        return web.json_response(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": job.text},
                        "finish_reason": job.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": len(job.prompt),
                    "completion_tokens": len(job.tokens),
                    "total_tokens": len(job.prompt) + len(job.tokens),
                },
            }
        )

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({**asdict(engine.stats), "slots": len(engine.slots)})

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_get("/_stats", stats)
    app.router.add_get("/v1/models", models)
    app.router.add_post("/v1/chat/completions", chat)
    return app


def _resolve(future: asyncio.Future[Job], job: Job) -> None:
    if not future.done():
        future.set_result(job)


async def _serve(engine: Engine, model: str, port: int) -> None:
    runner = web.AppRunner(make_app(engine, model), access_log=None, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Parse the flags LocalServer passes, load the model, serve until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--alias", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    engine = Engine(args.model, slots=args.slots, n_ctx=args.n_ctx, threads=args.threads)
    try:
        asyncio.run(_serve(engine, args.alias, args.port))
    finally:
        engine.close()


if __name__ == "__main__":
    main()
