from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TensorValue(_message.Message):
    __slots__ = ("type", "values", "cells", "float32_cells", "float64_cells", "block_labels")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    FLOAT32_CELLS_FIELD_NUMBER: _ClassVar[int]
    FLOAT64_CELLS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_LABELS_FIELD_NUMBER: _ClassVar[int]
    type: str
    values: _containers.RepeatedScalarFieldContainer[float]
    cells: _containers.RepeatedCompositeFieldContainer[TensorCell]
    float32_cells: bytes
    float64_cells: bytes
    block_labels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, type: _Optional[str] = ..., values: _Optional[_Iterable[float]] = ..., cells: _Optional[_Iterable[_Union[TensorCell, _Mapping]]] = ..., float32_cells: _Optional[bytes] = ..., float64_cells: _Optional[bytes] = ..., block_labels: _Optional[_Iterable[str]] = ...) -> None: ...

class TensorCell(_message.Message):
    __slots__ = ("address", "value")
    class AddressEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    address: _containers.ScalarMap[str, str]
    value: float
    def __init__(self, address: _Optional[_Mapping[str, str]] = ..., value: _Optional[float] = ...) -> None: ...

class FeatureValue(_message.Message):
    __slots__ = ("scalar", "tensor")
    SCALAR_FIELD_NUMBER: _ClassVar[int]
    TENSOR_FIELD_NUMBER: _ClassVar[int]
    scalar: float
    tensor: TensorValue
    def __init__(self, scalar: _Optional[float] = ..., tensor: _Optional[_Union[TensorValue, _Mapping]] = ...) -> None: ...

class ErrorMessage(_message.Message):
    __slots__ = ("code", "message", "source")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    source: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class Coverage(_message.Message):
    __slots__ = ("docs", "active", "target_active", "degraded_reason", "nodes")
    DOCS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_REASON_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    docs: int
    active: int
    target_active: int
    degraded_reason: int
    nodes: int
    def __init__(self, docs: _Optional[int] = ..., active: _Optional[int] = ..., target_active: _Optional[int] = ..., degraded_reason: _Optional[int] = ..., nodes: _Optional[int] = ...) -> None: ...

class QueryNode(_message.Message):
    __slots__ = ("term", "phrase", "range", "weak_and", "rank", "nearest_neighbor", "true_item", "false_item", "near", "fuzzy", "regex", "equiv", "weighted_tokens", "geo_location", "predicate", "same_element", "label_wrapper")
    TERM_FIELD_NUMBER: _ClassVar[int]
    PHRASE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    AND_FIELD_NUMBER: _ClassVar[int]
    OR_FIELD_NUMBER: _ClassVar[int]
    NOT_FIELD_NUMBER: _ClassVar[int]
    WEAK_AND_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    NEAREST_NEIGHBOR_FIELD_NUMBER: _ClassVar[int]
    TRUE_ITEM_FIELD_NUMBER: _ClassVar[int]
    FALSE_ITEM_FIELD_NUMBER: _ClassVar[int]
    NEAR_FIELD_NUMBER: _ClassVar[int]
    FUZZY_FIELD_NUMBER: _ClassVar[int]
    REGEX_FIELD_NUMBER: _ClassVar[int]
    IN_FIELD_NUMBER: _ClassVar[int]
    EQUIV_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_TOKENS_FIELD_NUMBER: _ClassVar[int]
    GEO_LOCATION_FIELD_NUMBER: _ClassVar[int]
    PREDICATE_FIELD_NUMBER: _ClassVar[int]
    SAME_ELEMENT_FIELD_NUMBER: _ClassVar[int]
    LABEL_WRAPPER_FIELD_NUMBER: _ClassVar[int]
    term: TermItem
    phrase: PhraseItem
    range: RangeItem
    weak_and: WeakAndItem
    rank: Children
    nearest_neighbor: NearestNeighborItem
    true_item: bool
    false_item: bool
    near: NearItem
    fuzzy: FuzzyItem
    regex: RegexItem
    equiv: EquivItem
    weighted_tokens: WeightedTokensItem
    geo_location: GeoLocationItem
    predicate: PredicateItem
    same_element: SameElementItem
    label_wrapper: LabelWrapperItem
    def __init__(self, term: _Optional[_Union[TermItem, _Mapping]] = ..., phrase: _Optional[_Union[PhraseItem, _Mapping]] = ..., range: _Optional[_Union[RangeItem, _Mapping]] = ..., weak_and: _Optional[_Union[WeakAndItem, _Mapping]] = ..., rank: _Optional[_Union[Children, _Mapping]] = ..., nearest_neighbor: _Optional[_Union[NearestNeighborItem, _Mapping]] = ..., true_item: _Optional[bool] = ..., false_item: _Optional[bool] = ..., near: _Optional[_Union[NearItem, _Mapping]] = ..., fuzzy: _Optional[_Union[FuzzyItem, _Mapping]] = ..., regex: _Optional[_Union[RegexItem, _Mapping]] = ..., equiv: _Optional[_Union[EquivItem, _Mapping]] = ..., weighted_tokens: _Optional[_Union[WeightedTokensItem, _Mapping]] = ..., geo_location: _Optional[_Union[GeoLocationItem, _Mapping]] = ..., predicate: _Optional[_Union[PredicateItem, _Mapping]] = ..., same_element: _Optional[_Union[SameElementItem, _Mapping]] = ..., label_wrapper: _Optional[_Union[LabelWrapperItem, _Mapping]] = ..., **kwargs) -> None: ...

