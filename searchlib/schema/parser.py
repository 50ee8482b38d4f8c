"""Recursive-descent parser for .sd files (schemas) and .profile files (one rank profile each).

Produces searchlib.schema.syntax declarations; searchlib.schema.compiler resolves and validates them.
"""
from __future__ import annotations

import re
from pathlib import Path

from searchlib.errors import SchemaError
from searchlib.match_modes import STEMMING_MODES
from searchlib.schema.blocks import Setting, read_settings_block
from searchlib.schema.query_commands import PHRASE_SEGMENTING, check_query_command, phrase_segmenting
from searchlib.schema.field_parser import (
    MATCH_MODES,
    SUMMARY_ITEMS,
    summary_field,
    FieldBody,
    indexing_outputs,
    input_fields,
    read_field_type,
    read_match_items,
)
from searchlib.schema.lexer import Scanner
from searchlib.schema.model import Field
from searchlib.schema.references import read_import_field
from searchlib.schema.profile_parser import read_constant_block, read_constants, read_onnx_model, read_rank_profile
from searchlib.schema.syntax import (
    DocumentSummaryDecl,
    FieldSetDecl,
    NameRef,
    RankProfileDecl,
    SchemaDecl,
    StructDecl,
    SummaryFieldDecl,
)


def parse_schema(text: str, file: str = "<schema>", *, schema_dir: Path | None = None) -> SchemaDecl:
    """Parse one .sd file. `schema_dir` resolves `expression: file:x` (x.expression beside it)."""
    return _SchemaParser(Scanner(text, file), schema_dir).schema()


def parse_profile_file(text: str, file: str, *, schema_dir: Path | None = None) -> list[RankProfileDecl]:
    """Parse a `schemas/<schema>/<name>.profile` file: one `rank-profile` (plus its nested ones)."""
    sc = Scanner(text, file)
    profiles: list[RankProfileDecl] = []
    while not sc.at_end():
        start = sc.pos
        keyword = sc.word("'rank-profile'")
        if keyword != "rank-profile":
            raise SchemaError(f"unknown element '{keyword}' in profile file (expected 'rank-profile')",
                              sc.location(start))
        read_rank_profile(sc, schema_dir, profiles)
    expected = Path(file).stem
    if profiles and profiles[0].name != expected:
        raise SchemaError(f"rank-profile '{profiles[0].name}' must be in a file named {profiles[0].name}.profile",
                          profiles[0].location)
    return profiles


