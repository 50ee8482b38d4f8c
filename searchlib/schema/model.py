"""The resolved application model both processes load. Values only: the parser and compiler
(`searchlib.schema.parser`, `.compiler`) produce it; content nodes and the container read it.

Rank-profile inheritance is already flattened here: a RankProfile holds everything it inherited.
Expressions are kept as source text plus location; `searchlib.expression` parses them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from searchlib.errors import SourceLocation
from searchlib.rank_tables import RANK_TYPE_TABLES
from searchlib.schema.clients import DataPlaneClient
from searchlib.sort_functions import DEFAULT_SORT_SETTINGS, SortSettings

if TYPE_CHECKING:
    from searchlib.schema.query_profiles import QueryProfile

NOWHERE = SourceLocation("<builtin>", 0, 0)


class _EmptyMapping(Mapping):
    """An empty read-only mapping that is hashable: dataclasses refuse unhashable defaults
    (a MappingProxyType default raises "mutable default ... use default_factory")."""

    __slots__ = ()

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and len(other) == 0

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"


EMPTY: Mapping = _EmptyMapping()


@dataclass(frozen=True, slots=True)
class FieldType:
    """`kind` is one of string, int, long, float, double, float16, bool, byte, raw, array, weightedset,
    tensor, struct (a declared struct or annotation, by name: Schema.structs) and map."""

    kind: str
    element: "FieldType | None" = None  # for array / weightedset; the value type of a map
    tensor_type: str = ""  # for tensor: the canonical type spec, e.g. "tensor<float>(x[384])"
    struct_name: str = ""  # for struct
    key: "FieldType | None" = None  # for map
    document_type: str = ""  # for reference: the parent document type of `reference<type>`

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("int", "long", "float", "double", "float16", "byte", "bool")

    def __str__(self) -> str:
        if self.kind in ("array", "weightedset"):
            return f"{self.kind}<{self.element}>"
        if self.kind == "map":
            return f"map<{self.key},{self.element}>"
        if self.kind == "struct":
            return self.struct_name
        if self.kind == "annotationreference":
            return f"annotationreference<{self.struct_name}>"
        if self.kind == "reference":
            return f"reference<{self.document_type}>"
        if self.kind == "tensor":
            return self.tensor_type
        return self.kind


@dataclass(frozen=True, slots=True)
class HnswParams:
    max_links_per_node: int = 16
    neighbors_to_explore_at_insert: int = 200


@dataclass(frozen=True, slots=True)
class ImportedFrom:
    """Where an imported field (`import field reference.field as name {}`) reads its values: the
    child's reference field, and the field of that reference's (global) parent document type."""

    reference: str
    field: str
    document_type: str


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    indexing: str = ""  # the indexing script as written, e.g. "summary | index"
    is_index: bool = False
    is_attribute: bool = False
    is_summary: bool = False
    in_document: bool = True  # False for synthetic fields outside the `document` block
    attribute_properties: frozenset[str] = frozenset()  # fast-search, mutable, paged, ...
    distance_metric: str = "euclidean"
    hnsw: HnswParams | None = None  # set when a tensor field has `index`
    match: str = "text"  # text | exact | word | prefix | ...
    rank_filter: bool = False  # `rank: filter`
    bm25_enabled: bool = False  # `index: enable-bm25`
    location: SourceLocation = NOWHERE
    input_fields: tuple[str, ...] = ()  # document fields the indexing script reads (`input f`)
    weight: int = 100  # `weight: n` (nativeRank)
    aliases: tuple[str, ...] = ()
    # other field settings as written: stemming, normalizing, bolding, rank-type, summary, match.*, ...
    settings: Mapping[str, str] = EMPTY
    # the field's `summary` elements: its own summary (name == field name) and any extra named one
    summaries: tuple["SummaryField", ...] = ()
    # a struct-field (`persons.name`, `m.key`, `m.value.weight`): the document field it is read from;
    # its values are derived from that field's (searchlib.struct_values), it is never fed itself
    parent: str = ""
    # an imported field: resolved through the reference at query time (content_node/imported_fields.py)
    imported: ImportedFrom | None = None
    sorting: SortSettings = DEFAULT_SORT_SETTINGS  # `attribute { sorting: ... }` (string sort function)
    # `linguistics { profile … }`: (index | search, profile name, where); resolved at load into the
    # `analysis.index` / `analysis.search` settings (schema.linguistics_profiles)
    linguistics: tuple[tuple[str, str, SourceLocation], ...] = ()
    # `match: prefix|substring|suffix` as written, and where: only streaming search reads them
    # (match_modes.streaming_algorithm: a streaming type's node matches words by it)
    match_algorithms: tuple[tuple[str, SourceLocation], ...] = ()

    @property
    def is_mutable(self) -> bool:
        return "mutable" in self.attribute_properties


@dataclass(frozen=True, slots=True)
class StructType:
    """A `struct` (or `annotation`, whose fields make an implicit struct) with inheritance flattened."""

    name: str
    fields: tuple[tuple[str, FieldType], ...]
    location: SourceLocation = NOWHERE
    annotation: bool = False

    def field_type(self, name: str) -> FieldType | None:
        return next((t for n, t in self.fields if n == name), None)


@dataclass(frozen=True, slots=True)
class FieldSet:
    name: str
    fields: tuple[str, ...]
    location: SourceLocation = NOWHERE
    match: str = ""  # `match: exact` on the fieldset; "" when not set
    exact_terminator: str = ""  # its own `exact-terminator`; "" when not set (the first field's applies)
    phrase_segmenting: bool | None = None  # its own `query-command: phrase-segmenting`; None when not set


# Summary sources that are not document fields: every summary renders `sddocname`, and the default
# summary also renders `documentid` (a custom summary only when it lists `summary documentid {}`).
BUILTIN_SUMMARY_SOURCES = frozenset({"sddocname", "documentid"})


@dataclass(frozen=True, slots=True)
class SummaryField:
    """How one summary field renders its source (searchlib/snippets.py): as is, as a dynamic
    snippet, with the query's words in `<hi>` (bolding), as the indexed tokens, or only the
    elements of an array / weighted set that matched."""

    name: str
    sources: tuple[str, ...]  # the document fields it is taken from (usually just its own name)
    dynamic: bool = False
    bolding: bool = False
    tokens: bool = False
    matched_elements_only: bool = False


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    name: str
    fields: tuple[SummaryField, ...]
    omit_summary_features: bool = False
    from_disk: bool = False
    location: SourceLocation = NOWHERE


@dataclass(frozen=True, slots=True)
class Expression:
    """An expression as written in the schema, with where it was written."""

    text: str
    location: SourceLocation = NOWHERE

    def location_at(self, offset: int) -> SourceLocation:
        """The source position of character `offset` of `text` (for errors inside an expression)."""
        before = self.text[:offset]
        newlines = before.count("\n")
        if newlines == 0:
            return SourceLocation(self.location.file, self.location.line, self.location.column + offset)
        return SourceLocation(self.location.file, self.location.line + newlines, offset - before.rfind("\n"))


@dataclass(frozen=True, slots=True)
class RankFunction:
    name: str
    parameters: tuple[str, ...]
    expression: Expression
    inline: bool = False


@dataclass(frozen=True, slots=True)
class RankPhase:
    expression: Expression
    rerank_count: int | None = None  # second-phase, global-phase
    keep_rank_count: int | None = None  # first-phase
    rank_score_drop_limit: float | None = None
    # across all content nodes searched: each node takes ceil(total / nodes) (searchlib.phase_counts)
    total_rerank_count: int | None = None  # second-phase
    total_keep_rank_count: int | None = None  # first-phase


@dataclass(frozen=True, slots=True)
class RankInput:
    """A declared input: name is the feature, e.g. "query(q)"; type_spec "double", "float", "int", "long"
    (all four doubles, as in Vespa), "string" (hashed, as string attributes are) or a tensor type."""

    name: str
    type_spec: str = "double"
    default: str | None = None  # the default value as written (number or tensor literal)
    location: SourceLocation = NOWHERE


@dataclass(frozen=True, slots=True)
class RankConstant:
    name: str  # e.g. "constant(w)" or "w"
    type_spec: str = "double"
    value: str = ""  # literal as written, or "file:path"
    location: SourceLocation = NOWHERE


@dataclass(frozen=True, slots=True)
class MutateOperation:
    attribute: str
    operator: str  # "=", "+=", "-="
    value: float


@dataclass(frozen=True, slots=True)
class OnnxModel:
    name: str
    file: str
    inputs: tuple[tuple[str, str], ...] = ()  # (onnx input name, source expression)
    outputs: tuple[tuple[str, str], ...] = ()  # (onnx output name, alias)
    gpu_device: int | None = None
    intraop_threads: int | None = None
    interop_threads: int | None = None
    execution_mode: str | None = None
    location: SourceLocation = NOWHERE
    batch_size: int | None = None  # `batch-size: n` (ours): hits per ONNX call in the global phase


# `rank-type: t` on a field and `rank-type f: t` in a profile: the nativeRank boost tables of the
# field (searchlib/rank_tables.py); Vespa's RankType, `default` being `about`
RANK_TYPES = (*RANK_TYPE_TABLES, "default")


def rank_type_problem(value: str, owner: str) -> str | None:
    """Why `value` is no rank type (Vespa refuses an unknown one), None when it is one."""
    if value in RANK_TYPES:
        return None
    return f"unknown rank-type '{value[:40]}' in {owner}: one of {', '.join(RANK_TYPES)}"


# `rank f: filter|normal` in a profile, as the content node's rank features see it among the
# profile's settings (`rank.<field>`: Vespa's vespa.isfilterfield.f; it overrides the field's `rank:`)
FIELD_RANK = "rank."

# profile setting `element-gap.<field>` (`rank f { element-gap: n }`): positions between the elements
# of an array field for phrase and near matching (content_node/matching/element_gap.py)
ELEMENT_GAP = "element-gap."


@dataclass(frozen=True, slots=True)
class RankProfile:
    name: str
    inherits: tuple[str, ...] = ()
    functions: Mapping[str, RankFunction] = EMPTY
    inputs: Mapping[str, RankInput] = EMPTY
    constants: Mapping[str, RankConstant] = EMPTY
    first_phase: RankPhase | None = None  # None means nativeRank (Vespa's default)
    second_phase: RankPhase | None = None
    global_phase: RankPhase | None = None
    match_features: tuple[str, ...] = ()
    summary_features: tuple[str, ...] = ()
    rank_properties: Mapping[str, str] = EMPTY
    mutate: Mapping[str, tuple[MutateOperation, ...]] = EMPTY  # on-match, on-first-phase, ...
    onnx_models: Mapping[str, OnnxModel] = EMPTY
    strict: bool = False
    location: SourceLocation = NOWHERE
    num_threads_per_search: int | None = None  # can only lower services.xml `persearch`
    ignore_default_rank_features: bool = False
    rank_features: tuple[str, ...] = ()  # `rank-features:` dumped with rankfeatures=true
    field_rank: Mapping[str, str] = EMPTY  # `rank title: filter` inside the profile
    # other settings as written, dotted by block: "match-phase.max-hits", "weakand.stopword-limit",
    # "min-hits-per-thread", "second-phase.total-rerank-count", "rank-type.body", ...
    settings: Mapping[str, str] = EMPTY
    # a second- or global-phase block with counts but no expression (Vespa: no such phase runs here,
    # its counts pass to the profiles that inherit this one and give the expression), by keyword
    phase_counts: Mapping[str, "RankPhase"] = EMPTY


@dataclass(frozen=True, slots=True)
class Schema:
    name: str
    document_name: str
    fields: Mapping[str, Field]  # document fields and synthetic fields, in declaration order
    fieldsets: Mapping[str, FieldSet] = EMPTY
    summaries: Mapping[str, DocumentSummary] = EMPTY  # always has "default"
    rank_profiles: Mapping[str, RankProfile] = EMPTY  # always has "default" and "unranked"
    location: SourceLocation = NOWHERE
    inherits: tuple[str, ...] = ()  # `schema x inherits y` (already merged in)
    structs: Mapping[str, StructType] = EMPTY  # struct and annotation types, inherited ones included

    def index_fields(self, name: str) -> tuple[str, ...]:
        """The fields an index name covers: a fieldset's members, or the field itself."""
        if name in self.fieldsets:
            return self.fieldsets[name].fields
        if name in self.fields:
            return (name,)
        return ()


