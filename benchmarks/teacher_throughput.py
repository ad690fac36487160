"""Teacher orchestration: achieved requests/s against the mock teacher with a fixed latency, vs the ideal C/L.

Usage: python benchmarks/teacher_throughput.py [--latency 1.0] [--concurrency 1,8,64,256,512]
The mock server runs in its own process (`bayling-data teacher mock`), so the CPU time measured here
is the client's alone. Each level runs our `Teacher` and, as the ceiling on this machine, a plain
aiohttp client (a semaphore, one session, `post` + `json`) doing the same requests; the lines print
both and our efficiency as a ratio to the plain client's, which holds on any machine.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp

from bayling_data.teacher import Teacher
from bayling_data.teacher.client.accounting import Usage
from bayling_data.testing.mock_teacher import mock_process


async def measure(url: str, concurrency: int, latency: float, requests: int) -> tuple[float, float]:
    teacher = Teacher(
        base_url=url,
        api_key="bench",
        model="mock-teacher",
        teacher_id=url,
        usage=Usage(),
        cache=None,
        concurrency=concurrency,
        timeout=60,
    )
    messages = [
        [{"role": "user", "content": f"Say something. {i}\nOutput language: English (eng_Latn)"}]
        for i in range(requests)
    ]
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(teacher.chat(m, max_tokens=64) for m in messages))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await teacher.aclose()
    return wall, cpu


async def measure_plain(url: str, concurrency: int, requests: int) -> tuple[float, float]:
    """The same requests from the plainest aiohttp client: the ceiling of a Python client here."""
    limit = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers={"Authorization": "Bearer bench"}) as session:

        async def one(i: int) -> dict:
            body = {
                "model": "mock-teacher",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": f"Say something. {i}\nOutput language: English (eng_Latn)"}],
            }
            async with limit, session.post(f"{url}/chat/completions", json=body) as response:
                return await response.json()

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(requests)))
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--concurrency", default="1,8,64,256,512")
    parser.add_argument("--rounds", type=int, default=8, help="requests per level = rounds x concurrency")
    args = parser.parse_args()
    with mock_process(args.latency) as url:
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            requests = args.rounds * concurrency
            ideal = concurrency / args.latency
            plain_wall, plain_cpu = asyncio.run(measure_plain(url, concurrency, requests))
            wall, cpu = asyncio.run(measure(url, concurrency, args.latency, requests))
            ours, plain = requests / wall, requests / plain_wall
            print(
                f"teacher_throughput C={concurrency} L={args.latency}s requests={requests} "
                f"achieved_rps={ours:.1f} ideal_rps={ideal:.1f} efficiency={100 * ours / ideal:.1f}% "
                f"client_cpu_ms_per_request={1000 * cpu / requests:.2f} | plain aiohttp: "
                f"efficiency={100 * plain / ideal:.1f}% cpu_ms_per_request={1000 * plain_cpu / requests:.2f} | "
                f"ours/plain={100 * ours / plain:.1f}%",
                flush=True,
            )


if __name__ == "__main__":
    main()
