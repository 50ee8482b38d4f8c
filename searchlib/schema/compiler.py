"""Schema declarations -> the resolved model (searchlib.schema.model), validated.

Resolves schema and document inheritance, builds the default document summary, flattens rank
profiles (searchlib.schema.profiles) and rejects what Vespa would reject at deploy time. Every
error is a SchemaError naming file:line:column.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from types import MappingProxyType
from typing import Iterable, Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.match_modes import STEMMING_MODES
from searchlib.schema.query_commands import PHRASE_SEGMENTING
from searchlib.schema.model import (
    BUILTIN_SUMMARY_SOURCES,
    DocumentSummary,
    Field,
    FieldSet,
    Schema,
    StructType,
    SummaryField,
)
from searchlib.schema.geo_fields import check_position_fields, zcurve_source
from searchlib.schema.predicate_fields import check_predicate_fields
from searchlib.schema.profiles import resolve_profiles
from searchlib.schema.references import check_reference_fields, imported_fields
from searchlib.schema.literal_fields import add_literal_indexes
from searchlib.schema.uri_fields import add_uri_components
from searchlib.schema.struct_compiler import (
    check_type, implicit_struct_indexes, is_struct_path, resolve_structs, struct_field_entries,
)
from searchlib.schema.syntax import DocumentSummaryDecl, SchemaDecl

log = logging.getLogger(__name__)

# The reference's list, less `body` and `header`: those were Vespa 6's document parts and are
# ordinary field names in Vespa 8 (the reference's own examples and cross-encoders.md use `body`).
RESERVED_FIELD_NAMES = frozenset({
    "attribute", "case", "context", "documentid", "else", "hit", "host", "if", "index",
    "position", "reference", "relevancy", "sddocname", "summary", "switch", "tokenize",
})
# Vespa's built-in struct types (`position` is the type of position fields) name no document or struct
BUILTIN_TYPE_NAMES = frozenset({"position"})
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MUTABLE_KINDS = ("int", "long", "float", "double", "byte")


def compile_schemas(decls: Iterable[SchemaDecl]) -> dict[str, Schema]:
    """Compile the schemas of one application package (they may inherit from each other)."""
    by_name: dict[str, SchemaDecl] = {}
    for decl in decls:
        if decl.name in by_name:
            raise SchemaError(f"duplicate schema '{decl.name}' (also at {by_name[decl.name].location})",
                              decl.location)
        by_name[decl.name] = decl
    for decl in by_name.values():  # Vespa's built-in struct types name no document type or struct
        for kind, name, location in [("document type", decl.document_name or decl.name, decl.location)] + [
                ("struct", struct.name, struct.location) for struct in decl.structs]:
            if name in BUILTIN_TYPE_NAMES:
                raise SchemaError(f"'{name}' is a reserved name (a built-in type) and cannot name a {kind}", location)
    merged: dict[str, SchemaDecl] = {}
    for name in by_name:
        _merge_schema_inheritance(name, by_name, merged, ())
    compiled: dict[str, Schema] = {}
    by_document = {decl.document_name or name: name for name, decl in merged.items()}
    in_progress: list[str] = []

    def compile_once(name: str) -> Schema:
        if name not in compiled:
            decl = merged[name]
            in_progress.append(name)
            parent = compile_once(decl.inherits.name).rank_profiles if decl.inherits else None
            compiled[name] = compile_schema(decl, merged, parent, parent_schema)
            in_progress.pop()
        return compiled[name]

    resolving: list[tuple[str, str]] = []  # (schema, imported field) whose source is being resolved

    def parent_schema(document_type: str, location: SourceLocation, field: str) -> Schema:
        """The compiled schema of a reference's document type, for its `field` (an import reads
        it). Two schemas may import from each other: when the parent is itself being compiled,
        a partial parent holding its fields and only the import of `field` answers; only a chain
        of imported fields that comes back to itself is a cycle."""
        name = by_document[document_type]  # known: check_reference_fields ran first
        if name not in in_progress:
            return compile_once(name)
        decl = merged[name]
        if (name, field) in resolving:
            chain = [f"{s}.{f}" for s, f in resolving[resolving.index((name, field)):]] + [f"{name}.{field}"]
            raise SchemaError(f"imported fields form a cycle: {' -> '.join(chain)}", location)
        resolving.append((name, field))
        try:  # without profiles, summaries and fieldsets: they may name the parent's other imports
            partial = replace(decl, imports=[i for i in decl.imports if i.name == field], rank_profiles=[],
                              summaries=[], fieldsets=[], inherits=None)
            return compile_schema(partial, merged, None, parent_schema)
        finally:
            resolving.pop()

    return {name: compile_once(name) for name in merged}


def _merge_schema_inheritance(name: str, decls: dict[str, SchemaDecl], merged: dict[str, SchemaDecl],
                              chain: tuple[str, ...]) -> SchemaDecl:
    if name in merged:
        return merged[name]
    decl = decls[name]
    if name in chain:
        raise SchemaError(f"schema inheritance cycle: {' -> '.join(chain + (name,))}", decl.location)
    if decl.inherits is None:
        merged[name] = decl
        return decl
    if decl.inherits.name not in decls:
        raise SchemaError(f"schema '{name}' inherits unknown schema '{decl.inherits.name}'", decl.inherits.location)
    parent = _merge_schema_inheritance(decl.inherits.name, decls, merged, chain + (name,))
    if parent.document_name not in {ref.name for ref in decl.document_inherits}:
        raise SchemaError(f"schema '{name}' inherits schema '{parent.name}', so its document must also inherit "
                          f"document '{parent.document_name}'", decl.location)
    own_profiles = {p.name for p in decl.rank_profiles}
    own_summaries = {s.name for s in decl.summaries}
    own_fieldsets = {f.name for f in decl.fieldsets}
    result = SchemaDecl(
        name=decl.name, location=decl.location, inherits=decl.inherits, document_name=decl.document_name,
        document_inherits=decl.document_inherits,
        fields=list(decl.fields),  # the parent's document fields arrive through document inheritance
        fieldsets=[f for f in parent.fieldsets if f.name not in own_fieldsets] + decl.fieldsets,
        summaries=[s for s in parent.summaries if s.name not in own_summaries] + decl.summaries,
        rank_profiles=[p for p in parent.rank_profiles if p.name not in own_profiles] + decl.rank_profiles,
        constants={**parent.constants, **decl.constants},
        onnx_models={**parent.onnx_models, **decl.onnx_models},
        settings={**parent.settings, **decl.settings},
        structs=decl.structs, struct_fields=[f for f in parent.struct_fields if not f.in_document] + decl.struct_fields,
        imports=parent.imports + [i for i in decl.imports if i.name not in {p.name for p in parent.imports}],
    )
    result.fields = [f for f in parent.fields if not f.in_document] + result.fields
    merged[name] = result
    return result


def compile_schema(decl: SchemaDecl, package: Mapping[str, SchemaDecl] | None = None,
                   parent_profiles: Mapping | None = None, parent_schema=None) -> Schema:
    """Compile one schema; `package` (by schema name) resolves `document x inherits y`;
    `parent_profiles` are the inherited schema's compiled rank profiles; `parent_schema(document
    type, location)` the compiled schema a reference points to (for `import field`)."""
    package = package or {decl.name: decl}
    structs = resolve_structs(decl, package)
    fields = _fields(decl, package)
    check_reference_fields(fields.values(), (d.document_name or d.name for d in package.values()))
    imported, imported_structs = imported_fields(decl, fields, parent_schema) if decl.imports else ([], {})
    structs = {**imported_structs, **structs}
    for field in fields.values():
        check_type(field.type, structs, f"field '{field.name}'", field.location)
    for sub in struct_field_entries(decl, fields, structs) + implicit_struct_indexes(fields, structs):
        if sub.name in fields:
            raise SchemaError(f"duplicate struct-field '{sub.name}'", sub.location)
        fields[sub.name] = sub
    for field in imported:  # after the struct-fields: `import field` names a field of the parent
        if field.name in fields:
            raise SchemaError(f"imported field '{field.name}' has the name of a field of schema '{decl.name}'",
                              field.location)
        fields[field.name] = field
    for name, field in fields.items():
        if field.type.kind == "struct" and field.is_index:  # searched through its sub-field indexes
            fields[name] = replace(field, is_index=False)
    check_position_fields(fields)
    check_predicate_fields(fields)
    add_uri_components(fields)
    add_literal_indexes(fields)
    fieldsets = _fieldsets(decl, fields)
    summaries = _summaries(decl, fields, structs)
    profiles = resolve_profiles(decl.rank_profiles + _document_parent_profiles(decl, package), fields,
                                decl.constants, decl.onnx_models, decl.name, parent_profiles)
    return Schema(
        name=decl.name,
        document_name=decl.document_name or decl.name,
        fields=MappingProxyType(fields),
        fieldsets=MappingProxyType(fieldsets),
        summaries=MappingProxyType(summaries),
        rank_profiles=MappingProxyType(profiles),
        location=decl.location,
        inherits=(decl.inherits.name,) if decl.inherits else (),
        structs=MappingProxyType(structs),
    )


def _document_parent_profiles(decl: SchemaDecl, package: Mapping[str, SchemaDecl]) -> list:
    """Rank profiles of the schemas whose documents this one inherits, that this schema's profiles
    inherit (transitively) without declaring them: Vespa lets `rank-profile p inherits q` name them."""
    by_document = {d.document_name or d.name: d for d in package.values()}
    available, pending = {}, [by_document.get(ref.name) for ref in decl.document_inherits]
    while pending:
        parent = pending.pop(0)
        if parent is None or parent is decl:
            continue
        for profile in parent.rank_profiles:
            available.setdefault(profile.name, profile)
        pending.extend(by_document.get(ref.name) for ref in parent.document_inherits)
    own = {profile.name for profile in decl.rank_profiles}
    wanted = [ref.name for profile in decl.rank_profiles for ref in profile.inherits]
    added = []
    while wanted:
        name = wanted.pop()
        if name not in own and name in available:
            own.add(name)
            added.append(available[name])
            wanted.extend(ref.name for ref in available[name].inherits)
    return added


def _inherited_document_fields(decl: SchemaDecl, package: Mapping[str, SchemaDecl]) -> list[Field]:
    by_document = {d.document_name or d.name: d for d in package.values()}
    inherited: list[Field] = []
    for ref in decl.document_inherits:
        parent = by_document.get(ref.name)
        if parent is None:
            raise SchemaError(f"document '{decl.document_name}' inherits unknown document type '{ref.name}'",
                              ref.location)
        if parent is decl:
            raise SchemaError(f"document '{decl.document_name}' cannot inherit itself", ref.location)
        inherited.extend(_inherited_document_fields(parent, package))
        inherited.extend(f for f in parent.fields if f.in_document)
    return inherited


def _fields(decl: SchemaDecl, package: Mapping[str, SchemaDecl]) -> dict[str, Field]:
    fields: dict[str, Field] = {}
    inherited: set[str] = set()
    for field in _inherited_document_fields(decl, package):
        first = fields.setdefault(field.name, field)
        if first.type != field.type:
            raise SchemaError(f"field '{field.name}' is inherited as {first.type} and as {field.type}",
                              field.location)
        inherited.add(field.name)
    for field in decl.fields:
        if field.name in inherited and field.in_document and fields[field.name].type == field.type:
            inherited.discard(field.name)  # redeclared with the parent's type: the child's settings apply
            del fields[field.name]
        if not _FIELD_NAME.match(field.name):
            raise SchemaError(f"invalid field name '{field.name}': names match [a-zA-Z_][a-zA-Z0-9_]*",
                              field.location)
        if field.name in RESERVED_FIELD_NAMES:
            raise SchemaError(f"'{field.name}' is a reserved name and cannot be a field name", field.location)
        if field.name in fields:
            raise SchemaError(f"duplicate field '{field.name}' in schema '{decl.name}' "
                              f"(first defined at {fields[field.name].location})", field.location)
        fields[field.name] = field
    document_fields = {name for name, f in fields.items() if f.in_document}
    for field in fields.values():
        _validate_field(field, document_fields)
    stemming = decl.settings.get("stemming")  # the schema's `stemming:` is its fields' default
    if stemming is not None:
        if stemming not in STEMMING_MODES:
            raise SchemaError(f"not supported: stemming: {stemming} in schema '{decl.name}'", decl.location)
        fields = {name: f if "stemming" in f.settings else
                  replace(f, settings=MappingProxyType({**f.settings, "stemming": stemming}))
                  for name, f in fields.items()}
    return _schema_index_settings(decl, fields)


def _schema_index_settings(decl: SchemaDecl, fields: dict[str, Field]) -> dict[str, Field]:
    """A schema-level `index name { stemming: s }` is the index stemming of the field of that name
    unless the field's own index block sets one (Vespa's getStemmingOfIndex); match_mode applies it.
    `prefix`, and a name that is no field, have no effect in Vespa's indexed mode either."""
    for key, value in decl.settings.items():
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "index":
            continue
        name, setting = parts[1], parts[2]
        field = fields.get(name)
        if setting == "stemming" and field is not None and "index.stemming" not in field.settings:
            fields[name] = replace(field, settings=MappingProxyType({**field.settings, "index.stemming": value}))
        elif setting == "prefix" or field is None:
            log.info("%s: index '%s' { %s } in schema '%s' has no effect in indexed mode, as in Vespa",
                     decl.location, name, setting, decl.name)
    return fields


def _validate_field(field: Field, document_fields: set[str]) -> None:
    where = f"field '{field.name}'"
    if field.is_mutable:
        if field.in_document:
            raise SchemaError(f"mutable attribute {where} must be declared outside the document block",
                              field.location)
        if field.type.kind not in _MUTABLE_KINDS or not field.is_attribute:
            raise SchemaError(f"mutable attribute {where} must be a single-value numeric attribute, not "
                              f"{field.type}{'' if field.is_attribute else ' without attribute'}", field.location)
    if field.type.kind == "tensor" and field.is_index and not field.is_attribute:
        raise SchemaError(f"tensor {where} has 'index' (HNSW) and must also be an 'attribute'", field.location)
    for source in field.input_fields:
        if source.split(".")[0] not in document_fields:
            raise SchemaError(f"{where} reads 'input {source}', which is not a document field", field.location)


def _fieldsets(decl: SchemaDecl, fields: Mapping[str, Field]) -> dict[str, FieldSet]:
    fieldsets: dict[str, FieldSet] = {}
    for fs in decl.fieldsets:
        if fs.name in fieldsets:
            raise SchemaError(f"duplicate fieldset '{fs.name}'", fs.location)
        if fs.name in fields:  # Vespa derives both: its content nodes resolve the name to the fieldset
            log.warning("%s: fieldset '%s' has the name of a field: searching '%s' searches the fieldset's "
                        "fields, as in Vespa (the field keeps its own query processing); rename one of them",
                        fs.location, fs.name, fs.name)
        if not fs.fields:
            raise SchemaError(f"fieldset '{fs.name}' has no fields", fs.location)
        for ref in fs.fields:
            if ref.name not in fields:
                raise SchemaError(f"fieldset '{fs.name}' names unknown field '{ref.name}'", ref.location)
        names = tuple(dict.fromkeys(ref.name for ref in fs.fields))
        if len({fields[n].settings[PHRASE_SEGMENTING] for n in names if PHRASE_SEGMENTING in fields[n].settings}) > 1:
            log.warning("%s: the fields of fieldset '%s' set phrase-segmenting differently; Vespa takes one "
                        "by its internal field order, this engine the last one listed", fs.location, fs.name)
        fieldsets[fs.name] = FieldSet(fs.name, names, fs.location, fs.match, fs.exact_terminator, fs.phrase_segmenting)
    return fieldsets


def _check_summary_field(summary: SummaryField, fields: Mapping[str, Field],
                         location: SourceLocation | None = None) -> None:
    """dynamic, bolding and tokens need string text; matched-elements-only a collection (Vespa's
    schema reference, `summary`)."""
    source = fields.get(summary.sources[0]) if summary.sources else None
    if source is None:
        return
    where = location or source.location
    kind, element = source.type.kind, source.type.element
    textual = kind == "string" or (kind in ("array", "weightedset") and element is not None
                                   and element.kind == "string")
    for flag, wanted in (("dynamic", summary.dynamic), ("bolding", summary.bolding), ("tokens", summary.tokens)):
        if wanted and not textual:
            raise SchemaError(f"summary '{summary.name}': {flag} needs a string, array<string> or "
                              f"weightedset<string> source, and '{source.name}' is {source.type}", where)
    if summary.matched_elements_only and kind not in ("array", "weightedset", "map"):
        raise SchemaError(f"summary '{summary.name}': matched-elements-only needs an array, map or weightedset "
                          f"source, and '{source.name}' is {source.type}", where)


def _summaries(decl: SchemaDecl, fields: Mapping[str, Field],
               structs: Mapping[str, StructType]) -> dict[str, DocumentSummary]:
    sddocname = SummaryField("sddocname", ("sddocname",))
    default_fields = [sddocname, SummaryField("documentid", ("documentid",))]
    for f in fields.values():  # a field's own summary when it writes `summary`, and its named extras
        if "default" not in _summary_to(f, ("default",)):  # `summary-to:` names other classes only
            continue
        default_fields += [s for s in f.summaries if f.is_summary or s.name != f.name] \
            if f.summaries else ([SummaryField(f.name, (f.name,))] if f.is_summary else [])
    for summary in default_fields:
        _check_summary_field(summary, fields)
    summaries: dict[str, DocumentSummary] = {"default": DocumentSummary("default", tuple(default_fields))}
    declared = {s.name: s for s in decl.summaries}
    seen: set[str] = set()
    for s in decl.summaries:
        if s.name in seen:
            raise SchemaError(f"duplicate document-summary '{s.name}'", s.location)
        seen.add(s.name)

    def resolve(summary: DocumentSummaryDecl, chain: tuple[str, ...]) -> DocumentSummary:
        if summary.name in done:
            return summaries[summary.name]
        if summary.name in chain:
            raise SchemaError(f"document-summary inheritance cycle: {' -> '.join(chain + (summary.name,))}",
                              summary.location)
        entries: dict[str, SummaryField] = {"sddocname": sddocname}
        for ref in summary.inherits:
            if ref.name in declared:
                parent = resolve(declared[ref.name], chain + (summary.name,))
            elif ref.name == "default":
                parent = summaries["default"]
            else:
                raise SchemaError(f"document-summary '{summary.name}' inherits unknown document-summary "
                                  f"'{ref.name}'", ref.location)
            entries.update((f.name, f) for f in parent.fields)
        for entry in summary.fields:
            for source in entry.summary.sources:
                if source not in fields and source not in BUILTIN_SUMMARY_SOURCES \
                        and not is_struct_path(source, fields, structs) and zcurve_source(fields, source) is None:
                    raise SchemaError(f"summary '{entry.summary.name}' in document-summary '{summary.name}' "
                                      f"refers to unknown field '{source}' (name a field with `source:`, or "
                                      f"declare the field)", entry.location)
            _check_summary_field(entry.summary, fields, entry.location)
            entries[entry.summary.name] = entry.summary
        result = DocumentSummary(summary.name, tuple(entries.values()), summary.omit_summary_features,
                                 summary.from_disk, summary.location)
        summaries[summary.name] = result
        done.add(summary.name)
        return result

    done: set[str] = set()
    for s in decl.summaries:
        resolve(s, ())
    locations = {(s.name, e.summary.name): e.location for s in decl.summaries for e in s.fields}
    summaries = _consistent_summaries(summaries, locations)
    for f in fields.values():  # `summary-to: a, b` adds the field to those summaries only (made when not declared)
        for destination in _summary_to(f, ()):
            if destination != "default":
                target = summaries.get(destination) or DocumentSummary(destination, (sddocname,), location=f.location)
                entry = SummaryField(f.name, (f.name,), f.settings.get("summary") == "dynamic")
                if all(existing.name != f.name for existing in target.fields):
                    summaries[destination] = replace(target, fields=target.fields + (entry,))
    return summaries


def _transform(field: SummaryField) -> tuple[bool, bool, bool, bool]:
    return field.dynamic, field.bolding, field.tokens, field.matched_elements_only


def _consistent_summaries(summaries: dict[str, DocumentSummary],
                          locations: Mapping[tuple[str, str], SourceLocation]) -> dict[str, DocumentSummary]:
    """As Vespa's SummaryConsistency: a summary field named in several classes is one field - one
    written without a transform takes the default's (or the first definition's), a different
    transform is an error - and the default class holds every summary field of every class."""
    known = {f.name: f for f in summaries["default"].fields}
    extra: list[SummaryField] = []
    for name, summary in summaries.items():
        if name == "default":
            continue
        fields = []
        for field in summary.fields:
            first = known.get(field.name)
            if first is None:
                known[field.name] = field
                extra.append(field)
            elif not any(_transform(field)):
                field = replace(field, dynamic=first.dynamic, bolding=first.bolding, tokens=first.tokens,
                                   matched_elements_only=first.matched_elements_only)
            elif _transform(field) != _transform(first):
                raise SchemaError(f"conflicting summary transforms: summary '{field.name}' in document-summary "
                                  f"'{name}' differs from its definition elsewhere (one field cannot have "
                                  f"different transforms in different summary classes)",
                                  locations.get((name, field.name), summary.location))
            fields.append(field)
        summaries[name] = replace(summary, fields=tuple(fields))
    default = summaries["default"]
    summaries["default"] = replace(default, fields=default.fields + tuple(extra))
    return summaries


def _summary_to(field: Field, default: tuple[str, ...]) -> tuple[str, ...]:
    written = field.settings.get("summary.to")
    return default if written is None else tuple(part for part in re.split(r"[\s,]+", written) if part)