class LabelWrapperItem(_message.Message):
    __slots__ = ("child", "label", "score")
    CHILD_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    child: QueryNode
    label: str
    score: float
    def __init__(self, child: _Optional[_Union[QueryNode, _Mapping]] = ..., label: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class SameElementItem(_message.Message):
    __slots__ = ("field", "children", "element_filter", "label")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    ELEMENT_FILTER_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    field: str
    children: _containers.RepeatedCompositeFieldContainer[QueryNode]
    element_filter: _containers.RepeatedScalarFieldContainer[int]
    label: str
    def __init__(self, field: _Optional[str] = ..., children: _Optional[_Iterable[_Union[QueryNode, _Mapping]]] = ..., element_filter: _Optional[_Iterable[int]] = ..., label: _Optional[str] = ...) -> None: ...

class Children(_message.Message):
    __slots__ = ("children",)
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[QueryNode]
    def __init__(self, children: _Optional[_Iterable[_Union[QueryNode, _Mapping]]] = ...) -> None: ...

class NotItem(_message.Message):
    __slots__ = ("child",)
    CHILD_FIELD_NUMBER: _ClassVar[int]
    child: QueryNode
    def __init__(self, child: _Optional[_Union[QueryNode, _Mapping]] = ...) -> None: ...

class TermItem(_message.Message):
    __slots__ = ("field", "term", "weight", "label", "unranked", "filter", "affix", "significance", "item_id", "connects_to", "connectivity", "no_position_data", "document_frequency", "document_count")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    UNRANKED_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    AFFIX_FIELD_NUMBER: _ClassVar[int]
    SIGNIFICANCE_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTS_TO_FIELD_NUMBER: _ClassVar[int]
    CONNECTIVITY_FIELD_NUMBER: _ClassVar[int]
    NO_POSITION_DATA_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    field: str
    term: str
    weight: int
    label: str
    unranked: bool
    filter: bool
    affix: str
    significance: float
    item_id: int
    connects_to: int
    connectivity: float
    no_position_data: bool
    document_frequency: int
    document_count: int
    def __init__(self, field: _Optional[str] = ..., term: _Optional[str] = ..., weight: _Optional[int] = ..., label: _Optional[str] = ..., unranked: _Optional[bool] = ..., filter: _Optional[bool] = ..., affix: _Optional[str] = ..., significance: _Optional[float] = ..., item_id: _Optional[int] = ..., connects_to: _Optional[int] = ..., connectivity: _Optional[float] = ..., no_position_data: _Optional[bool] = ..., document_frequency: _Optional[int] = ..., document_count: _Optional[int] = ...) -> None: ...

class PhraseItem(_message.Message):
    __slots__ = ("field", "terms", "weight", "label", "segment", "unranked", "filter", "significance", "item_id", "connects_to", "connectivity", "no_position_data", "document_frequency", "document_count")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    UNRANKED_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SIGNIFICANCE_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTS_TO_FIELD_NUMBER: _ClassVar[int]
    CONNECTIVITY_FIELD_NUMBER: _ClassVar[int]
    NO_POSITION_DATA_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    field: str
    terms: _containers.RepeatedScalarFieldContainer[str]
    weight: int
    label: str
    segment: bool
    unranked: bool
    filter: bool
    significance: float
    item_id: int
    connects_to: int
    connectivity: float
    no_position_data: bool
    document_frequency: int
    document_count: int
    def __init__(self, field: _Optional[str] = ..., terms: _Optional[_Iterable[str]] = ..., weight: _Optional[int] = ..., label: _Optional[str] = ..., segment: _Optional[bool] = ..., unranked: _Optional[bool] = ..., filter: _Optional[bool] = ..., significance: _Optional[float] = ..., item_id: _Optional[int] = ..., connects_to: _Optional[int] = ..., connectivity: _Optional[float] = ..., no_position_data: _Optional[bool] = ..., document_frequency: _Optional[int] = ..., document_count: _Optional[int] = ...) -> None: ...

class NearItem(_message.Message):
    __slots__ = ("field", "terms", "negative", "distance", "exclusion_distance", "ordered", "weight", "label", "document_frequencies", "document_counts")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    EXCLUSION_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    ORDERED_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FREQUENCIES_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNTS_FIELD_NUMBER: _ClassVar[int]
    field: str
    terms: _containers.RepeatedScalarFieldContainer[str]
    negative: _containers.RepeatedScalarFieldContainer[str]
    distance: int
    exclusion_distance: int
    ordered: bool
    weight: int
    label: str
    document_frequencies: _containers.RepeatedScalarFieldContainer[int]
    document_counts: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, field: _Optional[str] = ..., terms: _Optional[_Iterable[str]] = ..., negative: _Optional[_Iterable[str]] = ..., distance: _Optional[int] = ..., exclusion_distance: _Optional[int] = ..., ordered: _Optional[bool] = ..., weight: _Optional[int] = ..., label: _Optional[str] = ..., document_frequencies: _Optional[_Iterable[int]] = ..., document_counts: _Optional[_Iterable[int]] = ...) -> None: ...

class FuzzyItem(_message.Message):
    __slots__ = ("field", "term", "max_edit_distance", "prefix_length", "prefix", "label", "weight")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    MAX_EDIT_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    field: str
    term: str
    max_edit_distance: int
    prefix_length: int
    prefix: bool
    label: str
    weight: int
    def __init__(self, field: _Optional[str] = ..., term: _Optional[str] = ..., max_edit_distance: _Optional[int] = ..., prefix_length: _Optional[int] = ..., prefix: _Optional[bool] = ..., label: _Optional[str] = ..., weight: _Optional[int] = ...) -> None: ...

class RegexItem(_message.Message):
    __slots__ = ("field", "pattern", "label", "weight")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    field: str
    pattern: str
    label: str
    weight: int
    def __init__(self, field: _Optional[str] = ..., pattern: _Optional[str] = ..., label: _Optional[str] = ..., weight: _Optional[int] = ...) -> None: ...

class InItem(_message.Message):
    __slots__ = ("field", "values", "numeric", "label")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    NUMERIC_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    field: str
    values: _containers.RepeatedScalarFieldContainer[str]
    numeric: bool
    label: str
    def __init__(self, field: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ..., numeric: _Optional[bool] = ..., label: _Optional[str] = ...) -> None: ...