@dataclass(frozen=True, slots=True)
class ContentNodeSpec:
    distribution_key: int
    group: int = 0
    hostalias: str = ""


@dataclass(frozen=True, slots=True)
class ResourceLimits:
    """`<content><tuning><resource-limits>`: the fraction of a content node's disk and memory in use
    past which the cluster refuses external puts and updates (container/dispatch/feed_block.py)."""
    disk: float = 0.75  # Vespa's defaults
    memory: float = 0.8
    configured: bool = field(default=False, compare=False)  # given in services.xml (not the defaults)


@dataclass(frozen=True, slots=True)
class ContentCluster:
    id: str
    document_types: tuple[str, ...]
    nodes: tuple[ContentNodeSpec, ...]
    redundancy: int = 1
    threads_per_search: int = 1  # <persearch>; a rank profile's num-threads-per-search only lowers it
    dispatch_policy: str = "adaptive"  # adaptive | best-of-random-2 | round-robin
    top_k_probability: float = 0.9999
    min_active_docs_coverage: float = 97.0  # percent
    group_names: Mapping[int, str] = EMPTY  # group distribution-key -> name, for grouped clusters
    snippet_settings: Mapping[str, str] = EMPTY  # juniperrc <config> values (searchlib/snippets.py)
    streaming_types: tuple[str, ...] = ()  # document types in mode="streaming": searched per group
    # document types with global="true": on every node of every group (parents of reference fields)
    global_types: tuple[str, ...] = ()
    resource_limits: ResourceLimits = ResourceLimits()

    @property
    def groups(self) -> tuple[int, ...]:
        return tuple(sorted({node.group for node in self.nodes}))


