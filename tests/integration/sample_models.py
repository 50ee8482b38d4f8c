"""Small ONNX graphs shaped like the models Vespa's sample apps name by url= (no downloads): the
inputs, output names and shapes are the real models', the weights are a seeded random table, so
text that shares tokens scores higher and every test can reason about its answers.

- ColBERT (colbert-ir/colbertv2.0): input_ids, attention_mask -> contextual [b, s, 128], each token
  a unit vector (ColBERT normalizes in the model), attention-masked positions zero.
- bi-encoders (e5-small-v2, gte-modernbert-base, the commerce title/description encoders):
  -> last_hidden_state (or output_0) [b, s, d] where every position holds the text's mean token
  vector, so mean and cls pooling agree (a CLS row that ignored the text would embed every text
  the same).
- cross-encoders (the msmarco ranker, commerce title_ranker): input_ids, attention_mask,
  token_type_ids -> logits [b, 1] = the number of attended second-segment (document) tokens.
- SPLADE (Splade_PP_en_v1): tests.container.test_token_embedders.splade_model.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BUCKETS = 1024  # token ids share rows modulo this: keeps the files small


def _save(nodes, inputs, outputs, initializers, path: Path) -> Path:
    graph = helper.make_graph(nodes, Path(path).stem, inputs, outputs, initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))
    return Path(path)


def _ids(*names: str):
    return [helper.make_tensor_value_info(name, TensorProto.INT64, ["b", "s"]) for name in names]


def _table(dims: int, seed: int) -> list:
    table = np.random.default_rng(seed).standard_normal((BUCKETS, dims)).astype(np.float32)
    return [numpy_helper.from_array(table, "table"),
            numpy_helper.from_array(np.array(BUCKETS, dtype=np.int64), "buckets"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis")]


def _lookup_nodes() -> list:
    """rows[b, s] = table[input_ids[b, s] mod BUCKETS] * attention_mask[b, s]"""
    return [helper.make_node("Mod", ["input_ids", "buckets"], ["bucket"]),
            helper.make_node("Gather", ["table", "bucket"], ["raw_rows"], axis=0),
            helper.make_node("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["mask_float", "last_axis"], ["mask3"]),
            helper.make_node("Mul", ["raw_rows", "mask3"], ["rows"])]


def colbert_model(path: Path, dims: int = 128, seed: int = 7) -> Path:
    nodes = _lookup_nodes() + [
        helper.make_node("ReduceL2", ["rows"], ["norm"], axes=[-1], keepdims=1),
        helper.make_node("Max", ["norm", "tiny"], ["safe_norm"]),
        helper.make_node("Div", ["rows", "safe_norm"], ["contextual"])]
    return _save(nodes, _ids("input_ids", "attention_mask"),
                 [helper.make_tensor_value_info("contextual", TensorProto.FLOAT, ["b", "s", dims])],
                 _table(dims, seed) + [numpy_helper.from_array(np.array(1e-6, dtype=np.float32), "tiny")], path)


def bi_encoder_model(path: Path, dims: int, output: str = "last_hidden_state", token_type_ids: bool = True,
                     seed: int = 11) -> Path:
    nodes = _lookup_nodes() + [
        helper.make_node("ReduceSum", ["rows", "axis1"], ["total"], keepdims=1),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=1),
        helper.make_node("Div", ["total", "count"], ["mean"]),
        helper.make_node("Mul", ["rows", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "mean"], [output])]  # the mean at every position
    inputs = _ids("input_ids", "attention_mask", *(("token_type_ids",) if token_type_ids else ()))
    return _save(nodes, inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["b", "s", dims])],
                 _table(dims, seed) + [numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
                                         numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")], path)


def cross_encoder_model(path: Path) -> Path:
    nodes = [helper.make_node("Mul", ["token_type_ids", "attention_mask"], ["document_tokens"]),
             helper.make_node("Cast", ["document_tokens"], ["document_float"], to=TensorProto.FLOAT),
             helper.make_node("ReduceSum", ["document_float", "axis1"], ["logits"], keepdims=1)]
    return _save(nodes, _ids("input_ids", "attention_mask", "token_type_ids"),
                 [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["b", 1])],
                 [numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1")], path)


def xgboost_model(path: Path, feature: str, split: float, below: float, above: float) -> Path:
    """One XGBoost tree: `below` when feature < split, else `above`."""
    tree = {"nodeid": 0, "depth": 0, "split": feature, "split_condition": split, "yes": 1, "no": 2, "missing": 1,
            "children": [{"nodeid": 1, "leaf": below}, {"nodeid": 2, "leaf": above}]}
    Path(path).write_text(json.dumps([tree]))
    return Path(path)


def lightgbm_model(path: Path, feature: str, split: float, below: float, above: float) -> Path:
    """One LightGBM tree: `below` when feature <= split, else `above`."""
    tree = {"tree_index": 0, "num_leaves": 2, "tree_structure": {
        "split_index": 0, "split_feature": 0, "threshold": split, "decision_type": "<=", "default_left": True,
        "missing_type": "None", "left_child": {"leaf_index": 0, "leaf_value": below},
        "right_child": {"leaf_index": 1, "leaf_value": above}}}
    Path(path).write_text(json.dumps({"name": "tree", "version": "v4", "num_class": 1, "max_feature_idx": 0,
                                      "objective": "regression", "feature_names": [feature], "tree_info": [tree]}))
    return Path(path)


def record(store: Path, references: dict[str, Path]) -> None:
    """`phasedsearch models add REF FILE --store STORE` for each reference (the CLI's own code)."""
    from deploy.models import main

    for reference, file in references.items():
        assert main(["add", reference, str(file), "--store", str(store)]) == 0, reference