class EquivItem(_message.Message):
    __slots__ = ("field", "terms", "weight", "label", "item_id", "connects_to", "connectivity", "document_frequency", "document_count")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTS_TO_FIELD_NUMBER: _ClassVar[int]
    CONNECTIVITY_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    field: str
    terms: _containers.RepeatedScalarFieldContainer[str]
    weight: int
    label: str
    item_id: int
    connects_to: int
    connectivity: float
    document_frequency: int
    document_count: int
    def __init__(self, field: _Optional[str] = ..., terms: _Optional[_Iterable[str]] = ..., weight: _Optional[int] = ..., label: _Optional[str] = ..., item_id: _Optional[int] = ..., connects_to: _Optional[int] = ..., connectivity: _Optional[float] = ..., document_frequency: _Optional[int] = ..., document_count: _Optional[int] = ...) -> None: ...

class WeightedTokensItem(_message.Message):
    __slots__ = ("operator", "field", "tokens", "weights", "target_hits", "score_threshold", "threshold_boost_factor", "label")
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    TARGET_HITS_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_BOOST_FACTOR_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    operator: str
    field: str
    tokens: _containers.RepeatedScalarFieldContainer[str]
    weights: _containers.RepeatedScalarFieldContainer[int]
    target_hits: int
    score_threshold: float
    threshold_boost_factor: float
    label: str
    def __init__(self, operator: _Optional[str] = ..., field: _Optional[str] = ..., tokens: _Optional[_Iterable[str]] = ..., weights: _Optional[_Iterable[int]] = ..., target_hits: _Optional[int] = ..., score_threshold: _Optional[float] = ..., threshold_boost_factor: _Optional[float] = ..., label: _Optional[str] = ...) -> None: ...

class RangeItem(_message.Message):
    __slots__ = ("field", "low", "high", "low_inclusive", "high_inclusive", "label", "filter", "hit_limit", "low_integer", "high_integer", "weight", "unranked")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    HIGH_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    HIT_LIMIT_FIELD_NUMBER: _ClassVar[int]
    LOW_INTEGER_FIELD_NUMBER: _ClassVar[int]
    HIGH_INTEGER_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    UNRANKED_FIELD_NUMBER: _ClassVar[int]
    field: str
    low: float
    high: float
    low_inclusive: bool
    high_inclusive: bool
    label: str
    filter: bool
    hit_limit: int
    low_integer: int
    high_integer: int
    weight: int
    unranked: bool
    def __init__(self, field: _Optional[str] = ..., low: _Optional[float] = ..., high: _Optional[float] = ..., low_inclusive: _Optional[bool] = ..., high_inclusive: _Optional[bool] = ..., label: _Optional[str] = ..., filter: _Optional[bool] = ..., hit_limit: _Optional[int] = ..., low_integer: _Optional[int] = ..., high_integer: _Optional[int] = ..., weight: _Optional[int] = ..., unranked: _Optional[bool] = ...) -> None: ...

class WeakAndItem(_message.Message):
    __slots__ = ("children", "target_hits", "total_target_hits")
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    TARGET_HITS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TARGET_HITS_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[QueryNode]
    target_hits: int
    total_target_hits: int
    def __init__(self, children: _Optional[_Iterable[_Union[QueryNode, _Mapping]]] = ..., target_hits: _Optional[int] = ..., total_target_hits: _Optional[int] = ...) -> None: ...

class GeoLocationItem(_message.Message):
    __slots__ = ("field", "x", "y", "radius", "aspect", "has_circle", "box", "label")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    X_FIELD_NUMBER: _ClassVar[int]
    Y_FIELD_NUMBER: _ClassVar[int]
    RADIUS_FIELD_NUMBER: _ClassVar[int]
    ASPECT_FIELD_NUMBER: _ClassVar[int]
    HAS_CIRCLE_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    field: str
    x: int
    y: int
    radius: int
    aspect: int
    has_circle: bool
    box: _containers.RepeatedScalarFieldContainer[int]
    label: str
    def __init__(self, field: _Optional[str] = ..., x: _Optional[int] = ..., y: _Optional[int] = ..., radius: _Optional[int] = ..., aspect: _Optional[int] = ..., has_circle: _Optional[bool] = ..., box: _Optional[_Iterable[int]] = ..., label: _Optional[str] = ...) -> None: ...

class PredicateItem(_message.Message):
    __slots__ = ("field", "feature_keys", "feature_values", "feature_bits", "range_keys", "range_values", "range_bits", "label")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    FEATURE_KEYS_FIELD_NUMBER: _ClassVar[int]
    FEATURE_VALUES_FIELD_NUMBER: _ClassVar[int]
    FEATURE_BITS_FIELD_NUMBER: _ClassVar[int]
    RANGE_KEYS_FIELD_NUMBER: _ClassVar[int]
    RANGE_VALUES_FIELD_NUMBER: _ClassVar[int]
    RANGE_BITS_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    field: str
    feature_keys: _containers.RepeatedScalarFieldContainer[str]
    feature_values: _containers.RepeatedScalarFieldContainer[str]
    feature_bits: _containers.RepeatedScalarFieldContainer[int]
    range_keys: _containers.RepeatedScalarFieldContainer[str]
    range_values: _containers.RepeatedScalarFieldContainer[int]
    range_bits: _containers.RepeatedScalarFieldContainer[int]
    label: str
    def __init__(self, field: _Optional[str] = ..., feature_keys: _Optional[_Iterable[str]] = ..., feature_values: _Optional[_Iterable[str]] = ..., feature_bits: _Optional[_Iterable[int]] = ..., range_keys: _Optional[_Iterable[str]] = ..., range_values: _Optional[_Iterable[int]] = ..., range_bits: _Optional[_Iterable[int]] = ..., label: _Optional[str] = ...) -> None: ...

