"""Parsing of `field name type t { ... }` bodies into model.Field, deriving index/attribute/summary
from the indexing script."""
from __future__ import annotations

import logging

import re
from dataclasses import replace
from types import MappingProxyType

from searchlib.errors import SchemaError, SourceLocation
from searchlib.indexing.check import script_match
from searchlib.match_modes import MATCH_ALGORITHMS, MATCH_KINDS, check_match_settings
from searchlib.schema.blocks import Setting, parse_int, read_settings_block
from searchlib.schema.lexer import Scanner
from searchlib.schema.literal_fields import LITERAL
from searchlib.schema.model import Field, FieldType, HnswParams, SummaryField, rank_type_problem
from searchlib.schema.query_commands import PHRASE_SEGMENTING, check_query_command, phrase_segmenting
from searchlib.schema.sort_settings import apply_sorting, read_sorting
from searchlib.schema.types import TypeSpecError, parse_field_type
from searchlib.sort_functions import DEFAULT_SORT_SETTINGS

log = logging.getLogger(__name__)

DISTANCE_METRICS = frozenset({"euclidean", "angular", "dotproduct", "prenormalized-angular", "geodegrees",
                              "hamming"})
_METRIC_ALIASES = {"innerproduct": "dotproduct"}  # Vespa's older name
MATCH_MODES = frozenset(MATCH_KINDS)  # the match type; an algorithm (prefix, ...) is a setting beside it
_ATTRIBUTE_FLAGS = ("fast-search", "fast-access", "fast-rank", "paged", "mutable", "huge", "enable-bit-vectors",
                    "enable-bitvectors", "enable-only-bit-vector", "sorting-function", "uncased", "cased")
_ATTRIBUTE_ITEMS = {**{flag: "flag" for flag in _ATTRIBUTE_FLAGS}, "distance-metric": "value",
                    "alias": "value", "sorting": "custom", "dictionary": "block"}
_MATCH_ITEMS = {**{mode: "flag" for mode in (*MATCH_MODES, *MATCH_ALGORITHMS)}, "token": "flag", "cased": "flag", "uncased": "flag",
                "exact-terminator": "value", "gram-size": "value", "max-length": "value",
                "max-occurrences": "value", "max-token-length": "value"}
_INDEX_ITEMS = {"enable-bm25": "flag", "hnsw": "block", "arity": "value", "lower-bound": "value",
                "upper-bound": "value", "dense-posting-list-threshold": "value", "prefix": "flag",
                "stemming": "value", "normalizing": "value"}
_HNSW_ITEMS = {"max-links-per-node": "value", "neighbors-to-explore-at-insert": "value",
               "multi-threaded-indexing": "value"}
SUMMARY_ITEMS = {"source": "value", "full": "flag", "dynamic": "flag", "matched-elements-only": "flag",
                 "tokens": "flag", "select-elements-by": "value", "to": "value", "bolding": "value",
                 "attribute": "flag", "documentid": "flag"}
_FIELD_VALUE_SETTINGS = ("stemming", "normalizing", "bolding", "rank-type", "id", "query-command",
                         "body", "header")
_OUTPUTS = ("index", "attribute", "summary")


def read_field_type(sc: Scanner, what: str) -> FieldType:
    """`string`, `array<int>`, `tensor<float>(x[3])`, ... at the scanner's position."""
    sc.skip_space()
    start = sc.pos
    spec = sc.word(f"a type for {what}")
    if sc.peek() == "<":
        spec += sc.balanced("<", what)
    elif sc.text.startswith("[]", sc.pos):  # `int[]`: Vespa's deprecated spelling of array<int>
        sc.pos += 2
        spec = f"array<{spec}>"
    if spec.startswith("tensor"):
        sc.skip_inline_space()
        spec += sc.balanced("(", what)
    try:
        return parse_field_type(spec)
    except TypeSpecError as exc:
        raise SchemaError(f"{exc} in {what}", sc.location(start)) from None


_UNSUPPORTED_SUMMARY_ITEMS = ("to", "select-elements-by", "attribute", "documentid")


