"""`rank f { element-gap: n }` in the rank profile (Vespa's vespa.matching.element_gap.f): between
two elements of the array (or weighted set) f there are n positions, so a phrase or near/onear may
span elements: the last word of one element and the first of the next are n + 1 apart (element-gap
0: as if the elements were one text). Without it (or `infinity`), as in Vespa, nothing spans elements.

The index stores every element a fixed store.inverted_index.ELEMENT_GAP after the previous one and
records no element boundaries, so the documents holding every word are re-tokenized (as the index
tokenized them) to move their positions to the profile's gap. Proximity rank features (fieldMatch
and what is built on it: nativeProximity, textSimilarity; termDistance, fieldTermMatch) read
positions through the same move (FeatureCalculator.position_remap)."""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from content_node.store.inverted_index import ELEMENT_GAP as STORED_GAP
from content_node.store.inverted_index import element_tokens
from searchlib.languages import field_language, language_sources
from searchlib.match_modes import match_mode
from searchlib.schema.model import ELEMENT_GAP, Schema

Remap = Callable[[int, np.ndarray], np.ndarray]  # (local id, stored positions) -> positions at the gap


def element_gap(settings: Mapping[str, str], field: str) -> int | None:
    """The profile's gap for `field`; None: elements never join (the default, and `infinity`)."""
    value = settings.get(f"{ELEMENT_GAP}{field}")
    return None if value is None or value == "infinity" else int(value)


def remapper(schema: Schema, index, field: str, gap: int) -> Remap:
    mode = match_mode(schema.fields[field])
    language_field = language_sources(schema).get(field)
    wanted = (field, language_field) if language_field else (field,)
    starts: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def element_starts(local_id: int) -> tuple[np.ndarray, np.ndarray]:
        if local_id not in starts:
            document = index.document(local_id, wanted) or {}
            language = field_language(document, language_field) if language_field else ""
            lengths = [len(e) for e in element_tokens(document.get(field) or [], language, mode)]
            stored = np.cumsum([0] + [n + STORED_GAP for n in lengths[:-1]]) if lengths else np.zeros(1)
            moved = np.cumsum([0] + [n + gap for n in lengths[:-1]]) if lengths else np.zeros(1)
            starts[local_id] = (np.asarray(stored, dtype=np.int64), np.asarray(moved, dtype=np.int64))
        return starts[local_id]

    def remap(local_id: int, positions: np.ndarray) -> np.ndarray:
        stored, moved = element_starts(local_id)
        element = np.searchsorted(stored, positions, side="right") - 1
        return moved[element] + (np.asarray(positions, dtype=np.int64) - stored[element])

    return remap