class NearestNeighborItem(_message.Message):
    __slots__ = ("field", "query_tensor", "target_hits", "approximate", "explore_additional_hits", "distance_threshold", "label", "total_target_hits", "min_target_hits", "hnsw")
    class HnswEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    FIELD_FIELD_NUMBER: _ClassVar[int]
    QUERY_TENSOR_FIELD_NUMBER: _ClassVar[int]
    TARGET_HITS_FIELD_NUMBER: _ClassVar[int]
    APPROXIMATE_FIELD_NUMBER: _ClassVar[int]
    EXPLORE_ADDITIONAL_HITS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TARGET_HITS_FIELD_NUMBER: _ClassVar[int]
    MIN_TARGET_HITS_FIELD_NUMBER: _ClassVar[int]
    HNSW_FIELD_NUMBER: _ClassVar[int]
    field: str
    query_tensor: str
    target_hits: int
    approximate: bool
    explore_additional_hits: int
    distance_threshold: float
    label: str
    total_target_hits: int
    min_target_hits: int
    hnsw: _containers.ScalarMap[str, float]
    def __init__(self, field: _Optional[str] = ..., query_tensor: _Optional[str] = ..., target_hits: _Optional[int] = ..., approximate: _Optional[bool] = ..., explore_additional_hits: _Optional[int] = ..., distance_threshold: _Optional[float] = ..., label: _Optional[str] = ..., total_target_hits: _Optional[int] = ..., min_target_hits: _Optional[int] = ..., hnsw: _Optional[_Mapping[str, float]] = ...) -> None: ...

class SortKey(_message.Message):
    __slots__ = ("field", "ascending", "function", "strength", "locale")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    ASCENDING_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    STRENGTH_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    field: str
    ascending: bool
    function: str
    strength: str
    locale: str
    def __init__(self, field: _Optional[str] = ..., ascending: _Optional[bool] = ..., function: _Optional[str] = ..., strength: _Optional[str] = ..., locale: _Optional[str] = ...) -> None: ...

class SortValue(_message.Message):
    __slots__ = ("number", "text", "integer")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    INTEGER_FIELD_NUMBER: _ClassVar[int]
    number: float
    text: str
    integer: int
    def __init__(self, number: _Optional[float] = ..., text: _Optional[str] = ..., integer: _Optional[int] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("schema", "rank_profile", "app_generation", "query", "query_features", "hits", "timeout_ms", "trace_level", "sorting", "rerank_count", "keep_rank_count", "rank_score_drop_limit", "second_phase_rank_score_drop_limit", "match_phase_max_hits", "now", "grouping", "rank_properties", "explain", "corpus_statistics", "with_summaries", "summary_class", "no_bolding", "streaming_selection", "match_phase", "packed_reply")
    class QueryFeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: FeatureValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[FeatureValue, _Mapping]] = ...) -> None: ...
    class RankPropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class MatchPhaseEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    RANK_PROFILE_FIELD_NUMBER: _ClassVar[int]
    APP_GENERATION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    QUERY_FEATURES_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    TRACE_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SORTING_FIELD_NUMBER: _ClassVar[int]
    RERANK_COUNT_FIELD_NUMBER: _ClassVar[int]
    KEEP_RANK_COUNT_FIELD_NUMBER: _ClassVar[int]
    RANK_SCORE_DROP_LIMIT_FIELD_NUMBER: _ClassVar[int]
    SECOND_PHASE_RANK_SCORE_DROP_LIMIT_FIELD_NUMBER: _ClassVar[int]
    MATCH_PHASE_MAX_HITS_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    RANK_PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    CORPUS_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    WITH_SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_CLASS_FIELD_NUMBER: _ClassVar[int]
    NO_BOLDING_FIELD_NUMBER: _ClassVar[int]
    STREAMING_SELECTION_FIELD_NUMBER: _ClassVar[int]
    MATCH_PHASE_FIELD_NUMBER: _ClassVar[int]
    PACKED_REPLY_FIELD_NUMBER: _ClassVar[int]
    schema: str
    rank_profile: str
    app_generation: str
    query: QueryNode
    query_features: _containers.MessageMap[str, FeatureValue]
    hits: int
    timeout_ms: int
    trace_level: int
    sorting: _containers.RepeatedCompositeFieldContainer[SortKey]
    rerank_count: int
    keep_rank_count: int
    rank_score_drop_limit: float
    second_phase_rank_score_drop_limit: float
    match_phase_max_hits: int
    now: float
    grouping: str
    rank_properties: _containers.ScalarMap[str, str]
    explain: bool
    corpus_statistics: CorpusStatistics
    with_summaries: bool
    summary_class: str
    no_bolding: bool
    streaming_selection: str
    match_phase: _containers.ScalarMap[str, str]
    packed_reply: bool
    def __init__(self, schema: _Optional[str] = ..., rank_profile: _Optional[str] = ..., app_generation: _Optional[str] = ..., query: _Optional[_Union[QueryNode, _Mapping]] = ..., query_features: _Optional[_Mapping[str, FeatureValue]] = ..., hits: _Optional[int] = ..., timeout_ms: _Optional[int] = ..., trace_level: _Optional[int] = ..., sorting: _Optional[_Iterable[_Union[SortKey, _Mapping]]] = ..., rerank_count: _Optional[int] = ..., keep_rank_count: _Optional[int] = ..., rank_score_drop_limit: _Optional[float] = ..., second_phase_rank_score_drop_limit: _Optional[float] = ..., match_phase_max_hits: _Optional[int] = ..., now: _Optional[float] = ..., grouping: _Optional[str] = ..., rank_properties: _Optional[_Mapping[str, str]] = ..., explain: _Optional[bool] = ..., corpus_statistics: _Optional[_Union[CorpusStatistics, _Mapping]] = ..., with_summaries: _Optional[bool] = ..., summary_class: _Optional[str] = ..., no_bolding: _Optional[bool] = ..., streaming_selection: _Optional[str] = ..., match_phase: _Optional[_Mapping[str, str]] = ..., packed_reply: _Optional[bool] = ...) -> None: ...

