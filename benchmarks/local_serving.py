"""The embedded teacher's serving options on this machine: aggregate completion tokens/s and requests/s.

Usage: python benchmarks/local_serving.py [--requests 32] [--slots 1,2,4,8] [--quick-start]
Sends the same requests (the seed-text prompts a quick start sends most, five languages, 128 tokens at
most, fixed seeds) to each option, as many at once as it decodes:
- llama-cpp-python's own server (`python -m llama_cpp.server`, one request at a time; needs
  `pip install "llama-cpp-python[server]"`, skipped without it), the embedded teacher before issue 20;
- our batching server (`bayling_data.teacher.embedded_server`) with each number of slots.
With --quick-start it also times the README's first command (fresh cache) with each number of slots.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

from bayling_data.languages import get
from bayling_data.resources import render_prompt
from bayling_data.teacher.local import LocalOptions, LocalServer, default_model_path, free_port

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


@contextmanager
def llama_cpp_server() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--port", str(port)]
    command += ["--n_ctx", "2048", "--n_threads", str(os.cpu_count()), "--verbose", "false"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                asyncio.run(_ping(url))
                break
            except OSError:
                time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        process.wait()


async def _ping(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/models") as response:
        await response.read()


def quick_start(slots: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp}
        command = ["bayling-data", "generate", "--langs", "zh,en,de", "--n", "5", "--max-turns", "2"]
        command += ["--out", str(Path(tmp) / "out"), "--slots", str(slots)]
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return time.perf_counter() - started, done.stderr.strip().splitlines()[-2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--slots", default="1,2,4,8")
    parser.add_argument("--quick-start", action="store_true")
    args = parser.parse_args()
    bodies = workload(args.requests)
    print("| server | requests at once | wall s | completion tokens/s | requests/s |\n|---|---:|---:|---:|---:|")
    if importlib.util.find_spec("llama_cpp.server") and importlib.util.find_spec("uvicorn"):
        with llama_cpp_server() as url:
            wall, tokens = asyncio.run(measure(url, bodies, 1))
        print(f"| llama-cpp-python server | 1 | {wall:.1f} | {tokens / wall:.1f} | {len(bodies) / wall:.2f} |")
    for slots in (int(s) for s in args.slots.split(",")):
        with LocalServer(LocalOptions(slots=slots)) as server:
            wall, tokens = asyncio.run(measure(server.base_url, bodies, slots))
        print(f"| embedded, {slots} slots | {slots} | {wall:.1f} | {tokens / wall:.1f} | {len(bodies) / wall:.2f} |")
    if args.quick_start:
        for slots in (int(s) for s in args.slots.split(",")):
            wall, progress = quick_start(slots)
            print(f"quick start, {slots} slots: {wall:.0f} s  ({progress})")


if __name__ == "__main__":
    main()
