"""The teacher client against a real HTTP server on 127.0.0.1 (no monkeypatching)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from conftest import make_teacher

from bayling_data.teacher import (
    BudgetExceeded,
    Teacher,
    TeacherAuthError,
    TeacherRefusing,
    TeacherRequestFailed,
    TeacherUnreachable,
)
from bayling_data.teacher.client.accounting import Budget, Usage
from bayling_data.testing.mock_teacher import VOCABULARY, Faults, MockServer, MockState

MESSAGES = [{"role": "user", "content": "Say something.\nOutput language: German (deu_Latn)"}]


async def _chat_all(teacher: Teacher, count: int):
    try:
        return await asyncio.gather(
            *(teacher.chat([{"role": "user", "content": f"{MESSAGES[0]['content']} {i}"}]) for i in range(count))
        )
    finally:
        await teacher.aclose()


def test_cache_makes_second_pass_free(mock_teacher, tmp_path):
    first = asyncio.run(_chat_all(make_teacher(mock_teacher.url, tmp_path / "cache.sqlite"), 20))
    assert mock_teacher.state.counters["completions"] == 20
    again = make_teacher(mock_teacher.url, tmp_path / "cache.sqlite")
    second = asyncio.run(_chat_all(again, 20))
    assert mock_teacher.state.counters["completions"] == 20  # nothing new reached the server
    assert [r.content for r in first] == [r.content for r in second]
    assert all(r.cached for r in second) and again.usage.cache_hits == 20


def test_answers_are_in_the_requested_language(mock_teacher):
    reply = asyncio.run(_chat_all(make_teacher(mock_teacher.url), 1))[0]
    german = {w.casefold() for w in VOCABULARY["deu_Latn"]}
    words = [w.strip(".").casefold() for w in reply.content.split()]
    assert words and all(w in german for w in words)


@pytest.mark.parametrize(
    ("faults", "cause"),
    [
        (Faults(error_500=0.5, seed=1), "http_500"),
        (Faults(rate_limit_429=0.5, retry_after=0.01, seed=2), "http_429"),
        (Faults(empty=0.4, seed=3), "empty_content"),
        (Faults(malformed_json=0.4, seed=4), "broken_json"),
        (Faults(drop_connection=0.3, seed=5), "connection"),
    ],
    ids=["500", "429", "empty", "malformed", "dropped"],
)
def test_retries_recover_from_faults(faults, cause):
    with MockServer(MockState(faults=faults)) as server:
        teacher = make_teacher(server.url, max_attempts=8)
        replies = asyncio.run(_chat_all(teacher, 30))
        injected = sum(v for k, v in server.state.counters.items() if k.startswith("fault_"))
    assert len(replies) == 30 and all(r.content for r in replies)
    assert injected > 0
    assert teacher.usage.retries >= injected
    assert teacher.usage.retry_causes == {cause: teacher.usage.retries}  # counted by cause, for the summary


def test_persistent_server_error_fails_one_request():
    with MockServer(MockState(faults=Faults(error_500=1.0))) as server:
        teacher = make_teacher(server.url, max_attempts=2)
        with pytest.raises(TeacherRequestFailed, match="http_500"):
            asyncio.run(_chat_all(teacher, 1))
    assert teacher.usage.failures == 1


def test_refusals_end_the_run_only_when_nothing_is_answered_between():
    """A 4xx now and then loses its record; 20 in a row (nothing answered between) mean the endpoint refuses
    everything, and end the run with what it said."""
    with MockServer(MockState(faults=Faults(bad_request_400=0.5, seed=7))) as server:
        teacher = make_teacher(server.url, max_attempts=1)
        outcomes = asyncio.run(_chat_each(teacher, 200))
    assert sum(isinstance(o, TeacherRequestFailed) for o in outcomes) == server.state.counters["fault_400"] > 50
    with MockServer(MockState(faults=Faults(bad_request_400=1.0))) as server:
        outcomes = asyncio.run(_chat_each(make_teacher(server.url, max_attempts=1), 30))
    refusing = [o for o in outcomes if isinstance(o, TeacherRefusing)]
    assert len(refusing) == 11 and "refused 20 requests in a row (HTTP 400: injected failure)" in str(refusing[0])
    with MockServer(MockState(model="other", only_its_model=True)) as server:  # the key "mock" is in its words
        outcomes = asyncio.run(_chat_each(make_teacher(server.url, api_key="mock", max_attempts=1), 20))
    assert "(HTTP 404: The model `mock-teacher` does not exist" in str(outcomes[-1])  # a placeholder is not masked


async def _chat_each(teacher: Teacher, count: int) -> list:
    """Each request's reply or error, one after another (so that the order of refusals is the order sent)."""
    outcomes: list = []
    try:
        for i in range(count):
            try:
                outcomes.append(await teacher.chat([{"role": "user", "content": f"{MESSAGES[0]['content']} {i}"}]))
            except (TeacherRequestFailed, TeacherRefusing) as error:
                outcomes.append(error)
    finally:
        await teacher.aclose()
    return outcomes


