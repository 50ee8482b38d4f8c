"""Partial group trees (searchlib.grouping.result) ⇄ protobuf GroupValue."""
from __future__ import annotations

from protos import content_node_pb2 as pb
from searchlib.grouping.result import Group, GroupHit, GroupList


def encode_group(group: Group) -> pb.GroupValue:
    message = pb.GroupValue(aggregates=group.aggregates,
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
    return Group(value, dict(message.aggregates),
                 [GroupList(l.label, [decode_group(g, distribution_key) for g in l.groups]) for l in message.lists],
                 [GroupHit(h.global_id, h.relevance, distribution_key) for h in message.hits])
