"""A plain search answer packed (searchlib/wire/packed_reply.py) decodes to what its SearchReply
decodes to: the same hits (relevance to the bit, global ids of any length), total, generation,
coverage and summaries (fields, document id, whether the JSON is plain); an answer that is not
plain is not packed; a packed reply of another version or with bytes left over does not decode."""
from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protos import content_node_pb2 as pb
from searchlib.coverage import Coverage
from searchlib.explain import HitPhases, NodePhases
from searchlib.grouping.result import Group
from searchlib.hits import LeanHit
from searchlib.wire.packed_reply import PackedDocsum, decode_packed, encode_packed
from searchlib.wire.search_codec import (DocsumValue, NodeError, SearchAnswer, decode_search_answer,
                                         encode_search_answer)


def read(answer: SearchAnswer) -> tuple:
    """Everything the container reads of an answer, however it travelled."""
    docsums = [(d.global_id, d.value(), d.value(read_fields=False), d.plain_fields_json()) for d in answer.docsums]
    return (answer.distribution_key, [(h.global_id, struct.pack("!d", h.relevance), h.distribution_key,
                                       h.match_features, h.sort_data, h.phases) for h in answer.hits],
            answer.total_hits, answer.coverage, answer.errors, answer.trace, answer.grouping, answer.generation,
            answer.phases, docsums)


def over_protobuf(answer: SearchAnswer) -> SearchAnswer:
    return decode_search_answer(pb.SearchReply.FromString(encode_search_answer(answer).SerializeToString()))


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
field_values = st.dictionaries(text, st.one_of(text, st.integers(-5, 5), st.floats(allow_nan=False),
                                               st.lists(text, max_size=2)), max_size=3)
docsum = st.builds(lambda gid, document_id, fields, stored: DocsumValue(
    gid, document_id, fields, {},
    fields_json=stored if stored is not None and all(type(v) is str for v in fields.values()) else None),
    st.binary(min_size=1, max_size=20), text, field_values, st.sampled_from([None, '{"title":"x"}']))
hits = st.lists(st.builds(LeanHit, st.binary(max_size=24), st.floats(allow_nan=False), st.just(3)), max_size=12)
coverage = st.builds(Coverage, *[st.integers(0, 2 ** 40)] * 3, st.integers(0, 15), st.integers(0, 4))


@settings(max_examples=60, deadline=None)
@given(hits, st.lists(docsum, max_size=12), coverage, st.integers(0, 2 ** 40), st.integers(0, 2 ** 50))
def test_a_packed_plain_answer_reads_as_its_search_reply(hits, docsums, coverage, total, generation):
    answer = SearchAnswer(3, tuple(hits), total, coverage, generation=generation, docsums=tuple(docsums))
    packed = encode_packed(answer)
    assert packed is not None
    decoded = decode_packed(packed)
    assert all(isinstance(d, PackedDocsum) for d in decoded.docsums)
    assert read(decoded) == read(over_protobuf(answer))


PLAIN = SearchAnswer(0, (LeanHit(b"g" * 12, 1.5, 0),), 1, Coverage(1, 1, 1, 0, 1),
                     docsums=(DocsumValue(b"g" * 12, "id:a:doc::1", {"t": "x"}, {}),))
NOT_PLAIN = {
    "an error": SearchAnswer(0, (), 0, Coverage(), (NodeError(4, "bad"),)),
    "a trace": SearchAnswer(0, (), 0, Coverage(), trace=("node 0: 1 match",)),
    "grouping": SearchAnswer(0, (), 0, Coverage(), grouping=Group(None)),
    "a phase trace": SearchAnswer(0, (), 0, Coverage(), phases=NodePhases(0, 1, 1, 1, 0, 1, ())),
    "match features": SearchAnswer(0, (LeanHit(b"g", 1.0, 0, {"f": 1.0}),), 1, Coverage()),
    "sort values": SearchAnswer(0, (LeanHit(b"g", 1.0, 0, sort_data=("a",)),), 1, Coverage()),
    "a hit's phases": SearchAnswer(0, (LeanHit(b"g", 1.0, 0, phases=HitPhases(1.0, 1, False, False, 1.0, 1)),), 1,
                                   Coverage()),
    "summary features": SearchAnswer(0, (), 0, Coverage(), docsums=(DocsumValue(b"g", "id:a:doc::1", {}, {"f": 2.0}),)),
    "a count out of range": SearchAnswer(0, (), -1, Coverage()),
}


def test_a_plain_answer_is_packed():
    assert read(decode_packed(encode_packed(PLAIN))) == read(over_protobuf(PLAIN))


@pytest.mark.parametrize("answer", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_an_answer_that_is_not_plain_stays_a_search_reply(answer):
    assert encode_packed(answer) is None


def test_special_relevances_keep_their_bits():
    relevances = [-0.0, math.inf, -math.inf, 5e-324]
    answer = SearchAnswer(0, tuple(LeanHit(b"g%d" % i, r, 0) for i, r in enumerate(relevances)), 4, Coverage())
    assert read(decode_packed(encode_packed(answer))) == read(over_protobuf(answer))


def test_another_version_or_bytes_left_over_do_not_decode():
    packed = encode_packed(PLAIN)
    with pytest.raises(ValueError, match="version"):
        decode_packed(b"\x02" + packed[1:])
    with pytest.raises(ValueError, match="holds"):
        decode_packed(packed + b"\x00")
    with pytest.raises(struct.error):
        decode_packed(packed[:-40][:60])
