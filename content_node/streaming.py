"""Streaming mode on a node: a query searches only the documents of the group it names (Vespa's
`streaming.groupname`, `streaming.userid`, `streaming.selection`), given as one document selection
the container built (container/search/streaming.py). Documents are checked one by one, as Vespa
streams a group's documents; the selection is evaluated on the id alone unless it names fields."""
from __future__ import annotations

import numpy as np

from searchlib.selection import Selection
from searchlib.selection.tree import FieldRef, walk


def within(index, selection_text: str, candidates: np.ndarray) -> np.ndarray:
    if not selection_text:
        return candidates
    selection = Selection.parse(selection_text)
    needs_fields = any(isinstance(node, FieldRef) for node in walk(selection.tree))
    keep = [row for row in candidates.tolist()
            if selection.matches(index.document_id(row), index.document(row) if needs_fields else {})]
    return np.asarray(keep, dtype=candidates.dtype)
