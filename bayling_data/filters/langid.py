"""Language ID per turn, against the languages a record declares.

The question asked is "is the declared language chosen among the record's languages and their
close relatives?", not "what language is this?": that keeps sibling languages apart and treats
pairs that short text cannot separate (nb/nn, hr/bs/sr, ms/id, zh variants) as one.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter
from typing import Protocol

from bayling_data import languages
from bayling_data.filters.base import Filter
from bayling_data.filters.script import script_share
from bayling_data.records import Record

# Quoted spans ("...", “...”, „...“, «...», 「...」): a user turn quotes words of another language.
QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|„[^“”\n]*[“”]|«[^»\n]*»|「[^」\n]*」|『[^』\n]*』')


# Always candidates: the languages a teacher most often slips into, so that such a slip is seen.
COMMON = (
    "eng_Latn",
    "zho_Hans",
    "spa_Latn",
    "fra_Latn",
    "deu_Latn",
    "por_Latn",
    "rus_Cyrl",
    "jpn_Jpan",
    "kor_Hang",
    "arb_Arab",
    "hin_Deva",
    "ita_Latn",
    "nld_Latn",
    "tur_Latn",
    "pol_Latn",
    "vie_Latn",
    "ind_Latn",
    "ukr_Cyrl",
    "swe_Latn",
    "ces_Latn",
)


class Backend(Protocol):
    """A language identifier: the most likely of `candidates` (langid codes), with a probability."""

    def best(self, text: str, candidates: frozenset[str]) -> tuple[str, float]: ...


class Py3LangidBackend:
    """py3langid restricted to the candidate set (one restricted model cached per set)."""

    def __init__(self) -> None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        self._model = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)  # loaded once
        self.supported = frozenset(self._model.nb_classes)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one backend per run
    def _restricted(self, candidates: frozenset[str]):
        identifier = copy.copy(self._model)  # shares the full model; restricting rebinds only the copy's arrays
        identifier.set_languages(sorted(candidates & self.supported))
        return identifier

    def best(self, text: str, candidates: frozenset[str]) -> tuple[str, float]:
        code, probability = self._restricted(candidates).classify(text)
        return code, float(probability)


class LangdetectBackend:
    """langdetect (not restrictable: the best-scoring candidate among its guesses, else its top guess)."""

    def __init__(self) -> None:
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0
        self.supported = frozenset(
            """af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr
            ne nl no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh""".split()
        )

    def best(self, text: str, candidates: frozenset[str]) -> tuple[str, float]:
        from langdetect import LangDetectException, detect_langs

        try:
            guesses = [(g.lang.split("-")[0], g.prob) for g in detect_langs(text)]
        except LangDetectException:  # raised on text it cannot read (no features)
            return "und", 0.0
        return _prefer_candidates(guesses, candidates)


class Cld2Backend:
    """pycld2 in best-effort mode."""

    def __init__(self) -> None:
        import pycld2

        self._cld2 = pycld2
        self.supported = frozenset(code for _, code in pycld2.LANGUAGES if len(code) <= 3)

    def best(self, text: str, candidates: frozenset[str]) -> tuple[str, float]:
        try:
            _, _, details = self._cld2.detect(text, bestEffort=True)
        except self._cld2.error:
            return "und", 0.0
        guesses = [(code.split("-")[0], percent / 100) for _, code, percent, _ in details if code != "un"]
        return _prefer_candidates(guesses, candidates)


def _prefer_candidates(guesses: list[tuple[str, float]], candidates: frozenset[str]) -> tuple[str, float]:
    for code, probability in guesses:
        if code in candidates:
            return code, probability
    return guesses[0] if guesses else ("und", 0.0)


BACKENDS = {"py3langid": Py3LangidBackend, "langdetect": LangdetectBackend, "cld2": Cld2Backend}


class LanguageFilter(Filter):
    """Rejects a record when a turn is not in the language it declares (script first, then a classifier)."""

    name = "langid"

    def __init__(
        self,
        backend: str = "py3langid",
        min_probability: float = 0.9,
        min_script_share: float = 0.1,
        min_chars: int = 20,
        max_chars: int = 300,
        fast_path: bool = True,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"unknown langid backend {backend!r}; choose from {', '.join(BACKENDS)}")
        self.backend = BACKENDS[backend]()
        self._cld2 = None
        if fast_path:
            import pycld2

            self._cld2 = pycld2
        self.min_probability = min_probability
        self.min_script_share = min_script_share
        self.min_chars = min_chars
        self.max_chars = max_chars
        self.unsupported: Counter[str] = Counter()  # languages checked by script only

    def check(self, record: Record) -> str | None:
        declared = expected_turn_langs(record)
        checked = _checked_texts(record, declared)
        record_langs = {code for code in (*declared, record.src_lang, record.tgt_lang) if code}
        record_langs |= {code for _, code, _ in checked}
        lowest = 1.0
        for position, code, text in checked:
            lang = languages.get(code)
            share = script_share(text, lang.script)
            if share is not None and share < self.min_script_share:
                return f"wrong_script:{code}"
            if len(text.strip()) < self.min_chars:
                continue  # too short for a classifier to be trusted: the script check decides
            if lang.langid not in self.backend.supported:
                self.unsupported[code] += 1
                continue
            # A few hundred characters decide the language as well as the whole text, at bounded cost.
            sample = text[: self.max_chars]
            verdict, guess = self._cld2_verdict(sample, lang)
            if verdict is True:
                continue
            if position < 0 and verdict is None:
                continue  # the seed is only checked for a clear slip: the classifier is kept for the turns
            candidates = self._candidates(frozenset(record_langs | ({guess} if guess else set())))
            predicted, probability = self.backend.best(sample, candidates)
            if self._accepts(lang, predicted):
                lowest = min(lowest, probability)
            elif probability >= self.min_probability or (guess and self._accepts(languages.get(guess), predicted)):
                # (or, at any confidence, when CLD2 was sure of the same other language)
                record.scores["langid"] = {
                    "turn": position,
                    "declared": code,
                    "predicted": predicted,
                    "probability": round(probability, 3),
                }
                return f"wrong_language:{code}"
        record.scores["langid_min_prob"] = round(lowest, 3)
        return None

    def _cld2_verdict(self, text: str, lang: languages.Language) -> tuple[bool | None, str | None]:
        """CLD2 (C++, ~10x faster): True when it is sure the text is in the declared language, False when it is
        sure of another one (returned too, as a FLORES code, when we know it), None when unsure. Only True
        skips the candidate-set classifier; when that classifier then picks the same other language, the
        two agree and the turn is rejected at any confidence."""
        if self._cld2 is None:
            return None, None
        try:
            reliable, _, details = self._cld2.detect(text, bestEffort=True)
        except self._cld2.error:
            return None, None
        code = details[0][1].split("-")[0]
        if not reliable or code == "un" or _share_among_script(details, lang.script) < 0.9:
            return None, None
        if self._accepts(lang, code):
            return True, None
        try:
            return False, languages.get(code).code
        except languages.UnknownLanguageError:
            return False, None

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - one filter per run
    def _candidates(self, codes: frozenset[str]) -> frozenset[str]:
        related = set(COMMON) | set(codes)
        for code in codes:
            related |= languages.siblings(code)
        mapped = {languages.get(c).langid for c in related}
        return frozenset(c for c in mapped if c in self.backend.supported)

    @staticmethod
    def _accepts(lang: languages.Language, predicted: str) -> bool:
        if predicted == lang.langid or predicted == lang.iso1:
            return True
        try:
            other = languages.get(predicted)
        except languages.UnknownLanguageError:
            return False
        return languages.same_group(lang.code, other.code)


@functools.lru_cache(maxsize=512)
def _cld2_script(code: str) -> str | None:
    try:
        return languages.get(code).script
    except languages.UnknownLanguageError:
        return None


def _share_among_script(details: tuple, script: str) -> float:
    """CLD2's share for its top language among the languages written in `script` (or unknown to us).

    Names and terms in another script (Latin names in Korean text, say) do not make CLD2 unsure of the
    Korean; a sibling of the same script (Serbian beside Russian) does.
    """
    counted = sum(
        percent
        for rank, (_, code, percent, _) in enumerate(details)
        if code != "un" and (rank == 0 or _cld2_script(code) in (script, None))
    )
    return details[0][2] / max(counted, 1)


def _checked_texts(record: Record, declared: list[str | None]) -> list[tuple[int, str, str]]:
    """(message index, language, text) for every part of a message that declares a language.

    A message made of parts in different languages (a PLUG answer) lists them in `meta.segments`
    as [start, end, language] character spans; quoted words in user turns are left out.
    """
    segments = record.meta.get("segments") or []
    checked = []
    source = record.meta.get("source_text")
    if isinstance(source, str) and record.src_lang:
        checked.append((-1, record.src_lang, source))  # the seed a translation starts from (index -1)
    for position, message in enumerate(record.messages):
        spans = segments[position] if position < len(segments) else None
        if spans:
            checked += [(position, code, message["content"][start:end]) for start, end, code in spans]
        elif position < len(declared) and declared[position]:
            text = message["content"]
            checked.append((position, declared[position], QUOTED.sub(" ", text) if message["role"] == "user" else text))
    return checked


def expected_turn_langs(record: Record) -> list[str | None]:
    """The language each message should be in: from `meta.turn_langs`, else user=src and assistant=tgt."""
    declared = record.meta.get("turn_langs")
    if isinstance(declared, list) and len(declared) == len(record.messages):
        return declared
    by_role = {"user": record.src_lang or None, "assistant": record.tgt_lang or None}
    return [by_role.get(m["role"]) for m in record.messages]
