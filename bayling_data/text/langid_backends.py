"""Language identifiers behind one small interface: each names its best guess as a registry code.

Chosen by measurement on real human translations (`benchmarks/real_translations.py`, figures in
`benchmarks/README.md`): CLD2 (C++, fastest), heliport (HeLI-OTS in Rust, ~220 languages, the only
one with Yiddish, Udmurt, Ossetian, Sorbian, Interlingua, ...) and py3langid (pure Python, slowest) each
miss languages and short texts the others get; together they vote.
"""

from __future__ import annotations

import functools
from typing import Protocol

from bayling_data import languages


class Backend(Protocol):
    """A language identifier: its best guesses for a text, as registry codes (or its own labels)."""

    name: str

    def top(self, text: str, k: int = 1) -> list[str]: ...

    def supports(self, code: str) -> bool: ...


class _Labelled:
    """Maps a backend's labels to registry codes and knows which registry languages it can answer."""

    name = ""
    labels: frozenset[str] = frozenset()

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def to_code(label: str) -> str:
        """The registry code of a backend label (`zh-Hant`, `hbs`, `fa`), or the label itself when unknown."""
        lang = languages.find(label) or languages.find(label.split("-")[0])
        return lang.code if lang else label

    @functools.cached_property
    def _answers(self) -> frozenset[str]:
        return frozenset(map(self.to_code, self.labels))

    def supports(self, code: str) -> bool:
        """True when this backend can name `code` or a language short text cannot tell from it."""
        return _supports(self._answers, code)


@functools.lru_cache(maxsize=4096)
def _supports(answers: frozenset[str], code: str) -> bool:
    return any(languages.same_group(code, answer) for answer in answers)


class Py3LangidBackend(_Labelled):
    """py3langid (97 languages): the whole model for `top`, a candidate set for `best`."""

    name = "py3langid"

    def __init__(self) -> None:
        from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

        self._model = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)  # loaded once
        self.labels = frozenset(self._model.nb_classes)

    def top(self, text: str, k: int = 1) -> list[str]:
        if k == 1:
            return [self.to_code(self._model.classify(text)[0])]
        return [self.to_code(label) for label, _ in self._model.rank(text)[:k]]

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one backend per run
    def _restricted(self, candidates: frozenset[str]):
        import copy

        identifier = copy.copy(self._model)  # shares the full model; restricting rebinds only the copy's arrays
        identifier.set_languages(sorted(candidates & self.labels))
        return identifier

    def best(self, text: str, candidates: frozenset[str]) -> tuple[str, float]:
        """The most likely of `candidates` (py3langid labels), with its probability among them."""
        code, probability = self._restricted(candidates).classify(text)
        return code, float(probability)


class HeliportBackend(_Labelled):
    """heliport (HeLI-OTS; ISO 639-3 labels, macro-languages such as `hbs`, `msa` mapped by the registry)."""

    name = "heliport"

    def __init__(self) -> None:
        import heliport

        self._identifier = heliport.Identifier()
        self.labels = frozenset(self._identifier.get_confidence_all()) - {"und", "zxx", "undhtml"}

    def top(self, text: str, k: int = 1) -> list[str]:
        best = self._identifier.identify_topk_with_score(text, k)  # raw scores, with no confidence floor
        return [self.to_code(label) for label, _ in best]


class Cld2Backend(_Labelled):
    """pycld2 in best-effort mode."""

    name = "cld2"

    def __init__(self) -> None:
        import pycld2

        self._cld2 = pycld2
        self.labels = frozenset(code for _, code in pycld2.LANGUAGES if not code.startswith("xx-"))

    def top(self, text: str, k: int = 1) -> list[str]:
        try:
            _, _, details = self._cld2.detect(text, bestEffort=True)
        except self._cld2.error:
            return []
        return [self.to_code(code) for _, code, _, _ in details[:k] if code != "un"]


class LangdetectBackend(_Labelled):
    """langdetect (55 languages; slow, and raises on text it has no features for)."""

    name = "langdetect"
    labels = frozenset(
        """af ar bg bn ca cs cy da de el en es et fa fi fr gu he hi hr hu id it ja kn ko lt lv mk ml mr
        ne nl no pa pl pt ro ru sk sl so sq sv sw ta te th tl tr uk ur vi zh-cn zh-tw""".split()
    )

    def __init__(self) -> None:
        from langdetect import DetectorFactory

        DetectorFactory.seed = 0

    def top(self, text: str, k: int = 1) -> list[str]:
        from langdetect import LangDetectException, detect_langs

        try:
            return [self.to_code(guess.lang) for guess in detect_langs(text)[:k]]
        except LangDetectException:
            return []


BACKENDS: dict[str, type[_Labelled]] = {
    backend.name: backend for backend in (Cld2Backend, HeliportBackend, Py3LangidBackend, LangdetectBackend)
}
DEFAULT_BACKENDS = "cld2,heliport,py3langid"  # fastest first: most turns are settled by the first


def make_backends(spec: str) -> list[Backend]:
    """Backends from a comma-separated list of names (ValueError for an unknown one)."""
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise ValueError(f"unknown langid backend(s) {unknown or spec!r}; choose from {', '.join(BACKENDS)}")
    return [BACKENDS[name]() for name in dict.fromkeys(names)]
