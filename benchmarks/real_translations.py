"""The filters on real human translations: Django's own translations (English -> ~90 languages) with planted defects.

The text comes from the `.po` files inside the `django` wheel (UI strings, headings, help texts and
paragraphs translated by people), read with `polib`: `pip install ".[dev]"` brings both, nothing is
downloaded at run time. Each sampled entry becomes a translation record (English request, answer in the
target language, the source in `meta.source_text`), as `bayling-data filter` reads them. A seeded script
then plants defects: an answer in another script, an answer in another language of the same script, a
copy of the source, an answer cut mid-way, an exact duplicate, and the translation of another sentence.

    python benchmarks/real_translations.py [--per-lang 150] [--seed 0] [--markdown] [--semantic-min-score 0.92]

prints, per language and overall, the share of correct records kept and of each planted defect caught.
"""

from __future__ import annotations

import argparse
import random
import re
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
from bayling_data.filters.dedup import NearDedup
from bayling_data.records import Record
from bayling_data.sources.formats import ImportLanguages, to_record
from bayling_data.text.normalize import normalize
from bayling_data.text.tokens import has_words, without_source_words, without_tokens

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
# Locale folders of Debian's GTK and GLib message catalogues that Django's table lacks or names otherwise.
MO_LOCALES = {
    **DJANGO_LOCALES, "as": "asm_Beng", "gu": "guj_Gujr", "or": "ory_Orya", "si": "sin_Sinh", "oc": "oci_Latn",
    "zh_CN": "zho_Hans", "zh_TW": "zho_Hant", "sr@latin": "srp_Latn", "ms": "zsm_Latn", "lo": "lao_Laoo",
    "tt": None,  # GTK's Tatar catalogue is written in Latin letters, not Cyrillic
}  # fmt: skip
MO_DOMAINS = ("gtk30", "gtk30-properties", "glib20")  # UI strings, property docs and command-line help
DEBCONF_LOCALES = {**MO_LOCALES, "dz": "dzo_Tibt", "tt": "tat_Cyrl"}  # debconf's Tatar is in Cyrillic
DEBCONF_DIR = Path("/var/lib/dpkg/info")  # the templates of the installed packages
DEBCONF_FIELD = re.compile(r"Description-([A-Za-z_@]+)\.UTF-8")
DEFECTS = (
    "wrong_script", "wrong_language", "copy", "truncated", "duplicate", "other_sentence", "wrong_language_short",
    "dropped_sentence", "added_sentence", "number_changed",
)  # fmt: skip
SHORT = 20  # characters of words (placeholders, tags and names shared with the source left out) a classifier needs
FORMATS = ("bayling", "alpaca", "sharegpt", "messages")
# How people ask for a translation in a chat corpus: {source} is the text, {name} the target language.
REQUESTS = (
    "Translate into {name}:\n\n{source}",
    "Translate the following text to {name}: {source}",
    "{source}\n\nTranslate the above into {name}.",
    "Please translate this into {name}.\n```\n{source}\n```",
    "把下面的内容翻译成{name}：\n{source}",
    "Übersetze bitte ins {name}:\n\n{source}",
    "Traduis en {name} : {source}",
    "Переведи на {name}:\n{source}",
    'Translate "{source}" into {name}.',  # only for one line with no double quotes
)
ALPACA_INSTRUCTIONS = (
    "Translate into {name}.",
    "Translate the input text to {name}.",
    "将输入翻译成{name}。",
    "Übersetze den Text ins {name}.",
)
SENTENCE_BREAK = re.compile(r"(?<=[.!?।۔؟።])\s+(?=\S)|(?<=[。！？])(?=\S)")


@dataclass
class Sample:
    """One evaluation pair and what was planted in it ("clean" for none)."""

    source: str
    text: str
    lang: str
    label: str
    origin: str


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


def desktop_translations(root: Path = Path("/usr/share/locale")) -> dict[str, dict[str, str]]:
    """{FLORES code: {English source: translation}} from Debian's GTK 3 and GLib catalogues (packages
    libgtk-3-common and libglib2.0-data): longer texts than Django's, property documentation and
    command-line help among them. Empty when they are not installed. Mnemonic underscores and
    accelerator-only entries are left out; the rest as for Django."""
    import polib

    table: dict[str, dict[str, str]] = defaultdict(dict)
    for domain in MO_DOMAINS:
        for path in sorted(root.glob(f"*/LC_MESSAGES/{domain}.mo")):
            code = MO_LOCALES.get(path.parent.parent.name)
            if code is None or languages.find(code) is None:
                continue
            for entry in polib.mofile(str(path)):
                source, text = entry.msgid.strip(), entry.msgstr.strip()
                if text and text != source and not entry.msgid_plural and "_" not in source and len(source) > 3:
                    table[code].setdefault(source, text)
    return dict(table)


