"""The rank features the engine knows, what their arguments must name, and the type they produce.

Used by the type checker (searchlib.schema.typecheck) when an application package loads. A rank
feature is `name(args).output`; features not listed here are errors at load time, as in Vespa.
"""
from __future__ import annotations

# features whose first argument names a field of the schema (index or attribute)
FIELD_FEATURES = frozenset({
    "fieldMatch", "textSimilarity", "matches", "matchCount", "fieldLength", "fieldTermMatch", "termDistance",
    "averageFieldLength", "rawScore", "subqueries",
})
# fieldMatch(f).<output>, as content_node/matching/text_features.py computes them ("match" is fieldMatch(f))
FIELD_MATCH_OUTPUTS = frozenset({
    "match", "matches", "queryCompleteness", "fieldCompleteness", "completeness", "proximity", "orderness",
    "relatedness", "earliness", "longestSequence", "longestSequenceRatio", "segments", "segmentProximity",
    "segmentDistance", "outOfOrder", "gaps", "gapLength", "head", "tail", "occurrence", "absoluteOccurrence",
    "weightedOccurrence", "weightedAbsoluteOccurrence", "significantOccurrence", "unweightedProximity",
    "degradedMatches", "weight", "significance", "importance",
})
# fieldTermMatch(f, n).<output> (fieldtermmatchfeature.cpp), as content_node/matching/text_features.py computes them
FIELD_TERM_MATCH_OUTPUTS = ("firstPosition", "lastPosition", "occurrences", "weight", "exactness")
OUTPUTS_CHECKED = frozenset({"fieldMatch", "fieldTermMatch"})  # their outputs checked at load: field_match_problem
# features whose argument must be an index (text) field
INDEX_FIELD_FEATURES = frozenset({"bm25", "bm25_for_labels", "queryTermDocumentFrequency", "elementSimilarity",
                                  "flowCompleteness"})
# the named arguments each feature takes after its field (`bm25(f, label: l)`, written `label:l`)
NAMED_ARGUMENTS = {"bm25": frozenset({"label"})}
# features whose argument must be an attribute field
ATTRIBUTE_FEATURES = frozenset({"attribute", "freshness", "age", "attributeMatch"})
# features over all or some fields (optional field arguments)
OPTIONAL_FIELDS_FEATURES = frozenset({"nativeRank", "nativeFieldMatch", "nativeProximity", "nativeAttributeMatch",
                                      "nativeDotProduct"})
# `closeness(field, f)`, `closeness(label, l)`, `closeness(f)`
VECTOR_FEATURES = frozenset({"closeness", "distance", "closest"})
# scalar features without field arguments
SCALAR_FEATURES = frozenset({
    "query", "now", "random", "queryTermCount", "num_docs_indexed", "term", "itemRawScore",
    "firstPhase", "secondPhase", "relevanceScore", "firstPhaseRank", "firstPhaseMax", "constant", "matchCount",
    "foreach", "elementwise", "match", "randomNormal", "randomNormalStable", "globalSequence",
})
# Vespa features this engine does not compute: a load error naming them beats a failure per query
UNSUPPORTED_FEATURES = frozenset({
    "value",
})
# features over multi-value and position fields (searchlib/schema/collection_feature_types.py)
COLLECTION_FEATURES = frozenset({"dotProduct", "tensorFromWeightedSet", "tensorFromLabels", "distanceToPath",
                                 "elementCompleteness", "tensorFromStructs"})
# features whose type is a fixed tensor type
FIXED_TENSOR_FEATURES = {"queryTermDocumentFrequency": "tensor(term{})", "bm25_for_labels": "tensor(label{})"}
# elementwise(feature, dimension[, cell type]): the features with an elementwise form
ELEMENTWISE_FEATURES = frozenset({"bm25"})
# foreach's arguments: dimension, variable, feature, condition, operation
FOREACH_DIMENSIONS = frozenset({"terms", "fields", "attributes"})
FOREACH_OPERATIONS = frozenset({"sum", "product", "average", "max", "min", "count"})
# features producing tensors whose type depends on the model or the arguments (not checked)
TENSOR_FEATURES = frozenset({
    "onnx", "onnxModel", "onnx_vespa", "closest", "tokenInputIds", "tokenTypeIds", "tokenAttentionMask",
    "customTokenInputIds", "embed",
})
TREE_MODELS = frozenset({"xgboost", "lightgbm"})
ONNX_FEATURES = frozenset({"onnx", "onnxModel", "onnx_vespa"})
# global-phase-only cross-hit normalizers (RankProfile.verifyNoNormalizers)
NORMALIZERS = frozenset({"normalize_linear", "reciprocal_rank", "reciprocal_rank_fusion"})
# features of one phase that are not available in that phase or an earlier one
PHASE_FEATURES = {"firstPhase": 1, "secondPhase": 2}  # available from phase number > value

KNOWN_FEATURES = (FIELD_FEATURES | INDEX_FIELD_FEATURES | ATTRIBUTE_FEATURES | OPTIONAL_FIELDS_FEATURES
                  | VECTOR_FEATURES | SCALAR_FEATURES | TENSOR_FEATURES | TREE_MODELS | COLLECTION_FEATURES)


def field_match_problem(schema, name: str, args: list[str], bound: set[str], output: str) -> str | None:
    """What is wrong with fieldMatch(f).output or fieldTermMatch(f, n).output: an unknown output
    (a load error, not a 400 on every query), or fieldMatch's f an array or weighted set
    (fieldmatchfeature.h takes indexField(SINGLE): Vespa refuses it at deploy)."""
    if output and output not in (FIELD_MATCH_OUTPUTS if name == "fieldMatch" else FIELD_TERM_MATCH_OUTPUTS):
        return f"{name} has no output '{output}'"
    if name != "fieldMatch":
        return None
    spec = schema.fields.get(args[0]) if args and args[0] not in bound else None
    if spec is not None and spec.type.kind in ("array", "weightedset"):
        return f"fieldMatch({args[0]}): '{args[0]}' is not a single-value field (Vespa's indexField(SINGLE))"
    return None
