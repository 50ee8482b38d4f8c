"""Parent-child documents in the schema language, as Vespa has them: `reference<type>` fields,
`import field reference.field as name {}`, and the rule that a reference's target is a global
document type (services.xml `<document type="t" mode="index" global="true"/>`).

An imported field is an attribute of the child schema that holds no values of its own: the
content node reads it through the child's reference at query time (content_node/imported_fields.py),
so a parent's update is seen by every child at once. Imported fields of the parent (a grandparent's)
can be imported again; a struct field is imported with its struct-field attributes.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterable, Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.model import ContentCluster, Field, FieldType, ImportedFrom, Schema, StructType
from searchlib.schema.syntax import ImportDecl, SchemaDecl


def read_import_field(sc, location: SourceLocation, owner: str) -> ImportDecl:
    """After `import`: `field ref.f as name {}` (the block is empty in Vespa's grammar)."""
    if not sc.try_word("field"):
        raise sc.error(f"expected 'field' after 'import' in {owner}")
    sc.skip_space()
    start = sc.pos
    path = sc.word("'<reference field>.<parent field>' after 'import field'")
    parts = path.split(".")
    if len(parts) != 2 or not all(parts):
        raise SchemaError(f"import field '{path}': expected <reference field>.<field of the parent document>",
                          sc.location(start))
    if not sc.try_word("as"):
        raise sc.error(f"expected 'as <name>' after 'import field {path}'")
    name = sc.word(f"the name of imported field '{path}'")
    if sc.try_char("{"):
        sc.expect("}", f"in import field '{name}' (its block is empty)")
    return ImportDecl(parts[0], parts[1], name, location)


def check_reference_fields(fields: Iterable[Field], document_types: Iterable[str]) -> None:
    """A reference names a document type of the package and is an attribute (Vespa's rules)."""
    known = set(document_types)
    for field in fields:
        if field.type.kind != "reference":
            continue
        target = field.type.document_type
        if target not in known:
            raise SchemaError(f"field '{field.name}' of type {field.type} references unknown document type "
                              f"'{target}' (document types: {', '.join(sorted(known))})", field.location)
        if not field.is_attribute:
            raise SchemaError(f"reference field '{field.name}' must be an attribute (indexing: attribute)",
                              field.location)


def imported_fields(decl: SchemaDecl, fields: Mapping[str, Field],
                    parent_schema: Callable[[str, SourceLocation, str], Schema]) -> tuple[list[Field], dict[str, StructType]]:
    """The schema's imported fields (with the struct-field attributes of imported struct fields),
    and the struct types their types name. `parent_schema(document type, location, field)` compiles
    the parent first (it may have imported fields of its own)."""
    imported: list[Field] = []
    structs: dict[str, StructType] = {}
    for decl_import in decl.imports:
        where = f"import field '{decl_import.reference}.{decl_import.field}' as '{decl_import.name}'"
        reference = fields.get(decl_import.reference)
        if reference is None or reference.type.kind != "reference":
            raise SchemaError(f"{where}: '{decl_import.reference}' is not a reference field of schema "
                              f"'{decl.name}'", decl_import.location)
        target = reference.type.document_type
        parent = parent_schema(target, decl_import.location, decl_import.field)
        source = parent.fields.get(decl_import.field)
        if source is None or source.parent:
            raise SchemaError(f"{where}: document type '{target}' has no field '{decl_import.field}'",
                              decl_import.location)
        prefix = source.name + "."
        subs = [f for f in parent.fields.values() if f.name.startswith(prefix) and f.is_attribute]
        if not source.is_attribute and not subs:
            raise SchemaError(f"{where}: field '{source.name}' of '{target}' is not an attribute (only "
                              f"attributes can be imported)", decl_import.location)
        if source.type.kind in ("reference", "predicate") or (source.type.kind == "tensor" and source.hnsw):
            raise SchemaError(f"{where}: not supported: importing a field of type {source.type}"
                              f"{' with an HNSW index' if source.hnsw else ''}", decl_import.location)
        imported.append(_imported(source, decl_import.name, decl_import, target, source.name))
        imported.extend(_imported(sub, decl_import.name + sub.name[len(source.name):], decl_import, target,
                                  sub.name, parent=decl_import.name) for sub in subs)
        _collect_structs(source.type, parent.structs, structs)
    return imported, structs


def _imported(source: Field, name: str, decl_import: ImportDecl, target: str, field: str, parent: str = "") -> Field:
    return replace(source, name=name, in_document=False, is_index=False, is_summary=False, summaries=(),
                   indexing="", input_fields=(), hnsw=None, parent=parent, location=decl_import.location,
                   attribute_properties=source.attribute_properties - {"mutable"},
                   imported=ImportedFrom(decl_import.reference, field, target))


def _collect_structs(field_type: FieldType | None, available: Mapping[str, StructType],
                     into: dict[str, StructType]) -> None:
    if field_type is None:
        return
    if field_type.kind == "struct" and field_type.struct_name in available and field_type.struct_name not in into:
        struct = available[field_type.struct_name]
        into[struct.name] = struct
        for _, inner in struct.fields:
            _collect_structs(inner, available, into)
    _collect_structs(field_type.element, available, into)
    _collect_structs(field_type.key, available, into)


def referenced_types(schemas: Mapping[str, Schema]) -> tuple[str, ...]:
    """Every document type some reference field points to (the types that must be global)."""
    return tuple(sorted({f.type.document_type for s in schemas.values() for f in s.fields.values()
                         if f.type.kind == "reference"}))


def check_global_references(schemas: Mapping[str, Schema], clusters: Iterable[ContentCluster]) -> None:
    """Vespa's deploy rule: the parent of a reference is a global document type of the child's own
    content cluster, so every node holds every parent and resolves its children's references locally."""
    clusters = tuple(clusters)
    for schema in schemas.values():
        cluster = next((c for c in clusters if schema.document_name in c.document_types), None)
        for field in schema.fields.values():
            if field.type.kind != "reference" or cluster is None:
                continue
            if schema.document_name in cluster.streaming_types:  # as in Vespa: no parent-child in streaming
                raise SchemaError(f"not supported: reference field '{field.name}' in document type "
                                  f"'{schema.document_name}', which is in mode=\"streaming\"", field.location)
            target = field.type.document_type
            if target not in cluster.document_types:
                raise SchemaError(f"reference field '{field.name}' of '{schema.name}' points to document type "
                                  f"'{target}', which is not in content cluster '{cluster.id}' (a parent must "
                                  f"be in its children's cluster)", field.location)
            if target not in cluster.global_types:
                raise SchemaError(f"reference field '{field.name}' of '{schema.name}' points to document type "
                                  f"'{target}', which is not global: a parent document type must be on every "
                                  f"node (<document type=\"{target}\" mode=\"index\" global=\"true\"/> in "
                                  f"services.xml)", field.location)
