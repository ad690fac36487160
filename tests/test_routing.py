"""A teacher per language: routes, the fallback, usage per teacher, and resume across a route change (two
real mock teachers on 127.0.0.1, one of which cannot write Swahili)."""

from __future__ import annotations

import json

import pytest
from conftest import generate_args, run_cli

from bayling_data.teacher.routing import RouteOptions
from bayling_data.testing.mock_teacher import Faults, MockServer, MockState

NO_SWAHILI = MockState(faults=Faults(fail_langs=("swh_Latn",)))


def _summary(out) -> dict:
    return json.loads((out / "run_summary.json").read_text())


def test_a_route_sends_swahili_to_the_teacher_that_writes_it(cli_env, tmp_path):
    out = tmp_path / "out"
    with MockServer(NO_SWAHILI) as weak, MockServer(MockState(model="big-mock")) as big:
        extra = ["--add-teacher", f"big={big.url}", "--route", "sw=big"]
        done = run_cli(generate_args(weak.url, out, 60, *extra, langs="zh,en,sw"), cli_env)
    assert done.returncode == 0, done.stderr
    summary = _summary(out)
    # (a switch_target turn into Swahili inside a zh/en dialogue stays with main, and may fall short)
    assert not [s for s in summary["balance"]["shortfalls"] if s["table"] in ("direction", "language")]
    assert set(summary["stats"]["counts"]["direction"].values()) == {10}  # every direction at its share
    assert summary["stats"]["counts"]["teacher"] == {"big": 40, "main": 20}
    by_teacher = summary["usage"]["by_teacher"]
    assert by_teacher["big"]["model"] == "big-mock" and by_teacher["big"]["requests"] > 0
    assert by_teacher["main"]["requests"] > 0
    assert "| big | 40 |" in (out / "README.md").read_text()


def test_a_language_that_keeps_failing_moves_to_the_fallback(cli_env, tmp_path):
    out = tmp_path / "out"
    with MockServer(NO_SWAHILI) as weak, MockServer(MockState(model="big-mock")) as big:
        extra = ["--add-teacher", f"big={big.url}", "--fallback", "big"]
        done = run_cli(generate_args(weak.url, out, 60, *extra, langs="zh,en,sw"), cli_env)
    assert done.returncode == 0, done.stderr
    assert "swh_Latn: " in done.stderr and "go to teacher big from now on" in done.stderr
    summary = _summary(out)
    assert all(9 <= kept <= 11 for kept in summary["stats"]["counts"]["direction"].values())
    assert not [s for s in summary["balance"]["shortfalls"] if s["table"] in ("direction", "language")]


def test_resume_with_other_routes_is_refused_naming_them(cli_env, tmp_path):
    out = tmp_path / "out"
    prices = ["--price-in", "100", "--price-out", "100", "--max-cost", "0.05"]
    with MockServer(NO_SWAHILI) as weak, MockServer(MockState(model="big-mock")) as big:
        routed = ["--add-teacher", f"big={big.url}", "--route", "sw=big"]
        stopped = run_cli(generate_args(weak.url, out, 200, *routed, *prices, langs="zh,en,sw"), cli_env)
        assert stopped.returncode == 1 and "--resume" in stopped.stderr
        other = ["--add-teacher", f"big={big.url}", "--route", "tier:low=big"]
        refused = run_cli(generate_args(weak.url, out, 200, *other, *prices, "--resume", langs="zh,en,sw"), cli_env)
    assert refused.returncode == 2, refused.stderr
    assert "routes: was ['sw=big'], now ['tier:low=big']" in refused.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"route": ["sw=nobody"]}, "--route sw=nobody: expected KEY=NAME with NAME one of ['main']"),
        ({"route": ["xx=main"]}, "--route xx=main: unknown language 'xx'"),
        ({"route": ["tier:tiny=main"]}, "--route tier:tiny=main: unknown tier 'tiny'"),
        ({"add_teacher": ["big=localhost:8000"]}, "--add-teacher big=localhost:8000: expected NAME=URL"),
        ({"add_teacher": ["main=http://h/v1"]}, "the name 'main' is taken"),
        ({"add_teacher": ["big=http://h/v1,m,NO_SUCH_VARIABLE_SET"]}, "the variable NO_SUCH_VARIABLE_SET"),
        ({"fallback": "big"}, "--fallback big: no teacher of that name"),
    ],
)
def test_route_flags_are_checked_before_any_teacher_starts(flags, message):
    with pytest.raises(ValueError, match=None) as raised:
        RouteOptions(**flags).table()
    assert message in str(raised.value)


def test_the_most_specific_route_wins():
    table = RouteOptions(
        add_teacher=["big=http://h/v1", "mid=http://m/v1"], route=["tier:low=mid", "sw=big", "en-sw=main"]
    ).table()
    assert table.teacher_for(["eng_Latn", "swh_Latn"]) == "main"  # the direction
    assert table.teacher_for(["swh_Latn", "eng_Latn"]) == "big"  # the language
    assert table.teacher_for(["eng_Latn", "zul_Latn"]) == "mid"  # the tier
    assert table.teacher_for(["eng_Latn", "deu_Latn"]) == "main"
