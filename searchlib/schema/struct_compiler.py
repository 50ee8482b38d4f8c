"""Structs, annotations, maps and struct-fields: declarations -> resolved model values.

A struct's inheritance is flattened into StructType.fields; every field type naming a struct must
name one declared in the schema, in a document it inherits, or outside any document. A
`struct-field` becomes a Field of its own (`persons.name`, `m.key`, `m.value.weight`, Field.parent
set) typed from the struct or map: an array of the leaf type when the parent holds many elements
(array<struct>, map), the leaf type for a plain struct. Its attribute/index are real: their values
are derived from the parent field's (searchlib.struct_values).
"""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.model import Field, FieldType, StructType
from searchlib.schema.syntax import SchemaDecl, StructDecl


def resolve_structs(decl: SchemaDecl, package: Mapping[str, SchemaDecl]) -> dict[str, StructType]:
    declared: dict[str, StructDecl] = {}
    inherited = _inherited_schemas(decl, package)
    for source in inherited + [d for d in package.values() if not any(d is s for s in inherited)]:
        for struct in source.structs:
            if struct.outside_document or any(source is s for s in inherited):
                declared.setdefault(struct.name, struct)
    for struct in decl.structs:
        first = declared[struct.name]
        if first is not struct and any(first is own for own in decl.structs):
            raise SchemaError(f"duplicate struct '{struct.name}' (also at {first.location})", struct.location)
    resolved: dict[str, StructType] = {}

    def flatten(struct: StructDecl, chain: tuple[str, ...]) -> StructType:
        if struct.name in resolved:
            return resolved[struct.name]
        if struct.name in chain:
            raise SchemaError(f"struct inheritance cycle: {' -> '.join(chain + (struct.name,))}", struct.location)
        fields: dict[str, tuple[FieldType, SourceLocation]] = {}
        for ref in struct.inherits:
            parent = declared.get(ref.name)
            if parent is None or parent.annotation != struct.annotation:
                kind = "annotation" if struct.annotation else "struct"
                raise SchemaError(f"{kind} '{struct.name}' inherits unknown {kind} '{ref.name}'", ref.location)
            for name, field_type in flatten(parent, chain + (struct.name,)).fields:
                fields.setdefault(name, (field_type, ref.location))
        for field in struct.fields:
            if field.name in fields:
                raise SchemaError(f"struct '{struct.name}' redeclares field '{field.name}' "
                                  f"(inherited or declared at {fields[field.name][1]})", field.location)
            fields[field.name] = (field.type, field.location)
        result = StructType(struct.name, tuple((n, t) for n, (t, _) in fields.items()), struct.location,
                            struct.annotation)
        resolved[struct.name] = result
        return result

    for struct in declared.values():
        flatten(struct, ())
    for struct in declared.values():
        for field in struct.fields:
            check_type(field.type, resolved, f"field '{field.name}' of struct '{struct.name}'", field.location)
    return resolved


def _inherited_schemas(decl: SchemaDecl, package: Mapping[str, SchemaDecl]) -> list[SchemaDecl]:
    """This schema, then the schemas of the documents it inherits (transitively): their structs are
    visible here; of the other schemas only those declared outside a document."""
    by_document = {d.document_name or d.name: d for d in package.values()}
    seen: list[SchemaDecl] = []
    pending = [decl]
    while pending:
        current = pending.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        pending.extend(by_document[r.name] for r in current.document_inherits if r.name in by_document)
    return seen


def check_type(field_type: FieldType, structs: Mapping[str, StructType], what: str,
               location: SourceLocation) -> None:
    if field_type.kind == "struct" and field_type.struct_name not in structs:
        raise SchemaError(f"unknown field type '{field_type.struct_name}' in {what}", location)
    if field_type.kind == "annotationreference" and not getattr(structs.get(field_type.struct_name), "annotation",
                                                                False):
        raise SchemaError(f"{what} references unknown annotation '{field_type.struct_name}'", location)
    for inner in (field_type.element, field_type.key):
        if inner is not None:
            check_type(inner, structs, what, location)


def struct_field_entries(decl: SchemaDecl, fields: Mapping[str, Field],
                         structs: Mapping[str, StructType]) -> list[Field]:
    """Every `struct-field` of the schema as a typed Field named by its path."""
    entries: list[Field] = []
    for sub in decl.struct_fields:
        parent = fields.get(sub.parent)
        if parent is None:
            continue  # the parent field failed to compile already
        leaf, walk = _leaf_type(parent, sub.name.split(".")[1:], structs, sub)
        many = "*" in walk or "k" in walk or "v" in walk
        if sub.is_attribute and leaf.kind in ("struct", "map", "array", "weightedset"):
            raise SchemaError(f"not supported: attribute on struct-field '{sub.name}' of type {leaf} (give its "
                              f"primitive sub-fields attributes)", sub.location)
        field_type = FieldType("array", element=leaf) if many else leaf
        match = sub.match if sub.is_index and leaf.kind == "string" else "word"
        settings = MappingProxyType({**sub.settings, "struct-field.path": "|".join(walk)})
        entries.append(replace(sub, type=field_type, is_summary=False, match=match, settings=settings))
    return entries


def _leaf_type(parent: Field, path: list[str], structs: Mapping[str, StructType],
               sub: Field) -> tuple[FieldType, list[str]]:
    """The struct-field's type and the walk from the parent's value to it (struct_values)."""
    current, walk = parent.type, []
    for step in path:
        if current.kind == "array" and current.element is not None and current.element.kind in ("struct", "map"):
            current = current.element
            walk.append("*")
        if current.kind == "map" and step in ("key", "value"):
            current = current.key if step == "key" else current.element
            walk.append(step[0])
            continue
        if current.kind == "struct":
            found = structs[current.struct_name].field_type(step)
            if found is not None:
                current = found
                walk.append("." + step)
                continue
        raise SchemaError(f"struct-field '{sub.name}': field '{parent.name}' of type {parent.type} has no "
                          f"sub-field '{step}'", sub.location)
    if current.kind == "array" and current.element is not None and current.element.kind in ("struct", "map"):
        current = current.element
        walk.append("*")
    return current, walk


def implicit_struct_indexes(fields: Mapping[str, Field], structs: Mapping[str, StructType]) -> list[Field]:
    """`indexing: index` on a struct field indexes each of its string sub-fields (`f.name`)."""
    entries: list[Field] = []
    for field in fields.values():
        if field.is_index and field.type.kind == "struct":
            for name, sub_type in structs[field.type.struct_name].fields:
                path = f"{field.name}.{name}"
                if sub_type.kind == "string" and path not in fields:
                    entries.append(Field(path, sub_type, is_index=True, match=field.match, location=field.location,
                                         parent=field.name, indexing="index",
                                         settings=MappingProxyType({"struct-field.path": "." + name})))
    return entries


def is_struct_path(source: str, fields: Mapping[str, Field], structs: Mapping[str, StructType]) -> bool:
    """`a.f1`, `m.key`, `m.value.x`: a path through a struct or map field's declared type (a summary
    field may take its value from one; struct_values.summary_source_value reads it)."""
    name, *path = source.split(".")
    parent = fields.get(name)
    if parent is None or not path:
        return False
    try:
        _leaf_type(parent, path, structs, parent)
    except SchemaError:
        return False
    return True
