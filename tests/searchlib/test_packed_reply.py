"""A plain search answer packed (searchlib/wire/packed_reply.py) decodes to what its SearchReply
decodes to: the same hits (relevance to the bit, NaN too, global ids up to 255 bytes), total,
generation, coverage and summaries (fields, document id, whether the JSON is plain); an answer that
is not plain (or has a global id over 255 bytes or text with a lone surrogate) is not packed; a packed
reply of another version, with bytes left over, with summary text that is not UTF-8 or of random
bytes fails with an exception the container reads as that node's error; mixed packed and SearchReply
replies merge as SearchReplies alone do."""
from __future__ import annotations

import json
import math
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protos import content_node_pb2 as pb
from searchlib.coverage import Coverage
from searchlib.explain import HitPhases, NodePhases
from searchlib.grouping.result import Group
from searchlib.hits import LeanHit
from searchlib.wire.hits_codec import merge_reply_hits
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


def is_utf8(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def over_protobuf(answer: SearchAnswer) -> SearchAnswer:
    return decode_search_answer(pb.SearchReply.FromString(encode_search_answer(answer).SerializeToString()))


text = st.text(max_size=20)  # lone surrogates too: such an answer is not packed (the SearchReply path fails)
field_values = st.dictionaries(text, st.one_of(text, st.integers(-5, 5), st.floats(), st.lists(text, max_size=2)),
                               max_size=3)
docsum = st.builds(lambda gid, document_id, fields, stored: DocsumValue(
    gid, document_id, fields, {},
    fields_json=stored if stored is not None and all(type(v) is str for v in fields.values()) else None),
    st.binary(min_size=1, max_size=300), text, field_values, st.sampled_from([None, '{"title":"x"}']))
gids = st.one_of(st.binary(max_size=24), st.binary(min_size=250, max_size=300))
hits = st.lists(st.builds(LeanHit, gids, st.floats(), st.just(3)), max_size=12)
coverage = st.builds(Coverage, *[st.integers(0, 2 ** 40)] * 3, st.integers(0, 15), st.integers(0, 4))


@settings(max_examples=60, deadline=None)
@given(hits, st.lists(docsum, max_size=12), coverage, st.integers(0, 2 ** 40), st.integers(0, 2 ** 50))
def test_a_packed_plain_answer_reads_as_its_search_reply(hits, docsums, coverage, total, generation):
    answer = SearchAnswer(3, tuple(hits), total, coverage, generation=generation, docsums=tuple(docsums))
    packed = encode_packed(answer)
    if packed is None:  # only a global id over a length byte, or text UTF-8 cannot carry, is not packed
        assert any(len(gid) > 255 for gid in [h.global_id for h in hits] + [d.global_id for d in docsums]) \
            or not all(is_utf8(d.document_id) and is_utf8(json.dumps(d.fields, ensure_ascii=False)) for d in docsums)
        return
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


def test_a_global_id_over_255_bytes_or_a_lone_surrogate_is_not_packed():
    long_gid = SearchAnswer(0, (LeanHit(b"g" * 256, 1.0, 0),), 1, Coverage())
    assert encode_packed(long_gid) is None
    assert encode_packed(SearchAnswer(0, (LeanHit(b"g" * 255, 1.0, 0),), 1, Coverage())) is not None
    for docsum in (DocsumValue(b"g", "id:a:doc::\ud800", {}, {}), DocsumValue(b"g", "id:a:doc::1", {"t": "\udfff"}, {}),
                   DocsumValue(b"g" * 256, "id:a:doc::1", {}, {})):
        assert encode_packed(SearchAnswer(0, (), 0, Coverage(), docsums=(docsum,))) is None


def test_a_nan_relevance_keeps_its_bits():
    answer = SearchAnswer(0, (LeanHit(b"g", math.nan, 0),), 1, Coverage())
    assert read(decode_packed(encode_packed(answer))) == read(over_protobuf(answer))


def test_summary_text_that_is_not_utf8_fails_the_decode():
    packed = encode_packed(PLAIN)
    assert packed.endswith(b'{"t":"x"}')
    with pytest.raises(UnicodeDecodeError):
        decode_packed(packed[:-3] + b"\xff\"}")
    # a sequence split over two summaries is not UTF-8 either, though the two texts joined would be
    two = SearchAnswer(0, (), 0, Coverage(), docsums=(DocsumValue(b"a", "id:a:doc::1", {"t": "x"}, {}),
                                                     DocsumValue(b"b", "id:a:doc::2", {"t": "x"}, {})))
    first, between, rest = encode_packed(two).split(b'{"t":"x"}')
    assert rest == b""
    with pytest.raises(UnicodeDecodeError):  # "\xc3" "\xa9" is "é" when joined
        decode_packed(first + b'{"t":"x"\xc3' + between + b'\xa9"t":"x"}')


def test_random_bytes_fail_with_an_exception_the_client_reads_as_a_node_error():
    rng = random.Random(14)
    packed = encode_packed(PLAIN)
    payloads = [rng.randbytes(rng.randrange(200)) for _ in range(2000)]
    payloads += [bytes(b ^ rng.randrange(256) if rng.random() < 0.05 else b for b in packed) for _ in range(2000)]
    payloads += [b"\x01" + rng.randbytes(len(packed) - 1) for _ in range(1000)]
    for payload in payloads:
        try:
            decode_packed(payload)
        except (ValueError, struct.error):  # Exceptions: scatter_gather reads them as the node's error
            pass


def test_mixed_packed_and_search_replies_merge_as_search_replies_do():
    answers = [SearchAnswer(key, tuple(LeanHit(b"%d-%d" % (key, i), float(r), key) for i, r in enumerate(relevances)),
                            len(relevances), Coverage())
               for key, relevances in ((0, (9, 5, 1)), (1, (8, 5, 2)), (2, (7, 6, 0)))]
    protobuf = [over_protobuf(a).hits for a in answers]
    mixed = [decode_packed(encode_packed(answers[0])).hits, protobuf[1], decode_packed(encode_packed(answers[2])).hits]
    expected = merge_reply_hits(protobuf, (), 5)
    assert [(h.global_id, h.relevance, h.distribution_key) for h in merge_reply_hits(mixed, (), 5)] == \
        [(h.global_id, h.relevance, h.distribution_key) for h in expected]
    assert [h.relevance for h in expected] == [9.0, 8.0, 7.0, 6.0, 5.0]
