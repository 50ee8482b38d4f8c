"""The node's fast path for an OR of words ranked by a sum of bm25 (matcher._bm25_shortcut: the
top-k of matching/bm25_top_k.py, the bm25 columns summed without the rank program) answers Search
with the very reply bytes of the general path (every match ranked by the profile's program): the
same hits, relevance to the last bit, summaries, total and coverage; for one field, two, a field
added twice, removed documents, repeated and absent words, words in one field or a fieldset; with
MaxScore forced on the small corpus too, rank properties (the profile's and the query's), a `rank:
filter` field, documents missing a field, a term's significance (negative too), and a profile
function that shadows bm25 (the program then ranks with the function: the shortcut must not apply)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from content_node.matching import bm25_top_k
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from protos import content_node_pb2 as pb
from searchlib.query import tree as q
from searchlib.wire.search_codec import SearchCall, decode_search_answer, encode_search_call

SERVICES = """<?xml version="1.0" encoding="utf-8"?>
<services version="1.0">
  <container id="default" version="1.0"><search/><document-api/></container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node hostalias="node0" distribution-key="0"/></nodes>
  </content>
</services>
"""
SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary
            index: enable-bm25 }
        field text type string { indexing: index | summary
            index: enable-bm25 }
        field tags type string { indexing: index | summary
            rank: filter
            index: enable-bm25 }
    }
    fieldset default { fields: title, text }
    fieldset all { fields: title, text, tags }
    rank-profile both { first-phase { expression: bm25(title) + bm25(text) } }
    rank-profile text { first-phase { expression: bm25(text) } }
    rank-profile twice { first-phase { expression: bm25(title) + bm25(text) + bm25(text) } }
    rank-profile props inherits both { rank-properties { bm25(title).k1: 2.0
        bm25(text).b: 0.3
        bm25(text).averageFieldLength: 5 } }
    rank-profile filt { first-phase { expression: bm25(tags) + bm25(text) } }
    rank-profile shadow { function bm25(f) { expression: 7 }
        first-phase { expression: bm25(title) + bm25(text) } }
}
"""
WORDS = ["the", "of", "cell", "gene", "protein", "rare", "rarer", "x1"]
DENSITY = [0.9, 0.7, 0.3, 0.2, 0.1, 0.03, 0.01, 0.005]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    app = tmp_path_factory.mktemp("app")
    (app / "services.xml").write_text(SERVICES)
    (app / "schemas").mkdir()
    (app / "schemas" / "doc.sd").write_text(SD)
    node = ContentNode(app, tmp_path_factory.mktemp("data"), 0)
    node.sync.start([], wait=True)
    served = ContentNodeService(node)
    rng = np.random.default_rng(7)
    for n in range(300):
        words = [w for w, d in zip(WORDS, DENSITY) for _ in range(int(rng.integers(1, 3))) if rng.random() < d]
        words += ["pad"] * int(rng.integers(0, 4) * 5)  # few distinct lengths: tied scores
        rng.shuffle(words)
        fields = {"title": " ".join(words[:3]), "text": " ".join(words[3:])}
        if n % 5 == 1:
            del fields["text"]  # a document missing a field
        if n % 2:
            fields["tags"] = " ".join(words[:5])
        assert served.Put(pb.PutRequest(document_id=f"id:test:doc::{n}", fields_json=json.dumps(fields)), None).ok
    for n in range(0, 300, 7):
        assert served.Remove(pb.RemoveRequest(document_id=f"id:test:doc::{n}"), None).ok
    yield served
    node.close()


def reply(service: ContentNodeService, profile: str, query: q.QueryNode, hits: int,
          properties: dict[str, str] | None = None) -> bytes:
    call = SearchCall(schema="doc", rank_profile=profile, query=query, hits=hits, timeout_ms=10000,
                      with_summaries=True, summary_class="default", rank_properties=properties or {})
    return service.Search(encode_search_call(call), None).SerializeToString()


QUERIES = [("default", ("the", "cell", "rare")), ("default", ("gene",)), ("text", ("of", "protein", "x1", "of")),
           ("title", ("rarer", "absent", "cell")), ("default", ("the", "of", "cell", "gene", "protein", "rare"))]


@pytest.mark.parametrize("profile", ["both", "text", "twice"])
@pytest.mark.parametrize("field, words", QUERIES)
@pytest.mark.parametrize("hits", [3, 400])
def test_fast_path_reply_is_the_general_paths(service, monkeypatch, profile, field, words, hits):
    query = q.Or(tuple(q.Term(field, w) for w in words)) if len(words) > 1 else q.Term(field, words[0])
    ranked = []
    real_rank = bm25_top_k.bm25_sum_rank

    def counting(calc, fields, general):
        rank = real_rank(calc, fields, general)
        return lambda rows: ranked.append(rank is not general and calc.is_dense(rows)) or rank(rows)

    monkeypatch.setattr(bm25_top_k, "bm25_sum_rank", counting)
    fast = reply(service, profile, query, hits)
    assert ranked  # the fast path; a common word's: its bm25 columns summed directly (sparse: the program)
    assert all(ranked) if "the" in words or "of" in words else True
    monkeypatch.setattr(bm25_top_k, "top_k", lambda *args: None)  # the general path
    general = reply(service, profile, query, hits)
    answer = decode_search_answer(pb.SearchReply.FromString(fast))
    assert answer.hits and len(answer.docsums) == len(answer.hits) and not answer.errors
    assert fast == general


SIGNIFICANCE = [None, 0.9, 0.0, -5.0]


@pytest.mark.parametrize("maxscore", [False, True], ids=["small", "maxscore"])
@pytest.mark.parametrize("profile", ["both", "props", "filt", "shadow"])
def test_shortcut_and_general_path_agree_beyond_the_plain_case(service, monkeypatch, maxscore, profile):
    if maxscore:  # the MaxScore passes, as on a node above 32,000 documents and 64,000 postings
        monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", 0)
        monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", 0)
    real_top_k = bm25_top_k.top_k
    answered = []

    def counting(*args):
        found = real_top_k(*args)
        answered.append(found is not None)
        return found

    differing = []
    for field in ("default", "all", "tags", "text"):
        for words in (("the", "cell", "rare"), ("of", "gene", "protein", "x1")):
            for significance in SIGNIFICANCE:
                query = q.Or(tuple(q.Term(field, w, significance=significance if i == 0 else None)
                                   for i, w in enumerate(words)))
                for properties in ({}, {"bm25(text).k1": "0.5"}):
                    monkeypatch.setattr(bm25_top_k, "top_k", counting)
                    fast = reply(service, profile, query, 3, properties)
                    monkeypatch.setattr(bm25_top_k, "top_k", lambda *args: None)
                    if fast != reply(service, profile, query, 3, properties):
                        differing.append((field, words, significance, properties))
    assert not differing
    if profile == "shadow":  # its program ranks with the function: no bm25 shortcut at all
        assert not answered
    else:
        assert any(answered)  # the shortcut answered (the comparison is not vacuous)
