"""The rank profile's `weakand { stopword-limit adjust-target allow-drop-all }` on one node
(Vespa's StopWordStrategy, rank properties vespa.matching.weakand.*). A rate r in [0, 1) is a
number of documents: floor(r × the node's document count); 1 (or no setting) disables it.

- stopword-limit: a term of the weakAnd whose documents are more than the limit is dropped from
  its matching (it is still a query term for ranking). When every term would go, the rarest stays,
  unless `allow-drop-all: true`, when the weakAnd matches nothing.
- adjust-target: the term whose document count is closest to the limit sets a threshold: a
  document matching only terms with more documents than that term is not a candidate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from searchlib.java_numbers import parse_double

DISABLED = -1


@dataclass(frozen=True, slots=True)
class StopWords:
    keep: tuple[bool, ...]  # per term: still matched
    rare_enough: int  # a candidate must match a kept term with at most this many documents; -1: any


def _absolute(settings: Mapping[str, str], key: str, doc_count: int) -> int:
    if key not in settings:
        return DISABLED
    rate = parse_double(settings[key])  # validated at load (searchlib.schema.profiles), read the same way
    return int(rate * doc_count) if 0.0 <= rate < 1.0 else DISABLED


def stop_words(hit_counts: Sequence[int], doc_count: int, settings: Mapping[str, str]) -> StopWords:
    drop = _absolute(settings, "weakand.stopword-limit", doc_count)
    keep = [drop == DISABLED or hits <= drop for hits in hit_counts]
    allow_drop_all = settings.get("weakand.allow-drop-all", "false").strip().lower() in ("true", "on")
    if hit_counts and not any(keep) and not allow_drop_all:
        keep[int(np.argmin(hit_counts))] = True  # the rarest term stays
    adjust = _absolute(settings, "weakand.adjust-target", doc_count)
    kept = [hits for hits, k in zip(hit_counts, keep) if k]
    rare_enough = DISABLED
    if adjust != DISABLED and kept:
        rare_enough = min(kept, key=lambda hits: (abs(hits - adjust), hits))
    return StopWords(tuple(keep), rare_enough)
