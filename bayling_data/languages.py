"""Registry of languages: FLORES-200 codes, ISO 639 codes, names, script and resource tier."""

from __future__ import annotations

import csv
import difflib
import functools
from dataclasses import dataclass
from importlib import resources

TIERS = ("high", "medium", "low")

# Languages that short texts cannot tell apart reliably: a language-ID check treats each
# group as one language (and says so in its stats) instead of rejecting good data.
INSEPARABLE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"hrv_Latn", "bos_Latn", "srp_Cyrl", "srp_Latn"}),
    frozenset({"nob_Latn", "nno_Latn", "dan_Latn"}),  # Danish and Bokmål share most short sentences
    frozenset({"zsm_Latn", "ind_Latn"}),
    frozenset({"zho_Hans", "zho_Hant", "yue_Hant"}),
    frozenset(
        {"arb_Arab", "arz_Arab", "ary_Arab", "acm_Arab", "acq_Arab", "aeb_Arab", "ajp_Arab", "apc_Arab", "ars_Arab"}
    ),
    frozenset({"pes_Arab", "prs_Arab"}),
)

# Close relatives that must be candidates whenever one of them is checked: without them a
# classifier restricted to a few languages accepts sibling-language text most of the time.
SIBLING_GROUPS: tuple[frozenset[str], ...] = (
    *INSEPARABLE_GROUPS,
    frozenset({"nob_Latn", "nno_Latn", "dan_Latn", "swe_Latn"}),
    frozenset({"bul_Cyrl", "mkd_Cyrl"}),
    frozenset({"ces_Latn", "slk_Latn"}),
    frozenset({"spa_Latn", "glg_Latn", "cat_Latn", "por_Latn", "ast_Latn", "oci_Latn"}),
    frozenset({"rus_Cyrl", "ukr_Cyrl", "bel_Cyrl"}),
    frozenset(
        {"hin_Deva", "mar_Deva", "npi_Deva", "san_Deva", "mai_Deva", "bho_Deva", "awa_Deva", "mag_Deva", "hne_Deva"}
    ),
    frozenset({"urd_Arab", "pes_Arab", "pbt_Arab"}),
    frozenset({"nld_Latn", "afr_Latn", "deu_Latn", "ltz_Latn"}),
    frozenset({"ita_Latn", "vec_Latn", "lij_Latn", "scn_Latn"}),
    frozenset({"lvs_Latn", "ltg_Latn", "lit_Latn"}),
    frozenset({"fin_Latn", "est_Latn"}),
    frozenset({"kaz_Cyrl", "kir_Cyrl", "tat_Cyrl", "bak_Cyrl"}),
    frozenset({"tur_Latn", "azj_Latn", "tuk_Latn"}),
)


@dataclass(frozen=True)
class Language:
    """One language of the registry."""

    code: str  # FLORES-200, e.g. zho_Hans
    iso1: str  # ISO 639-1, "" where none exists
    iso3: str
    name: str  # English name
    native: str
    script: str  # ISO 15924
    tier: str  # high / medium / low resource
    langid: str  # py3langid code, "" where the model does not cover the language
    zh_name: str
    flores101: bool
    flores200: bool  # False: a language or script variant FLORES-200 lacks (Latin-script Tatar, Breton, ...)

    @property
    def short(self) -> str:
        """The shortest usual code (ISO 639-1 where it exists)."""
        return self.iso1 or self.iso3

    def name_in(self, lang: str) -> str:
        """The language's name as written in instruction language `lang` (a FLORES code): the registry's
        Chinese and native names, else CLDR's (through langcodes), else the English name."""
        if lang.startswith("zho") or lang.startswith("yue"):
            return self.zh_name or self.name
        if lang == self.code:
            return self.native
        reader = find(lang)
        return (_cldr_name(self.short, reader.short) if reader is not None else "") or self.name


@functools.cache
def _cldr_name(tag: str, in_tag: str) -> str:
    """The CLDR name of language `tag` written in language `in_tag` ("" when CLDR has none)."""
    import langcodes  # its name tables load on first use

    name = langcodes.Language.get(tag).display_name(in_tag)
    return "" if "[" in name or name == tag else name


class UnknownLanguageError(ValueError):
    """A language code or name that the registry does not know."""


@functools.cache
def all_languages() -> tuple[Language, ...]:
    """Every language in the registry, in table order."""
    text = resources.files("bayling_data").joinpath("data/languages.tsv").read_text("utf-8")
    rows = csv.reader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t")
    return tuple(
        Language(code, iso1, iso3, name, native, script, tier, langid, zh, flores101 == "1", flores200 == "1")
        for code, iso1, iso3, name, native, script, tier, langid, zh, flores101, flores200 in rows
    )


