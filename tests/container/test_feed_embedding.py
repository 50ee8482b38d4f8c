"""`python -m container.embedding`: a feed file embedded in batch with the default package's real
bge-small-en model. Puts get the hex short form of the same vectors the embedder computes, other
operations pass through in order, and bad input exits 2 with a message and no output file."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from container.embedding.__main__ import main
from container.embedding.registry import get_embedder
from searchlib.schema.application import load_application
from searchlib.tensor import TensorType, tensor_from_json

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "schemas"
VECTOR = TensorType.parse("tensor<float>(x[384])")
OPERATIONS = [
    {"put": "id:demo:doc::a", "fields": {"title": "shutil.copytree", "text": "Recursively copy a directory tree."}},
    {"remove": "id:demo:doc::gone"},
    {"put": "id:demo:doc::b", "fields": {"title": "json.dumps", "text": "Serialize obj to a JSON formatted str."}},
    {"put": "id:demo:doc::c", "fields": {"title": "untitled"}},  # a missing source field is empty text
    {"update": "id:demo:doc::a", "fields": {"title": {"assign": "copytree"}}},
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _args(source: Path, target: Path, *extra: str) -> list[str]:
    return ["--app", str(APP), "--embedder", "bge", "--field", "embedding", "--from", "title,text",
            *extra, str(source), str(target)]


def test_puts_get_the_embedders_vectors_and_other_operations_pass_through(tmp_path):
    source = _write(tmp_path / "feed.jsonl", [json.dumps(op) for op in OPERATIONS])
    target = tmp_path / "embedded.jsonl"
    assert main(_args(source, target, "--max-tokens", "64", "--batch-size", "2")) == 0
    written = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [list(op)[0] for op in written] == ["put", "remove", "put", "put", "update"]
    assert written[1] == OPERATIONS[1] and written[4] == OPERATIONS[4]
    puts = [op for op in written if "put" in op]
    assert all(isinstance(op["fields"]["embedding"]["values"], str) for op in puts)  # hex, not numbers
    vectors = np.array([tensor_from_json(op["fields"]["embedding"], VECTOR).dense_values for op in puts])
    texts = ["shutil.copytree Recursively copy a directory tree.", "json.dumps Serialize obj to a JSON formatted str.",
             "untitled"]
    one_by_one = get_embedder(load_application(APP), "bge").embed_many(texts, VECTOR)
    cosines = np.sum(vectors * one_by_one, axis=1) / np.linalg.norm(vectors, axis=1) / np.linalg.norm(one_by_one, axis=1)
    assert cosines.min() > 0.98  # int8 activations move slightly with batch-mates (test_embedder_batching)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)  # normalize: true
    assert puts[0]["fields"]["title"] == "shutil.copytree"  # the fed fields are kept


def test_bad_input_exits_2_with_a_message_and_leaves_no_output(tmp_path, capsys):
    target = tmp_path / "out.jsonl"
    broken = _write(tmp_path / "broken.jsonl", [json.dumps(OPERATIONS[0]), "{not json"])
    assert main(_args(broken, target)) == 2
    assert "line 2: not a JSON feed operation" in capsys.readouterr().err
    good = _write(tmp_path / "good.jsonl", [json.dumps(OPERATIONS[0])])
    assert main(["--app", str(APP), "--embedder", "bge", "--field", "title", "--from", "text",
                 str(good), str(target)]) == 2
    assert "no schema" in capsys.readouterr().err.lower()
    assert main(["--app", str(APP), "--embedder", "nope", "--field", "embedding", "--from", "text",
                 str(good), str(target)]) == 2
    assert "Can't find embedder 'nope'" in capsys.readouterr().err
    assert main(_args(tmp_path / "missing.jsonl", target)) == 2
    assert not target.exists() and not list(tmp_path.glob("*.partial"))


def test_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "container.embedding", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--embedder" in done.stdout


def test_max_tokens_cuts_the_text_and_keeps_the_closing_token():
    embedder = get_embedder(load_application(APP), "bge")
    cut = embedder.embed_many(["copy " * 300], VECTOR, max_tokens=16)
    short = embedder.embed_many(["copy " * 14], VECTOR)  # [CLS] + 14 words + [SEP] = 16 tokens
    np.testing.assert_array_equal(cut, short)
    assert not np.array_equal(cut, embedder.embed_many(["copy " * 300], VECTOR))
