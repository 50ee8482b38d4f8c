from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.hits import LeanHit, hit_sort_key, merge_sorted_by, merge_top_k, top_k_indices

relevance = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from([0.0, 1.0, 2.0]))
gid = st.binary(min_size=12, max_size=12)


@st.composite
def node_lists(draw):
    hits = draw(st.lists(st.builds(LeanHit, global_id=gid, relevance=relevance), max_size=60,
                         unique_by=lambda h: h.global_id))
    nodes = draw(st.integers(min_value=1, max_value=5))
    lists = [[] for _ in range(nodes)]
    for i, hit in enumerate(hits):
        lists[draw(st.integers(0, nodes - 1))].append(hit)
    return [sorted(lst, key=hit_sort_key) for lst in lists]


@given(node_lists(), st.integers(min_value=0, max_value=80))
@settings(max_examples=300, deadline=None)
def test_merging_node_top_k_equals_sort_all_then_slice(lists, k):
    everything = sorted((h for lst in lists for h in lst), key=hit_sort_key)
    merged = merge_top_k([lst[:k] for lst in lists], k)
    assert [h.global_id for h in merged] == [h.global_id for h in everything[:k]]


@given(node_lists(), st.integers(min_value=1, max_value=30))
@settings(max_examples=100, deadline=None)
def test_merge_is_order_independent(lists, k):
    forward = merge_top_k(lists, k)
    backward = merge_top_k(list(reversed(lists)), k)
    assert forward == backward


def test_nan_sorts_last_and_ties_break_by_global_id():
    hits = [LeanHit(b"b" * 12, 1.0), LeanHit(b"a" * 12, 1.0), LeanHit(b"c" * 12, math.nan), LeanHit(b"d" * 12, 2.0)]
    ordered = sorted(hits, key=hit_sort_key)
    assert [h.global_id[:1] for h in ordered] == [b"d", b"a", b"b", b"c"]


@given(st.lists(st.tuples(st.one_of(st.floats(min_value=-5, max_value=5), st.just(math.nan), st.just(1.0)), gid),
                max_size=50, unique_by=lambda t: t[1]), st.integers(0, 60))
@settings(max_examples=200, deadline=None)
def test_top_k_indices_equals_full_sort(rows, k):
    scores = np.array([r[0] for r in rows], dtype=np.float64)
    gids = [r[1] for r in rows]
    expected = sorted(range(len(rows)), key=lambda i: hit_sort_key(LeanHit(gids[i], scores[i])))[:k]
    assert top_k_indices(scores, gids, k).tolist() == expected


def test_merge_sorted_by_descending_strings_and_numbers():
    a = [LeanHit(b"1" * 12, 0.0, sort_data=("z", 1.0)), LeanHit(b"2" * 12, 0.0, sort_data=("b", 5.0))]
    b = [LeanHit(b"3" * 12, 0.0, sort_data=("m", 2.0))]
    merged = merge_sorted_by([a, b], [False, True], 3)
    assert [h.sort_data[0] for h in merged] == ["z", "m", "b"]
