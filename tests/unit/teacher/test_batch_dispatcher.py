"""The Batch API dispatcher against the mock's files and batches endpoints: requests gathered into one job,
answers resolved and cached; an answer that echoes the key is resolved empty and cached nowhere."""

from __future__ import annotations

import asyncio

from conftest import make_teacher

from bayling_data.teacher.errors import TeacherRequestFailed
from bayling_data.testing.mock_teacher import MockServer, MockState

KEY = "sk-batch-0123456789abcdef"


def _ask(i: int) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Task: write text\nOutput language: German (deu_Latn)\nSatz {i}"}]


def test_requests_go_out_as_one_job_and_come_back_cached(tmp_path):
    async def run(url: str) -> tuple[list[object], object]:
        teacher = make_teacher(url, tmp_path / "cache.sqlite", api_key=KEY)
        teacher.use_batch_api(window=0.1, poll=0.05)
        try:
            answers = await asyncio.gather(*(teacher.chat(_ask(i)) for i in range(6)), return_exceptions=True)
        finally:
            await teacher.aclose()
        return answers, teacher

    with MockServer(MockState(batch_polls=1)) as server:
        answers, teacher = asyncio.run(run(server.url))
        counters, port = dict(server.state.counters), server.port
    assert all(not isinstance(a, Exception) and a.content for a in answers), answers
    assert counters.get("requests", 0) == 0  # no chat call: everything went through the job
    assert counters["batch_requests"] == 6
    assert teacher.usage.prompt_tokens > 0  # usage read from the job's answers

    async def again(url: str) -> list[object]:
        cached = make_teacher(url, tmp_path / "cache.sqlite", api_key=KEY)
        try:
            return [await cached.chat(_ask(i)) for i in range(6)]
        finally:
            await cached.aclose()

    with MockServer(MockState(), port=port) as server:  # the same endpoint: the cache is keyed by it
        replies = asyncio.run(again(server.url))
        assert server.state.counters.get("requests", 0) == 0  # served from the cache
    assert all(reply.cached for reply in replies)


def test_an_answer_holding_the_key_is_cached_nowhere(tmp_path, monkeypatch):
    from bayling_data.testing import mock_teacher

    real = mock_teacher.answer
    monkeypatch.setattr(mock_teacher, "answer", lambda body, *a, **k: f"{real(body, *a, **k)} {KEY}")

    async def run(url: str) -> list[object]:
        teacher = make_teacher(url, tmp_path / "cache.sqlite", api_key=KEY)
        teacher.use_batch_api(window=0.1, poll=0.05)
        try:
            return await asyncio.gather(*(teacher.chat(_ask(i)) for i in range(3)), return_exceptions=True)
        finally:
            await teacher.aclose()

    with MockServer(MockState(batch_polls=1)) as server:
        answers = asyncio.run(run(server.url))
    assert all(isinstance(a, TeacherRequestFailed) for a in answers), answers
    assert KEY not in (tmp_path / "cache.sqlite").read_bytes().decode("utf-8", "replace")