class LeanHit(_message.Message):
    __slots__ = ("global_id", "relevance", "match_features", "sort_values", "phases")
    class MatchFeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: FeatureValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[FeatureValue, _Mapping]] = ...) -> None: ...
    GLOBAL_ID_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    MATCH_FEATURES_FIELD_NUMBER: _ClassVar[int]
    SORT_VALUES_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    global_id: bytes
    relevance: float
    match_features: _containers.MessageMap[str, FeatureValue]
    sort_values: _containers.RepeatedCompositeFieldContainer[SortValue]
    phases: HitPhases
    def __init__(self, global_id: _Optional[bytes] = ..., relevance: _Optional[float] = ..., match_features: _Optional[_Mapping[str, FeatureValue]] = ..., sort_values: _Optional[_Iterable[_Union[SortValue, _Mapping]]] = ..., phases: _Optional[_Union[HitPhases, _Mapping]] = ...) -> None: ...

class HitPhases(_message.Message):
    __slots__ = ("first_phase", "first_phase_rank", "second_phase_ran", "reranked", "node_score", "node_rank")
    FIRST_PHASE_FIELD_NUMBER: _ClassVar[int]
    FIRST_PHASE_RANK_FIELD_NUMBER: _ClassVar[int]
    SECOND_PHASE_RAN_FIELD_NUMBER: _ClassVar[int]
    RERANKED_FIELD_NUMBER: _ClassVar[int]
    NODE_SCORE_FIELD_NUMBER: _ClassVar[int]
    NODE_RANK_FIELD_NUMBER: _ClassVar[int]
    first_phase: float
    first_phase_rank: int
    second_phase_ran: bool
    reranked: bool
    node_score: float
    node_rank: int
    def __init__(self, first_phase: _Optional[float] = ..., first_phase_rank: _Optional[int] = ..., second_phase_ran: _Optional[bool] = ..., reranked: _Optional[bool] = ..., node_score: _Optional[float] = ..., node_rank: _Optional[int] = ...) -> None: ...

class NodePhases(_message.Message):
    __slots__ = ("matched", "first_phase_ranked", "kept", "reranked", "returned", "timings")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    FIRST_PHASE_RANKED_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    RERANKED_FIELD_NUMBER: _ClassVar[int]
    RETURNED_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    matched: int
    first_phase_ranked: int
    kept: int
    reranked: int
    returned: int
    timings: _containers.RepeatedCompositeFieldContainer[PhaseTiming]
    def __init__(self, matched: _Optional[int] = ..., first_phase_ranked: _Optional[int] = ..., kept: _Optional[int] = ..., reranked: _Optional[int] = ..., returned: _Optional[int] = ..., timings: _Optional[_Iterable[_Union[PhaseTiming, _Mapping]]] = ...) -> None: ...

class PhaseTiming(_message.Message):
    __slots__ = ("phase", "ms")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    MS_FIELD_NUMBER: _ClassVar[int]
    phase: str
    ms: float
    def __init__(self, phase: _Optional[str] = ..., ms: _Optional[float] = ...) -> None: ...

class SearchReply(_message.Message):
    __slots__ = ("distribution_key", "hits", "total_hit_count", "coverage", "errors", "trace", "generation", "grouping", "phases", "docsums")
    DISTRIBUTION_KEY_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_HIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    TRACE_FIELD_NUMBER: _ClassVar[int]
    GENERATION_FIELD_NUMBER: _ClassVar[int]
    GROUPING_FIELD_NUMBER: _ClassVar[int]
    PHASES_FIELD_NUMBER: _ClassVar[int]
    DOCSUMS_FIELD_NUMBER: _ClassVar[int]
    distribution_key: int
    hits: _containers.RepeatedCompositeFieldContainer[LeanHit]
    total_hit_count: int
    coverage: Coverage
    errors: _containers.RepeatedCompositeFieldContainer[ErrorMessage]
    trace: _containers.RepeatedScalarFieldContainer[str]
    generation: int
    grouping: GroupValue
    phases: NodePhases
    docsums: _containers.RepeatedCompositeFieldContainer[Docsum]
    def __init__(self, distribution_key: _Optional[int] = ..., hits: _Optional[_Iterable[_Union[LeanHit, _Mapping]]] = ..., total_hit_count: _Optional[int] = ..., coverage: _Optional[_Union[Coverage, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[ErrorMessage, _Mapping]]] = ..., trace: _Optional[_Iterable[str]] = ..., generation: _Optional[int] = ..., grouping: _Optional[_Union[GroupValue, _Mapping]] = ..., phases: _Optional[_Union[NodePhases, _Mapping]] = ..., docsums: _Optional[_Iterable[_Union[Docsum, _Mapping]]] = ...) -> None: ...

