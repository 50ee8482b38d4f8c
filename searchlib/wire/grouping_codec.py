"""Partial group trees (searchlib.grouping.result) ⇄ protobuf GroupValue."""
from __future__ import annotations

from protos import content_node_pb2 as pb
from searchlib.grouping.result import Group, GroupHit, GroupList


def encode_group(group: Group) -> pb.GroupValue:
    integers = {k: v for k, v in group.aggregates.items() if isinstance(v, int) and -(2**63) <= v < 2**63}
    message = pb.GroupValue(aggregates={k: v for k, v in group.aggregates.items() if k not in integers},
                            integer_aggregates=integers,
                            lists=[pb.GroupListValue(label=l.label, groups=[encode_group(g) for g in l.groups])
                                   for l in group.lists],
                            hits=[pb.GroupHitValue(global_id=h.global_id, relevance=h.relevance)
                                  for h in group.hits])
    if isinstance(group.value, bool) or isinstance(group.value, int):
        message.integer = int(group.value)
    elif isinstance(group.value, float):
        message.number = group.value
    elif isinstance(group.value, str):
        message.text = group.value
    return message


def decode_group(message: pb.GroupValue, distribution_key: int = 0) -> Group:
    kind = message.WhichOneof("value")
    value = getattr(message, kind) if kind else None
    return Group(value, {**message.aggregates, **message.integer_aggregates},
                 [GroupList(l.label, [decode_group(g, distribution_key) for g in l.groups]) for l in message.lists],
                 [GroupHit(h.global_id, h.relevance, distribution_key) for h in message.hits])