@functools.cache
def _aliases() -> dict[str, Language]:
    table: dict[str, Language] = {}
    # Later entries never override earlier ones, so "zh" and "zho" mean Simplified Chinese.
    for lang in all_languages():
        for alias in (lang.code, lang.iso1, lang.iso3, lang.name, lang.native, lang.zh_name):
            if alias:
                table.setdefault(alias.casefold(), lang)
        table.setdefault(lang.code.replace("_", "-").casefold(), lang)
    extra = {
        "zh-hans": "zho_Hans",
        "zh-cn": "zho_Hans",
        "中文": "zho_Hans",
        "chinese": "zho_Hans",
        "zh-hant": "zho_Hant",
        "zh-tw": "zho_Hant",
        "arabic": "arb_Arab",
        "malay": "zsm_Latn",
        "persian": "pes_Arab",
        "farsi": "pes_Arab",
        "nb": "nob_Latn",
        "no": "nob_Latn",
        "norwegian": "nob_Latn",
        "filipino": "tgl_Latn",
        "fil": "tgl_Latn",
        "he": "heb_Hebr",
        # macro-language labels (ISO 639-3) that language identifiers such as heliport answer with
        "hbs": "hrv_Latn",
        "msa": "zsm_Latn",
        "ara": "arb_Arab",
        "fas": "pes_Arab",
        "aze": "azj_Latn",
        "uzb": "uzn_Latn",
        "lav": "lvs_Latn",
        "nep": "npi_Deva",
        "sqi": "als_Latn",
        "swa": "swh_Latn",
        "mon": "khk_Cyrl",
        "orm": "gaz_Latn",
        "pus": "pbt_Arab",
        "que": "quy_Latn",
        "nor": "nob_Latn",
        "yid": "ydd_Hebr",
        "kur": "kmr_Latn",
        "mlg": "plt_Latn",
        "cmn": "zho_Hans",
        "ori": "ory_Orya",
        "hbshrv": "hrv_Latn",
        "hbsbos": "bos_Latn",
        "hbssrp": "srp_Cyrl",
        "msaind": "ind_Latn",
        "msazsm": "zsm_Latn",
        "msamin": "min_Latn",
        "iw": "heb_Hebr",  # CLD2's old codes
        "jw": "jav_Latn",
        "ku": "kmr_Latn",
        "gug": "grn_Latn",
    }
    by_code = {lang.code: lang for lang in all_languages()}
    for alias, code in extra.items():
        table[alias] = by_code[code]
    return table


def get(alias: str) -> Language:
    """Look a language up by any alias, case-insensitive: `zh`, `zho`, `zho_Hans`, `Chinese`, `中文`."""
    found = find(alias)
    if found is None:
        key = alias.strip().casefold()
        near = difflib.get_close_matches(key, list(_aliases()), n=8, cutoff=0.6)
        langs = list(dict.fromkeys(_aliases()[match] for match in near))[:4]
        hint = f"; did you mean {', '.join(f'{x.code} ({x.name})' for x in langs)}?" if langs else ""
        raise UnknownLanguageError(f"unknown language {alias!r}{hint} (`bayling-data languages` lists them all)")
    return found


def check_flag(flag: str, codes: list[str]) -> None:
    """UnknownLanguageError naming `flag` (`--hubs: unknown language 'xx'; did you mean ...`) for the first of
    `codes` that is no known language."""
    for code in codes:
        try:
            get(code)
        except UnknownLanguageError as error:
            raise UnknownLanguageError(f"{flag}: {error}") from None


def find(code: str) -> Language | None:
    """The registry's language for `code` (any alias, case-insensitive), or None when it does not know it."""
    return _aliases().get(code.strip().casefold())


@functools.lru_cache(maxsize=4096)
def script_of(code: str) -> str | None:
    """The ISO 15924 script of `code`: the registry's, else the suffix of a FLORES-style code (`lim_Latn`)."""
    lang = find(code)
    if lang is not None:
        return lang.script
    _, _, suffix = code.partition("_")
    return suffix if len(suffix) == 4 and suffix.isalpha() and suffix.istitle() else None


def parse_langs(spec: str) -> list[Language]:
    """Parse a `--langs` value: codes separated by commas, or `all`, `flores101`, `flores200`, `tier:low`."""
    chosen: list[Language] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if part.casefold() == "all":
            chosen.extend(all_languages())
        elif part.casefold() == "flores101":
            chosen.extend(lang for lang in all_languages() if lang.flores101)
        elif part.casefold() == "flores200":
            chosen.extend(lang for lang in all_languages() if lang.flores200)
        elif part.casefold().startswith("tier:"):
            tier = part.split(":", 1)[1].casefold()
            if tier not in TIERS:
                raise UnknownLanguageError(f"unknown tier {tier!r}: use one of {', '.join(TIERS)}")
            chosen.extend(lang for lang in all_languages() if lang.tier == tier)
        else:
            chosen.append(get(part))
    unique = list(dict.fromkeys(chosen))
    if not unique:
        raise UnknownLanguageError("no language given")
    return unique


def siblings(code: str) -> frozenset[str]:
    """FLORES codes of the close relatives of `code` (the code itself included)."""
    related = {code}
    for group in SIBLING_GROUPS:
        if code in group:
            related |= group
    return frozenset(related)


def same_group(a: str, b: str) -> bool:
    """True when `a` and `b` are the same language or cannot be told apart from short text."""
    return a == b or any(a in group and b in group for group in INSEPARABLE_GROUPS)
