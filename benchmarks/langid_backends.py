"""Language-ID backends compared on real human translations (Django's, 90 languages), alone and voting.

For each backend: the share of correct translations the language-ID step accepts and the share of
same-script wrong-language answers it rejects (20+ characters of words), by text length, and its cost per
record. Also: the languages the vote accepts least often and the languages it mistakes them for.

    pip install cld3-py   # optional: adds Google's CLD3 to the comparison
    python benchmarks/langid_backends.py [--per-lang 150] [--markdown]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter, defaultdict

from real_translations import SHORT, as_record, samples, words_seen

from bayling_data.filters.langid import LanguageFilter
from bayling_data.text.langid_backends import BACKENDS, _Labelled

BUCKETS = ((20, 40), (40, 80), (80, 10**9))


class Cld3Backend(_Labelled):
    """Google's CLD3 (package cld3-py, module gcld3): compared here, not shipped."""

    name = "cld3"

    def __init__(self) -> None:
        import gcld3

        self._identifier = gcld3.NNetLanguageIdentifier(0, 1000)
        self.labels = frozenset(
            """af am ar bg bg-Latn bn bs ca ceb co cs cy da de el el-Latn en eo es et eu fa fi fil fr fy ga gd gl gu
            ha haw hi hi-Latn hmn hr ht hu hy id ig is it iw ja ja-Latn jv ka kk km kn ko ku ky la lb lo lt lv mg mi
            mk ml mn mr ms mt my ne nl no ny pa pl ps pt ro ru ru-Latn sd si sk sl sm sn so sq sr st su sv sw ta te
            tg th tr uk ur uz vi xh yi yo zh zh-Latn zu""".split()
        )

    def top(self, text: str, k: int = 1) -> list[str]:
        results = self._identifier.FindTopNMostFreqLangs(text, k) if k > 1 else [self._identifier.FindLanguage(text)]
        return [self.to_code(r.language) for r in results if r.language != "und"]


def configurations() -> dict[str, LanguageFilter]:
    """Each backend alone, then the default vote."""
    found = {}
    for name in BACKENDS:
        found[name] = LanguageFilter(langid_backend=name)
    try:
        step = LanguageFilter(langid_backend="cld2")
        step.backends = [Cld3Backend()]
        found["cld3"] = step
    except ImportError:
        print("cld3: not installed (pip install cld3-py), left out")
    found["vote: cld2,heliport,py3langid"] = LanguageFilter()
    return found


def measure(step: LanguageFilter, items: list) -> dict:
    """Accepted (clean) and caught (wrong language) per length bucket, seconds, and what clean text was taken for."""
    counts: dict[str, Counter] = defaultdict(Counter)
    mistaken: Counter = Counter()
    per_lang: dict[str, Counter] = defaultdict(Counter)
    started = time.perf_counter()
    for sample, record in items:
        reason = step.check(record)
        size = len(sample.text)
        bucket = next(f"{lo}-{hi if hi < 10**9 else ''}" for lo, hi in BUCKETS if size < hi)
        good = reason is None if sample.label == "clean" else reason is not None
        counts[sample.label][bucket] += 1
        counts[sample.label][f"{bucket}_ok"] += good
        counts[sample.label]["all"] += 1
        counts[sample.label]["all_ok"] += good
        if sample.label == "clean":
            per_lang[sample.lang]["n"] += 1
            per_lang[sample.lang]["ok"] += good
            if not good and "guesses" in record.scores.get("langid", {}):
                mistaken[(sample.lang, record.scores["langid"]["guesses"][0])] += 1
    seconds = time.perf_counter() - started
    return {"counts": counts, "seconds": seconds, "mistaken": mistaken, "per_lang": per_lang}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-lang", type=int, default=150)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    # the texts long enough for a classifier, as the filter sees them (shorter ones get the script check only)
    items = [
        (s, as_record(s, "sharegpt", random.Random(s.source)))
        for s in samples(args.per_lang, corpora=("django",))
        if s.label in ("clean", "wrong_language") and len(words_seen(s.text, s.source)) >= SHORT
    ]
    buckets = [f"{lo}-{hi if hi < 10**9 else ''}" for lo, hi in BUCKETS]
    header = [
        "backend",
        "accepted %",
        *(f"accepted {b}" for b in buckets),
        "caught %",
        *(f"caught {b}" for b in buckets),
    ]
    header.append("us/record")
    rows, results = [], {}
    for name, step in configurations().items():
        result = measure(step, items)
        results[name] = result
        clean, wrong = result["counts"]["clean"], result["counts"]["wrong_language"]

        def pct(c: Counter, key: str) -> str:
            return f"{100 * c[f'{key}_ok'] / c[key]:.1f}" if c[key] else "-"

        cost = f"{1e6 * result['seconds'] / len(items):.0f}"
        accepted = [pct(clean, "all"), *(pct(clean, b) for b in buckets)]
        rows.append([name, *accepted, pct(wrong, "all"), *(pct(wrong, b) for b in buckets), cost])
    if args.markdown:
        print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        print("\n".join("| " + " | ".join(row) + " |" for row in rows))
    else:
        for row in [header, *rows]:
            print("  ".join(f"{cell:>14}" for cell in row))
    vote = results["vote: cld2,heliport,py3langid"]
    worst = sorted((c["ok"] / c["n"], lang) for lang, c in vote["per_lang"].items())[:10]
    print("vote, least accepted languages:", ", ".join(f"{lang} {100 * share:.1f}%" for share, lang in worst))
    print(
        "vote, correct text taken for:", ", ".join(f"{a}->{b} ({n})" for (a, b), n in vote["mistaken"].most_common(15))
    )


if __name__ == "__main__":
    main()
