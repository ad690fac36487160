"""User turns and wasted requests: `generate` against the mock teacher in each --user-turns mode.

Usage: python benchmarks/user_turns.py [N]   (default 2,000 dialogues per run)

The mock answers 10% of free-text requests in the wrong language (`Faults.wrong_language`), so that
dialogues fail as they do with a real teacher; nine instruction languages (six without templates)
are asked for in the teacher and mix modes. Per run: distinct user turns per 1,000 dialogues and their
share (source text masked), requests per kept dialogue, the share of requests that went into rejected
records, records/s. The template run is repeated with `--no-turn-checks` (dialogues checked only when
finished, as before the early stop) to show what checking each turn as it arrives saves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bayling_data.testing.mock_teacher import Faults, MockServer, MockState

INSTRUCTION_LANGS = "eng_Latn,zho_Hans,deu_Latn,fra_Latn,spa_Latn,rus_Cyrl,jpn_Jpan,kor_Hang,arb_Arab"
RUNS = {
    "template": ["--user-turns", "template"],
    "template, finished dialogues checked only": ["--user-turns", "template", "--no-turn-checks"],
    "teacher": ["--user-turns", "teacher", "--instruction-langs", INSTRUCTION_LANGS],
    "mix": ["--user-turns", "mix", "--instruction-langs", INSTRUCTION_LANGS],
}


def run(url: str, n: int, extra: list[str], work: Path) -> dict[str, float]:
    """One `generate` run on a fresh cache; its figures."""
    out = work / "out"
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    cli = Path(sys.executable).parent / "bayling-data"
    args = ["generate", "--langs", "zh,en,de,fr,ja", "--n", str(n), "--base-url", url, "--out", str(out), *extra]
    started = time.perf_counter()
    subprocess.run([str(cli), *args], env=env, check=True, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    summary = json.loads((out / "run_summary.json").read_text())
    spend, kept = summary["stats"]["counts"]["spend"], summary["stats"]["kept"]
    requests = spend.get("kept_requests", 0) + spend.get("rejected_requests", 0)
    user = [figures["user"] for figures in summary["diversity"].values()]
    turns = sum(side["turns"] for side in user)
    return {
        "instruction_langs": len(user),
        "distinct_user_turns_per_1000": sum(side["distinct_turns_per_1000"] for side in user) / len(user),
        "distinct_user_share": sum(side["distinct_turn_share"] * side["turns"] for side in user) / turns,
        "requests_per_kept": requests / kept,
        "wasted_share": spend.get("rejected_requests", 0) / requests,
        "records_per_s": kept / elapsed,
        "wall_s": elapsed,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with MockServer(MockState(faults=Faults(wrong_language=0.1))) as server:
        for name, extra in RUNS.items():
            with tempfile.TemporaryDirectory(prefix="user-turns-") as work:
                figures = run(server.url, n, extra, Path(work))
            print(f"user_turns n={n} mode={name!r} " + " ".join(f"{k}={v:.3g}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
