"""Query tree ⇄ protobuf QueryNode."""
from __future__ import annotations

from protos import content_node_pb2 as pb
from searchlib.query import tree as q


def encode_query(node: q.QueryNode) -> pb.QueryNode:
    """The tree's message, the same bytes as `encode_query_reference`'s. Terms and the operators
    over them (every text query's tree) are written in place, into the parent's repeated field:
    the reference builds each item's message, copies it into a QueryNode and copies that into its
    parent (a third of the container's cost of a request; BENCHMARKS.md, qcont13)."""
    message = pb.QueryNode()
    _encode_into(node, message)
    return message


def _encode_into(node: q.QueryNode, message: pb.QueryNode) -> None:
    kind = type(node)
    if kind is q.Term:
        term = message.term
        term.SetInParent()  # a term item even when every field has its default value
        for name, value in _term_fields(node).items():
            if value is not None:
                setattr(term, name, value)
        return
    if kind is q.Or:
        operator = message.__getattribute__("or")
    elif kind is q.And:
        operator = message.__getattribute__("and")
    elif kind is q.WeakAnd:
        operator = message.weak_and
        operator.target_hits = node.target_hits
        operator.total_target_hits = node.total_target_hits
    elif kind is q.Rank and node.label_score is None:
        operator = message.rank
    else:
        message.CopyFrom(encode_query_reference(node))
        return
    if not node.children:
        operator.SetInParent()  # an operator without children is still that operator
    children = operator.children
    for child in node.children:
        _encode_into(child, children.add())


def encode_query_reference(node: q.QueryNode) -> pb.QueryNode:
    """Each item's message built whole, then copied into its parent: the plain form of the encoding,
    which `encode_query` must equal byte for byte."""
    message = pb.QueryNode()
    if isinstance(node, q.Term):
        message.term.CopyFrom(pb.TermItem(**_term_fields(node)))
    elif isinstance(node, q.Phrase):
        message.phrase.CopyFrom(pb.PhraseItem(field=node.field, terms=list(node.terms),
                                              weight=node.weight, label=node.label, segment=node.segment,
                                              unranked=not node.ranked, filter=node.filter,
                                              significance=node.significance,
                                              no_position_data=not node.positions, **_links(node),
                                              **_statistics(node)))
    elif isinstance(node, q.Near):
        message.near.CopyFrom(pb.NearItem(
            field=node.field, terms=list(node.terms), negative=list(node.negative), distance=node.distance,
            exclusion_distance=node.exclusion_distance, ordered=node.ordered, weight=node.weight,
            label=node.label, document_frequencies=[f for f, _ in node.document_frequencies],
            document_counts=[c for _, c in node.document_frequencies]))
    elif isinstance(node, q.Fuzzy):
        message.fuzzy.CopyFrom(pb.FuzzyItem(
            field=node.field, term=node.term, max_edit_distance=node.max_edit_distance,
            prefix_length=node.prefix_length, prefix=node.prefix, label=node.label, weight=node.weight))
    elif isinstance(node, q.Regex):
        message.regex.CopyFrom(pb.RegexItem(field=node.field, pattern=node.pattern, label=node.label,
                                            weight=node.weight))
    elif isinstance(node, q.In):
        message.__getattribute__("in").CopyFrom(pb.InItem(
            field=node.field, values=list(node.values), numeric=node.numeric, label=node.label))
    elif isinstance(node, q.Equiv):
        message.equiv.CopyFrom(pb.EquivItem(field=node.field, terms=list(node.terms), weight=node.weight,
                                            label=node.label, **_links(node), **_statistics(node)))
    elif isinstance(node, q.WeightedTokens):
        tokens = pb.WeightedTokensItem(operator=node.operator, field=node.field, label=node.label,
                                       tokens=[t for t, _ in node.tokens], weights=[w for _, w in node.tokens])
        for name in ("target_hits", "score_threshold", "threshold_boost_factor"):
            if getattr(node, name) is not None:
                setattr(tokens, name, getattr(node, name))
        message.weighted_tokens.CopyFrom(tokens)
    elif isinstance(node, q.Range):
        item = pb.RangeItem(field=node.field, low_inclusive=node.low_inclusive,
                            high_inclusive=node.high_inclusive, label=node.label, filter=node.filter,
                            hit_limit=node.hit_limit, unranked=not node.ranked)
        if node.weight != 100:
            item.weight = node.weight
        for name, bound in (("low", node.low), ("high", node.high)):
            if _is_int64(bound):
                setattr(item, f"{name}_integer", bound)  # exact: a double holds 53 bits
            elif bound is not None:
                setattr(item, name, bound)
        message.range.CopyFrom(item)
    elif isinstance(node, q.And):
        message.__getattribute__("and").children.extend(encode_query_reference(c) for c in node.children)
    elif isinstance(node, q.Or):
        message.__getattribute__("or").children.extend(encode_query_reference(c) for c in node.children)
    elif isinstance(node, q.Rank) and node.label_score is not None:
        message.label_wrapper.CopyFrom(pb.LabelWrapperItem(
            child=encode_query_reference(node.children[0]), label=node.label, score=node.label_score))
    elif isinstance(node, q.Rank):
        message.rank.children.extend(encode_query_reference(c) for c in node.children)
    elif isinstance(node, q.Not):
        message.__getattribute__("not").child.CopyFrom(encode_query_reference(node.child))
    elif isinstance(node, q.WeakAnd):
        message.weak_and.target_hits = node.target_hits
        message.weak_and.total_target_hits = node.total_target_hits
        message.weak_and.children.extend(encode_query_reference(c) for c in node.children)
    elif isinstance(node, q.NearestNeighbor):
        item = pb.NearestNeighborItem(field=node.field, query_tensor=node.query_tensor,
                                      target_hits=node.target_hits, approximate=node.approximate,
                                      explore_additional_hits=node.explore_additional_hits,
                                      label=node.label, total_target_hits=node.total_target_hits,
                                      min_target_hits=node.min_target_hits, hnsw=dict(node.hnsw))
        if node.distance_threshold is not None:
            item.distance_threshold = node.distance_threshold
        message.nearest_neighbor.CopyFrom(item)
    elif isinstance(node, q.GeoLocation):
        message.geo_location.CopyFrom(pb.GeoLocationItem(
            field=node.field, x=node.x, y=node.y, radius=node.radius, aspect=node.aspect,
            has_circle=node.has_circle, box=list(node.box or ()), label=node.label))
    elif isinstance(node, q.PredicateQuery):
        message.predicate.CopyFrom(pb.PredicateItem(
            field=node.field, label=node.label,
            feature_keys=[k for k, _, _ in node.features], feature_values=[v for _, v, _ in node.features],
            feature_bits=[b for _, _, b in node.features], range_keys=[k for k, _, _ in node.ranges],
            range_values=[v for _, v, _ in node.ranges], range_bits=[b for _, _, b in node.ranges]))
    elif isinstance(node, q.SameElement):
        message.same_element.CopyFrom(pb.SameElementItem(
            field=node.field, children=[encode_query_reference(c) for c in node.children],
            element_filter=list(node.element_filter), label=node.label))
    elif isinstance(node, q.TrueItem):
        message.true_item = True
    elif isinstance(node, q.FalseItem):
        message.false_item = True
    else:
        raise TypeError(f"cannot encode query item {node!r}")
    return message


