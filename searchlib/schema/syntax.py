"""What the parser produces: declarations as written, before inheritance is resolved and validated.

Fields are already model.Field values (nothing of theirs is inherited); everything that the compiler
still has to merge or check keeps the locations it needs for error messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from searchlib.errors import SourceLocation
from searchlib.schema.model import (
    Expression,
    Field,
    MutateOperation,
    OnnxModel,
    RankConstant,
    RankFunction,
    RankInput,
    SummaryField,
)


@dataclass(slots=True)
class NameRef:
    name: str
    location: SourceLocation


@dataclass(slots=True)
class FieldSetDecl:
    name: str
    fields: list[NameRef]
    location: SourceLocation
    match: str = ""
    exact_terminator: str = ""  # `exact-terminator` in its match, or `query-command: "exact X"`
    phrase_segmenting: bool | None = None  # its own `query-command: phrase-segmenting [true|false]`


@dataclass(slots=True)
class SummaryFieldDecl:
    summary: SummaryField
    location: SourceLocation


@dataclass(slots=True)
class DocumentSummaryDecl:
    name: str
    location: SourceLocation
    inherits: list[NameRef] = field(default_factory=list)
    fields: list[SummaryFieldDecl] = field(default_factory=list)
    omit_summary_features: bool = False
    from_disk: bool = False


@dataclass(slots=True)
class PhaseDecl:
    location: SourceLocation
    expression: Expression | None = None
    rerank_count: int | None = None
    keep_rank_count: int | None = None
    rank_score_drop_limit: float | None = None
    total_rerank_count: int | None = None
    total_keep_rank_count: int | None = None


@dataclass(slots=True)
class FeatureListDecl:
    """match-features / summary-features; `inherits` names the profiles of the
    `x-features inherits p, q { }` form (empty otherwise)."""

    features: list[str]
    location: SourceLocation
    inherits: list[NameRef] = field(default_factory=list)


@dataclass(slots=True)
class RankProfileDecl:
    name: str
    location: SourceLocation
    inherits: list[NameRef] = field(default_factory=list)
    functions: dict[str, RankFunction] = field(default_factory=dict)
    function_locations: dict[str, SourceLocation] = field(default_factory=dict)
    inputs: dict[str, RankInput] = field(default_factory=dict)
    constants: dict[str, RankConstant] = field(default_factory=dict)
    phases: dict[str, PhaseDecl] = field(default_factory=dict)  # first-phase, second-phase, global-phase
    match_features: FeatureListDecl | None = None
    summary_features: FeatureListDecl | None = None
    rank_features: list[str] = field(default_factory=list)
    rank_properties: dict[str, str] = field(default_factory=dict)
    mutate: dict[str, tuple[MutateOperation, ...]] = field(default_factory=dict)
    mutate_locations: dict[str, SourceLocation] = field(default_factory=dict)
    onnx_models: dict[str, OnnxModel] = field(default_factory=dict)
    strict: bool | None = None
    num_threads_per_search: int | None = None
    ignore_default_rank_features: bool = False
    field_rank: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    setting_locations: dict[str, SourceLocation] = field(default_factory=dict)


@dataclass(slots=True)
class StructDecl:
    """`struct name [inherits a, b] { field ... }`, or an `annotation` (its fields form a struct)."""

    name: str
    location: SourceLocation
    inherits: list[NameRef] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    annotation: bool = False
    outside_document: bool = False  # declared in the schema block: visible to every schema


@dataclass(slots=True)
class ImportDecl:
    """`import field reference.field as name {}`."""

    reference: str
    field: str
    name: str
    location: SourceLocation


@dataclass(slots=True)
class SchemaDecl:
    name: str
    location: SourceLocation
    inherits: NameRef | None = None
    document_name: str = ""
    document_inherits: list[NameRef] = field(default_factory=list)
    fields: list[Field] = field(default_factory=list)
    fieldsets: list[FieldSetDecl] = field(default_factory=list)
    summaries: list[DocumentSummaryDecl] = field(default_factory=list)
    rank_profiles: list[RankProfileDecl] = field(default_factory=list)
    constants: dict[str, RankConstant] = field(default_factory=dict)
    onnx_models: dict[str, OnnxModel] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    structs: list[StructDecl] = field(default_factory=list)  # in and outside the document block
    struct_fields: list[Field] = field(default_factory=list)  # `struct-field` blocks (Field.parent set)
    imports: list[ImportDecl] = field(default_factory=list)  # `import field` (schema/references.py)
