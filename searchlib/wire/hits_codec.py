"""Lean hits, coverage, errors and feature values ⇄ protobuf."""
from __future__ import annotations

from itertools import repeat
from typing import Iterator, Mapping, Sequence

from protos import content_node_pb2 as pb
from searchlib.coverage import Coverage
from searchlib.explain import HitPhases, NodePhases
from searchlib.hits import LeanHit, hit_sort_key, is_rank_order, merge_hits
from searchlib.wire import tensor_codec


def encode_feature(value: object) -> pb.FeatureValue:
    if isinstance(value, (int, float)):
        return pb.FeatureValue(scalar=float(value))
    return pb.FeatureValue(tensor=tensor_codec.encode_tensor(value))


def decode_feature(message: pb.FeatureValue) -> object:
    if message.WhichOneof("value") == "tensor":
        return tensor_codec.decode_tensor(message.tensor)
    return message.scalar


def encode_features(features: Mapping[str, object]) -> dict[str, pb.FeatureValue]:
    return {name: encode_feature(value) for name, value in features.items()}


def decode_features(messages: Mapping[str, pb.FeatureValue]) -> dict[str, object]:
    if not messages:  # most summaries carry none: no comprehension to set up (~0.4 us a summary)
        return {}
    return {name: decode_feature(value) for name, value in messages.items()}


def encode_sort_values(values: tuple) -> list[pb.SortValue]:
    """None (a missing string) is a SortValue with neither field set; ints (integer attributes)
    travel exactly."""
    return [pb.SortValue(text=v) if isinstance(v, str) else pb.SortValue() if v is None
            else pb.SortValue(integer=v) if isinstance(v, int) and not isinstance(v, bool)
            else pb.SortValue(number=float(v)) for v in values]


def decode_sort_values(messages) -> tuple:
    return tuple(getattr(m, kind) if (kind := m.WhichOneof("value")) else None for m in messages)


def encode_hit(hit: LeanHit) -> pb.LeanHit:
    if hit.match_features or hit.sort_data:
        message = pb.LeanHit(global_id=hit.global_id, relevance=hit.relevance,
                             match_features=encode_features(hit.match_features),
                             sort_values=encode_sort_values(hit.sort_data))
    else:  # most hits: no empty map or list to build
        message = pb.LeanHit(global_id=hit.global_id, relevance=hit.relevance)
    if hit.phases is not None:
        p = hit.phases
        message.phases.CopyFrom(pb.HitPhases(
            first_phase=p.first_phase, first_phase_rank=p.first_phase_rank, second_phase_ran=p.second_phase_ran,
            reranked=p.reranked, node_score=p.node_score, node_rank=p.node_rank))
    return message


def decode_hit(message: pb.LeanHit, distribution_key: int) -> LeanHit:
    phases = None
    if message.HasField("phases"):
        p = message.phases
        phases = HitPhases(p.first_phase, p.first_phase_rank, p.second_phase_ran, p.reranked, p.node_score,
                           p.node_rank)
    features, sort_values = message.match_features, message.sort_values
    return LeanHit(global_id=message.global_id, relevance=message.relevance,
                   distribution_key=distribution_key,
                   match_features=decode_features(features) if features else {},
                   sort_data=decode_sort_values(sort_values) if sort_values else (), phases=phases)


class ReplyHits(Sequence[LeanHit]):
    """A search reply's hits, each decoded when it is read: a node sends `hits` of them and the
    merge keeps about one node's worth, so merge_reply_hits decodes only the ones it keeps."""
    __slots__ = ("messages", "distribution_key")

    def __init__(self, messages: Sequence[pb.LeanHit], distribution_key: int) -> None:
        self.messages, self.distribution_key = messages, distribution_key

    def __len__(self) -> int:
        return len(self.messages)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(decode_hit(m, self.distribution_key) for m in self.messages[index])
        return decode_hit(self.messages[index], self.distribution_key)

    def __iter__(self) -> Iterator[LeanHit]:
        return (decode_hit(m, self.distribution_key) for m in self.messages)

    def __eq__(self, other: object) -> bool:  # the tuple of hits it stands for
        return isinstance(other, (tuple, ReplyHits)) and tuple(self) == tuple(other)

    __hash__ = None


def merge_reply_hits(hit_lists: Sequence[Sequence[LeanHit]], sorting: Sequence, k: int) -> list[LeanHit]:
    """merge_hits of replies' hits. In the rank order the key (relevance, global id) reads the
    messages as they are, and only the k hits kept are decoded; a sorted merge decodes them all."""
    if not is_rank_order(sorting) or not all(isinstance(hits, ReplyHits) for hits in hit_lists):
        return merge_hits(hit_lists, sorting, k)
    tagged = [zip(hits.messages, repeat(hits.distribution_key)) for hits in hit_lists]
    return [decode_hit(message, key) for message, key in merge_hits(tagged, sorting, k, key=_message_key)]


def _message_key(tagged: tuple) -> tuple:
    return hit_sort_key(tagged[0])  # a pb.LeanHit has the relevance and global_id it reads


def encode_node_phases(phases: NodePhases) -> pb.NodePhases:
    return pb.NodePhases(matched=phases.matched, first_phase_ranked=phases.first_phase_ranked, kept=phases.kept,
                         reranked=phases.reranked, returned=phases.returned,
                         timings=[pb.PhaseTiming(phase=name, ms=ms) for name, ms in phases.timings_ms])


def decode_node_phases(message: pb.NodePhases, distribution_key: int) -> NodePhases:
    return NodePhases(distribution_key, message.matched, message.first_phase_ranked, message.kept,
                      message.reranked, message.returned, tuple((t.phase, t.ms) for t in message.timings))


def encode_coverage(coverage: Coverage) -> pb.Coverage:
    return pb.Coverage(docs=coverage.docs, active=coverage.active, target_active=coverage.target_active,
                       degraded_reason=coverage.degraded_reason, nodes=coverage.nodes)


def decode_coverage(message: pb.Coverage) -> Coverage:
    return Coverage(docs=message.docs, active=message.active, target_active=message.target_active,
                    degraded_reason=message.degraded_reason, nodes=message.nodes)
