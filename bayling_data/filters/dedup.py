"""Exact (xxhash of normalized text) and near (rensa MinHash + LSH) duplicate removal across a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xxhash
from rensa import RMinHash

from bayling_data.filters.base import Filter
from bayling_data.filters.lsh import CompactLSH
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.text.normalize import normalize

FIELDS = ("all", "user", "assistant", "first_user")
# Not letters, marks or digits (vowel signs of Indic and other scripts are marks, and part of their words).


def dedup_text(record: Record, fields: str) -> str:
    """The normalized part of a record that dedup compares: its messages (or those of one role), normalized
    one by one (other steps have normalized the answers already) and joined by a space.

    For a translation (a record with `meta.source_text`), "all" compares its languages and source instead
    of the first request: the wording of "translate this" says nothing about what is taught, and with
    short sources (UI strings, names) a shared request template makes different translations look alike."""
    prefix = ""
    if fields == "all":
        parts = [m["content"] for m in record.messages]
        source = record.meta.get("source_text")
        if isinstance(source, str) and parts and record.messages[0]["role"] == "user":
            prefix, parts[0] = f"{record.src_lang} {record.tgt_lang} ".casefold(), source
    elif fields == "first_user":
        parts = record.turns("user")[:1]
    else:
        parts = record.turns(fields)
    return prefix + " ".join(normalized for normalized in map(normalize, parts) if normalized)


@dataclass
class DedupOptions:
    """What both dedup steps compare."""

    dedup_fields: str = option("all", "what dedup compares: all, user, assistant or first_user", choices=FIELDS)


class ExactDedup(Filter):
    """Rejects a record whose normalized text was seen before in this run (or a resumed one)."""

    name = "exact_dedup"
    order = 900
    ordered = True
    Options = DedupOptions

    def __init__(self, options: Any = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self.fields = self.options.dedup_fields
        self.seen: set[int] = set()

    def _key(self, record: Record) -> int:
        return xxhash.xxh3_64_intdigest(dedup_text(record, self.fields).encode("utf-8"))

    def check(self, record: Record) -> str | None:
        key = self._key(record)
        if key in self.seen:
            return "duplicate"
        self.seen.add(key)
        return None

    def remember(self, record: Record) -> None:
        self.seen.add(self._key(record))


_PRIME = np.uint64(0x100000001B3)  # FNV-64 prime: the polynomial step of the n-gram hash


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads polynomial hashes over all 64 bits (uint64 arithmetic wraps)."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def char_ngram_hashes(texts: list[str], size: int, salts: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every text's overlapping character n-grams, flat, with row offsets (CSR style).

    All texts are hashed in a few numpy passes. A text shorter than `size` gives one n-gram (itself);
    an empty text gives none. One changed word in a 200-character answer changes a few of its ~200
    character 5-grams (Jaccard ~0.88) but a fifth of its word 5-grams (~0.68): character n-grams find
    such near-duplicates, in CJK text too. `salts` (one per text) are mixed into its hashes: texts of
    different salts share no n-gram.
    """
    padded = [text.ljust(size, "\0") if text else "" for text in texts]
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    points = np.frombuffer("".join(padded).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    windows = np.where(lengths > 0, lengths - size + 1, 0)
    total = int(windows.sum())
    hashes = np.zeros(total, dtype=np.uint64)
    text_starts = np.cumsum(lengths) - lengths
    row_offsets = np.concatenate([[0], np.cumsum(windows)])
    positions = np.arange(total, dtype=np.int64) + np.repeat(text_starts - row_offsets[:-1], windows)
    for k in range(size):
        hashes = hashes * _PRIME + points[positions + k] + np.uint64(1)
    if salts is not None:
        hashes ^= np.repeat(salts, windows)
    return _mix(hashes), row_offsets.astype(np.uint64)


class NearDedup(Filter):
    """Rejects a record whose MinHash (character n-grams) is similar (Jaccard >= threshold) to a kept one.

    Works on batches: n-gram hashing and MinHash (rensa's matrix API) run over the whole batch at once;
    only the index look-up goes record by record, in order, so a batch finds duplicates inside itself.
    """

    name = "near_dedup"
    order = 910
    ordered = True
    num_perm = 128

    @dataclass
    class Options(DedupOptions):
        near_dup_threshold: float = option(
            0.8, "MinHash Jaccard at or above which a record is a near duplicate", low=0.01, high=1.0
        )
        near_dup_ngram: int = option(5, "character n-grams", low=1, high=64)

    def __init__(self, options: Any = None, /, **values: Any) -> None:
        super().__init__(options, **values)
        self.threshold = self.options.near_dup_threshold
        self.ngram = self.options.near_dup_ngram
        self.fields = self.options.dedup_fields
        self.index = CompactLSH(self.num_perm, bands=16 if self.num_perm % 16 == 0 else 8)

    def _signatures(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        """MinHash signatures (one row per record) and whether each record had any text to hash."""
        texts = [dedup_text(record, self.fields) for record in records]
        # near duplicates are looked for within one target language: a Croatian and a Serbian translation
        # of the same source look alike and teach two languages
        salts = np.fromiter(  # 0 (no change) for a record of no language
            (xxhash.xxh3_64_intdigest(r.tgt_lang.encode()) if r.tgt_lang else 0 for r in records),
            np.uint64,
            len(records),
        )
        hashes, offsets = char_ngram_hashes(texts, self.ngram, salts)
        matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, self.num_perm, 42)
        signatures = np.array(matrix.to_rows(), dtype=np.uint32).reshape(len(records), self.num_perm)
        return signatures, offsets[1:] > offsets[:-1]

    def check(self, record: Record) -> str | None:
        return self.check_batch([record])[0]

    def check_batch(self, records: list[Record]) -> list[str | None]:
        signatures, hashed = self._signatures(records)
        similarities = self.index.add_unless_similar(signatures, hashed, self.threshold)
        verdicts: list[str | None] = []
        for record, similarity in zip(records, similarities.tolist(), strict=True):
            if similarity >= self.threshold:
                record.scores["near_dup_similarity"] = round(similarity, 3)
                verdicts.append("near_duplicate")
            else:
                verdicts.append(None)
        return verdicts

    def remember(self, record: Record) -> None:
        self.remember_batch([record])

    def remember_batch(self, records: list[Record]) -> None:
        signatures, hashed = self._signatures(records)
        self.index.add(signatures[hashed])
