"""The embedded teacher's serving options on this machine: aggregate completion tokens/s and requests/s.

Usage: python benchmarks/local_serving.py [--requests 32] [--slots 1,2,4,8] [--quick-start] [--llama-server PATH]
Sends the same requests (the seed-text prompts a quick start sends most, five languages, 128 tokens at
most, fixed seeds) to each option, as many at once as it decodes:
- llama-cpp-python's own server (`python -m llama_cpp.server`, one request at a time; needs
  `pip install "llama-cpp-python[server]"`, skipped without it), the embedded teacher before issue 20;
- llama.cpp's own server (`llama-server`, built from the llama.cpp source inside llama-cpp-python's sdist;
  give its path with --llama-server) with each number of parallel slots;
- our batching server (`bayling_data.teacher.embedded.server`) with each number of slots.
With --quick-start it also times the README's first command (fresh cache) with each number of slots, on
our server and (with --llama-server) on llama.cpp's, reached through --base-url with the embedded
teacher's answer settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp

from bayling_data.languages import get
from bayling_data.resources import render_prompt
from bayling_data.teacher.embedded.local_server import LocalOptions, LocalServer, default_model_path, free_port

LANGS = ("eng_Latn", "deu_Latn", "zho_Hans", "fra_Latn", "jpn_Jpan")
TOPICS = ("a train journey", "a football match", "a museum exhibition", "a power outage", "a job interview")


def workload(count: int) -> list[dict]:
    return [
        {
            "model": "local",
            "messages": [
                {
                    "role": "user",
                    "content": render_prompt(
                        "seed_text", lang=get(LANGS[i % 5]), topic=TOPICS[i // 5 % 5], register="news"
                    ),
                }
            ],
            "temperature": 0.7,
            "max_tokens": 128,
            "seed": i,
        }
        for i in range(count)
    ]


async def measure(url: str, bodies: list[dict], concurrency: int) -> tuple[float, int]:
    limit = asyncio.Semaphore(concurrency)

    async def one(session: aiohttp.ClientSession, body: dict) -> int:
        async with limit, session.post(f"{url}/chat/completions", json=body) as response:
            return (await response.json())["usage"]["completion_tokens"]

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        await one(session, bodies[0])  # warm up
        started = time.perf_counter()
        tokens = await asyncio.gather(*(one(session, body) for body in bodies))
        return time.perf_counter() - started, sum(tokens)


def llama_cpp_server() -> contextlib.AbstractContextManager[str]:
    """llama-cpp-python's own server (one request at a time), the embedded teacher before issue 20."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--port", str(port)]
    return _serving([*command, "--n_ctx", "2048", "--n_threads", str(os.cpu_count()), "--verbose", "false"], port)


def llama_server(binary: str, slots: int) -> contextlib.AbstractContextManager[str]:
    """llama.cpp's own server on loopback with `slots` parallel sequences (continuous batching), each with
    the 2,048-token context our server gives a slot."""
    port = free_port()
    command = [binary, "-m", str(default_model_path()), "--host", "127.0.0.1", "--port", str(port)]
    return _serving(
        [*command, "-np", str(slots), "-c", str(2048 * slots), "-t", str(os.cpu_count()), "--no-webui"], port
    )


@contextlib.contextmanager
def _serving(command: list[str], port: int) -> Iterator[str]:
    """Run a server's command; its OpenAI base URL once it answers; stopped on the way out."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                asyncio.run(_ping(url))
                break
            except (OSError, aiohttp.ClientResponseError):
                time.sleep(0.25)
        else:
            raise TimeoutError(f"no server answered at {url}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # llama-server finishes its requests in flight first
            process.kill()
            process.wait()


async def _ping(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/models") as response:
        response.raise_for_status()  # llama-server answers 503 while it loads the model
        await response.read()


def quick_start(slots: int, url: str | None = None) -> tuple[float, str]:
    """The README's first command on a fresh cache: on our server with `slots`, or on the server at `url`."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp}
        command = ["bayling-data", "generate", "--langs", "zh,en,de", "--n", "5", "--max-turns", "2"]
        command += ["--out", str(Path(tmp) / "out"), "--slots", str(slots)]
        if url:  # the embedded teacher's settings, on another server
            command += ["--base-url", url, "--model", "local", "--concurrency", str(slots), "--user-turns", "template"]
            command += ["--temperature", "0.3", "--answer-tokens", "256"]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return time.perf_counter() - started, done.stderr.strip().splitlines()[-2]


def row(server: str, at_once: int, wall: float, tokens: int, requests: int, note: str = "") -> str:
    return f"| {server} | {at_once} | {wall:.1f} | {tokens / wall:.1f} | {requests / wall:.2f} |{note}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--slots", default="1,2,4,8")
    parser.add_argument("--quick-start", action="store_true")
    parser.add_argument("--llama-server", help="path of llama.cpp's llama-server binary (compared when given)")
    args = parser.parse_args()
    bodies = workload(args.requests)
    print("| server | requests at once | wall s | completion tokens/s | requests/s |\n|---|---:|---:|---:|---:|")
    if importlib.util.find_spec("llama_cpp.server") and importlib.util.find_spec("uvicorn"):
        with llama_cpp_server() as url:
            wall, tokens = asyncio.run(measure(url, bodies, 1))
        print(row("llama-cpp-python server", 1, wall, tokens, len(bodies)))
    all_slots = [int(s) for s in args.slots.split(",")]
    for slots in all_slots if args.llama_server else []:
        with llama_server(args.llama_server, slots) as url:
            wall, tokens = asyncio.run(measure(url, bodies, slots))
            quick = "  quick start {:.0f} s ({})".format(*quick_start(slots, url)) if args.quick_start else ""
        print(row(f"llama-server, {slots} slots", slots, wall, tokens, len(bodies), quick))
    for slots in all_slots:
        with LocalServer(LocalOptions(slots=slots)) as server:
            wall, tokens = asyncio.run(measure(server.base_url, bodies, slots))
        print(row(f"embedded, {slots} slots", slots, wall, tokens, len(bodies)))
    if args.quick_start:
        for slots in all_slots:
            wall, progress = quick_start(slots)
            print(f"quick start, {slots} slots: {wall:.0f} s  ({progress})")


if __name__ == "__main__":
    main()
