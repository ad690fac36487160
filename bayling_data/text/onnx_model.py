"""A sentence encoder of the user's own, in ONNX: a folder as sentence-transformers and Optimum export one.

The folder holds `tokenizer.json` and `model.onnx` (or `onnx/model.onnx`, the Hugging Face layout). When the
model outputs `sentence_embedding` (sentence-transformers' own export) that is the vector; otherwise its first
output, the token states, is pooled as `1_Pooling/config.json` says (the first token for LaBSE, the mean
for e5 and most others; the mean when the file is absent). Texts are embedded as they are (no prefix).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np

TOKENS_PER_BATCH = (
    256  # padded tokens of one pass (measured: 256 ran 85 texts/s on two cores, 2048 ran 67: activations stay in cache)
)
MAX_TOKENS = 512  # a text's tokens embedded, unless the tokenizer file says fewer


def onnx_session(model: bytes | str, threads: int):  # -> onnxruntime.InferenceSession
    """An ONNX Runtime session on the CPU with `threads` threads for each operation."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings are about graph choices, not the user's data
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def token_batches(windows: list[list[int]], pad: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(rows of `windows`, their ids padded with `pad`, their mask) in batches of similar length."""
    order = np.argsort([len(window) for window in windows], kind="stable")
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and (end - start + 1) * len(windows[order[end]]) <= TOKENS_PER_BATCH:
            end += 1
        rows = order[start:end]
        length = len(windows[rows[-1]])
        ids = np.full((len(rows), length), pad, dtype=np.int64)
        mask = np.zeros((len(rows), length), dtype=np.float32)
        for r, row in enumerate(rows):
            ids[r, : len(windows[row])] = windows[row]
            mask[r, : len(windows[row])] = 1.0
        yield rows, ids, mask
        start = end


class OnnxModel:
    """Embeds texts with an ONNX sentence encoder from a folder (see the module's docstring)."""

    def __init__(self, folder: str | Path, threads: int) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        model = next((p for p in (folder / "model.onnx", folder / "onnx" / "model.onnx") if p.is_file()), None)
        if model is None or not (folder / "tokenizer.json").is_file():
            raise ValueError("a model folder needs tokenizer.json and model.onnx (or onnx/model.onnx)")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # batches are padded here, by length
        if self.tokenizer.truncation is None:
            self.tokenizer.enable_truncation(MAX_TOKENS)
        padding = self.tokenizer.padding or {}
        self.pad = padding.get(
            "pad_id", self.tokenizer.token_to_id("[PAD]") or self.tokenizer.token_to_id("<pad>") or 0
        )
        self.session = onnx_session(str(model), threads)
        self.inputs = {i.name: i.type for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        self.output = "sentence_embedding" if "sentence_embedding" in outputs else outputs[0]
        pooling_file = folder / "1_Pooling" / "config.json"
        pooling = json.loads(pooling_file.read_text()) if pooling_file.is_file() else {}
        self.first_token = bool(pooling.get("pooling_mode_cls_token"))
        self.dimension = self.embed(["."]).shape[1]  # also proves the model runs before any record waits on it

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one per text."""
        windows = [encoding.ids for encoding in self.tokenizer.encode_batch(texts)]
        out = None
        for rows, ids, mask in token_batches(windows, self.pad):
            feed = {"input_ids": ids, "attention_mask": mask.astype(np.int64), "token_type_ids": np.zeros_like(ids)}
            feed = {
                name: value if "int64" in self.inputs[name] else value.astype(np.int32)
                for name, value in feed.items()
                if name in self.inputs
            }
            states = self.session.run([self.output], feed)[0]
            if states.ndim == 3:  # token states: pooled
                states = states[:, 0] if self.first_token else (states * mask[:, :, None]).sum(axis=1)
            if out is None:
                out = np.zeros((len(texts), states.shape[-1]), dtype=np.float32)
            out[rows] = states
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
