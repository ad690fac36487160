"""Filter-chain throughput and peak memory on synthetic two-turn records.

Usage: python benchmarks/filter_chain.py [N ...]   (default: 100000)
Prints one summary line per figure: `filter_chain n=N step=NAME records_per_s=X` and the total.
Runs on one core (this process); records are made from the multilingual test sample with
random edits so that dedup sees few duplicates and language ID sees real text.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from pathlib import Path

from bayling_data.filters import FilterConfig, build_chain
from bayling_data.filters.base import BATCH_SIZE, batched
from bayling_data.records import Record

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "langid_sample.tsv"
# The sample's first languages: the figures in README.md were measured on these (the sample has grown since).
LANGUAGES = (
    *("eng_Latn", "arb_Arab", "deu_Latn", "fra_Latn", "jpn_Jpan", "kor_Hang"),
    *("nld_Latn", "por_Latn", "rus_Cyrl", "spa_Latn", "ukr_Cyrl", "zho_Hans"),
)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)).capitalize()


def make_records(n: int, seed: int = 0):
    """Yield n two-turn translation records (English source, answer in one of the sample languages)."""
    rows = [line.split("\t") for line in SAMPLE.read_text("utf-8").splitlines() if not line.startswith("#")]
    rows = [(code, text) for code, text in rows if code in LANGUAGES]
    english = [text for code, text in rows if code == "eng_Latn"]
    by_lang: dict[str, list[str]] = {}
    for code, text in rows:
        if code != "eng_Latn":
            by_lang.setdefault(code, []).append(text)
    rng = random.Random(seed)
    for _i in range(n):
        code = rng.choice(sorted(by_lang))
        texts = rng.sample(by_lang[code], 3)
        if " " in texts[0]:  # words of three sentences, a random subset in random order: new text, same language
            words = [w for t in texts for w in t.rstrip(".").split()]
            words = rng.sample(words, rng.randint(12, min(30, len(words))))
            # Made-up names keep random pairs of records as dissimilar as real text is (the sample's
            # vocabulary is small): otherwise every LSH query meets thousands of false candidates.
            words += [_name(rng) for _ in range(6)]
            rng.shuffle(words)
            answer = " ".join(words) + "."
        else:
            chars = [c for t in texts for c in t.rstrip("。")]
            answer = "".join(rng.sample(chars, rng.randint(20, min(50, len(chars))))) + "。"
        source_words = [w for t in rng.sample(english, 2) for w in t.rstrip(".").split()] + [
            _name(rng) for _ in range(3)
        ]
        rng.shuffle(source_words)
        source = " ".join(source_words) + "."
        yield Record(
            "translate",
            "bench",
            "eng_Latn",
            code,
            [
                {"role": "user", "content": f"Translate into the target language: {source}"},
                {"role": "assistant", "content": answer},
            ],
            meta={"source_text": source, "turn_langs": [None, code], "plan": ["translate"], "finish_reasons": ["stop"]},
        )


def run(n: int) -> None:
    chain = build_chain(FilterConfig())
    kept = 0
    elapsed = 0.0  # time in the chain only: making the synthetic records is not part of it
    for batch in batched(make_records(n), BATCH_SIZE):
        started = time.perf_counter()
        kept += chain.check_batch(batch).count(None)
        elapsed += time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, seconds in chain.seconds.items():
        print(f"filter_chain n={n} step={name} records_per_s={chain.seen / max(seconds, 1e-9):.0f}")
    print(f"filter_chain n={n} step=total records_per_s={n / elapsed:.0f} kept={kept} peak_rss_mb={peak_mb:.0f}")
    print(f"filter_chain n={n} rejected={dict(chain.rejected.most_common(5))}")


if __name__ == "__main__":
    for size in [int(a) for a in sys.argv[1:]] or [100_000]:
        run(size)