class GroupValue(_message.Message):
    __slots__ = ("integer", "number", "text", "aggregates", "lists", "hits", "integer_aggregates")
    class AggregatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    class IntegerAggregatesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    INTEGER_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AGGREGATES_FIELD_NUMBER: _ClassVar[int]
    LISTS_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    INTEGER_AGGREGATES_FIELD_NUMBER: _ClassVar[int]
    integer: int
    number: float
    text: str
    aggregates: _containers.ScalarMap[str, float]
    lists: _containers.RepeatedCompositeFieldContainer[GroupListValue]
    hits: _containers.RepeatedCompositeFieldContainer[GroupHitValue]
    integer_aggregates: _containers.ScalarMap[str, int]
    def __init__(self, integer: _Optional[int] = ..., number: _Optional[float] = ..., text: _Optional[str] = ..., aggregates: _Optional[_Mapping[str, float]] = ..., lists: _Optional[_Iterable[_Union[GroupListValue, _Mapping]]] = ..., hits: _Optional[_Iterable[_Union[GroupHitValue, _Mapping]]] = ..., integer_aggregates: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GroupListValue(_message.Message):
    __slots__ = ("label", "groups")
    LABEL_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    label: str
    groups: _containers.RepeatedCompositeFieldContainer[GroupValue]
    def __init__(self, label: _Optional[str] = ..., groups: _Optional[_Iterable[_Union[GroupValue, _Mapping]]] = ...) -> None: ...

class GroupHitValue(_message.Message):
    __slots__ = ("global_id", "relevance")
    GLOBAL_ID_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    global_id: bytes
    relevance: float
    def __init__(self, global_id: _Optional[bytes] = ..., relevance: _Optional[float] = ...) -> None: ...

class FieldStatistics(_message.Message):
    __slots__ = ("field", "documents", "total_length")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LENGTH_FIELD_NUMBER: _ClassVar[int]
    field: str
    documents: int
    total_length: int
    def __init__(self, field: _Optional[str] = ..., documents: _Optional[int] = ..., total_length: _Optional[int] = ...) -> None: ...

class TermDocumentFrequency(_message.Message):
    __slots__ = ("field", "term", "documents")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    field: str
    term: str
    documents: int
    def __init__(self, field: _Optional[str] = ..., term: _Optional[str] = ..., documents: _Optional[int] = ...) -> None: ...

class CorpusStatistics(_message.Message):
    __slots__ = ("documents", "fields", "terms")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    documents: int
    fields: _containers.RepeatedCompositeFieldContainer[FieldStatistics]
    terms: _containers.RepeatedCompositeFieldContainer[TermDocumentFrequency]
    def __init__(self, documents: _Optional[int] = ..., fields: _Optional[_Iterable[_Union[FieldStatistics, _Mapping]]] = ..., terms: _Optional[_Iterable[_Union[TermDocumentFrequency, _Mapping]]] = ...) -> None: ...

class TermStatisticsRequest(_message.Message):
    __slots__ = ("schema", "query", "app_generation")
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    APP_GENERATION_FIELD_NUMBER: _ClassVar[int]
    schema: str
    query: QueryNode
    app_generation: str
    def __init__(self, schema: _Optional[str] = ..., query: _Optional[_Union[QueryNode, _Mapping]] = ..., app_generation: _Optional[str] = ...) -> None: ...

class TermStatisticsReply(_message.Message):
    __slots__ = ("statistics", "errors")
    STATISTICS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    statistics: CorpusStatistics
    errors: _containers.RepeatedCompositeFieldContainer[ErrorMessage]
    def __init__(self, statistics: _Optional[_Union[CorpusStatistics, _Mapping]] = ..., errors: _Optional[_Iterable[_Union[ErrorMessage, _Mapping]]] = ...) -> None: ...

class DocsumRequest(_message.Message):
    __slots__ = ("schema", "summary_class", "rank_profile", "global_ids", "query", "query_features", "app_generation", "now", "as_of", "rank_properties", "corpus_statistics", "no_bolding")
    class QueryFeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: FeatureValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[FeatureValue, _Mapping]] = ...) -> None: ...
    class RankPropertiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_CLASS_FIELD_NUMBER: _ClassVar[int]
    RANK_PROFILE_FIELD_NUMBER: _ClassVar[int]
    GLOBAL_IDS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    QUERY_FEATURES_FIELD_NUMBER: _ClassVar[int]
    APP_GENERATION_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    RANK_PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    CORPUS_STATISTICS_FIELD_NUMBER: _ClassVar[int]
    NO_BOLDING_FIELD_NUMBER: _ClassVar[int]
    schema: str
    summary_class: str
    rank_profile: str
    global_ids: _containers.RepeatedScalarFieldContainer[bytes]
    query: QueryNode
    query_features: _containers.MessageMap[str, FeatureValue]
    app_generation: str
    now: float
    as_of: int
    rank_properties: _containers.ScalarMap[str, str]
    corpus_statistics: CorpusStatistics
    no_bolding: bool
    def __init__(self, schema: _Optional[str] = ..., summary_class: _Optional[str] = ..., rank_profile: _Optional[str] = ..., global_ids: _Optional[_Iterable[bytes]] = ..., query: _Optional[_Union[QueryNode, _Mapping]] = ..., query_features: _Optional[_Mapping[str, FeatureValue]] = ..., app_generation: _Optional[str] = ..., now: _Optional[float] = ..., as_of: _Optional[int] = ..., rank_properties: _Optional[_Mapping[str, str]] = ..., corpus_statistics: _Optional[_Union[CorpusStatistics, _Mapping]] = ..., no_bolding: _Optional[bool] = ...) -> None: ...

class Docsum(_message.Message):
    __slots__ = ("global_id", "document_id", "fields_json", "summary_features", "fields_plain")
    class SummaryFeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: FeatureValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[FeatureValue, _Mapping]] = ...) -> None: ...
    GLOBAL_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FEATURES_FIELD_NUMBER: _ClassVar[int]
    FIELDS_PLAIN_FIELD_NUMBER: _ClassVar[int]
    global_id: bytes
    document_id: str
    fields_json: str
    summary_features: _containers.MessageMap[str, FeatureValue]
    fields_plain: bool
    def __init__(self, global_id: _Optional[bytes] = ..., document_id: _Optional[str] = ..., fields_json: _Optional[str] = ..., summary_features: _Optional[_Mapping[str, FeatureValue]] = ..., fields_plain: _Optional[bool] = ...) -> None: ...

class DocsumReply(_message.Message):
    __slots__ = ("docsums", "errors")
    DOCSUMS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    docsums: _containers.RepeatedCompositeFieldContainer[Docsum]
    errors: _containers.RepeatedCompositeFieldContainer[ErrorMessage]
    def __init__(self, docsums: _Optional[_Iterable[_Union[Docsum, _Mapping]]] = ..., errors: _Optional[_Iterable[_Union[ErrorMessage, _Mapping]]] = ...) -> None: ...

