"""A content node prepares every rank profile at startup (as Vespa at deploy): constants read and
ONNX sessions opened before the node reports ready, so a profile's first query loads nothing."""
from __future__ import annotations

import json

import numpy as np
import pytest

from content_node import matcher
from content_node.node import ContentNode
from content_node.ranking import onnx_features, rank_program
from searchlib.query import tree as q
from test_onnx_ranking import W, B, linear_model

SD = """schema doc {
    document doc {
        field vec type tensor<float>(x[2]) { indexing: attribute }
    }
    rank-profile with_constant {
        constants {
            big tensor<float>(x[2]): file: constants/big.json
        }
        first-phase { expression: sum(attribute(vec) * constant(big)) }
    }
    rank-profile with_model {
        onnx-model linear {
            file: models/linear.onnx
            input "x": attribute(vec)
        }
        first-phase { expression: sum(onnx(linear)) }
    }
}
"""


@pytest.fixture
def node(tmp_path):
    package = tmp_path / "package"
    for folder in ("schemas", "models", "constants"):
        (package / folder).mkdir(parents=True)
    (package / "schemas" / "doc.sd").write_text(SD)
    (package / "constants" / "big.json").write_text(json.dumps({"values": [10.0, 1.0]}))
    linear_model(package / "models" / "linear.onnx", "batch")
    node = ContentNode(package, tmp_path / "data", 0)
    node.put("id:test:doc::0", json.dumps({"vec": {"values": [1.0, 2.0]}}))
    yield node
    node.close()


def test_every_profile_is_prepared_at_startup_and_the_first_query_loads_nothing(node, monkeypatch) -> None:
    assert {("doc", "with_constant"), ("doc", "with_model")} <= set(node._programs)
    model = node._programs[("doc", "with_model")].onnx.models["linear"]
    assert model.settings in onnx_features._RUNNERS._runners  # the session is open already

    def no_loading(*args, **kwargs):
        raise AssertionError("loaded on the first query")
    monkeypatch.setattr(rank_program, "load_constant_values", no_loading)
    monkeypatch.setattr(onnx_features, "OnnxModelRunner", no_loading)
    params = matcher.SearchParams(query=q.TrueItem(), hits=1)
    constant_hit = node.search("doc", "with_constant", params).hits[0]
    assert constant_hit.relevance == pytest.approx(10.0 + 2.0)
    model_hit = node.search("doc", "with_model", params).hits[0]
    assert model_hit.relevance == pytest.approx(float(np.array([1.0, 2.0]) @ W[:, 0] + B[0]), rel=1e-6)

