"""The container's global phase over merged lean hits: input classification, normalizers,
rescaling of the rest, drop limit, hidden match-features, and the cross-encoder."""
import re
from pathlib import Path

import numpy as np
import pytest

from container.ranking.global_phase import GlobalPhaseRanker
from deploy.models import ensure_models
from searchlib.hits import LeanHit
from searchlib.ranking_setup import global_phase_setup, hidden_match_features
from searchlib.schema.application import application_from_text, load_application
from searchlib.tensor import Tensor

REPO = Path(__file__).resolve().parents[2]

SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field pop type double { indexing: attribute }
    }
    rank-profile base {
        first-phase { expression: bm25(title) }
    }
    rank-profile fused {
        inputs { query(w): 2.0 }
        function lexical() { expression: bm25(title) }
        first-phase { expression: lexical }
        global-phase {
            rerank-count: 3
            expression: query(w) * normalize_linear(lexical) + reciprocal_rank(attribute(pop)) + relevanceScore * 0
        }
        match-features: lexical
    }
    rank-profile dropping inherits fused {
        global-phase {
            rerank-count: 3
            expression: query(w) * normalize_linear(lexical) + reciprocal_rank(attribute(pop))
            rank-score-drop-limit: 0.5
        }
    }
    rank-profile rrf {
        first-phase { expression: bm25(title) }
        global-phase {
            expression: reciprocal_rank_fusion(bm25(title), attribute(pop))
        }
    }
}
"""


def hit(n: int, relevance: float, **features) -> LeanHit:
    return LeanHit(bytes([n]) * 12, relevance, 0, features)


@pytest.fixture(scope="module")
def app():
    return application_from_text(SD, name="doc.sd")


def test_setup_classifies_inputs(app):
    setup = global_phase_setup(app.schemas["doc"].rank_profiles["fused"])
    assert setup.query_features == ("query(w)",)
    assert set(setup.document_features) == {"lexical", "attribute(pop)"}
    assert setup.hidden_match_features == ("attribute(pop)",)  # lexical is a listed match-feature
    assert [n.kind for n in setup.normalizers] == ["normalize_linear", "reciprocal_rank"]
    assert global_phase_setup(app.schemas["doc"].rank_profiles["base"]) is None
    assert set(hidden_match_features(app.schemas["doc"].rank_profiles["rrf"])) == {"attribute(pop)", "bm25(title)"}


def test_rerank_count_defaults_and_query_override(app):
    ranker = GlobalPhaseRanker(app)
    assert ranker.rerank_count("doc", "fused", None) == 3
    assert ranker.rerank_count("doc", "fused", 7) == 7
    assert ranker.rerank_count("doc", "rrf", None) == 100
    assert ranker.rerank_count("doc", "base", 50) == 0  # no global phase: the query value is ignored


def test_normalizers_rescaling_drop_limit_and_hidden_features(app):
    ranker = GlobalPhaseRanker(app)
    hits = [hit(1, 10.0, lexical=10.0, **{"attribute(pop)": 1.0}),
            hit(2, 8.0, lexical=8.0, **{"attribute(pop)": 3.0}),
            hit(3, 6.0, lexical=6.0, **{"attribute(pop)": 2.0}),
            hit(4, 5.0, lexical=5.0, **{"attribute(pop)": 9.0}),
            hit(5, 1.0, lexical=1.0, **{"attribute(pop)": 9.0})]
    outcome = ranker.rerank("doc", "fused", hits, {}, 3)
    scores = {h.global_id[0]: h.relevance for h in outcome.hits}
    # top 3: 2 * normalize_linear(10, 8, 6) + 1 / (60 + rank of pop among 1, 3, 2)
    assert scores[1] == pytest.approx(2 * 1.0 + 1 / 63)
    assert scores[2] == pytest.approx(2 * 0.5 + 1 / 61)
    assert scores[3] == pytest.approx(2 * 0.0 + 1 / 62)
    # old range [6, 10] -> new low 1/62 < 6: the rest is rescaled, scale = max(2.0-0.016, 1) / 4
    scale = (scores[1] - scores[3]) / 4.0
    assert scores[4] == pytest.approx(5.0 * scale + scores[3] - 6.0 * scale)
    assert scores[5] < scores[4] < scores[3]
    assert [h.global_id[0] for h in outcome.hits] == [1, 2, 3, 4, 5] and outcome.dropped == 0
    # the drop limit 0.5 removes hit 3 (0.016) and the rescaled ones below it
    dropped = ranker.rerank("doc", "dropping", hits, {}, 3)
    assert [h.global_id[0] for h in dropped.hits] == [1, 2]
    assert dropped.dropped == 3
    assert all("attribute(pop)" not in h.match_features and "lexical" in h.match_features for h in outcome.hits)


def test_missing_match_feature_scores_zero(app):
    ranker = GlobalPhaseRanker(app)
    hits = [hit(1, 3.0, **{"bm25(title)": 3.0, "attribute(pop)": 1.0}), hit(2, 2.0, **{"bm25(title)": 2.0})]
    outcome = ranker.rerank("doc", "rrf", hits, {}, 100)
    scores = {h.global_id[0]: h.relevance for h in outcome.hits}
    assert scores == {1: pytest.approx(2 / 61), 2: 0.0}
    assert all(h.match_features == {} for h in outcome.hits)


def test_rerank_count_zero_still_hides_hidden_features(app):
    ranker = GlobalPhaseRanker(app)
    hits = [hit(1, 3.0, **{"bm25(title)": 3.0, "attribute(pop)": 1.0})]
    outcome = ranker.rerank("doc", "rrf", hits, {}, 0)
    assert outcome.hits[0].relevance == 3.0 and outcome.hits[0].match_features == {}


# ---- the default package's cross-encoder on real token ids ----

@pytest.fixture(scope="module")
def package():
    ensure_models(REPO / "schemas")
    return load_application(REPO / "schemas")


def _tokens(tokenizer, text: str, size: int) -> np.ndarray:
    ids = tokenizer.encode(text, add_special_tokens=False).ids[:size]
    return np.array(ids + [0] * (size - len(ids)), dtype=np.float64)


def _direct_scores(model: str, rows: list, batch_size: int) -> np.ndarray:
    """Independent onnxruntime scoring: one call per row at the fixed length 256 (batch size 1), or
    all rows in one batch trimmed to the longest (the rows here are fewer than any batch size)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(REPO / "schemas/models/cross-encoder" / model),
                                   providers=["CPUExecutionProvider"])
    chunks = [[r] for r in rows] if batch_size == 1 else [rows]
    out = []
    for chunk in chunks:
        width = 256 if batch_size == 1 else max(len(s) for s, _ in chunk)
        ids = np.array([s + [0] * (width - len(s)) for s, _ in chunk], dtype=np.int64)
        types = np.array([t + [0] * (width - len(t)) for _, t in chunk], dtype=np.int64)
        out.append(session.run(None, {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64),
                                      "token_type_ids": types})[0].reshape(-1))
    return np.concatenate(out)