def summary_field(name: str, default_source: str, items: list[Setting], owner: str) -> SummaryField:
    """A summary field from its settings (`source: a`, `dynamic`, `bolding: on`, `tokens`,
    `matched-elements-only`, `full`); a setting this engine cannot honour is refused."""
    sources: tuple[str, ...] = (default_source,)
    flags = {"dynamic": False, "bolding": False, "tokens": False, "matched-elements-only": False}
    for item in items:
        if item.key in _UNSUPPORTED_SUMMARY_ITEMS:
            raise SchemaError(f"not supported: summary setting '{item.key}' in {owner}", item.location)
        if item.key == "source":
            sources = tuple(part.strip() for part in (item.value or "").split(",") if part.strip())
        elif item.key == "bolding":
            if item.value not in ("on", "off", "true", "false"):
                raise SchemaError(f"bolding must be on or off, not '{item.value}' in {owner}", item.location)
            flags["bolding"] = item.value in ("on", "true")
        elif item.key in flags:
            flags[item.key] = True
        elif item.key != "full":
            raise SchemaError(f"unknown summary setting '{item.key}' in {owner}", item.location)
    if sum((flags["dynamic"], flags["tokens"], flags["matched-elements-only"])) > 1:
        raise SchemaError(f"{owner}: dynamic, tokens and matched-elements-only exclude each other", items[0].location)
    return SummaryField(name, sources, flags["dynamic"], flags["bolding"], flags["tokens"],
                        flags["matched-elements-only"])


def read_match_items(sc: Scanner, owner: str) -> list[Setting]:
    """`match: exact` or `match { exact  exact-terminator: "@@" }` as settings."""
    location = sc.location()
    if sc.try_inline_char(":"):
        value, location = sc.line_value(f"match of {owner}")
        items = []
        for word in value.split():
            if word not in _MATCH_ITEMS or _MATCH_ITEMS[word] != "flag":
                raise SchemaError(f"unknown match mode '{word}' in {owner}", location)
            items.append(Setting(word, None, location))
        return items
    sc.expect("{", f"after 'match' in {owner}")
    return read_settings_block(sc, f"match of {owner}", _MATCH_ITEMS)



