"""`bayling-data filter` on a ShareGPT file with planted defects: is each one caught?

Usage: python benchmarks/planted_defects.py [N]   (default 100000 records)
Builds N German chat records from the multilingual test sample (words shuffled, so each is new),
plants exact duplicates, near-duplicates, answers in the wrong language and answers cut mid-sentence
(1% each), runs the CLI and prints planted vs caught per defect, kept count, wall time and peak memory.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "langid_sample.tsv"


def build(path: Path, n: int, seed: int = 0) -> dict[str, int]:
    rows = [line.split("\t") for line in SAMPLE.read_text("utf-8").splitlines() if not line.startswith("#")]
    german = [t.rstrip(".").split() for c, t in rows if c == "deu_Latn"]
    english = [t for c, t in rows if c == "eng_Latn"]
    rng = random.Random(seed)
    planted = dict.fromkeys(("duplicate", "near_duplicate", "wrong_language", "truncated"), 0)
    made: list[dict] = []
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(n):
            kind = rng.random()
            if made and kind < 0.01:
                row, planted["duplicate"] = json.loads(json.dumps(rng.choice(made))), planted["duplicate"] + 1
            elif made and kind < 0.02:
                row = json.loads(json.dumps(rng.choice(made)))
                words = row["conversations"][1]["value"].rstrip(".").split()
                words[rng.randrange(len(words))] = "Zug"
                row["conversations"][1]["value"] = " ".join(words) + "."
                planted["near_duplicate"] += 1
            else:
                words = [w for sentence in rng.sample(german, 3) for w in sentence]
                rng.shuffle(words)
                answer = " ".join(words[: rng.randint(14, 30)]) + "."
                if kind < 0.03:
                    answer = " ".join(rng.sample(english, 2)) + f" ({i})"
                    planted["wrong_language"] += 1
                elif kind < 0.04:
                    answer = answer.rstrip(".") + " und dann"
                    planted["truncated"] += 1
                row = {
                    "conversations": [
                        {"from": "human", "value": f"Schreib mir bitte etwas über den Alltag, Nummer {i}."},
                        {"from": "gpt", "value": answer},
                    ]
                }
                if kind >= 0.04 and len(made) < 5000:
                    made.append(row)
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return planted


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    work = Path(tempfile.mkdtemp(prefix="planted-"))
    source = work / "chats.jsonl"
    planted = build(source, n)
    cli = Path(sys.executable).parent / "bayling-data"
    started = time.perf_counter()
    subprocess.run(
        [str(cli), "filter", str(source), "--out", str(work / "out"), "--lang", "de"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stats = json.loads((work / "out" / "run_summary.json").read_text())["stats"]
    reasons = stats["counts"]["rejected_reason"]
    caught = {
        "duplicate": reasons.get("exact_dedup:duplicate", 0),
        "near_duplicate": reasons.get("near_dedup:near_duplicate", 0),
        "wrong_language": reasons.get("langid:wrong_language:deu_Latn", 0)
        + reasons.get("langid:wrong_script:deu_Latn", 0),
        "truncated": reasons.get("empty_or_truncated:truncated_text", 0),
    }
    for defect, count in planted.items():
        print(f"planted_defects n={n} defect={defect} planted={count} caught={caught[defect]}")
    print(
        f"planted_defects n={n} kept={stats['kept']} rejected={stats['rejected']} other_rejects="
        f"{ {k: v for k, v in reasons.items() if v and k.split(':')[0] not in ('exact_dedup', 'near_dedup')} }"
    )
    print(f"planted_defects n={n} wall_s={elapsed:.1f} records_per_s={n / elapsed:.0f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
