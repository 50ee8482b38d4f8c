"""Match-phase limiting and diversity on one node, against selections worked out by hand.

Local ids 0..5: popularity 5, (none = 0), 9, 3, 9, 1; category a, a, b, a, b, c.
Descending by popularity (ties by local id): 2, 4, 0, 3, 5, 1.
"""
from __future__ import annotations

import numpy as np
import pytest

from content_node.match_phase import diverse_first, limit
from searchlib.schema.match_phase import Diversity, MatchPhase


class Index:
    def attribute(self, name: str) -> np.ndarray:
        return {"popularity": np.array([5.0, np.nan, 9.0, 3.0, 9.0, 1.0]),
                "category": np.array(["a", "a", "b", "a", "b", "c"], dtype=object)}[name]


ALL = np.arange(6)


@pytest.mark.parametrize("phase, candidates, expected", [
    (MatchPhase("popularity", 3), ALL, [0, 2, 4]),  # 9, 9, 5
    (MatchPhase("popularity", 3, ascending=True), ALL, [1, 3, 5]),  # 0 (no value), 1, 3
    (MatchPhase("popularity", 1), ALL, [2]),  # a tie at 9: the lower local id
    (MatchPhase("popularity", 2), np.array([0, 1, 3, 5]), [0, 3]),  # among the matches only
    (MatchPhase("popularity", 6), ALL, [0, 1, 2, 3, 4, 5]),  # few enough match: no limit
    (MatchPhase("popularity", 3, diversity=Diversity("category", 3)), ALL, [0, 2, 5]),  # one per category
    (MatchPhase("popularity", 4, diversity=Diversity("category", 2)), ALL, [0, 2, 3, 4]),  # two per category
    # strict: only cutoff-factor * max-hits = 3 documents are scanned (2, 4, 0), 4 is a second b
    (MatchPhase("popularity", 3, diversity=Diversity("category", 3, cutoff_factor=1.0, strict=True)), ALL, [0, 2]),
])
def test_limit_keeps_the_best_by_the_attribute(phase, candidates, expected) -> None:
    assert limit(Index(), phase, candidates).tolist() == expected


def test_no_match_phase_changes_nothing() -> None:
    assert limit(Index(), None, ALL) is ALL


def test_diverse_first_puts_the_rerank_set_first_in_first_phase_order() -> None:
    rows = np.array([2, 4, 0, 3, 5, 1])  # first-phase order; categories b b a a c a
    assert diverse_first(Index(), Diversity("category", 3), rows, 3).tolist() == [0, 2, 4, 1, 3, 5]
    assert diverse_first(Index(), Diversity("category", 1), rows, 2).tolist() == [0, 1, 2, 3, 4, 5]


def test_total_max_hits_uses_this_nodes_share() -> None:
    phase = MatchPhase("popularity", None, total_max_hits=4)
    assert limit(Index(), phase, ALL, 2).tolist() == [2, 4]  # the container's share: 9, 9
    assert limit(Index(), phase, ALL).tolist() == [0, 2, 3, 4]  # alone: all of the total


def test_the_share_crosses_the_wire() -> None:
    from searchlib.query.tree import Term
    from searchlib.wire.search_codec import SearchCall, decode_search_call, encode_search_call

    call = SearchCall(schema="s", rank_profile="p", query=Term("t", "x"), hits=10, timeout_ms=100,
                      match_phase_max_hits=5)
    assert decode_search_call(encode_search_call(call)).match_phase_max_hits == 5
    assert decode_search_call(encode_search_call(SearchCall("s", "p", Term("t", "x"), 10, 100))) \
        .match_phase_max_hits is None
