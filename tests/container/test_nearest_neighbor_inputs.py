"""The query tensors a query's nearestNeighbor items need (container/search/query_embedding.py),
found anywhere in the tree, depth first in query order: the first missing one is the 400."""
from __future__ import annotations

from container.search.query_embedding import nearest_neighbors
from searchlib.query import tree as q


def nn(tensor: str) -> q.NearestNeighbor:
    return q.NearestNeighbor("emb", tensor, 10)


def test_every_nearest_neighbor_in_the_tree_in_query_order() -> None:
    tree = q.Or((q.And((q.Term("title", "a"), nn("first"))), q.Rank((nn("second"), q.Not(nn("third")))),
                 nn("fourth")))
    assert [item.query_tensor for item in nearest_neighbors(tree)] == ["first", "second", "third", "fourth"]
    assert [item.query_tensor for item in nearest_neighbors(q.Term("title", "a"))] == []
    assert [item.query_tensor for item in nearest_neighbors(nn("only"))] == ["only"]
