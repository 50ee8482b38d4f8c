"""A content node's hit order is the one order of searchlib.hits: for random documents (missing
values, NaN relevance) and random sort specifications, the node's hits are the first k of sorting
every document's hit with that order — so the dispatcher's merge of node lists is exact."""
from __future__ import annotations

import math
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ranking_support import RankingBed
from searchlib.hits import LeanHit, sort_hits, sort_value
from searchlib.query.tree import SortKey
from searchlib.wire.hits_codec import decode_sort_values, encode_sort_values

SD = """schema doc {
    document doc {
        field r type double { indexing: attribute }
        field n type double { indexing: attribute }
        field s type string { indexing: attribute }
    }
    rank-profile by_r {
        first-phase { expression: attribute(r) }
    }
}
"""

_doc = st.fixed_dictionaries({}, optional={"r": st.integers(-3, 3).map(float), "n": st.integers(-3, 3).map(float),
                                           "s": st.sampled_from(["", "a", "B", "b", "émile", "zz"])})
_key = st.builds(SortKey, st.sampled_from(["[relevance]", "[rank]", "n", "s"]), st.booleans())


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(_doc, max_size=20), sorting=st.one_of(st.just(()), st.lists(_key, min_size=1, max_size=3)),
       hits=st.integers(0, 25))
def test_node_hits_are_the_first_k_of_the_one_order(docs, sorting, hits):
    sorting = tuple(sorting)
    with tempfile.TemporaryDirectory() as tmp:
        bed = RankingBed(SD, docs, Path(tmp))
        try:
            outcome = bed.search("by_r", hits=hits, sorting=sorting)
            number = {gid: int(doc_id.rsplit(":", 1)[1]) for gid, doc_id in bed.ids.items()}
        finally:
            bed.close()
    everything = []
    for gid, i in number.items():
        relevance = docs[i].get("r", math.nan)  # an unset double attribute is NaN
        # an empty string is stored as unset (as in Vespa, where unset is "")
        data = tuple(relevance if k.field.startswith("[") else sort_value(_unset_if_empty(docs[i].get(k.field)))
                     for k in sorting)
        everything.append(LeanHit(gid, relevance, sort_data=data))
    expected = sort_hits(everything, sorting)[:hits]
    assert [h.global_id for h in outcome.hits] == [h.global_id for h in expected]


def _unset_if_empty(value):
    return None if value == "" else value


def test_missing_values_survive_the_wire():
    assert decode_sort_values(encode_sort_values(("x", None, 2.5))) == ("x", None, 2.5)
