"""The one hit order (searchlib.hits): merging per-node lists equals sorting everything, for the
rank order and for sort specifications (relevance asc/desc, attributes, mixed, NaN, missing), and
the content node's vectorized order agrees with the merge key."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.hits import (LeanHit, hit_key, hit_sort_key, is_rank_order, merge_hits, order_rows, sort_hits,
                            sort_value, top_k_indices)
from searchlib.query.tree import SortKey

relevance = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from([0.0, 1.0, 2.0]))
gid = st.binary(min_size=12, max_size=12)
number = st.one_of(st.just(math.nan), st.integers(-3, 3).map(float), st.floats(allow_nan=True, width=64))
text = st.one_of(st.none(), st.sampled_from(["", "a", "B", "b", "émile", "zz"]))

# attribute columns of the generated rows: "n" numeric, "s" string
sort_key = st.builds(SortKey, st.sampled_from(["[relevance]", "[rank]", "n", "s"]), st.booleans())
sortings = st.one_of(st.just(()), st.lists(sort_key, min_size=1, max_size=3).map(tuple))


@st.composite
def rows(draw):
    return draw(st.lists(st.tuples(gid, relevance, number, text), max_size=40, unique_by=lambda r: r[0]))


def lean(row, sorting) -> LeanHit:
    """A hit as a node builds it: the sort values of the sort keys, relevance in sort data too."""
    g, rel, n, s = row
    values = {"n": n, "s": s}
    data = tuple(float(rel) if k.field.startswith("[") else sort_value(values[k.field]) for k in sorting)
    return LeanHit(g, rel, sort_data=data if sorting else ())


def split(draw, hits, nodes):
    lists = [[] for _ in range(nodes)]
    for hit in hits:
        lists[draw(st.integers(0, nodes - 1))].append(hit)
    return lists


@given(rows(), sortings, st.integers(1, 5), st.integers(0, 50), st.data())
@settings(max_examples=250, deadline=None)
def test_merging_sorted_node_lists_equals_sorting_everything(data_rows, sorting, nodes, k, data):
    hits = [lean(r, sorting) for r in data_rows]
    lists = [sort_hits(lst, sorting)[:k] for lst in split(data.draw, hits, nodes)]
    expected = sort_hits(hits, sorting)[:k]
    assert [h.global_id for h in merge_hits(lists, sorting, k)] == [h.global_id for h in expected]
    assert merge_hits(list(reversed(lists)), sorting, k) == merge_hits(lists, sorting, k)


@given(rows(), sortings, st.integers(0, 50))
@settings(max_examples=200, deadline=None)
def test_the_node_vectorized_order_equals_the_merge_key(data_rows, sorting, k):
    scores = np.array([r[1] for r in data_rows], dtype=np.float64)
    columns = {"n": np.array([r[2] for r in data_rows], dtype=np.float64),
               "s": np.array([r[3] for r in data_rows], dtype=object)}
    gids = [r[0] for r in data_rows]
    order = order_rows(sorting, scores, columns.__getitem__, gids, k).tolist()
    expected = sort_hits([lean(r, sorting) for r in data_rows], sorting)[:k]
    assert [gids[i] for i in order] == [h.global_id for h in expected]


def test_replicas_of_one_hit_are_merged_once():
    a, b = LeanHit(b"a" * 12, 2.0), LeanHit(b"b" * 12, 1.0)
    for sorting in [(), (SortKey("[relevance]", True),)]:
        both = sort_hits([a, b], sorting)
        assert merge_hits([both, both], sorting, 5) == both


def test_rank_order_is_relevance_descending_only():
    assert is_rank_order(()) and is_rank_order((SortKey("[relevance]", False), SortKey("[rank]", False)))
    assert not is_rank_order((SortKey("[relevance]", True),))
    assert not is_rank_order((SortKey("[relevance]", False), SortKey("n", True)))


def test_relevance_ascending_is_the_reverse_of_the_rank_order_nan_as_minus_infinity():
    hits = [LeanHit(bytes([i]) * 12, r) for i, r in enumerate([3.0, math.nan, 1.0, 2.0, -math.inf])]
    ascending = sort_hits(hits, (SortKey("[relevance]", True),))
    assert [h.global_id[0] for h in ascending] == [1, 4, 2, 3, 0]  # NaN ≡ -inf, ties by gid
    assert [h.global_id[0] for h in sort_hits(hits)] == [0, 3, 2, 1, 4]
    assert hit_key((SortKey("[rank]", False),)) is hit_sort_key


def test_nan_sorts_last_and_ties_break_by_global_id():
    hits = [LeanHit(b"b" * 12, 1.0), LeanHit(b"a" * 12, 1.0), LeanHit(b"c" * 12, math.nan), LeanHit(b"d" * 12, 2.0)]
    ordered = sorted(hits, key=hit_sort_key)
    assert [h.global_id[:1] for h in ordered] == [b"d", b"a", b"b", b"c"]


def test_missing_attribute_values_sort_last_in_both_directions():
    for ascending in (True, False):
        hits = [LeanHit(b"1" * 12, 0.0, sort_data=(None,)), LeanHit(b"2" * 12, 0.0, sort_data=("b",)),
                LeanHit(b"3" * 12, 0.0, sort_data=("a",))]
        ordered = [h.global_id[:1] for h in sort_hits(hits, (SortKey("s", ascending),))]
        assert ordered == ([b"3", b"2", b"1"] if ascending else [b"2", b"3", b"1"])


@given(st.lists(st.tuples(st.one_of(st.floats(min_value=-5, max_value=5), st.just(math.nan), st.just(1.0)), gid),
                max_size=50, unique_by=lambda t: t[1]), st.integers(0, 60))
@settings(max_examples=200, deadline=None)
def test_top_k_indices_equals_full_sort(data_rows, k):
    scores = np.array([r[0] for r in data_rows], dtype=np.float64)
    gids = [r[1] for r in data_rows]
    expected = sorted(range(len(data_rows)), key=lambda i: hit_sort_key(LeanHit(gids[i], scores[i])))[:k]
    assert top_k_indices(scores, gids, k).tolist() == expected
