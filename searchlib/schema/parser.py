"""Recursive-descent parser for .sd files (schemas) and .profile files (one rank profile each).

Produces searchlib.schema.syntax declarations; searchlib.schema.compiler resolves and validates them.
"""
from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from searchlib.errors import SchemaError
from searchlib.schema.blocks import Setting, parse_bool, parse_int, read_settings_block
from searchlib.schema.lexer import Scanner
from searchlib.schema.model import Field, FieldType, HnswParams, SummaryField
from searchlib.schema.profile_parser import read_constant_block, read_constants, read_onnx_model, read_rank_profile
from searchlib.schema.syntax import (
    DocumentSummaryDecl,
    FieldSetDecl,
    NameRef,
    RankProfileDecl,
    SchemaDecl,
    SummaryFieldDecl,
)
from searchlib.schema.types import TypeSpecError, parse_field_type

DISTANCE_METRICS = frozenset({"euclidean", "angular", "dotproduct", "prenormalized-angular", "geodegrees",
                              "hamming"})
MATCH_MODES = frozenset({"text", "exact", "word", "prefix", "gram", "substring", "suffix"})
_ATTRIBUTE_FLAGS = ("fast-search", "fast-access", "fast-rank", "paged", "mutable", "huge", "enable-bit-vectors",
                    "enable-bitvectors", "enable-only-bit-vector", "sorting-function", "uncased", "cased")
_ATTRIBUTE_ITEMS = {**{flag: "flag" for flag in _ATTRIBUTE_FLAGS}, "distance-metric": "value",
                    "alias": "value", "sorting": "block", "dictionary": "block"}
_SORTING_ITEMS = {"order": "value", "function": "value", "strength": "value", "locale": "value"}
_MATCH_ITEMS = {**{mode: "flag" for mode in MATCH_MODES}, "cased": "flag", "uncased": "flag",
                "exact-terminator": "value", "gram-size": "value", "max-length": "value",
                "max-occurrences": "value", "max-token-length": "value"}
_INDEX_ITEMS = {"enable-bm25": "flag", "hnsw": "block", "arity": "value", "lower-bound": "value",
                "upper-bound": "value", "dense-posting-list-threshold": "value", "prefix": "flag",
                "stemming": "value", "normalizing": "value"}
_HNSW_ITEMS = {"max-links-per-node": "value", "neighbors-to-explore-at-insert": "value",
               "multi-threaded-indexing": "value"}
_SUMMARY_ITEMS = {"source": "value", "full": "flag", "dynamic": "flag", "matched-elements-only": "flag",
                  "tokens": "flag", "select-elements-by": "value", "to": "value", "bolding": "value",
                  "attribute": "flag", "documentid": "flag"}
_FIELD_VALUE_SETTINGS = ("stemming", "normalizing", "bolding", "rank-type", "id", "query-command",
                         "sorting", "body", "header")
