"""Rank-profile `mutate`: change mutable attributes of exactly the documents of one query phase.

    on-match         every document the query matched on this node
    on-first-phase   the documents first-phase ranked and not dropped by rank-score-drop-limit
    on-second-phase  the documents in the second-phase heap (the rerank-count best)
    on-summary       the documents whose summary was filled with this profile, only when the
                     profile has summary-features (as in Vespa)

Each operation is one vectorized update under the DocumentDB lock, so concurrent queries never
lose an increment; the store flushes the values (content_node/store/mutable_attributes.py).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from searchlib.schema.model import RankProfile

ON_MATCH = "on-match"
ON_FIRST_PHASE = "on-first-phase"
ON_SECOND_PHASE = "on-second-phase"
ON_SUMMARY = "on-summary"
PHASES = (ON_MATCH, ON_FIRST_PHASE, ON_SECOND_PHASE, ON_SUMMARY)


class MutableStore(Protocol):
    def mutate(self, attribute: str, local_ids: np.ndarray, operator: str, operand: float) -> None: ...


def apply_phase(store: MutableStore, profile: RankProfile, phase: str, local_ids: np.ndarray) -> None:
    """Run the profile's operations of `phase` on `local_ids` (unique local ids of one query)."""
    operations = profile.mutate.get(phase)
    if not operations or not len(local_ids):
        return
    rows = np.unique(np.asarray(local_ids, dtype=np.int64))  # fancy-index += counts a row once
    for operation in operations:
        store.mutate(operation.attribute, rows, operation.operator, operation.value)


def has_summary_mutation(profile: RankProfile) -> bool:
    return bool(profile.mutate.get(ON_SUMMARY)) and bool(profile.summary_features)