def debconf_translations(folder: Path = DEBCONF_DIR) -> dict[str, dict[str, str]]:
    """{FLORES code: {English paragraph: translation}} from Debian's debconf templates (`*.templates` in
    `folder`): the questions packages ask when they are installed, a short title and paragraphs of prose
    explaining a choice, translated by Debian's teams. Paired paragraph by paragraph where a translation has
    as many as its English. Empty when the folder has none."""
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted(folder.glob("*.templates")):
        for fields in _stanzas(path.read_text("utf-8", errors="replace")):
            english = _paragraphs(fields.get("Description", []))
            for key, lines in fields.items():
                match = DEBCONF_FIELD.fullmatch(key)
                code = DEBCONF_LOCALES.get(match.group(1)) if match else None
                translated = _paragraphs(lines)
                if code is None or languages.find(code) is None or len(translated) != len(english):
                    continue
                for source, text in zip(english, translated, strict=True):
                    if text and text != source and len(source) > 3:
                        table[code].setdefault(source, text)
    return dict(table)


def _stanzas(text: str) -> Iterator[dict[str, list[str]]]:
    """The fields of each stanza of an RFC 822 style file: {name: [first line, continuation lines...]}."""
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, list[str]] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key].append(line[1:])
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = [value.strip()]
        yield fields


def _paragraphs(lines: list[str]) -> list[str]:
    """A debconf description's title and its paragraphs (separated by lines of a single dot), each one line."""
    if not lines:
        return []
    out, current = [lines[0]], []
    for line in [*lines[1:], "."]:
        if line.strip() == "." and current:
            out.append(" ".join(current))
            current = []
        elif line.strip() != ".":
            current.append(line.strip())
    return out


def translations(
    corpora: tuple[str, ...] = ("django", "desktop"), debconf_dir: Path = DEBCONF_DIR
) -> dict[str, dict[str, str]]:
    """The chosen corpora merged ({FLORES code: {source: translation}}, the first corpus's entry first)."""
    read = {"django": django_translations, "desktop": desktop_translations}
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for corpus in corpora:
        entries_by_code = debconf_translations(debconf_dir) if corpus == "debconf" else read[corpus]()
        for code, entries in entries_by_code.items():
            for source, text in entries.items():
                table[code].setdefault(source, text)
    return dict(table)


def _name(lang: str) -> str:
    try:
        return languages.get(lang).name
    except languages.UnknownLanguageError:
        return lang


def as_row(sample: Sample, fmt: str, rng: random.Random) -> dict:
    """`sample` as a row of an import format, the source inside the request as corpora hold it (no
    `meta.source_text`; our own format says its languages, the others only what `--lang` tells)."""
    name = _name(sample.lang)
    if fmt == "alpaca":
        instruction = rng.choice(ALPACA_INSTRUCTIONS).format(name=name)
        return {"instruction": instruction, "input": sample.source, "output": sample.text}
    fits_quotes = "\n" not in sample.source and '"' not in sample.source
    request = rng.choice(REQUESTS if fits_quotes else REQUESTS[:-1]).format(name=name, source=sample.source)
    if fmt == "sharegpt":
        return {"conversations": [{"from": "human", "value": request}, {"from": "gpt", "value": sample.text}]}
    messages = [{"role": "user", "content": request}, {"role": "assistant", "content": sample.text}]
    if fmt == "messages":
        return {"messages": messages}
    return {"task": "translate", "generator": "import:po", "src_lang": "eng_Latn", "tgt_lang": sample.lang,
            "messages": messages, "meta": {"origin": sample.origin}}  # fmt: skip


def as_record(sample: Sample, fmt: str, rng: random.Random, source_lang: str = "") -> Record:
    """The record `filter --lang <lang>` makes of `sample` written in `fmt`."""
    langs = ImportLanguages(lang=sample.lang, source_lang=source_lang)
    return to_record(as_row(sample, fmt, rng), fmt, sample.origin, langs)


def _script(code: str) -> str:
    return code.split("_")[1]


