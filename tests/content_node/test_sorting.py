"""Sort keys on a content node agree with the container's merge key, for numbers, strings and
missing values, so a merge of per-node sorted lists equals one sort of everything."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from content_node.sorting import sort_key_column, sort_value
from searchlib.hits import LeanHit, merge_sorted_by, sort_order_key
from searchlib.wire.hits_codec import decode_sort_values, encode_sort_values

_strings = st.one_of(st.none(), st.sampled_from(["a", "B", "b", "émile", "zz", ""]))
_numbers = st.one_of(st.just(math.nan), st.integers(-5, 5).map(float))


def _node_order(rows: list[tuple], ascending: list[bool], gids: list[bytes]) -> list[int]:
    columns = [np.array([r[k] for r in rows], dtype=object if k == 0 else np.float64) for k in range(2)]
    keys = [sort_key_column(columns[k], ascending[k]) for k in reversed(range(2))]
    tie = np.argsort(np.argsort(np.array(gids, dtype="S4")))
    return np.lexsort([tie, *keys]).tolist()


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(_strings, _numbers), max_size=25), ascending=st.lists(st.booleans(), min_size=2,
                                                                                      max_size=2),
       nodes=st.integers(1, 3))
def test_node_sort_then_merge_equals_one_sort(rows, ascending, nodes):
    gids = [i.to_bytes(4, "big") for i in range(len(rows))]

    def lean(i: int) -> LeanHit:
        values = tuple(sort_value(v) for v in rows[i])
        return LeanHit(gids[i], 0.0, sort_data=decode_sort_values(encode_sort_values(values)))

    whole = [lean(i) for i in _node_order(rows, ascending, gids)]
    ids = [h.global_id for h in whole]  # (NaN sort values make hits compare unequal to themselves)
    assert ids == [h.global_id for h in sorted(whole, key=lambda h: sort_order_key(h, ascending))]
    per_node = []
    for n in range(nodes):
        mine = [i for i in range(len(rows)) if i % nodes == n]
        order = _node_order([rows[i] for i in mine], ascending, [gids[i] for i in mine])
        per_node.append([lean(mine[i]) for i in order])
    assert [h.global_id for h in merge_sorted_by(per_node, ascending, len(rows))] == ids


def test_missing_values_sort_last_in_both_directions():
    strings = np.array(["b", None, "a"], dtype=object)
    assert np.argsort(sort_key_column(strings, True)).tolist() == [2, 0, 1]
    assert np.argsort(sort_key_column(strings, False)).tolist() == [0, 2, 1]
    numbers = np.array([1.0, math.nan, 3.0])
    assert np.argsort(sort_key_column(numbers, False)).tolist() == [2, 0, 1]
    assert decode_sort_values(encode_sort_values(("x", None, 2.5))) == ("x", None, 2.5)