def test_bad_api_key_is_a_clear_fatal_error(tmp_path):
    with MockServer(MockState(api_key="right-key")) as server:
        teacher = make_teacher(server.url, tmp_path / "cache.sqlite", api_key="wrong-key")
        with pytest.raises(TeacherAuthError, match="refused the API key") as raised:
            asyncio.run(_chat_all(teacher, 1))
    assert "wrong-key" not in str(raised.value)


def test_unreachable_endpoint(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there

    async def check():
        teacher = make_teacher(f"http://127.0.0.1:{port}/v1", tmp_path / "cache.sqlite")
        try:
            await teacher.check()
        finally:
            await teacher.aclose()

    with pytest.raises(TeacherUnreachable, match="cannot reach"):
        asyncio.run(check())


def test_request_budget_stops(mock_teacher):
    usage = Usage(model="mock-teacher", budget=Budget(max_requests=5))
    teacher = make_teacher(mock_teacher.url, usage=usage, concurrency=1)
    with pytest.raises(BudgetExceeded, match="--max-requests 5"):
        asyncio.run(_chat_all(teacher, 10))
    assert mock_teacher.state.counters["completions"] == 5


def test_rate_limit_headers_are_honoured():
    """The server allows 5 requests per 0.5 s and says so in x-ratelimit-* headers: no request hits a 429."""
    with MockServer(MockState(request_budget=5, budget_window=0.5)) as server:
        teacher = make_teacher(server.url, concurrency=1)
        replies = asyncio.run(_chat_all(teacher, 16))
        assert len(replies) == 16
        assert server.state.counters["fault_429"] == 0


def test_429_with_retry_after_pauses_and_recovers():
    """Without honouring headers (4 in flight at once), 429s come back with Retry-After and every request ends."""
    with MockServer(MockState(request_budget=3, budget_window=0.3)) as server:
        teacher = make_teacher(server.url, concurrency=8, max_attempts=10)
        replies = asyncio.run(_chat_all(teacher, 24))
        assert len(replies) == 24 and all(r.content for r in replies)
        assert server.state.counters["fault_429"] > 0
        assert teacher.usage.retries >= server.state.counters["fault_429"]


def test_requests_per_minute_limit():
    """A client-side rpm cap (3 per 0.4 s window) keeps the server (6 per window: room for jitter) under budget."""
    from bayling_data.teacher.client.limits import RateLimiter

    with MockServer(MockState(request_budget=6, budget_window=0.4)) as server:
        teacher = make_teacher(server.url, concurrency=8, limiter=RateLimiter(rpm=3, window=0.4))
        asyncio.run(_chat_all(teacher, 12))
        assert server.state.counters["fault_429"] == 0


def test_slow_answers_time_out_and_fail_cleanly():
    with MockServer(MockState(latency=2.0)) as server:
        teacher = make_teacher(server.url, timeout=0.3, max_attempts=2)
        with pytest.raises(TeacherRequestFailed, match="timeout"):
            asyncio.run(_chat_all(teacher, 1))
    assert teacher.usage.failures == 1 and teacher.usage.retries == 1