class PutRequest(_message.Message):
    __slots__ = ("document_id", "fields_json", "condition", "create", "timestamp", "origin", "tested_base", "replica_copy")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    TESTED_BASE_FIELD_NUMBER: _ClassVar[int]
    REPLICA_COPY_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    fields_json: str
    condition: str
    create: bool
    timestamp: int
    origin: int
    tested_base: int
    replica_copy: bool
    def __init__(self, document_id: _Optional[str] = ..., fields_json: _Optional[str] = ..., condition: _Optional[str] = ..., create: _Optional[bool] = ..., timestamp: _Optional[int] = ..., origin: _Optional[int] = ..., tested_base: _Optional[int] = ..., replica_copy: _Optional[bool] = ...) -> None: ...

class UpdateRequest(_message.Message):
    __slots__ = ("document_id", "operations_json", "create", "condition", "timestamp", "tested_base")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TESTED_BASE_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    operations_json: str
    create: bool
    condition: str
    timestamp: int
    tested_base: int
    def __init__(self, document_id: _Optional[str] = ..., operations_json: _Optional[str] = ..., create: _Optional[bool] = ..., condition: _Optional[str] = ..., timestamp: _Optional[int] = ..., tested_base: _Optional[int] = ...) -> None: ...

class RemoveRequest(_message.Message):
    __slots__ = ("document_id", "condition", "timestamp", "tested_base")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TESTED_BASE_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    condition: str
    timestamp: int
    tested_base: int
    def __init__(self, document_id: _Optional[str] = ..., condition: _Optional[str] = ..., timestamp: _Optional[int] = ..., tested_base: _Optional[int] = ...) -> None: ...

class ProbeRequest(_message.Message):
    __slots__ = ("document_id", "condition", "create")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    CREATE_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    condition: str
    create: bool
    def __init__(self, document_id: _Optional[str] = ..., condition: _Optional[str] = ..., create: _Optional[bool] = ...) -> None: ...