_OUTPUTS = ("index", "attribute", "summary")


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

    def schema(self) -> SchemaDecl:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        keyword = sc.word("'schema'")
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
            elif key == "import":
                # `import field ref.parent_field as name {}`: parent-child is not supported; record it
                value, _ = sc.line_value(f"import in {owner}")
                decl.settings[f"import.{len(decl.settings)}"] = value.rstrip("{} ")
                sc.try_inline_char("}")
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
            elif key in ("struct", "compression", "annotation"):
                # structs are parsed for syntax only: struct fields are not searchable here
                sc.word(f"a {key} name") if key != "compression" else None
                sc.expect("{", f"after '{key}' in {owner}")
                sc.block_text(f"{key} in {owner}")
            else:
                raise SchemaError(f"unknown element '{key}' in {owner}", sc.location(start))

    # -- fields -----------------------------------------------------------------------------------
    def _field(self, *, in_document: bool, owner: str) -> Field:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        name = sc.word(f"a field name in {owner}")
        location = sc.location(start)
        if not sc.try_word("type"):
            raise sc.error(f"expected 'type' after field name '{name}'")
        field_type = self._field_type(f"field '{name}'")
        sc.expect("{", f"after the type of field '{name}'")
        return _FieldBody(self, name, field_type, in_document, location).parse()

    def _field_type(self, what: str) -> FieldType:
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        spec = sc.word(f"a type for {what}")
        if sc.peek() == "<":
            spec += sc.balanced("<", what)
        if spec.startswith("tensor"):
            sc.skip_inline_space()
            spec += sc.balanced("(", what)
        try:
            return parse_field_type(spec)
        except TypeSpecError as exc:
            raise SchemaError(f"{exc} in {what}", sc.location(start)) from None

    # -- fieldsets and summaries --------------------------------------------------------------------
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
                items = self._match_items(owner)
                decl.match = next((item.key for item in items if item.key in MATCH_MODES), decl.match)
            elif key == "query-command":
                sc.expect(":", f"after 'query-command' in {owner}")
                sc.line_value(f"query-command of {owner}")
            else:
                raise SchemaError(f"unknown element '{key}' in {owner}", sc.location(key_pos))
        return decl

    def _match_items(self, owner: str) -> list[Setting]:
        """`match: exact` or `match { exact  exact-terminator: "@@" }` as settings."""
        sc = self.sc
        location = sc.location()
        if sc.try_inline_char(":"):
            value, _ = sc.line_value(f"match of {owner}")
            items = []
            for word in value.split():
                if word not in _MATCH_ITEMS or _MATCH_ITEMS[word] != "flag":
                    raise SchemaError(f"unknown match mode '{word}' in {owner}", location)
                items.append(Setting(word, None, location))
            return items
        sc.expect("{", f"after 'match' in {owner}")
        return read_settings_block(sc, f"match of {owner}", _MATCH_ITEMS)

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
            self._field_type(f"summary field '{name}'")
        sources: tuple[str, ...] = (name,)
        dynamic = False
        if sc.try_inline_char(":"):  # `summary f: dynamic` shorthand
            value, _ = sc.line_value(f"summary '{name}' in {owner}")
            dynamic = value == "dynamic"
        else:
            sc.expect("{", f"after summary field '{name}' in {owner}")
            for item in read_settings_block(sc, f"summary '{name}' in {owner}", _SUMMARY_ITEMS):
                if item.key == "source":
                    sources = tuple(part.strip() for part in (item.value or "").split(",") if part.strip())
                elif item.key == "dynamic":
                    dynamic = True
        return SummaryFieldDecl(SummaryField(name, sources, dynamic), location)