def sentences(text: str) -> list[str]:
    """`text` split after its sentence-ending marks."""
    return [part for part in SENTENCE_BREAK.split(text.strip()) if part]


def samples(
    per_lang: int = 150,
    seed: int = 0,
    per_defect: int = 10,
    corpora: tuple[str, ...] = ("django", "desktop"),
    debconf_dir: Path = DEBCONF_DIR,
) -> list[Sample]:
    """Clean pairs (up to `per_lang` a language) and `per_defect` planted defects of each kind a language."""
    rng = random.Random(seed)
    table = translations(corpora, debconf_dir)
    out: list[Sample] = []
    for lang in sorted(table):
        # no true duplicates, and no translation equal to its source but for case and punctuation ("Urdu" ->
        # "urdu"): nothing can tell those from a copy
        pairs = sorted(table[lang].items())
        unique = {(normalize(s), normalize(t)): (s, t) for s, t in pairs if normalize(s) != normalize(t)}
        entries = list(unique.values())
        rng.shuffle(entries)
        entries = without_near_duplicates(lang, entries)
        clean = entries[:per_lang]
        out += [Sample(s, t, lang, "clean", f"{lang}:{i}") for i, (s, t) in enumerate(clean)]
        out += list(_planted(lang, clean, entries, table, rng, per_defect))
    rng.shuffle(out)
    # a duplicate comes after its original, as a repeated line of a corpus does
    return [x for x in out if x.label != "duplicate"] + [x for x in out if x.label == "duplicate"]


