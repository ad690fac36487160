"""Shared fixtures: a real OpenAI-compatible mock server on 127.0.0.1 and a CLI runner."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bayling_data.teacher import Teacher
from bayling_data.teacher.client.accounting import Usage
from bayling_data.teacher.client.cache import RequestCache
from bayling_data.testing.mock_teacher import MockServer, MockState

CLI = [str(Path(sys.executable).parent / "bayling-data")]  # the installed console script, as users run it
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))  # real_translations: Django's .po


@pytest.fixture(scope="session")
def german_pairs() -> list[tuple[str, str]]:
    """80 of Django's English strings and their German translations (from the Django wheel), shuffled: sentences
    with nothing the cheap QA checks compare (placeholders, tags), so that only their meaning tells."""
    import real_translations

    pairs = sorted(real_translations.django_translations()["deu_Latn"].items())
    pairs = [(s, t) for s, t in pairs if len(s) >= 20 and not any(mark in s for mark in "%{<")]
    random.Random(0).shuffle(pairs)
    return pairs[:80]


@pytest.fixture
def mock_teacher():
    """A fresh mock teacher per test."""
    with MockServer(MockState()) as server:
        yield server


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI subprocesses: private cache, no real endpoint or key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"  # keep error messages on one line
    (tmp_path / "cache").mkdir()
    return env


# Runs a command with Ctrl-C's default meaning: a test run started in the background (SIGINT ignored) would
# otherwise hand that down, and a test that sends SIGINT would depend on how pytest was launched.
WITH_SIGINT = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
]


def generate_args(
    url: str, out: Path, n: int = 200, *extra: str, langs: str = "zh,en,de", skip: str = "semantic"
) -> list[str]:
    """`bayling-data generate` arguments against the teacher at `url`, with the filter steps in `skip` skipped: by
    default the semantic check, which is on with a remote teacher and would spend a second loading its encoder
    to score the mock's words unrelated to their source (a later --skip-filter in `extra` replaces this one)."""
    skipped = ["--skip-filter", skip] if skip else []
    return ["generate", "--langs", langs, "--n", str(n), "--base-url", url, "--out", str(out), *skipped, *extra]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `bayling-data ARGS` as a subprocess, from the cache folder (not the checkout)."""
    return subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=env["XDG_CACHE_HOME"]
    )


def server_stats(server: MockServer) -> dict[str, int]:
    """The mock server's counters, read over HTTP."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/_stats", timeout=10) as response:
        return json.load(response)


def load_output(folder: Path, cache: Path):
    """Load an output folder with `datasets` the way a user does, with a private cache."""
    import datasets

    return datasets.load_dataset(str(folder), split="train", cache_dir=str(cache / "hf"))


def make_teacher(url: str, cache_path: Path | None = None, *, api_key: str = "test-key", **kwargs) -> Teacher:
    """A teacher client for the server at `url`, caching in `cache_path` (None: no cache), quick to retry."""
    return Teacher(
        base_url=url,
        api_key=api_key,
        model="mock-teacher",
        teacher_id=url,
        usage=kwargs.pop("usage", Usage(model="mock-teacher")),
        cache=RequestCache(cache_path) if cache_path else None,
        concurrency=kwargs.pop("concurrency", 8),
        timeout=kwargs.pop("timeout", 5),
        backoff=0.01,
        **kwargs,
    )
