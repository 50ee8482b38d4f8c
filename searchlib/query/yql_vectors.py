"""nearestNeighbor, a layer of the YQL parser (yql.py):

    {targetHits: 10}nearestNeighbor(field, q)                 per content node
    nearestNeighbor(field, q)              parses (target 0), as in Vespa, whose container then
                                           refuses it (field_checks.nearest_neighbor_problem)
    {totalTargetHits: 100, minTargetHits: 20}nearestNeighbor(field, q)   cluster-wide
    {..., approximate: false, hnsw.exploreAdditionalHits: 5, distanceThreshold: 0.5, label: "x",
     hnsw.approximateThreshold: 0.05, ...}                     (tree.HNSW_TUNING)
"""
from __future__ import annotations

import math

from searchlib.query import parameters as params
from searchlib.query.tree import HNSW_TUNING, NearestNeighbor, QueryNode
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor


class YqlVectorParser(YqlValueCursor):
    def _nearest_neighbor(self, annotations: dict[str, object], at: Token) -> QueryNode:
        self.expect_punct("(")
        field = self.expect_ident("a document tensor field name")
        self.expect_punct(",")
        query_tensor = self.expect_ident("a query tensor name")
        self.expect_punct(")")
        total = self._annotation(params.annotation_int, annotations, "totalTargetHits", 0, at, minimum=1)
        least = self._annotation(params.annotation_int, annotations, "minTargetHits", 0, at, minimum=1)
        per_node = max(total, least) if "targetHits" not in annotations else self._annotation(
            params.annotation_int, annotations, "targetHits", 0, at, minimum=1)
        return NearestNeighbor(
            field=field,
            query_tensor=query_tensor,
            target_hits=per_node,
            approximate=self._annotation(params.annotation_bool, annotations, "approximate", True, at),
            explore_additional_hits=self._annotation(
                params.annotation_int, annotations, "hnsw.exploreAdditionalHits", 0, at, minimum=0
            ),
            distance_threshold=self._annotation(
                params.annotation_float, annotations, "distanceThreshold", None, at
            ),
            total_target_hits=0 if "targetHits" in annotations else total,
            min_target_hits=0 if "targetHits" in annotations else least,
            hnsw=tuple(sorted((name, self._hnsw_setting(annotations, name, at))
                              for name in HNSW_TUNING if name in annotations)),
            label=self._annotation(params.annotation_str, annotations, "label", "", at),
        )

    def _hnsw_setting(self, annotations: dict[str, object], name: str, at: Token) -> float:
        value = self._annotation(params.annotation_float, annotations, name, None, at)
        if value is None or value < 0 or math.isinf(value):
            self.fail(f"Annotation '{name}' must be a non-negative number", at.start)
        return value
