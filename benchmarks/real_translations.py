"""The filters on real human translations: Django's own translations (English -> ~90 languages) with planted defects.

The text comes from the `.po` files inside the `django` wheel (UI strings, headings, help texts and
paragraphs translated by people), read with `polib`: `pip install ".[dev]"` brings both, nothing is
downloaded at run time. Each sampled entry becomes a translation record (English request, answer in the
target language, the source in `meta.source_text`), as `bayling-data filter` reads them. A seeded script
then plants defects: an answer in another script, an answer in another language of the same script, a
copy of the source, an answer cut mid-way, an exact duplicate, and the translation of another sentence.

    python benchmarks/real_translations.py [--per-lang 150] [--seed 0] [--markdown]

prints, per language and overall, the share of correct records kept and of each planted defect caught.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bayling_data import languages
from bayling_data.filters import FilterConfig, build_chain
from bayling_data.filters.base import batched
from bayling_data.records import Record
from bayling_data.text.normalize import normalize
from bayling_data.text.tokens import without_source_words, without_tokens

# Django locale -> FLORES-200 code (or our code for languages FLORES-200 lacks). Regional variants of a
# language already present (es_AR, pt_BR, ar_DZ, ...) and English are left out.
DJANGO_LOCALES = {
    "af": "afr_Latn", "am": "amh_Ethi", "ar": "arb_Arab", "ast": "ast_Latn", "az": "azj_Latn", "be": "bel_Cyrl",
    "bg": "bul_Cyrl", "bn": "ben_Beng", "br": "bre_Latn", "bs": "bos_Latn", "ca": "cat_Latn", "ckb": "ckb_Arab",
    "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn", "de": "deu_Latn", "dsb": "dsb_Latn", "el": "ell_Grek",
    "eo": "epo_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn", "fa": "pes_Arab", "fi": "fin_Latn",
    "fr": "fra_Latn", "fy": "fry_Latn", "ga": "gle_Latn", "gd": "gla_Latn", "gl": "glg_Latn", "he": "heb_Hebr",
    "hi": "hin_Deva", "hr": "hrv_Latn", "hsb": "hsb_Latn", "hu": "hun_Latn", "hy": "hye_Armn", "ia": "ina_Latn",
    "id": "ind_Latn", "ig": "ibo_Latn", "io": "ido_Latn", "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan",
    "ka": "kat_Geor", "kab": "kab_Latn", "kk": "kaz_Cyrl", "km": "khm_Khmr", "kn": "kan_Knda", "ko": "kor_Hang",
    "ky": "kir_Cyrl", "lb": "ltz_Latn", "lt": "lit_Latn", "lv": "lvs_Latn", "mk": "mkd_Cyrl", "ml": "mal_Mlym",
    "mn": "khk_Cyrl", "mr": "mar_Deva", "ms": "zsm_Latn", "my": "mya_Mymr", "nb": "nob_Latn", "ne": "npi_Deva",
    "nl": "nld_Latn", "nn": "nno_Latn", "os": "oss_Cyrl", "pa": "pan_Guru", "pl": "pol_Latn", "pt": "por_Latn",
    "ro": "ron_Latn", "ru": "rus_Cyrl", "sk": "slk_Latn", "sl": "slv_Latn", "sq": "als_Latn", "sr": "srp_Cyrl",
    "sr_Latn": "srp_Latn", "sv": "swe_Latn", "sw": "swh_Latn", "ta": "tam_Taml", "te": "tel_Telu", "tg": "tgk_Cyrl",
    "th": "tha_Thai", "tk": "tuk_Latn", "tr": "tur_Latn", "tt": "tat_Cyrl", "udm": "udm_Cyrl", "ug": "uig_Arab",
    "uk": "ukr_Cyrl", "ur": "urd_Arab", "uz": "uzn_Latn", "vi": "vie_Latn", "zh_Hans": "zho_Hans",
    "zh_Hant": "zho_Hant",
}  # fmt: skip
DEFECTS = ("wrong_script", "wrong_language", "copy", "truncated", "duplicate", "other_sentence", "wrong_language_short")
SHORT = 20  # characters of words (placeholders, tags and names shared with the source left out) a classifier needs


@dataclass
class Sample:
    """One evaluation record and what was planted in it ("clean" for none)."""

    record: Record
    label: str
    lang: str


def django_translations() -> dict[str, dict[str, str]]:
    """{FLORES code: {English source: human translation}} from every django.po in the installed wheel.

    Fuzzy, obsolete and plural entries are left out, and so are translations identical to their source
    (names and terms left as they are: a filter cannot tell them from a copy, and they teach nothing),
    and the names of languages (Django's language menu: some teams write each as its endonym, "Русский"
    for "Russian" in the Ido file, which is not a translation into their language).
    """
    import polib
    from django.conf.global_settings import LANGUAGES

    language_names = {name for _, name in LANGUAGES}

    root = Path(str(resources.files("django")))
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(root.glob("**/locale/*/LC_MESSAGES/django.po")):
        code = DJANGO_LOCALES.get(path.parent.parent.name)
        if code is None:
            continue
        for entry in polib.pofile(str(path)):
            source, text = entry.msgid.strip(), entry.msgstr.strip()
            wanted = text and text != source and source not in language_names
            if wanted and not entry.fuzzy and not entry.obsolete and not entry.msgid_plural:
                table[code].setdefault(source, text)
    return dict(table)


def translation_record(source: str, text: str, lang: str, origin: str) -> Record:
    """A translation record as `filter` reads it: English request, answer, the source in meta."""
    try:
        name = languages.get(lang).name
    except languages.UnknownLanguageError:
        name = lang
    return Record(
        task="translate",
        generator="import:django-po",
        src_lang="eng_Latn",
        tgt_lang=lang,
        messages=[
            {"role": "user", "content": f"Translate into {name}:\n\n{source}"},
            {"role": "assistant", "content": text},
        ],
        meta={"source_text": source, "origin": origin},
    )


def _script(code: str) -> str:
    return code.split("_")[1]


def samples(per_lang: int = 150, seed: int = 0, per_defect: int = 10) -> list[Sample]:
    """Clean records (up to `per_lang` a language) and `per_defect` planted defects of each kind a language."""
    rng = random.Random(seed)
    table = django_translations()
    out: list[Sample] = []
    for lang in sorted(table):
        # no true duplicates, and no translation equal to its source but for case and punctuation ("Urdu" ->
        # "urdu"): nothing can tell those from a copy
        pairs = sorted(table[lang].items())
        unique = {(normalize(s), normalize(t)): (s, t) for s, t in pairs if normalize(s) != normalize(t)}
        entries = list(unique.values())
        rng.shuffle(entries)
        clean = entries[:per_lang]
        out += [Sample(translation_record(s, t, lang, f"{lang}:{i}"), "clean", lang) for i, (s, t) in enumerate(clean)]
        out += list(_planted(lang, clean, table, rng, per_defect))
    rng.shuffle(out)
    # a duplicate comes after its original, as a repeated line of a corpus does
    return [x for x in out if x.label != "duplicate"] + [x for x in out if x.label == "duplicate"]


def _planted(
    lang: str, clean: list[tuple[str, str]], table: dict[str, dict[str, str]], rng: random.Random, count: int
) -> Iterator[Sample]:
    """`count` of each defect for `lang`, built from its clean entries and the other languages' translations."""
    others = [code for code in table if code != lang and not languages_same_group(code, lang)]

    def elsewhere(same_script: bool) -> Iterator[Sample]:
        made: Counter = Counter()
        for source, text in rng.sample(clean, len(clean)):
            pool = [c for c in others if (_script(c) == _script(lang)) == same_script and source in table[c]]
            pool = [c for c in pool if table[c][source] != text]
            if pool:
                other = rng.choice(pool)
                kind = "wrong_language" if same_script else "wrong_script"
                if same_script and len(words_seen(table[other][source], source)) < SHORT:
                    kind = "wrong_language_short"  # reported apart: too short for any classifier
                if made[kind] < count:
                    made[kind] += 1
                    yield Sample(translation_record(source, table[other][source], lang, f"{kind}:{other}"), kind, lang)
                if made[kind if kind == "wrong_script" else "wrong_language"] == count:
                    return

    yield from elsewhere(same_script=False)
    yield from elsewhere(same_script=True)
    picks = rng.sample(clean, min(count, len(clean)))
    yield from (Sample(translation_record(s, s, lang, "copy"), "copy", lang) for s, _ in picks)
    long_ones = [(s, t) for s, t in clean if len(t) >= 40]
    for source, text in rng.sample(long_ones, min(count, len(long_ones))):
        cut = rng.randint(len(text) * 2 // 5, len(text) * 7 // 10)
        yield Sample(translation_record(source, text[:cut].rstrip(), lang, "truncated"), "truncated", lang)
    for source, text in rng.sample(clean, min(count, len(clean))):
        yield Sample(translation_record(source, text, lang, f"{lang}:dup"), "duplicate", lang)
    for (source, _), (_, other_text) in zip(
        rng.sample(clean, min(count, len(clean))), rng.sample(clean, min(count, len(clean))), strict=True
    ):
        if other_text != table[lang][source]:
            yield Sample(translation_record(source, other_text, lang, "other_sentence"), "other_sentence", lang)


def words_seen(text: str, source: str) -> str:
    """What a classifier sees of a translation: placeholders, tags, URLs and words shared with the source gone."""
    return " ".join(without_source_words(without_tokens(text), source).split())


def languages_same_group(a: str, b: str) -> bool:
    """Same language or one short text cannot separate (unknown codes: only themselves)."""
    return languages.same_group(a, b)


def evaluate(items: list[Sample], config: FilterConfig | None = None) -> tuple[dict, Counter, float]:
    """Run the filter chain over `items` (in batches, as `filter` does).

    Correct records and their planted duplicates go through the whole chain, in order; the other planted
    defects through the chain without dedup, so that neither dedup takes the credit for a defect whose
    correct twin (same source) came first, nor a defect that slipped through pushes its twin out as a
    near duplicate. Returns per-language counts {lang: Counter(label -> total, label+'_ok' -> kept (clean)
    or caught)}, the reject reasons of clean records, and records/s of the whole chain.
    """
    config = config or FilterConfig()
    whole = build_chain(config)
    no_dedup = build_chain(dataclasses.replace(config, skip=[*config.skip, "exact_dedup", "near_dedup"]))
    per_lang: dict[str, Counter] = defaultdict(Counter)
    clean_reasons: Counter = Counter()
    seconds = 0.0
    for chain, part in (
        (whole, [x for x in items if x.label in ("clean", "duplicate")]),
        (no_dedup, [x for x in items if x.label not in ("clean", "duplicate")]),
    ):
        for batch in batched(part, 1024):
            started = time.perf_counter()
            reasons = chain.check_batch([sample.record for sample in batch])
            seconds += time.perf_counter() - started
            for sample, reason in zip(batch, reasons, strict=True):
                counts = per_lang[sample.lang]
                counts[sample.label] += 1
                counts[f"{sample.label}_ok"] += reason is None if sample.label == "clean" else reason is not None
                if sample.label == "clean" and reason is not None:
                    clean_reasons[reason] += 1
                if sample.label == "wrong_language" and reason is None:
                    clean_reasons[f"(missed) {sample.record.meta['origin'].split(':')[1]} as {sample.lang}"] += 1
    return per_lang, clean_reasons, len(items) / seconds


def _share(counts: Counter, label: str) -> str:
    total = counts[label]
    return f"{100 * counts[f'{label}_ok'] / total:.1f}" if total else "-"


def report(per_lang: dict[str, Counter], clean_reasons: Counter, rate: float, markdown: bool) -> str:
    """A table per language plus the overall line and the reasons clean records were rejected for."""
    labels = ("clean", *DEFECTS)
    header = ["lang", "n clean", "kept %", *(f"{d} %" for d in DEFECTS)]
    rows = []
    for lang in sorted(per_lang):
        counts = per_lang[lang]
        rows.append([lang, str(counts["clean"]), *(_share(counts, label) for label in labels)])
    total: Counter = sum(per_lang.values(), Counter())
    rows.append(["**all**", str(total["clean"]), *(_share(total, label) for label in labels)])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    else:
        lines = ["  ".join(f"{cell:>9}" for cell in header)] + ["  ".join(f"{c:>9}" for c in row) for row in rows]
    low = [row[0] for row in rows[:-1] if int(row[1]) >= 50 and float(row[2]) < 95.0]
    lines.append("")
    lines.append(
        f"overall kept={_share(total, 'clean')}% "
        + " ".join(f"{d}={_share(total, d)}%" for d in DEFECTS)
        + f" languages={len(per_lang)} records/s={rate:.0f} langs_under_95={','.join(low) or 'none'}"
    )
    rejected = [(r, c) for r, c in clean_reasons.most_common() if not r.startswith("(missed)")]
    missed = [(r[9:], c) for r, c in clean_reasons.most_common() if r.startswith("(missed)")]
    lines.append("clean records rejected by: " + ", ".join(f"{r} ({c})" for r, c in rejected[:12]))
    lines.append("wrong language missed: " + ", ".join(f"{r} ({c})" for r, c in missed[:20]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-lang", type=int, default=150)
    parser.add_argument("--per-defect", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    items = samples(args.per_lang, args.seed, args.per_defect)
    print(report(*evaluate(items), markdown=args.markdown))


if __name__ == "__main__":
    sys.exit(main())