class _FieldBody:
    """The body of `field name type t { ... }`, accumulated then turned into a model.Field."""

    def __init__(self, parser: _SchemaParser, name: str, field_type: FieldType, in_document: bool, location) -> None:
        self.p, self.sc = parser, parser.sc
        self.name, self.type, self.in_document, self.location = name, field_type, in_document, location
        self.owner = f"field '{name}'"
        self.indexing = ""
        self.attribute_properties: set[str] = set()
        self.distance_metric = "euclidean"
        self.hnsw: HnswParams | None = None
        self.bm25 = False
        self.match: str | None = None
        self.rank: str | None = None
        self.weight = 100
        self.aliases: list[str] = []
        self.settings: dict[str, str] = {}

    def parse(self) -> Field:
        sc = self.sc
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {self.owner}")
            start = sc.pos
            key = sc.word(f"an element in {self.owner}")
            location = sc.location(start)
            handler = getattr(self, "_" + key.replace("-", "_"), None)
            if key in _FIELD_VALUE_SETTINGS:
                self.settings[key] = self._value(key)
            elif handler is not None and key in ("indexing", "index", "attribute", "match", "rank", "summary",
                                                 "weight", "alias", "struct-field", "dictionary", "linguistics"):
                handler(location)
            else:
                raise SchemaError(f"unknown element '{key}' in {self.owner}", location)
        return self._build()

    def _value(self, key: str) -> str:
        self.sc.expect(":", f"after '{key}' in {self.owner}")
        value, location = self.sc.line_value(f"'{key}' in {self.owner}")
        if not value:
            raise SchemaError(f"missing value for '{key}' in {self.owner}", location)
        return value

    def _indexing(self, location) -> None:
        sc = self.sc
        if sc.try_inline_char(":"):
            script, _ = sc.line_value(f"indexing of {self.owner}")
        elif sc.try_char("{"):
            script, _ = sc.block_text(f"indexing of {self.owner}")
        else:
            raise sc.error(f"expected ':' or '{{' after 'indexing' in {self.owner}")
        if not script:
            raise SchemaError(f"empty indexing script in {self.owner}", location)
        self.indexing = f"{self.indexing}; {script}" if self.indexing else script

    def _index(self, location) -> None:
        sc = self.sc
        if sc.try_inline_char(":"):
            value, _ = sc.line_value(f"index of {self.owner}")
            items = [Setting(word, None, location) for word in value.split()]
            for item in items:
                if _INDEX_ITEMS.get(item.key) != "flag":
                    raise SchemaError(f"unknown index setting '{item.key}' in {self.owner}", location)
        else:
            if sc.peek_word() is not None:
                sc.word("an index name")  # `index name { ... }` names an index of this field
            sc.expect("{", f"after 'index' in {self.owner}")
            items = read_settings_block(sc, f"index of {self.owner}", _INDEX_ITEMS, {"hnsw": _HNSW_ITEMS})
        for item in items:
            if item.key == "enable-bm25":
                self.bm25 = True
            elif item.key == "hnsw":
                values = {child.key: child for child in item.children}
                params = HnswParams()
                if "max-links-per-node" in values:
                    child = values["max-links-per-node"]
                    params = HnswParams(parse_int(child.value, "max-links-per-node", child.location),
                                        params.neighbors_to_explore_at_insert)
                if "neighbors-to-explore-at-insert" in values:
                    child = values["neighbors-to-explore-at-insert"]
                    params = HnswParams(params.max_links_per_node,
                                        parse_int(child.value, "neighbors-to-explore-at-insert", child.location))
                self.hnsw = params
            else:
                self.settings[f"index.{item.key}"] = item.value if item.value is not None else "true"

    def _attribute(self, location) -> None:
        sc = self.sc
        if sc.try_inline_char(":"):
            value, _ = sc.line_value(f"attribute of {self.owner}")
            for word in re.split(r"[\s,]+", value):
                if word and _ATTRIBUTE_ITEMS.get(word) != "flag":
                    raise SchemaError(f"unknown attribute setting '{word}' in {self.owner}", location)
                self.attribute_properties.add(word)
            return
        if sc.peek_word() is not None:
            sc.word("an attribute name")
        sc.expect("{", f"after 'attribute' in {self.owner}")
        items = read_settings_block(sc, f"attribute of {self.owner}", _ATTRIBUTE_ITEMS,
                                    {"sorting": _SORTING_ITEMS, "dictionary": {"btree": "flag", "hash": "flag",
                                                                               "cased": "flag", "uncased": "flag"}})
        for item in items:
            if item.key == "distance-metric":
                if item.value not in DISTANCE_METRICS:
                    raise SchemaError(f"unknown distance-metric '{item.value}' in {self.owner} (expected one of "
                                      f"{', '.join(sorted(DISTANCE_METRICS))})", item.location)
                self.distance_metric = item.value
            elif item.key == "alias":
                self.aliases.append(item.value or "")
            elif item.value is None and not item.children:
                self.attribute_properties.add(item.key)

    def _match(self, location) -> None:
        for item in self.p._match_items(self.owner):
            if item.key in MATCH_MODES:
                self.match = item.key
            else:
                self.settings[f"match.{item.key}"] = item.value if item.value is not None else "true"

    def _rank(self, location) -> None:
        sc = self.sc
        if sc.try_inline_char(":"):
            value, _ = sc.line_value(f"rank of {self.owner}")
        else:
            sc.expect("{", f"after 'rank' in {self.owner}")
            value = " ".join(i.key for i in read_settings_block(sc, f"rank of {self.owner}",
                                                                  {"filter": "flag", "normal": "flag"}))
        if value not in ("filter", "normal"):
            raise SchemaError(f"rank must be filter or normal, not '{value}' in {self.owner}", location)
        self.rank = value

    def _summary(self, location) -> None:
        sc = self.sc
        if sc.try_inline_char(":"):
            self.settings["summary"], _ = sc.line_value(f"summary of {self.owner}")
            return
        if sc.peek_word() is not None:
            sc.word("a summary name")
            if sc.try_word("type"):
                self.p._field_type(f"summary of {self.owner}")
        if sc.try_inline_char(":"):
            self.settings["summary"], _ = sc.line_value(f"summary of {self.owner}")
            return
        sc.expect("{", f"after 'summary' in {self.owner}")
        for item in read_settings_block(sc, f"summary of {self.owner}", _SUMMARY_ITEMS):
            if item.value is None:
                self.settings["summary"] = item.key  # full, dynamic, matched-elements-only, ...
            else:
                self.settings[f"summary.{item.key}"] = item.value

    def _weight(self, location) -> None:
        self.weight = parse_int(self._value("weight"), f"weight of {self.owner}", location)

    def _alias(self, location) -> None:
        if self.sc.inline_word() is not None:
            pass  # `alias sub: other` aliases a sub-name of the field; keep the alias only
        self.aliases.append(self._value("alias"))

    def _struct_field(self, location) -> None:
        sc = self.sc
        sub = sc.word(f"a struct-field name in {self.owner}")
        sc.expect("{", f"after struct-field '{sub}'")
        _FieldBody(self.p, f"{self.name}.{sub}", FieldType("string"), self.in_document, location).parse()

    def _dictionary(self, location) -> None:
        self.sc.expect("{", f"after 'dictionary' in {self.owner}")
        items = read_settings_block(self.sc, f"dictionary of {self.owner}",
                                    {"btree": "flag", "hash": "flag", "cased": "flag", "uncased": "flag"})
        self.settings["dictionary"] = " ".join(item.key for item in items)

    def _linguistics(self, location) -> None:
        self.sc.expect("{", f"after 'linguistics' in {self.owner}")
        for item in read_settings_block(self.sc, f"linguistics of {self.owner}", {"profile": "value"}):
            self.settings[f"linguistics.{item.key}"] = item.value or ""

    def _build(self) -> Field:
        outputs = indexing_outputs(self.indexing, self.name)
        is_index, is_attribute = "index" in outputs, "attribute" in outputs
        kind = self.type.kind
        match = self.match or ("text" if is_index and kind in ("string", "array", "weightedset") else "word")
        rank_filter = self.rank == "filter" or (match == "exact" and self.rank != "normal")
        hnsw = self.hnsw
        if kind == "tensor" and is_index and hnsw is None:
            hnsw = HnswParams()
        if hnsw is not None and kind != "tensor":
            raise SchemaError(f"hnsw index on {self.owner} of type {self.type}: only tensor fields have HNSW",
                              self.location)
        return Field(
            name=self.name, type=self.type, indexing=self.indexing, is_index=is_index, is_attribute=is_attribute,
            is_summary="summary" in outputs, in_document=self.in_document,
            attribute_properties=frozenset(self.attribute_properties), distance_metric=self.distance_metric,
            hnsw=hnsw, match=match, rank_filter=rank_filter, bm25_enabled=self.bm25, location=self.location,
            input_fields=input_fields(self.indexing), weight=self.weight, aliases=tuple(self.aliases),
            settings=MappingProxyType(dict(self.settings)),
        )


_STRING_LITERAL = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def indexing_outputs(script: str, field_name: str) -> set[str]:
    """Which of index/attribute/summary the script writes to `field_name` (unnamed or named outputs)."""
    outputs: set[str] = set()
    for stage in re.split(r"[|;{}]", _STRING_LITERAL.sub('""', script)):
        words = stage.split()
        if words and words[0] in _OUTPUTS:
            target = words[1] if len(words) > 1 else field_name
            if target == field_name:
                outputs.add(words[0])
    return outputs


def input_fields(script: str) -> tuple[str, ...]:
    """The document fields an indexing script reads with `input f`, in order, without repeats."""
    names = re.findall(r"\binput\s+([A-Za-z_][A-Za-z0-9_.]*)", _STRING_LITERAL.sub('""', script))
    return tuple(dict.fromkeys(names))


__all__ = ["parse_schema", "parse_profile_file", "indexing_outputs", "input_fields", "parse_bool"]
