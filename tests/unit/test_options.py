"""Declared options: flags parsed from text, checked against their declaration, spread into typer flags."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar, Optional

import pytest
import typer
from typer.testing import CliRunner

from bayling_data.commands.flags import with_declared_flags
from bayling_data.options import REQUIRED, build, option, parse_flags, resume_fields


@dataclasses.dataclass
class Demo:
    help_panel: ClassVar[str] = "Demo"

    out: Path = option(REQUIRED, "where")
    turns: int = option(3, "how many", low=1, high=9, resume=True)
    mode: str = option("a", "which", choices=("a", "b"), resume=True)
    names: list[str] = option(["x"], "some names")
    strict: bool = option(True, "be strict")
    label: Optional[str] = option(None, "a label", flag=("--label", "--tag"))


def test_parse_flags_reads_each_form_and_leaves_the_rest():
    found, rest = parse_flags(
        [Demo], ["--turns", "4", "--mode=b", "--names", "p, q", "--no-strict", "--other", "1", "--label", "none"]
    )
    assert found[Demo] == {"turns": 4, "mode": "b", "names": ["p", "q"], "strict": False, "label": None}
    assert rest == ["--other", "1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--turns", "many"], "--turns: expected a whole number, got 'many'"),
        (["--turns"], "--turns needs a value"),
        (["--no-strict=true"], "--no-strict takes no value"),
    ],
)
def test_parse_flags_names_the_flag_in_its_errors(args, message):
    with pytest.raises(ValueError, match=message):
        parse_flags([Demo], args)


@pytest.mark.parametrize(
    ("values", "message"), [({"turns": 0}, "turns: must be from 1 to 9"), ({"mode": "c"}, "mode: must be one of a, b")]
)
def test_build_checks_ranges_and_choices(values, message):
    with pytest.raises(ValueError, match=message):
        build(Demo, {"out": Path("o"), **values})


def test_resume_fields_are_the_marked_ones():
    assert resume_fields(Demo(out=Path("o"), turns=5)) == {"turns": 5, "mode": "a"}


def test_with_declared_flags_spreads_a_dataclass_into_flags_with_its_panel():
    seen: list[Demo] = []

    @with_declared_flags
    def command(demo: Demo) -> None:
        seen.append(demo)

    app = typer.Typer()
    app.command()(command)
    app.command("other")(lambda: None)  # two commands: typer keeps the command's name in the usage
    runner = CliRunner()
    done = runner.invoke(app, ["command", "--out", "x", "--turns", "2", "--tag", "t", "--no-strict"])
    assert done.exit_code == 0, done.output
    assert seen == [Demo(out=Path("x"), turns=2, mode="a", names=["x"], strict=False, label="t")]
    assert runner.invoke(app, ["command", "--turns", "2"]).exit_code == 2  # --out is required
    refused = runner.invoke(app, ["command", "--out", "x", "--mode", "c"])
    assert refused.exit_code != 0 and "--mode: must be one of a, b" in refused.output
    assert "Demo" in runner.invoke(app, ["command", "--help"], env={"COLUMNS": "120"}).output
