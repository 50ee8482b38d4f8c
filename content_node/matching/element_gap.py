"""`rank f { element-gap: n }` in the rank profile (Vespa's vespa.matching.element_gap.f): between
two elements of the array (or weighted set) f there are n positions, so a phrase or near/onear may
span elements: the last word of one element and the first of the next are n + 1 apart (element-gap
0: as if the elements were one text). Without it (or `infinity`), as in Vespa, nothing spans elements.

The index stores every element a fixed ELEMENT_GAP after the previous one and keeps each document's
element lengths (store/element_layout.py), so a document's positions move to the profile's gap with
no document read again. fieldMatch and what is built on it (textSimilarity) read positions through
the same move (FeatureCalculator.position_remap); nativeProximity moves all candidates' at once
(native_features.py). termDistance and fieldTermMatch read each occurrence's element and position
within it instead (elements_of), as Vespa's match data holds them."""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from content_node.store.element_layout import ELEMENT_GAP as STORED_GAP
from searchlib.schema.model import ELEMENT_GAP

Remap = Callable[[int, np.ndarray], np.ndarray]  # (local id, stored positions) -> positions at the gap
# candidates (sorted local ids) -> (rows into them, those rows' stored positions) -> positions at the gap
Mover = Callable[[np.ndarray], Callable[[np.ndarray, np.ndarray], np.ndarray]]
APART = 1 << 40  # the step between elements when they never join: beyond any near distance


def element_gap(settings: Mapping[str, str], field: str) -> int | None:
    """The profile's gap for `field`; None: elements never join (the default, and `infinity`)."""
    value = settings.get(f"{ELEMENT_GAP}{field}")
    return None if value is None or value == "infinity" else int(value)


def remapper(index, field: str, gap: int) -> Remap:
    """A document's stored positions moved to `gap` between its elements (`index`: the index reads,
    with element_layout)."""
    starts: dict[int, np.ndarray] = {}

    def remap(local_id: int, positions: np.ndarray) -> np.ndarray:
        if local_id not in starts:
            starts[local_id] = index.element_layout(field, np.array([local_id], dtype=np.int64)).starts
        element = np.searchsorted(starts[local_id], positions, side="right") - 1
        return np.asarray(positions, dtype=np.int64) - element * (STORED_GAP - gap)

    return remap


Elements = Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def elements_of(index, field: str, collection: bool) -> Elements:
    """(element ordinal, position within the element, element length) of a document's stored
    positions: Vespa's TermFieldMatchDataPosition (element id, position, element length), which
    termDistance and fieldTermMatch read. A single value is element 0 of the field's length."""
    def of(local_id: int, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        positions = np.asarray(positions, dtype=np.int64)
        if not collection:
            length = int(index.field_lengths(field)[local_id])
            return np.zeros(len(positions), dtype=np.int64), positions, np.full(len(positions), length)
        layout = index.element_layout(field, np.array([local_id], dtype=np.int64))
        element = np.searchsorted(layout.starts, positions, side="right") - 1
        return element, positions - layout.starts[element], layout.lengths[element]

    return of


def mover(index, field: str, gap: int | None) -> Mover:
    """All candidates' stored positions moved at once (one element-layout lookup): to `gap` between
    elements, or with None (no gap, `infinity`) so far apart that near/onear never spans two
    elements, as in Vespa (the stored gap is only STORED_GAP: a longer distance would)."""
    step = APART if gap is None else gap - STORED_GAP

    def of(candidates: np.ndarray) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        layout = index.element_layout(field, np.asarray(candidates, dtype=np.int64))

        def move(rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
            ordinal = layout.ordinal(layout.locate(rows, positions), rows)
            return np.asarray(positions, dtype=np.int64) + ordinal * step

        return move

    return of