@dataclass(frozen=True, slots=True)
class Component:
    """A `<component>` in services.xml (hugging-face-tokenizer, hugging-face-embedder, ...)."""

    id: str
    type: str
    config: Mapping[str, str] = EMPTY  # e.g. {"model": "models/tokenizer.json", "pooling-strategy": "mean"}
    stored_models: Mapping[str, str] = EMPTY  # config key -> its url or model-id (the model store's reference)


def default_concurrent_searches() -> int:
    """32 per core: a search spends most of its time waiting for the content nodes, and on 2 cores
    32 clients at 500 ms are served in full with 64 slots; past that, more concurrency only
    lengthens every query (BENCHMARKS.md "Overload" has the runs that chose it)."""
    return 32 * (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class ContainerLimits:
    """`<container><limits>` in services.xml: what one request may cost the container. Bytes,
    characters, cells and seconds; README "Limits" explains each and its 4xx answer."""

    request_body_bytes: int = 8 * 1024 * 1024  # 413, checked while the body arrives
    document_bytes: int = 2 * 1024 * 1024  # 413 for a /document/v1 body above this
    header_bytes: int = 256 * 1024  # request line + headers (a GET carries its parameters there); 431
    yql_length: int = 64 * 1024  # characters
    json_depth: int = 100  # nesting of JSON bodies
    query_tree_depth: int = 40  # nesting of the parsed query (the gRPC decoder stops at ~100 levels)
    query_tensor_cells: int = 100_000  # per query tensor
    max_hits: int = 400  # Vespa's maxHits
    max_offset: int = 1000  # Vespa's maxOffset
    idle_timeout: float = 30.0  # a connection with no request in progress is closed after this
    request_timeout: float = 60.0  # headers and body must arrive within this (408 and close)
    # searches in flight at once; more wait up to search-queue-timeout for a slot, then 503
    max_concurrent_searches: int = field(default_factory=default_concurrent_searches)
    search_queue_timeout: float = 0.25



@dataclass(frozen=True, slots=True)
class SignificanceModelFile:
    """One `<significance><model>` of services.xml: `reference` as written (a package path, url or
    model-id), `path` the file it resolved to ("" until resolved)."""

    kind: str  # "path", "url" or "model-id"
    reference: str
    location: SourceLocation
    path: str = ""


@dataclass(frozen=True, slots=True)
class ApplicationPackage:
    path: str
    schemas: Mapping[str, Schema]
    content: ContentCluster
    components: Mapping[str, Component] = EMPTY
    limits: ContainerLimits = ContainerLimits()
    generation: str = ""  # hash of every file in the package; requests carry it to detect skew
    clients: tuple[DataPlaneClient, ...] = ()  # services.xml <clients>; none: the open local default
    query_profiles: Mapping[str, "QueryProfile"] = EMPTY  # search/query-profiles/<id>.xml, resolved
    # every <content> cluster of services.xml in order (`content` is the first); () = just `content`
    content_clusters: tuple[ContentCluster, ...] = ()
    # <search><significance>'s models in order (a later one's languages win), resolved to files
    significance_models: tuple["SignificanceModelFile", ...] = ()

    @property
    def clusters(self) -> tuple[ContentCluster, ...]:
        return self.content_clusters or (self.content,)

    @property
    def unserved_schemas(self) -> tuple[str, ...]:
        """Schemas whose document type no content cluster's <documents> lists. Vespa deploys such a
        package (the type is known to the container) but stores and searches the type nowhere."""
        held = {t for c in self.clusters for t in c.document_types}
        return tuple(name for name, s in self.schemas.items() if s.document_name not in held)

    def cluster_holding(self, document_type: str) -> ContentCluster | None:
        """The content cluster whose <documents> list the type (a type is in at most one)."""
        return next((c for c in self.clusters if document_type in c.document_types), None)

    def cluster_view(self, cluster_id: str) -> "ApplicationPackage":
        """The package as one content cluster's nodes and dispatcher see it: that cluster alone,
        with the schemas of its document types."""
        cluster = next((c for c in self.clusters if c.id == cluster_id), None)
        if cluster is None:
            raise ValueError(f"no content cluster '{cluster_id}' (clusters: {', '.join(c.id for c in self.clusters)})")
        schemas = {name: s for name, s in self.schemas.items() if s.document_name in cluster.document_types}
        return replace(self, content=cluster, content_clusters=(cluster,), schemas=MappingProxyType(schemas))