def _term_fields(node: q.Term) -> dict[str, object]:
    """A term item's fields (None: not set), the one list both encoders write."""
    return {"field": node.field, "term": node.term, "weight": node.weight, "label": node.label,
            "unranked": not node.ranked, "filter": node.filter, "affix": node.affix,
            "significance": node.significance, "no_position_data": not node.positions,
            **_links(node), **_statistics(node)}


def _links(node: q.Term | q.Phrase | q.Equiv) -> dict[str, object]:
    to, weight = node.connectivity or (0, 0.0)
    return {"item_id": node.item_id, "connects_to": to, "connectivity": weight}


def _statistics(node: q.Term | q.Phrase | q.Equiv) -> dict[str, int]:
    if node.document_frequency is None:
        return {}
    frequency, count = node.document_frequency
    return {"document_frequency": frequency, "document_count": count}


def _document_frequency(message) -> tuple[int, int] | None:  # type: ignore[no-untyped-def]
    if not message.HasField("document_frequency"):
        return None
    return message.document_frequency, message.document_count


def _linked(message) -> dict[str, object]:  # type: ignore[no-untyped-def]
    connectivity = (message.connects_to, message.connectivity) if message.connects_to else None
    return {"item_id": message.item_id, "connectivity": connectivity}


def decode_query(message: pb.QueryNode) -> q.QueryNode:
    kind = message.WhichOneof("item")
    if kind == "term":  # positionally, without _linked's dict: every query has many (~1 us a term)
        t = message.term
        to = t.connects_to
        return q.Term(t.field, t.term, t.weight or 100, t.label, not t.unranked, t.filter, t.affix,
                      t.significance if t.HasField("significance") else None, t.item_id,
                      (to, t.connectivity) if to else None, positions=not t.no_position_data,
                      document_frequency=_document_frequency(t))
    if kind == "phrase":
        p = message.phrase
        return q.Phrase(p.field, tuple(p.terms), p.weight or 100, p.label, p.segment, ranked=not p.unranked,
                        filter=p.filter, significance=p.significance if p.HasField("significance") else None,
                        positions=not p.no_position_data, document_frequency=_document_frequency(p),
                        **_linked(p))
    if kind == "near":
        n = message.near
        return q.Near(n.field, tuple(n.terms), tuple(n.negative), n.distance, n.exclusion_distance,
                      n.ordered, n.weight or 100, n.label,
                      document_frequencies=q.near_frequencies(tuple(n.terms), tuple(
                          zip(n.document_frequencies, n.document_counts))
                          if len(n.document_frequencies) == len(n.document_counts) else ()))
    if kind == "fuzzy":
        f = message.fuzzy
        return q.Fuzzy(f.field, f.term, f.max_edit_distance, f.prefix_length, f.prefix, f.label, f.weight or 100)
    if kind == "regex":
        r = message.regex
        return q.Regex(r.field, r.pattern, r.label, r.weight or 100)
    if kind == "in":
        item = getattr(message, "in")
        return q.In(item.field, tuple(item.values), item.numeric, item.label)
    if kind == "equiv":
        e = message.equiv
        return q.Equiv(e.field, tuple(e.terms), e.weight or 100, e.label, **_linked(e),
                       document_frequency=_document_frequency(e))
    if kind == "weighted_tokens":
        w = message.weighted_tokens
        optional = {name: getattr(w, name) if w.HasField(name) else None
                    for name in ("target_hits", "score_threshold", "threshold_boost_factor")}
        return q.WeightedTokens(w.operator, w.field, tuple(zip(w.tokens, w.weights)), label=w.label, **optional)
    if kind == "range":
        r = message.range
        return q.Range(r.field, _bound(r, "low"), _bound(r, "high"), r.low_inclusive, r.high_inclusive,
                       r.label, r.filter, r.hit_limit, r.weight if r.HasField("weight") else 100, not r.unranked)
    if kind == "label_wrapper":
        w = message.label_wrapper
        return q.Rank((decode_query(w.child),), w.label, w.score)
    if kind in ("and", "or", "rank"):
        children = tuple(decode_query(c) for c in getattr(message, kind).children)
        return {"and": q.And, "or": q.Or, "rank": q.Rank}[kind](children)
    if kind == "not":
        return q.Not(decode_query(getattr(message, "not").child))
    if kind == "weak_and":
        w = message.weak_and
        return q.WeakAnd(tuple(decode_query(c) for c in w.children), w.target_hits or 100, w.total_target_hits)
    if kind == "nearest_neighbor":
        n = message.nearest_neighbor
        return q.NearestNeighbor(n.field, n.query_tensor, n.target_hits, n.approximate,
                                 n.explore_additional_hits,
                                 n.distance_threshold if n.HasField("distance_threshold") else None,
                                 n.label, n.total_target_hits, n.min_target_hits, tuple(sorted(n.hnsw.items())))
    if kind == "geo_location":
        g = message.geo_location
        return q.GeoLocation(g.field, g.x, g.y, g.radius, g.aspect, g.has_circle,
                             tuple(g.box) if len(g.box) == 4 else None, g.label)
    if kind == "predicate":
        p = message.predicate
        return q.PredicateQuery(p.field, tuple(zip(p.feature_keys, p.feature_values, p.feature_bits)),
                                tuple(zip(p.range_keys, p.range_values, p.range_bits)), p.label)
    if kind == "same_element":
        s = message.same_element
        return q.SameElement(s.field, tuple(decode_query(c) for c in s.children), tuple(s.element_filter), s.label)
    if kind == "true_item":
        return q.TrueItem()
    if kind == "false_item":
        return q.FalseItem()
    raise ValueError("empty query node")


def _is_int64(bound: object) -> bool:
    return isinstance(bound, int) and not isinstance(bound, bool) and -(2**63) <= bound < 2**63


def _bound(item: pb.RangeItem, name: str) -> int | float | None:
    if item.HasField(f"{name}_integer"):
        return getattr(item, f"{name}_integer")
    return getattr(item, name) if item.HasField(name) else None