class FeedReply(_message.Message):
    __slots__ = ("ok", "found", "error", "sequence", "condition_failed", "base_timestamp", "unsynced")
    OK_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FAILED_FIELD_NUMBER: _ClassVar[int]
    BASE_TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UNSYNCED_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    found: bool
    error: ErrorMessage
    sequence: int
    condition_failed: bool
    base_timestamp: int
    unsynced: bool
    def __init__(self, ok: _Optional[bool] = ..., found: _Optional[bool] = ..., error: _Optional[_Union[ErrorMessage, _Mapping]] = ..., sequence: _Optional[int] = ..., condition_failed: _Optional[bool] = ..., base_timestamp: _Optional[int] = ..., unsynced: _Optional[bool] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("document_id",)
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    def __init__(self, document_id: _Optional[str] = ...) -> None: ...

class GetReply(_message.Message):
    __slots__ = ("found", "fields_json", "timestamp", "removed", "origin")
    FOUND_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    found: bool
    fields_json: str
    timestamp: int
    removed: bool
    origin: int
    def __init__(self, found: _Optional[bool] = ..., fields_json: _Optional[str] = ..., timestamp: _Optional[int] = ..., removed: _Optional[bool] = ..., origin: _Optional[int] = ...) -> None: ...

class PingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PingReply(_message.Message):
    __slots__ = ("distribution_key", "active_docs", "app_generation", "ready", "last_sequence", "state", "catch_up_remaining", "write_error", "synced_from", "disk_usage", "memory_usage", "search_port", "unsynced_from", "synced_at")
    DISTRIBUTION_KEY_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_DOCS_FIELD_NUMBER: _ClassVar[int]
    APP_GENERATION_FIELD_NUMBER: _ClassVar[int]
    READY_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CATCH_UP_REMAINING_FIELD_NUMBER: _ClassVar[int]
    WRITE_ERROR_FIELD_NUMBER: _ClassVar[int]
    SYNCED_FROM_FIELD_NUMBER: _ClassVar[int]
    DISK_USAGE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_USAGE_FIELD_NUMBER: _ClassVar[int]
    SEARCH_PORT_FIELD_NUMBER: _ClassVar[int]
    UNSYNCED_FROM_FIELD_NUMBER: _ClassVar[int]
    SYNCED_AT_FIELD_NUMBER: _ClassVar[int]
    distribution_key: int
    active_docs: int
    app_generation: str
    ready: bool
    last_sequence: int
    state: str
    catch_up_remaining: int
    write_error: str
    synced_from: str
    disk_usage: float
    memory_usage: float
    search_port: int
    unsynced_from: str
    synced_at: int
    def __init__(self, distribution_key: _Optional[int] = ..., active_docs: _Optional[int] = ..., app_generation: _Optional[str] = ..., ready: _Optional[bool] = ..., last_sequence: _Optional[int] = ..., state: _Optional[str] = ..., catch_up_remaining: _Optional[int] = ..., write_error: _Optional[str] = ..., synced_from: _Optional[str] = ..., disk_usage: _Optional[float] = ..., memory_usage: _Optional[float] = ..., search_port: _Optional[int] = ..., unsynced_from: _Optional[str] = ..., synced_at: _Optional[int] = ...) -> None: ...

class SyncRequest(_message.Message):
    __slots__ = ("peers", "resync", "unreachable", "sole_copy")
    PEERS_FIELD_NUMBER: _ClassVar[int]
    RESYNC_FIELD_NUMBER: _ClassVar[int]
    UNREACHABLE_FIELD_NUMBER: _ClassVar[int]
    SOLE_COPY_FIELD_NUMBER: _ClassVar[int]
    peers: _containers.RepeatedScalarFieldContainer[str]
    resync: bool
    unreachable: _containers.RepeatedScalarFieldContainer[str]
    sole_copy: bool
    def __init__(self, peers: _Optional[_Iterable[str]] = ..., resync: _Optional[bool] = ..., unreachable: _Optional[_Iterable[str]] = ..., sole_copy: _Optional[bool] = ...) -> None: ...

class SyncReply(_message.Message):
    __slots__ = ("accepted", "state")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    accepted: bool
    state: str
    def __init__(self, accepted: _Optional[bool] = ..., state: _Optional[str] = ...) -> None: ...

class ListDocumentsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DocumentChecksum(_message.Message):
    __slots__ = ("document_id", "checksum")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    checksum: int
    def __init__(self, document_id: _Optional[str] = ..., checksum: _Optional[int] = ...) -> None: ...

class ListDocumentsReply(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[DocumentChecksum]
    def __init__(self, documents: _Optional[_Iterable[_Union[DocumentChecksum, _Mapping]]] = ...) -> None: ...

class FetchDocumentsRequest(_message.Message):
    __slots__ = ("document_ids",)
    DOCUMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    document_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, document_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class FetchedDocument(_message.Message):
    __slots__ = ("document_id", "found", "fields_json", "timestamp", "origin")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    found: bool
    fields_json: str
    timestamp: int
    origin: int
    def __init__(self, document_id: _Optional[str] = ..., found: _Optional[bool] = ..., fields_json: _Optional[str] = ..., timestamp: _Optional[int] = ..., origin: _Optional[int] = ...) -> None: ...

class FetchDocumentsReply(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[FetchedDocument]
    def __init__(self, documents: _Optional[_Iterable[_Union[FetchedDocument, _Mapping]]] = ...) -> None: ...

class MergeRequest(_message.Message):
    __slots__ = ("peers",)
    PEERS_FIELD_NUMBER: _ClassVar[int]
    peers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, peers: _Optional[_Iterable[str]] = ...) -> None: ...

class MergeReply(_message.Message):
    __slots__ = ("buckets_differing", "documents_compared", "pulled", "pushed", "error")
    BUCKETS_DIFFERING_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_COMPARED_FIELD_NUMBER: _ClassVar[int]
    PULLED_FIELD_NUMBER: _ClassVar[int]
    PUSHED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    buckets_differing: int
    documents_compared: int
    pulled: int
    pushed: int
    error: str
    def __init__(self, buckets_differing: _Optional[int] = ..., documents_compared: _Optional[int] = ..., pulled: _Optional[int] = ..., pushed: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class BucketChecksumsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class BucketChecksum(_message.Message):
    __slots__ = ("schema", "bucket", "checksum")
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    CHECKSUM_FIELD_NUMBER: _ClassVar[int]
    schema: str
    bucket: int
    checksum: int
    def __init__(self, schema: _Optional[str] = ..., bucket: _Optional[int] = ..., checksum: _Optional[int] = ...) -> None: ...

class BucketChecksumsReply(_message.Message):
    __slots__ = ("buckets",)
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[BucketChecksum]
    def __init__(self, buckets: _Optional[_Iterable[_Union[BucketChecksum, _Mapping]]] = ...) -> None: ...

class BucketEntriesRequest(_message.Message):
    __slots__ = ("buckets",)
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[BucketChecksum]
    def __init__(self, buckets: _Optional[_Iterable[_Union[BucketChecksum, _Mapping]]] = ...) -> None: ...

class VersionEntry(_message.Message):
    __slots__ = ("document_id", "timestamp", "removed", "origin")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    timestamp: int
    removed: bool
    origin: int
    def __init__(self, document_id: _Optional[str] = ..., timestamp: _Optional[int] = ..., removed: _Optional[bool] = ..., origin: _Optional[int] = ...) -> None: ...

class BucketEntriesReply(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[VersionEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[VersionEntry, _Mapping]]] = ...) -> None: ...

class VisitRequest(_message.Message):
    __slots__ = ("document_type", "namespace", "selection", "after_global_id", "max_documents", "slices", "slice_id")
    DOCUMENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    SELECTION_FIELD_NUMBER: _ClassVar[int]
    AFTER_GLOBAL_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    SLICES_FIELD_NUMBER: _ClassVar[int]
    SLICE_ID_FIELD_NUMBER: _ClassVar[int]
    document_type: str
    namespace: str
    selection: str
    after_global_id: bytes
    max_documents: int
    slices: int
    slice_id: int
    def __init__(self, document_type: _Optional[str] = ..., namespace: _Optional[str] = ..., selection: _Optional[str] = ..., after_global_id: _Optional[bytes] = ..., max_documents: _Optional[int] = ..., slices: _Optional[int] = ..., slice_id: _Optional[int] = ...) -> None: ...

class VisitedDocument(_message.Message):
    __slots__ = ("global_id", "document_id", "fields_json")
    GLOBAL_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    global_id: bytes
    document_id: str
    fields_json: str
    def __init__(self, global_id: _Optional[bytes] = ..., document_id: _Optional[str] = ..., fields_json: _Optional[str] = ...) -> None: ...

class VisitReply(_message.Message):
    __slots__ = ("documents", "exhausted", "scanned_to")
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    EXHAUSTED_FIELD_NUMBER: _ClassVar[int]
    SCANNED_TO_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[VisitedDocument]
    exhausted: bool
    scanned_to: bytes
    def __init__(self, documents: _Optional[_Iterable[_Union[VisitedDocument, _Mapping]]] = ..., exhausted: _Optional[bool] = ..., scanned_to: _Optional[bytes] = ...) -> None: ...

class FeedOperation(_message.Message):
    __slots__ = ("put", "update", "remove", "probe")
    PUT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    PROBE_FIELD_NUMBER: _ClassVar[int]
    put: PutRequest
    update: UpdateRequest
    remove: RemoveRequest
    probe: ProbeRequest
    def __init__(self, put: _Optional[_Union[PutRequest, _Mapping]] = ..., update: _Optional[_Union[UpdateRequest, _Mapping]] = ..., remove: _Optional[_Union[RemoveRequest, _Mapping]] = ..., probe: _Optional[_Union[ProbeRequest, _Mapping]] = ...) -> None: ...

class FeedBatchRequest(_message.Message):
    __slots__ = ("operations",)
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[FeedOperation]
    def __init__(self, operations: _Optional[_Iterable[_Union[FeedOperation, _Mapping]]] = ...) -> None: ...

class FeedBatchReply(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[FeedReply]
    def __init__(self, replies: _Optional[_Iterable[_Union[FeedReply, _Mapping]]] = ...) -> None: ...
