"""The rank-feature registry: every feature family, listed once (as Vespa's setup.cpp registers
its blueprint factories). A family maps feature base names to functions of (calculator, feature,
candidates); later families override earlier names (text's matches(f, n) extends matches(f))."""
from __future__ import annotations

from content_node.matching.collection_dot_product import COLLECTION_FEATURES
from content_node.matching.compound_features import COMPOUND_FEATURES
from content_node.matching.core_features import CORE_FEATURES
from content_node.matching.element_features import ELEMENT_FEATURES
from content_node.matching.feature_api import FeatureFamily, FeatureFunction
from content_node.matching.flow_completeness import FLOW_FEATURES
from content_node.matching.geo_features import GEO_FEATURES
from content_node.matching.label_features import LABEL_FEATURES
from content_node.matching.misc_features import MISC_FEATURES
from content_node.matching.native_dot_product import NATIVE_DOT_PRODUCT_FEATURES
from content_node.matching.native_features import NATIVE_FEATURES
from content_node.matching.path_distance import PATH_FEATURES
from content_node.matching.predicate_features import PREDICATE_FEATURES
from content_node.matching.retrieval_features import RETRIEVAL_FEATURES
from content_node.matching.sequence_features import SEQUENCE_FEATURES
from content_node.matching.struct_tensor import STRUCT_TENSOR_FEATURES
from content_node.matching.text_features import TEXT_FEATURES

# GEO_FEATURES after CORE/RETRIEVAL_FEATURES: distance/closeness of a position field, else the vector
# ones; attribute(pos_zcurve), else the core attribute feature; LABEL_FEATURES' bm25 handles
# `bm25(f,label:l)` and leaves plain bm25(f) to the core one
FAMILIES: tuple[FeatureFamily, ...] = (CORE_FEATURES, RETRIEVAL_FEATURES, GEO_FEATURES, TEXT_FEATURES,
                                       MISC_FEATURES, PREDICATE_FEATURES, COMPOUND_FEATURES, ELEMENT_FEATURES,
                                       LABEL_FEATURES, COLLECTION_FEATURES,
                                       NATIVE_FEATURES, NATIVE_DOT_PRODUCT_FEATURES, PATH_FEATURES, SEQUENCE_FEATURES,
                                       FLOW_FEATURES, STRUCT_TENSOR_FEATURES)

FEATURES: dict[str, FeatureFunction] = {name: function for family in FAMILIES for name, function in family.items()}

KNOWN_FEATURES = frozenset(FEATURES)