DOCS = ["Muscle fatigue is caused by lactic acid and metabolic changes.", "Stock markets fell.",
        "A long text about fatigue " * 40, "Exercise physiology of skeletal muscle."]


def _rerank_docs(package, profile: str):
    """The engine's scores for DOCS under `profile`, the batch size it used, and the token rows
    ([CLS] q [SEP] d [SEP], length 256) built independently of the engine's token functions."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(REPO / "schemas/models/cross-encoder/tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    q = _tokens(tokenizer, "what causes muscle fatigue", 32)
    hits = [hit(i + 1, 10.0 - i, **{"attribute(tokens)": Tensor.dense("tensor<float>(d0[512])", _tokens(tokenizer, d, 512))})
            for i, d in enumerate(DOCS)]
    ranker = GlobalPhaseRanker(package)
    outcome = ranker.rerank("doc", profile, hits, {"query(q_tokens)": Tensor.dense("tensor<float>(d0[32])", q)}, 25,
                            trace_level=1)
    assert all(h.match_features == {} for h in outcome.hits)  # attribute(tokens) was hidden
    batch_size = int(re.search(r"batch size (\d+)", " ".join(outcome.trace)).group(1))
    rows = []
    for d in DOCS:
        qt = [int(t) for t in q if t > 0]
        dt = [int(t) for t in _tokens(tokenizer, d, 512) if t > 0]
        rows.append((([101] + qt + [102] + dt + [102])[:256], ([0] * (len(qt) + 2) + [1] * (len(dt) + 1))[:256]))
    return outcome, batch_size, rows


def test_cross_encoder_scores_equal_direct_onnxruntime(package):
    outcome, batch_size, rows = _rerank_docs(package, "bert-ranker")
    assert batch_size == 1  # no batch-size in the block: per hit on the CPU provider (no CUDA here)
    got = {h.global_id[0]: h.relevance for h in outcome.hits}
    logits = _direct_scores("model.onnx", rows, batch_size)
    for i, expected in enumerate(logits):
        assert got[i + 1] == pytest.approx(float(expected), abs=1e-3)
    assert [h.global_id[0] for h in outcome.hits] == [int(i) + 1 for i in np.argsort(-logits, kind="stable")]
    assert got[1] > got[2]  # the relevant text beats the unrelated one


def test_float_activation_cross_encoder_batches_equal_per_hit_scores(package):
    outcome, batch_size, rows = _rerank_docs(package, "bert-ranker-fp32act")
    assert batch_size == 32  # set in the profile: batches are exact with float activations
    got = {h.global_id[0]: h.relevance for h in outcome.hits}
    batched, per_hit = _direct_scores("model-fp32act.onnx", rows, 32), _direct_scores("model-fp32act.onnx", rows, 1)
    np.testing.assert_allclose(batched, per_hit, atol=1e-3)
    for i, expected in enumerate(per_hit):
        assert got[i + 1] == pytest.approx(float(expected), abs=1e-3)
    int8 = _direct_scores("model.onnx", rows, 1)
    assert np.abs(per_hit - int8).max() < 1.0 and got[1] > got[2]


def test_a_global_phase_reads_file_constants_from_the_package(tmp_path):
    # the container's global phase compiles constants as the content nodes do: `file:` ones too
    (tmp_path / "schemas").mkdir()
    (tmp_path / "constants").mkdir()
    (tmp_path / "constants" / "w.json").write_text('{"values": [2.0, 10.0]}')
    (tmp_path / "schemas" / "doc.sd").write_text("""
schema doc {
    document doc {
        field pop type double { indexing: attribute }
    }
    rank-profile weighted {
        constants { w tensor<float>(x[2]): file: constants/w.json }
        first-phase { expression: attribute(pop) }
        global-phase { expression: attribute(pop) * reduce(constant(w), sum) }
    }
}
""")
    (tmp_path / "services.xml").write_text(
        '<services version="1.0"><container id="c" version="1.0"><search/></container>'
        '<content id="d" version="1.0"><redundancy>1</redundancy><documents><document type="doc" mode="index"/>'
        '</documents><nodes><node hostalias="node1" distribution-key="0"/></nodes></content></services>')
    package = load_application(tmp_path)
    assert set(hidden_match_features(package.schemas["doc"].rank_profiles["weighted"], package.path)) == {"attribute(pop)"}
    outcome = GlobalPhaseRanker(package).rerank("doc", "weighted", [hit(1, 1.0, **{"attribute(pop)": 3.0})], {}, 10)
    assert outcome.hits[0].relevance == pytest.approx(36.0)