def without_near_duplicates(lang: str, entries: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The entries a corpus holds once: each that the tool's near dedup finds too like an earlier one left out
    (Debian's GRUB asks the same question for Linux and for kFreeBSD). Dedup rightly drops such a twin: as
    a correct record it would count as lost, as a planted defect it would be caught for the wrong reason."""
    records = [
        Record("translate", "corpus", "eng_Latn", lang, [{"role": "user", "content": source},
               {"role": "assistant", "content": text}], meta={"source_text": source})
        for source, text in entries
    ]  # fmt: skip
    verdicts = NearDedup().check_batch(records)
    return [entry for entry, verdict in zip(entries, verdicts, strict=True) if verdict is None]


def _planted(
    lang: str,
    clean: list[tuple[str, str]],
    entries: list[tuple[str, str]],
    table: dict[str, dict[str, str]],
    rng: random.Random,
    count: int,
) -> Iterator[Sample]:
    """`count` of each defect for `lang`, built from its entries and the other languages' translations."""
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
                    yield Sample(source, table[other][source], lang, kind, f"{kind}:{other}")
                if made[kind if kind == "wrong_script" else "wrong_language"] == count:
                    return

    def some(pool: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return rng.sample(pool, min(count, len(pool)))

    yield from elsewhere(same_script=False)
    yield from elsewhere(same_script=True)
    # a source with no words ("%H:%M", "10x11") is rightly written as it is: its copy is no defect
    yield from (Sample(s, s, lang, "copy", "copy") for s, _ in some(clean) if has_words(s))
    for source, text in some([(s, t) for s, t in clean if len(t) >= 40]):
        cut = rng.randint(len(text) * 2 // 5, len(text) * 7 // 10)
        yield Sample(source, text[:cut].rstrip(), lang, "truncated", "truncated")
    yield from (Sample(s, t, lang, "duplicate", f"{lang}:dup") for s, t in some(clean))
    for (source, _), (_, other_text) in zip(some(clean), some(clean), strict=True):
        if other_text != table[lang][source]:
            yield Sample(source, other_text, lang, "other_sentence", "other_sentence")
    # from all of the language's entries (few are several sentences long), none of them a clean sample
    rest = entries[len(clean) :] or entries
    several = [(s, t) for s, t in rest if len(sentences(s)) >= 2 and len(sentences(t)) >= 2]
    for source, text in some(several):
        parts = sentences(text)
        parts.pop(rng.randrange(len(parts)))
        yield Sample(source, " ".join(parts), lang, "dropped_sentence", "dropped_sentence")
    for (source, text), (_, other) in zip(some(rest), some(several or rest), strict=False):
        added = rng.choice(sentences(other))
        yield Sample(source, f"{text} {added}", lang, "added_sentence", "added_sentence")
    for source, text in some([(s, t) for s, t in rest if re.search(r"\d", t)]):
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        at = rng.choice(digits)
        changed = str((int(text[at]) + rng.randint(1, 8)) % 10)
        yield Sample(source, text[:at] + changed + text[at + 1 :], lang, "number_changed", "number_changed")


def words_seen(text: str, source: str) -> str:
    """What a classifier sees of a translation: placeholders, tags, URLs and words shared with the source gone."""
    return " ".join(without_source_words(without_tokens(text), source).split())


def languages_same_group(a: str, b: str) -> bool:
    """Same language or one short text cannot separate (unknown codes: only themselves)."""
    return languages.same_group(a, b)


def evaluate(
    items: list[Sample], fmt: str = "sharegpt", config: FilterConfig | None = None, source_lang: str = ""
) -> tuple[dict, Counter, float]:
    """Write `items` as rows of `fmt`, read them back as `filter --lang <lang>` does, and run the filter
    chain over them (in batches, as `filter` does).

    Every record goes through the checks in one stream, in the corpus's order, correct and planted alike (as
    in a real corpus: a check that learns from the records it has seen sees both). Dedup then runs over the
    correct records and their planted duplicates that passed: neither does dedup take the credit for a defect
    whose correct twin (same source) came first, nor does a defect that slipped through push its twin out as
    a near duplicate. Returns per-language counts {lang: Counter(label -> total, label+'_ok' -> kept (clean)
    or caught, 'found' -> sources found)}, the reject reasons of clean records, and records/s (reading the
    rows and the whole chain).
    """
    chain = build_chain(config or FilterConfig())
    verdicts: dict[int, str | None] = {}
    records: dict[int, Record] = {}
    started = time.perf_counter()
    for batch in batched(range(len(items)), 1024):
        for n in batch:  # the same request for the same source (a duplicate is the same row again)
            records[n] = as_record(items[n], fmt, random.Random(f"{items[n].lang}:{items[n].source}"), source_lang)
        verdicts.update(zip(batch, chain.check_batch([records[n] for n in batch], "unordered"), strict=True))
    passed = [n for n, x in enumerate(items) if verdicts[n] is None and x.label in ("clean", "duplicate")]
    for batch in batched(passed, 1024):
        verdicts.update(zip(batch, chain.check_batch([records[n] for n in batch], "ordered"), strict=True))
    seconds = time.perf_counter() - started
    per_lang: dict[str, Counter] = defaultdict(Counter)
    clean_reasons: Counter = Counter()
    for n, sample in enumerate(items):
        reason, counts = verdicts[n], per_lang[sample.lang]
        counts[sample.label] += 1
        counts["found"] += records[n].meta.get("source_text") is not None
        counts[f"{sample.label}_ok"] += reason is None if sample.label == "clean" else reason is not None
        if sample.label == "clean" and reason is not None:
            clean_reasons[reason] += 1
        if sample.label == "wrong_language" and reason is None:
            clean_reasons[f"(missed) {sample.origin.split(':')[1]} as {sample.lang}"] += 1
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
    n = sum(total[label] for label in labels)
    lines.append("")
    lines.append(
        f"overall kept={_share(total, 'clean')}% source_found={100 * total['found'] / n:.1f}% "
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
    parser.add_argument("--formats", default=",".join(FORMATS), help="import formats to write the records in")
    parser.add_argument(
        "--corpora",
        default="django,desktop",
        help="django (the wheel's .po), desktop (GTK, GLib: short UI strings), debconf (Debian's install "
        "questions: paragraphs of prose)",
    )
    parser.add_argument(
        "--debconf-dir",
        type=Path,
        default=DEBCONF_DIR,
        help="folder of debconf *.templates (default: the installed packages'; see benchmarks/README.md)",
    )
    parser.add_argument("--source-lang", default="", help="as filter's --source-lang (default: not given)")
    parser.add_argument("--semantic-min-score", type=float, help="as filter's (default: the semantic check off)")
    args = parser.parse_args()
    items = samples(args.per_lang, args.seed, args.per_defect, tuple(args.corpora.split(",")), args.debconf_dir)
    settings = {} if args.semantic_min_score is None else {"semantic_min_score": args.semantic_min_score}
    for fmt in args.formats.split(","):
        print(f"## {fmt}")
        config = FilterConfig(settings=settings)
        print(report(*evaluate(items, fmt, config, source_lang=args.source_lang), markdown=args.markdown))


if __name__ == "__main__":
    sys.exit(main())