class _SchemaParser:
    def __init__(self, sc: Scanner, schema_dir: Path | None) -> None:
        self.sc = sc
        self.schema_dir = schema_dir
        self.struct_fields: list[Field] = []  # every `struct-field` of the schema's fields

    def schema(self) -> SchemaDecl:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        keyword = sc.word("'schema'")
        if keyword == "document":  # an .sd holding only a document: a schema of that name around it
            sc.skip_space()
            decl = SchemaDecl(sc.peek_word() or "", sc.location(sc.pos))
            self._document(decl)
            decl.name = decl.document_name
            decl.struct_fields = self.struct_fields
            if not sc.at_end():
                raise sc.error(f"unexpected text after the end of document '{decl.name}'")
            return decl
        if keyword not in ("schema", "search"):
            raise SchemaError(f"expected 'schema', found '{keyword}'", sc.location(start))
        sc.skip_space()
        name_pos = sc.pos
        decl = SchemaDecl(sc.word("a schema name"), sc.location(name_pos))
        if sc.try_word("inherits"):
            sc.skip_space()
            ref_pos = sc.pos
            decl.inherits = NameRef(sc.word("a schema name after 'inherits'"), sc.location(ref_pos))
        sc.expect("{", f"after schema '{decl.name}'")
        self._schema_body(decl)
        decl.struct_fields = self.struct_fields
        if not sc.at_end():
            raise sc.error(f"unexpected text after the end of schema '{decl.name}'")
        return decl

    def _schema_body(self, decl: SchemaDecl) -> None:
        sc = self.sc
        owner = f"schema '{decl.name}'"
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {owner}")
            start = sc.pos
            key = sc.word(f"an element in {owner}")
            location = sc.location(start)
            if key == "document":
                self._document(decl)
            elif key in ("struct", "annotation"):
                decl.structs.append(self._struct(key == "annotation", owner))
                decl.structs[-1].outside_document = True
            elif key == "model":  # Vespa's old name for rank-profile
                read_rank_profile(sc, self.schema_dir, decl.rank_profiles)
            elif key == "index":  # `index name { stemming: ... }`: settings of an index name
                self._index_settings(decl, owner)
            elif key == "field":
                decl.fields.append(self._field(in_document=False, owner=owner))
            elif key == "fieldset":
                decl.fieldsets.append(self._fieldset())
            elif key == "document-summary":
                decl.summaries.append(self._document_summary())
            elif key == "rank-profile":
                read_rank_profile(sc, self.schema_dir, decl.rank_profiles)
            elif key == "constant":
                constant = read_constant_block(sc, owner)
                self._add_unique(decl.constants, constant.name, constant, "constant", owner)
            elif key == "constants":
                sc.expect("{", f"after 'constants' in {owner}")
                for name, constant in read_constants(sc, owner).items():
                    self._add_unique(decl.constants, name, constant, "constant", owner)
            elif key == "onnx-model":
                model = read_onnx_model(sc, owner)
                self._add_unique(decl.onnx_models, model.name, model, "onnx-model", owner)
            elif key == "import":  # `import field ref.parent_field as name {}`
                decl.imports.append(read_import_field(sc, location, owner))
            elif key in ("stemming", "documentid", "raw-as-base64-in-summary"):
                sc.expect(":", f"after '{key}' in {owner}")
                decl.settings[key], _ = sc.line_value(f"'{key}' in {owner}")
            else:
                raise SchemaError(f"unknown element '{key}' in {owner}", location)

    @staticmethod
    def _add_unique(target: dict, name: str, value, kind: str, owner: str) -> None:
        if name in target:
            raise SchemaError(f"duplicate {kind} '{name}' in {owner}", value.location)
        target[name] = value

    def _document(self, decl: SchemaDecl) -> None:
        sc = self.sc
        name = decl.name
        if sc.peek_word() not in (None, "inherits"):
            name = sc.word("a document name")
        decl.document_name = name
        if sc.try_word("inherits"):
            while True:
                sc.skip_space()
                ref_pos = sc.pos
                decl.document_inherits.append(NameRef(sc.word("a document type name"), sc.location(ref_pos)))
                if not sc.try_char(","):
                    break
        owner = f"document '{name}'"
        sc.expect("{", f"after {owner}")
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {owner}")
            start = sc.pos
            key = sc.word(f"an element in {owner}")
            if key == "field":
                decl.fields.append(self._field(in_document=True, owner=owner))
            elif key in ("struct", "annotation"):
                decl.structs.append(self._struct(key == "annotation", owner))
            elif key == "compression":  # document-store compression: the store compresses its own way
                sc.expect("{", f"after '{key}' in {owner}")
                sc.block_text(f"{key} in {owner}")
            else:
                raise SchemaError(f"unknown element '{key}' in {owner}", sc.location(start))

    def _struct(self, annotation: bool, owner: str) -> StructDecl:
        sc = self.sc
        kind = "annotation" if annotation else "struct"
        sc.skip_space()
        start = sc.pos
        struct = StructDecl(sc.word(f"a {kind} name in {owner}"), sc.location(start), annotation=annotation)
        if sc.try_word("inherits"):
            while True:
                sc.skip_space()
                ref_pos = sc.pos
                struct.inherits.append(NameRef(sc.word(f"a {kind} name after 'inherits'"), sc.location(ref_pos)))
                if not sc.try_char(","):
                    break
        where = f"{kind} '{struct.name}'"
        sc.expect("{", f"after {where}")
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {where}")
            key_pos = sc.pos
            key = sc.word(f"an element in {where}")
            if key != "field":
                raise SchemaError(f"unknown element '{key}' in {where}", sc.location(key_pos))
            struct.fields.append(self._field(in_document=True, owner=where))
        return struct

    def _index_settings(self, decl: SchemaDecl, owner: str) -> None:
        sc = self.sc
        name = sc.word(f"an index name in {owner}")
        sc.expect("{", f"after 'index {name}' in {owner}")
        # Vespa's index block has no normalizing (a field's own setting): refused, never ignored
        for item in read_settings_block(sc, f"index '{name}' in {owner}",
                                        {"stemming": "value", "normalizing": "unsupported", "prefix": "flag"}):
            if item.key == "stemming" and item.value not in STEMMING_MODES:
                raise SchemaError(f"not supported: stemming: {item.value} in index '{name}' in {owner} (use one "
                                  f"of {', '.join(STEMMING_MODES)})", item.location)
            decl.settings[f"index.{name}.{item.key}"] = item.value or "true"

    # -- fields -----------------------------------------------------------------------------------
    def _field(self, *, in_document: bool, owner: str) -> Field:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        name = sc.word(f"a field name in {owner}")
        location = sc.location(start)
        if not sc.try_word("type"):
            raise sc.error(f"expected 'type' after field name '{name}'")
        is_tag = sc.peek_word() == "tag"
        field_type = read_field_type(sc, f"field '{name}'")
        sc.expect("{", f"after the type of field '{name}'")
        body = FieldBody(sc, name, field_type, in_document, location)
        if is_tag:  # Vespa's tag: weightedset<string> { create-if-nonexistent  remove-if-zero }
            body.settings.update({"weightedset.create-if-nonexistent": "true", "weightedset.remove-if-zero": "true"})
        built = body.parse()
        self.struct_fields.extend(body.struct_fields)
        return built

    def _fieldset(self) -> FieldSetDecl:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        name = sc.word("a fieldset name")
        decl = FieldSetDecl(name, [], sc.location(start))
        owner = f"fieldset '{name}'"
        sc.expect("{", f"after {owner}")
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {owner}")
            key_pos = sc.pos
            key = sc.word(f"an element in {owner}")
            if key == "fields":
                sc.expect(":", f"after 'fields' in {owner}")
                sc.skip_inline_space()
                value_pos = sc.pos
                value, _ = sc.line_value(f"fields of {owner}")
                for match in re.finditer(r"[^\s,]+", value):
                    decl.fields.append(NameRef(match.group(0), sc.location(value_pos + match.start())))
            elif key == "match":
                for item in read_match_items(sc, owner):
                    key = "text" if item.key == "token" else item.key  # token: Vespa's deprecated name of text
                    if key == "exact-terminator":
                        decl.exact_terminator = (item.value or "").strip().strip('"')
                        continue
                    if key not in ("text", "exact", "word", "gram", "uncased"):  # what queries honour
                        raise SchemaError(f"not supported: match setting '{item.key}' on {owner} (set it "
                                          f"on its fields)", item.location)
                    decl.match = key if key in MATCH_MODES else decl.match
            elif key == "query-command":  # for custom searchers, or a built-in one (refused)
                sc.expect(":", f"after 'query-command' in {owner}")
                value, _ = sc.line_value(f"'query-command' in {owner}")
                command = value.strip().strip('"').split()
                if command[:1] == ["exact"]:  # Vespa's own form of `match { exact exact-terminator: X }`
                    decl.match = "exact"
                    decl.exact_terminator = command[1] if len(command) > 1 else decl.exact_terminator
                elif command[:1] and command[0].lower() == PHRASE_SEGMENTING:
                    decl.phrase_segmenting = phrase_segmenting(" ".join(command), owner, sc.location(key_pos))
                else:
                    check_query_command(value, owner, sc.location(key_pos), on_fieldset=True)
            else:
                raise SchemaError(f"unknown element '{key}' in {owner}", sc.location(key_pos))
        return decl

    def _document_summary(self) -> DocumentSummaryDecl:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        name = sc.word("a document-summary name")
        decl = DocumentSummaryDecl(name, sc.location(start))
        owner = f"document-summary '{name}'"
        if sc.try_word("inherits"):
            while True:
                sc.skip_space()
                ref_pos = sc.pos
                decl.inherits.append(NameRef(sc.word("a document-summary name"), sc.location(ref_pos)))
                if not sc.try_char(","):
                    break
        sc.expect("{", f"after {owner}")
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {owner}")
            key_pos = sc.pos
            key = sc.word(f"an element in {owner}")
            if key == "summary":
                decl.fields.append(self._summary_field(owner))
            elif key == "from-disk":
                decl.from_disk = True
            elif key == "omit-summary-features":
                decl.omit_summary_features = True
            else:
                raise SchemaError(f"unknown element '{key}' in {owner}", sc.location(key_pos))
        return decl

    def _summary_field(self, owner: str) -> SummaryFieldDecl:
        """`summary f {}`, `summary f type string {}`, `summary f { source: a  dynamic }`."""
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        name = sc.word(f"a summary field name in {owner}")
        location = sc.location(start)
        if sc.try_word("type"):
            read_field_type(sc, f"summary field '{name}'")
        what = f"summary '{name}' in {owner}"
        if sc.try_inline_char(":"):  # `summary f: dynamic` shorthand
            value, value_location = sc.line_value(what)
            items = [Setting(word, None, value_location) for word in value.split()]
        else:
            sc.expect("{", f"after summary field '{name}' in {owner}")
            items = read_settings_block(sc, what, SUMMARY_ITEMS)
        return SummaryFieldDecl(summary_field(name, name, items, what), location)


__all__ = ["parse_schema", "parse_profile_file", "indexing_outputs", "input_fields"]
