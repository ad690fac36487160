"""A compact MinHash LSH index: band keys in sorted numpy arrays, signatures in fixed-size uint32 blocks.

About 700 bytes per indexed record (128 permutations, 16 bands), plus a fixed 32 MB bitmap: a million
records fit in well under 1 GB, where a hash map per band costs about 2 KB per record. Records come in
batches: band keys, and the look-up of a whole batch in the merged keys, are numpy operations. The
bitmap (one bit per slot of the keys' top bits) answers "certainly not merged" for most keys with one
memory access, so only a few keys need a binary search of the large sorted array.
"""

from __future__ import annotations

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
_BITMAP_BITS = 28  # 2**28 bits = 32 MB: about 1 false "maybe" in 9 at 16M merged keys (1M records)


class CompactLSH:
    """Banded LSH over MinHash signatures, with exact-signature verification of candidates."""

    def __init__(
        self, num_perm: int = 128, bands: int = 16, min_merge: int = 1_048_576, block_rows: int = 16_384
    ) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of the number of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        generator = np.random.default_rng(20261125)
        self._multipliers = generator.integers(1, 2**63, size=self.rows, dtype=np.uint64) | np.uint64(1)
        self._salts = np.arange(1, bands + 1, dtype=np.uint64) * _MIX
        self._keys = np.empty(0, dtype=np.uint64)  # sorted band keys of merged records
        self._owners = np.empty(0, dtype=np.uint32)  # record number of each key
        self._bitmap = np.empty(0, dtype=np.uint8)  # made at the first merge
        self._recent: dict[int, int] = {}  # band key -> first record number with it, not merged yet
        self._blocks: list[np.ndarray] = []  # signatures in fixed blocks: growing never copies or doubles
        self._block_rows = block_rows  # 16,384 x 128 permutations: 8 MB a block
        self._min_merge = min_merge  # band keys held in the dict before they move to the sorted arrays
        self.count = 0  # signature rows stored (rows of near-duplicates stay, unindexed)

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per band and signature row (wrapping arithmetic: a hash, not a sum)."""
        rows = signatures.reshape(len(signatures), self.bands, self.rows).astype(np.uint64)
        return (rows * self._multipliers).sum(axis=2, dtype=np.uint64) ^ self._salts  # uint64 arrays wrap silently

    def add(self, signatures: np.ndarray) -> None:
        """Index every signature (records known to be kept)."""
        first = self._store(signatures)
        for row, keys in enumerate(self.band_keys(signatures).tolist()):
            self._index(keys, first + row)
        self._merge_if_large()

    def add_unless_similar(self, signatures: np.ndarray, usable: np.ndarray, threshold: float) -> np.ndarray:
        """Go through the rows in order: each one's highest similarity to the index (earlier rows included),
        indexing the usable rows below `threshold`. Returns those similarities (0 for unusable rows)."""
        keys = self.band_keys(signatures)
        merged = self._merged_candidates(keys)
        first = self._store(signatures)
        best = np.zeros(len(signatures))
        recent = self._recent
        for row, row_keys in enumerate(keys.tolist()):
            if not usable[row]:
                continue
            found = merged.get(row, [])
            if not recent.keys().isdisjoint(row_keys):  # one C-level test: most rows share no band with anything
                found = found + [owner for owner in map(recent.get, row_keys) if owner is not None]
            if found:
                best[row] = (self._rows(np.unique(found)) == signatures[row]).mean(axis=1).max()
            if best[row] < threshold:
                self._index(row_keys, first + row)
        self._merge_if_large()
        return best

    def _store(self, signatures: np.ndarray) -> int:
        """Keep the rows' signatures; returns the record number of the first."""
        first = self.count
        done = 0
        while done < len(signatures):
            block, offset = divmod(self.count, self._block_rows)
            if block == len(self._blocks):
                self._blocks.append(np.empty((self._block_rows, self.num_perm), dtype=np.uint32))
            take = min(self._block_rows - offset, len(signatures) - done)
            self._blocks[block][offset : offset + take] = signatures[done : done + take]
            done += take
            self.count += take
        return first

    def _rows(self, numbers: np.ndarray) -> np.ndarray:
        """The stored signatures of these record numbers."""
        return np.stack(
            [self._blocks[number // self._block_rows][number % self._block_rows] for number in numbers.tolist()]
        )

    def _index(self, keys: list[int], number: int) -> None:
        recent = self._recent
        if recent.keys().isdisjoint(keys):  # the common case, in one call
            recent.update(dict.fromkeys(keys, number))
            return
        for key in keys:
            recent.setdefault(key, number)  # the first owner of a band key is the one a later record is checked against

    def _merged_candidates(self, keys: np.ndarray) -> dict[int, list[int]]:
        """Record numbers owning a merged band key equal to one of a row's keys, for the rows that have any."""
        if not self._keys.size:
            return {}
        flat = keys.ravel()
        maybe = np.flatnonzero(self._bitmap_has(flat))
        if not maybe.size:
            return {}
        needles = flat[maybe]
        order = np.argsort(needles)  # sorted needles make the binary searches of the large array cheaper
        needles, maybe = needles[order], maybe[order]
        left = np.searchsorted(self._keys, needles, side="left")
        right = np.searchsorted(self._keys, needles, side="right")
        found: dict[int, list[int]] = {}
        hits = np.flatnonzero(right > left)
        for position, start, stop in zip(maybe[hits].tolist(), left[hits].tolist(), right[hits].tolist(), strict=True):
            found.setdefault(position // self.bands, []).extend(self._owners[start:stop].tolist())
        return found

    def _bitmap_has(self, keys: np.ndarray) -> np.ndarray:
        slots = keys >> np.uint64(64 - _BITMAP_BITS)
        return (self._bitmap[(slots >> np.uint64(3)).astype(np.intp)] >> (slots & np.uint64(7)).astype(np.uint8)) & 1

    def _merge_if_large(self) -> None:
        if len(self._recent) < self._min_merge:
            return
        keys = np.fromiter(self._recent.keys(), dtype=np.uint64, count=len(self._recent))
        owners = np.fromiter(self._recent.values(), dtype=np.uint32, count=len(self._recent))
        order = np.argsort(keys, kind="stable")
        keys, owners = keys[order], owners[order]
        places = np.searchsorted(self._keys, keys, side="right")  # after equal merged keys: earlier owners first
        self._keys = np.insert(self._keys, places, keys)
        self._owners = np.insert(self._owners, places, owners)
        if not self._bitmap.size:
            self._bitmap = np.zeros(2**_BITMAP_BITS // 8, dtype=np.uint8)
        slots = keys >> np.uint64(64 - _BITMAP_BITS)
        np.bitwise_or.at(
            self._bitmap,
            (slots >> np.uint64(3)).astype(np.intp),
            np.left_shift(np.uint8(1), (slots & np.uint64(7)).astype(np.uint8)),
        )
        self._recent = {}