class FieldBody:
    """The body of `field name type t { ... }`, accumulated then turned into a model.Field."""

    def __init__(self, sc: Scanner, name: str, field_type: FieldType, in_document: bool,
                 location: SourceLocation) -> None:
        self.sc = sc
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
        self.linguistics: list[tuple[str, str, SourceLocation]] = []
        self.settings: dict[str, str] = {}
        self.summaries: dict[str, SummaryField] = {}  # `summary` elements, by summary name
        self.locations: dict[str, SourceLocation] = {"field": location}  # of match/linguistics settings
        self.struct_fields: list[Field] = []  # `struct-field x { ... }`, nested ones flattened
        self.sorting = DEFAULT_SORT_SETTINGS

    def parse(self) -> Field:
        sc = self.sc
        while not sc.try_char("}"):
            if sc.at_end():
                raise sc.error(f"unclosed '{{' in {self.owner}")
            start = sc.pos
            key = sc.word(f"an element in {self.owner}")
            location = sc.location(start)
            handler = getattr(self, "_" + key.replace("-", "_"), None)
            if key == "query-command":  # for custom searchers, or a built-in one (refused)
                command = check_query_command(self._value(key), self.owner, location, on_field=True)
                if command.split()[0].lower() == PHRASE_SEGMENTING:
                    self.settings[PHRASE_SEGMENTING] = str(phrase_segmenting(command, self.owner, location)).lower()
            elif key in _FIELD_VALUE_SETTINGS:
                self.locations[key] = location
                self.settings[key] = self._value(key)
                problem = rank_type_problem(self.settings[key], self.owner) if key == "rank-type" else None
                if problem is not None:  # the field's nativeRank tables (content_node/matching/native_tables.py)
                    raise SchemaError(problem, location)
            elif key == "sorting":  # the attribute's sort order and function, also written on the field
                self.sorting = apply_sorting(self.sorting, read_sorting(sc, self.owner, location), self.owner)
            elif key == "summary-to":  # `summary-to: a, b`: the document summaries holding the field
                self.settings["summary.to"] = self._value(key)
            elif key == "weightedset":
                self._weightedset(location)
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
        if sc.peek_word() is not None and sc.peek() != "{":
            sc.word("an index name")  # `index name: ...` / `index name { ... }` names an index of this field
        if sc.try_inline_char(":"):
            value, _ = sc.line_value(f"index of {self.owner}")
            items = [Setting(word, None, location) for word in value.split()]
            for item in items:
                if _INDEX_ITEMS.get(item.key) != "flag":
                    raise SchemaError(f"unknown index setting '{item.key}' in {self.owner}", location)
        else:
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
                self.locations[f"index.{item.key}"] = item.location
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
                                    {"dictionary": {"btree": "flag", "hash": "flag",
                                                                               "cased": "flag", "uncased": "flag"}},
                                    custom={"sorting": read_sorting})
        for item in items:
            if item.key == "distance-metric":
                item = Setting(item.key, _METRIC_ALIASES.get(item.value, item.value), item.location)
                if item.value not in DISTANCE_METRICS:
                    raise SchemaError(f"unknown distance-metric '{item.value}' in {self.owner} (expected one of "
                                      f"{', '.join(sorted(DISTANCE_METRICS))})", item.location)
                self.distance_metric = item.value
            elif item.key == "alias":
                self.aliases.append(item.value or "")
            elif item.key == "sorting":
                self.sorting = apply_sorting(self.sorting, item, self.owner)
            elif item.value is None and not item.children:
                self.attribute_properties.add(item.key)

    def _match(self, location) -> None:
        for item in read_match_items(self.sc, self.owner):
            if item.key in MATCH_MODES or item.key == "token":  # token: Vespa's deprecated name of text
                self.match = "text" if item.key == "token" else item.key
                self.locations["match"] = item.location
            else:
                self.locations[f"match.{item.key}"] = item.location
                self.settings[f"match.{item.key}"] = item.value if item.value is not None else "true"

    def _rank(self, location) -> None:
        sc = self.sc
        if sc.try_inline_char(":"):
            value, _ = sc.line_value(f"rank of {self.owner}")
        else:
            sc.expect("{", f"after 'rank' in {self.owner}")
            value = " ".join(i.key for i in read_settings_block(sc, f"rank of {self.owner}",
                                                                  {"filter": "flag", "normal": "flag",
                                                                   "literal": "flag"}))
        if value == "literal":  # an extra index of the words as written (searchlib.schema.literal_fields)
            self.settings[LITERAL] = "true"
            self.locations[LITERAL] = location
            return
        if value not in ("filter", "normal"):
            raise SchemaError(f"rank must be filter or normal, not '{value}' in {self.owner}", location)
        self.rank = value

    def _summary(self, location) -> None:
        """`summary: dynamic`, or `summary [name] [type t] { ... }`: a summary of this field under
        its own name, or (another name) one more summary field in the default summary."""
        sc = self.sc
        name = self.name
        colon = sc.try_inline_char(":")
        if not colon and sc.peek_word() is not None:
            name = sc.word("a summary name")
            if sc.try_word("type"):
                read_field_type(self.sc, f"summary of {self.owner}")
            colon = sc.try_inline_char(":")
        if colon:
            value, value_location = sc.line_value(f"summary of {self.owner}")
            items = [Setting(word, None, value_location) for word in value.split()]
        else:
            sc.expect("{", f"after 'summary' in {self.owner}")
            items = read_settings_block(sc, f"summary of {self.owner}", SUMMARY_ITEMS)
        self.summaries[name] = summary_field(name, self.name, items, f"summary '{name}' of {self.owner}")

    def _weightedset(self, location) -> None:
        """`weightedset: create-if-nonexistent` / `weightedset { remove-if-zero }`: how increments of
        one key (`"tags{red}": {"increment": 1}`, searchlib.field_paths) behave."""
        if self.type.kind != "weightedset":
            raise SchemaError(f"'weightedset' settings on {self.owner} of type {self.type}", location)
        allowed = {"create-if-nonexistent": "flag", "remove-if-zero": "flag"}
        if self.sc.try_inline_char(":"):
            value, _ = self.sc.line_value(f"weightedset of {self.owner}")
            items = [Setting(word, None, location) for word in re.split(r"[\s,]+", value) if word]
            if any(item.key not in allowed for item in items):
                raise SchemaError(f"unknown weightedset setting in {self.owner}: '{value}'", location)
        else:
            self.sc.expect("{", f"after 'weightedset' in {self.owner}")
            items = read_settings_block(self.sc, f"weightedset of {self.owner}", allowed)
        for item in items:
            self.settings[f"weightedset.{item.key}"] = "true"

    def _weight(self, location) -> None:
        self.weight = parse_int(self._value("weight"), f"weight of {self.owner}", location)

    def _alias(self, location) -> None:
        if self.sc.inline_word() is not None:
            pass  # `alias sub: other` aliases a sub-name of the field; keep the alias only
        self.aliases.append(self._value("alias"))

    def _struct_field(self, location) -> None:
        """The sub-field's type is a placeholder: the compiler resolves it from the struct or map."""
        sc = self.sc
        sc.skip_space()
        start = sc.pos
        sub = sc.word(f"a struct-field name in {self.owner}")
        while sc.peek() == ".":  # `struct-field value.name`
            sc.pos += 1
            sub += "." + sc.word(f"a struct-field name in {self.owner}")
        sc.expect("{", f"after struct-field '{sub}'")
        body = FieldBody(self.sc, f"{self.name}.{sub}", FieldType("string"), self.in_document, sc.location(start))
        built = body.parse()
        self.struct_fields.append(replace(built, parent=self.name.split(".")[0]))
        self.struct_fields.extend(body.struct_fields)

    def _dictionary(self, location) -> None:
        self.sc.expect("{", f"after 'dictionary' in {self.owner}")
        items = read_settings_block(self.sc, f"dictionary of {self.owner}",
                                    {"btree": "flag", "hash": "flag", "cased": "flag", "uncased": "flag"})
        self.settings["dictionary"] = " ".join(item.key for item in items)

    def _linguistics(self, location) -> None:
        """Vespa's `linguistics { profile: p }` (index and search alike) or `profile { index: p
        search: q }`: analyzers of services.xml's lucene-linguistics component, resolved at load
        (schema.linguistics_profiles)."""
        what = f"linguistics of {self.owner}"
        self.sc.expect("{", f"after 'linguistics' in {self.owner}")
        items = read_settings_block(self.sc, what, {"profile": "custom"}, custom={"profile": _read_profile})
        for item in items:
            if item.value is not None:
                self.linguistics.extend([("index", item.value, item.location), ("search", item.value, item.location)])
            else:
                self.linguistics.extend((c.key, c.value, c.location) for c in item.children)

    def _build(self) -> Field:
        outputs = indexing_outputs(self.indexing, self.name)
        is_index, is_attribute = "index" in outputs, "attribute" in outputs
        kind = self.type.kind
        if is_index and self.type.is_numeric:
            # a number's `index` is searched as its exact value: the engine keeps it as an attribute
            is_index, is_attribute = False, True
        scripted = script_match(self.indexing, self.name) if self.indexing else None
        if scripted is not None:  # `exact` / `ngram N` in the script: the index is matched so
            if self.match and self.match != scripted[0]:
                raise SchemaError(f"{self.owner}: match: {self.match} conflicts with '{scripted[0] if scripted[0] == 'exact' else 'ngram'}' "
                                  f"in its indexing script", self.locations.get("match", self.location))
            self.match = scripted[0]
            if scripted[0] == "gram":
                self.settings.setdefault("match.gram-size", str(scripted[1]))
        match = self.match or ("text" if is_index and kind in ("string", "array", "weightedset", "struct") else "word")
        if kind in ("string", "array", "weightedset"):
            check_match_settings(match, self.settings, is_index, is_attribute, self.locations, self.owner)
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
            settings=MappingProxyType(dict(self.settings)), summaries=self._summary_fields(),
            sorting=self.sorting, linguistics=tuple(self.linguistics),
            match_algorithms=tuple((name, self.locations.get(f"match.{name}", self.location))
                                   for name in MATCH_ALGORITHMS if f"match.{name}" in self.settings),
        )

    def _summary_fields(self) -> tuple[SummaryField, ...]:
        """The field's summary settings; `bolding: on` written on the field bolds its own summary."""
        own = self.summaries.get(self.name, SummaryField(self.name, (self.name,)))
        bolding = self.settings.pop("bolding", None)
        if bolding is not None:
            if bolding not in ("on", "off", "true", "false"):
                raise SchemaError(f"bolding must be on or off, not '{bolding}' in {self.owner}", self.location)
            own = replace(own, bolding=bolding in ("on", "true"))
        return tuple({**self.summaries, self.name: own}.values())


_STRING_LITERAL = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def indexing_outputs(script: str, field_name: str) -> set[str]:
    """Which of index/attribute/summary the script writes to `field_name` (unnamed or named outputs)."""
    outputs: set[str] = set()
    for stage in re.split(r"[|;{}:]", _STRING_LITERAL.sub('""', script)):  # `:` ends select_input's cases
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


def _read_profile(sc, what: str, location) -> Setting:
    """`profile: name` (index and search alike) or `profile { index: a  search: b }`."""
    if sc.try_inline_char(":"):
        name, where = sc.line_value(f"'profile' in {what}", stop_at_space=True)
        return Setting("profile", name, where)
    sc.expect("{", f"after 'profile' in {what}")
    return Setting("profile", None, location,
                   tuple(read_settings_block(sc, f"profile in {what}", {"index": "value", "search": "value"})))
