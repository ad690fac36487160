"""A compact MinHash LSH index: band keys in sorted numpy arrays, signatures in one uint32 matrix.

About 770 bytes per indexed record (128 permutations, 16 bands): a million records fit in well
under 1 GB, where a hash map per band costs about 2 KB per record. Records come in batches: band
keys and the look-up in the merged (sorted) keys are worked out for a whole batch at once.
"""

from __future__ import annotations

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)


class CompactLSH:
    """Banded LSH over MinHash signatures, with exact-signature verification of candidates."""

    def __init__(self, num_perm: int = 128, bands: int = 16, min_merge: int = 65_536) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of the number of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        generator = np.random.default_rng(20261125)
        self._multipliers = generator.integers(1, 2**63, size=self.rows, dtype=np.uint64) | np.uint64(1)
        self._salts = np.arange(1, bands + 1, dtype=np.uint64) * _MIX
        self._keys = np.empty(0, dtype=np.uint64)  # sorted band keys of merged records
        self._owners = np.empty(0, dtype=np.int64)  # record number of each key
        self._recent: dict[int, int] = {}  # band key -> first record number with it, not merged yet
        self._signatures = np.empty((1024, num_perm), dtype=np.uint32)
        self._min_merge = min_merge
        self.count = 0

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per band and signature row (wrapping arithmetic: a hash, not a sum)."""
        rows = signatures.reshape(len(signatures), self.bands, self.rows).astype(np.uint64)
        return (rows * self._multipliers).sum(axis=2, dtype=np.uint64) ^ self._salts  # uint64 arrays wrap silently

    def add(self, signatures: np.ndarray) -> None:
        """Index every signature (records known to be kept)."""
        for signature, keys in zip(signatures, self.band_keys(signatures).tolist(), strict=True):
            self._insert(signature, keys)
        self._merge_if_large()

    def add_unless_similar(self, signatures: np.ndarray, usable: np.ndarray, threshold: float) -> np.ndarray:
        """Go through the rows in order: each one's highest similarity to the index (earlier rows included),
        indexing the usable rows below `threshold`. Returns those similarities (0 for unusable rows)."""
        keys = self.band_keys(signatures)
        left = np.searchsorted(self._keys, keys, side="left")  # the merged keys equal to each band key:
        right = np.searchsorted(self._keys, keys, side="right")  # usually none
        rows_with_hits = set(np.flatnonzero((right > left).any(axis=1)).tolist())
        best = np.zeros(len(signatures))
        for row, (signature, row_keys) in enumerate(zip(signatures, keys.tolist(), strict=True)):
            if not usable[row]:
                continue
            recent = self._recent
            found = [owner for owner in map(recent.get, row_keys) if owner is not None]
            if row in rows_with_hits:
                for start, stop in zip(left[row].tolist(), right[row].tolist(), strict=True):
                    found.extend(self._owners[start:stop].tolist())
            if found:
                best[row] = (self._signatures[np.unique(found)] == signature).mean(axis=1).max()
            if best[row] < threshold:
                self._insert(signature, row_keys)
        self._merge_if_large()
        return best

    def _insert(self, signature: np.ndarray, keys: list[int]) -> None:
        number = self.count
        if number == len(self._signatures):
            self._signatures = np.concatenate([self._signatures, np.empty_like(self._signatures)])
        self._signatures[number] = signature
        recent = self._recent
        for key in keys:
            recent.setdefault(key, number)  # the first owner of a band key is the one a later record is checked against
        self.count += 1

    def _merge_if_large(self) -> None:
        if len(self._recent) < max(self._min_merge, self._keys.size // 4):
            return
        keys = np.fromiter(self._recent.keys(), dtype=np.uint64, count=len(self._recent))
        owners = np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent))
        all_keys = np.concatenate([self._keys, keys])
        order = np.argsort(all_keys, kind="stable")
        self._keys = all_keys[order]
        self._owners = np.concatenate([self._owners, owners])[order]
        self._recent = {}
