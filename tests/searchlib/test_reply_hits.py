"""A reply's hits decoded as they are read (hits_codec.ReplyHits), and merged decoding only the
hits kept: the same hits, in the same order, as decoding every hit and merging."""
import random

from protos import content_node_pb2 as pb
from searchlib.explain import HitPhases
from searchlib.hits import LeanHit, merge_hits
from searchlib.query.tree import SortKey
from searchlib.wire.hits_codec import ReplyHits, decode_hit, encode_hit, merge_reply_hits
from searchlib.wire.search_codec import SearchAnswer, decode_search_answer, encode_search_answer
from searchlib.coverage import Coverage


def _reply(key: int, hits: list[LeanHit]) -> pb.SearchReply:
    message = encode_search_answer(SearchAnswer(key, tuple(hits), len(hits), Coverage(nodes=1)))
    return pb.SearchReply.FromString(message.SerializeToString())


def test_merging_reply_hits_equals_merging_every_decoded_hit():
    rng = random.Random(7)
    for trial in range(200):
        gids = [bytes([rng.randrange(6), rng.randrange(256)]) for _ in range(20)]
        scores = [rng.choice([1.0, 2.0, 0.5, float("nan"), rng.random()]) for _ in range(20)]
        lists = []
        for key in (0, 1):
            hits = [LeanHit(gids[i], scores[i], key, {"f": scores[i]} if i % 3 == 0 else {},
                            phases=HitPhases(1.0, 1, True, False, 2.0, 1) if i % 4 == 0 else None)
                    for i in range(key * 7, key * 7 + 10)]  # hits 7-9 in both: replicas
            lists.append(sorted(hits, key=lambda h: (-(h.relevance if h.relevance == h.relevance else -1e300),
                                                     h.global_id)))
        replies = [decode_search_answer(_reply(key, hits)).hits for key, hits in enumerate(lists)]
        assert all(isinstance(hits, ReplyHits) for hits in replies)
        k = rng.randrange(1, 21)
        expected = merge_hits([tuple(hits) for hits in replies], (), k)
        assert repr(merge_reply_hits(replies, (), k)) == repr(expected), trial  # repr: NaN != NaN


def test_a_sorted_merge_decodes_the_sort_values():
    lists = [[LeanHit(b"a", 1.0, 0, sort_data=(3,)), LeanHit(b"b", 2.0, 0, sort_data=(5,))],
             [LeanHit(b"c", 9.0, 1, sort_data=(4,))]]
    replies = [decode_search_answer(_reply(key, hits)).hits for key, hits in enumerate(lists)]
    merged = merge_reply_hits(replies, (SortKey("n", True),), 3)
    assert [h.global_id for h in merged] == [b"a", b"c", b"b"]


def test_reply_hits_read_as_the_tuple_of_hits():
    hits = (LeanHit(b"a", 2.0, 3, {"x": 1.5}), LeanHit(b"b", 1.0, 3, sort_data=("s",)))
    reply = ReplyHits(_reply(3, list(hits)).hits, 3)
    assert len(reply) == 2 and tuple(reply) == hits and reply == hits and reply[1] == hits[1]
    assert reply[:1] == hits[:1] and ReplyHits(pb.SearchReply().hits, 0) == ()
    assert decode_hit(encode_hit(hits[0]), 3) == reply[0]
