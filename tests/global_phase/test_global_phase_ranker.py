"""The container's global phase over merged lean hits: input classification, normalizers,
rescaling of the rest, drop limit, hidden match-features, and the cross-encoder."""
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


def test_cross_encoder_scores_equal_direct_onnxruntime(package):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(REPO / "schemas/models/cross-encoder/tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    query = "what causes muscle fatigue"
    docs = ["Muscle fatigue is caused by lactic acid and metabolic changes.", "Stock markets fell.",
            "A long text about fatigue " * 40, "Exercise physiology of skeletal muscle."]
    q = _tokens(tokenizer, query, 32)
    hits = [hit(i + 1, 10.0 - i, **{"attribute(tokens)": Tensor.dense("tensor<float>(d0[512])", _tokens(tokenizer, d, 512))})
            for i, d in enumerate(docs)]
    ranker = GlobalPhaseRanker(package)
    outcome = ranker.rerank("doc", "bert-ranker", hits, {"query(q_tokens)": Tensor.dense("tensor<float>(d0[32])", q)}, 25)
    got = {h.global_id[0]: h.relevance for h in outcome.hits}
    assert all(h.match_features == {} for h in outcome.hits)  # attribute(tokens) was hidden

    # direct: [CLS] q [SEP] d [SEP], length 256, all four in one batch trimmed to the longest
    rows = []
    for d in docs:
        qt = [int(t) for t in q if t > 0]
        dt = [int(t) for t in _tokens(tokenizer, d, 512) if t > 0]
        seq = ([101] + qt + [102] + dt + [102])[:256]
        types = ([0] * (len(qt) + 2) + [1] * (len(dt) + 1))[:256]
        rows.append((seq, types))
    width = max(len(s) for s, _ in rows)
    ids = np.array([s + [0] * (width - len(s)) for s, _ in rows], dtype=np.int64)
    types = np.array([t + [0] * (width - len(t)) for _, t in rows], dtype=np.int64)
    session = ort.InferenceSession(str(REPO / "schemas/models/cross-encoder/model.onnx"),
                                   providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64),
                                "token_type_ids": types})[0].reshape(-1)
    for i, expected in enumerate(logits):
        assert got[i + 1] == pytest.approx(float(expected), abs=1e-3)
    assert [h.global_id[0] for h in outcome.hits] == [int(i) + 1 for i in np.argsort(-logits, kind="stable")]
    assert got[1] > got[2]  # the relevant text beats the unrelated one
