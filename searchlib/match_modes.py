"""How a string field is matched (the schema's `match` and `stemming` settings): the one rule both
the index (content nodes, at feed) and the query parser (container) apply to text, so a word is
always turned into the same terms on both sides. Vespa's schema reference, `match`:

- text (the default for `index`): tokens, normalized, lowercased and stemmed (searchlib.linguistics);
  `stemming: none` leaves them unstemmed;
- exact: the whole value is one term, normalized and lowercased (not lowercased with `cased`); in
  the simple query language the value runs to `exact-terminator` (default "@@");
- word (the default for string attributes): the whole value is one term, as exact; queries are
  parsed as usual;
- gram: every token becomes its overlapping n-grams of `gram-size` (default 2) characters, in the
  index and in queries: "hi blue" → "hi", "bl", "lu", "ue"; a token no longer than n stays whole;
- cased: exact and word keep the case (the default linguistics lowercases text tokens, so on text
  it changes nothing, as Vespa documents for its default linguistics);
- linguistics profiles (schema.linguistics_profiles): the field's `index` analyzer chain replaces
  tokenizing, normalizing and stemming at feed, its `search` chain on query words; next to a
  LuceneLinguistics component a text field without a profile gets the analyzer of the text's
  language, at feed and in queries (searchlib.lucene_languages);
- normalizing: none: the field's index and query terms keep their accents (`é` stays `é`; NFKC and
  lowercasing still apply), on both sides;
- text on a string attribute without `index`: queries are tokenized into words (a phrase when
  several, which an attribute never matches), lowercased, neither stemmed nor accent-folded — Vespa
  derives no `word` command for such a field (only `lowercase` and `attribute`), while the attribute
  still holds whole values.

Accepted without effect, as Vespa does in indexed mode (an info line at load says so): the match
algorithms `prefix` (Vespa: attributes always support prefix search; on an index Vespa derives a plain
text index), `substring` and `suffix` (streaming search only), and `index: prefix`. They set no match
type: `match { exact  prefix }` is exact. On a field of a `mode="streaming"` type Vespa matches by
them, and so does the node (streaming_schemas, content_node/streaming.py).

max-length (characters matched per value, default 1M), max-token-length (longer tokens are not
indexed, default 1000) and max-occurrences (occurrences of one term indexed per value, default
10000) bound what the index holds.
"""
from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.languages import DEFAULT_LANGUAGE, detect_language, script_language
from searchlib.linguistics import normalize, stems, tokenize_unstemmed, words as words_of
from searchlib.lucene_analysis import analyze
from searchlib.lucene_languages import LANGUAGE_ANALYSIS, LanguageChains, decode, language_chain
from searchlib.schema.literal_fields import LITERAL
from searchlib.schema.query_commands import PHRASE_SEGMENTING

# a term's {prefix|substring|suffix: true} as a test of one value (or token) against the term
AFFIX_TESTS: Mapping[str, Callable[[str, str], bool]] = MappingProxyType({
    "prefix": str.startswith, "substring": str.__contains__, "suffix": str.endswith})
STEMMING_MODES = ("none", "best", "shortest")  # Snowball gives one stem: "best" and "shortest" agree
MATCH_KINDS = ("text", "exact", "word", "gram")
# Vespa's match algorithms: only streaming search (vsmfields) reads them; indexed mode derives nothing
MATCH_ALGORITHMS = {"prefix": "attributes always support prefix search, and an index is matched as text",
                    "substring": "streaming search only", "suffix": "streaming search only"}
log = logging.getLogger("searchlib.schema")


@dataclass(frozen=True, slots=True)
class MatchMode:
    kind: str = "text"  # text | exact | word | gram
    cased: bool = False
    stemming: bool = True
    normalizing: bool = True  # accents folded (`normalizing: none` keeps them)
    gram_size: int = 2
    exact_terminator: str = "@@"
    max_length: int = 1_000_000
    max_token_length: int = 1000
    max_occurrences: int = 10_000
    # `rank: literal`: the indexes of the words as written (schema.literal_fields): a field's own, or
    # for a fieldset those of its fields that have one
    literal_indexes: tuple[str, ...] = ()
    phrase_segmenting: bool = False  # query-command phrase-segmenting: a split word is a phrase, else an AND
    # `linguistics { profile … }`: the lucene-analysis chains (searchlib.lucene_analysis) that replace
    # the default tokenizing, normalizing and stemming at feed (index) and in queries (search)
    index_analysis: tuple[str, ...] = ()
    search_analysis: tuple[str, ...] = ()
    # a text field without a profile next to LuceneLinguistics: analyzed by the text's language with
    # these configured language analyzers, else Lucene's defaults; None: not such a field
    language_analysis: LanguageChains | None = None
    streaming: bool = False  # a field of a mode="streaming" type (STREAMING): it matches affixes of any word


    @property
    def whole_value(self) -> bool:
        """exact and word: one term, not tokens."""
        return self.kind in ("exact", "word")


TEXT = MatchMode()


def match_mode(field) -> MatchMode:
    """A model.Field's mode, read from its settings (validated at load by check_match_settings)."""
    settings = field.settings
    kind = field.match if field.match in MATCH_KINDS else "text"
    # text on an attribute alone: Vespa's query side gets neither stem nor normalize (index-only commands)
    attribute_text = kind == "text" and field.is_attribute and not field.is_index
    return MatchMode(
        kind=kind,
        cased=settings.get("match.cased") == "true",
        stemming=_stemmed(settings) and not attribute_text and "analysis.index" not in settings
        and LANGUAGE_ANALYSIS not in settings,
        normalizing=settings.get("normalizing", settings.get("index.normalizing")) != "none" and not attribute_text,
        gram_size=int(settings.get("match.gram-size", 2)),
        exact_terminator=_unquote(settings.get("match.exact-terminator", "@@")),
        max_length=int(settings.get("match.max-length", 1_000_000)),
        max_token_length=int(settings.get("match.max-token-length", 1000)),
        max_occurrences=int(settings.get("match.max-occurrences", 10_000)),
        literal_indexes=(settings[LITERAL],) if LITERAL in settings else (),
        phrase_segmenting=settings.get(PHRASE_SEGMENTING, "false") == "true",
        index_analysis=tuple(settings.get("analysis.index", "").split()),
        search_analysis=tuple(settings.get("analysis.search", "").split()),
        language_analysis=decode(settings[LANGUAGE_ANALYSIS]) if LANGUAGE_ANALYSIS in settings else None,
        streaming=STREAMING in settings,
    )


def _stemmed(settings) -> bool:
    """Vespa's getEffectiveSearchStemming: the field's (else the schema's) `stemming: none` wins;
    otherwise the index's stemming (the field's index block, else a schema-level `index` of the
    field's name), else the field's. Snowball gives one stem, so only "none" or not matters."""
    if settings.get("stemming") == "none":
        return False
    return settings.get("index.stemming", settings.get("stemming", "best")) != "none"


def check_match_settings(kind: str, settings: dict[str, str], is_index: bool, is_attribute: bool,
                         locations: dict[str, SourceLocation], owner: str) -> None:
    """Refuse, where written, what the engine would otherwise parse and ignore."""
    def fail(key: str, message: str) -> None:
        raise SchemaError(message, locations.get(key) or locations["field"])

    for algorithm, why in MATCH_ALGORITHMS.items():
        if f"match.{algorithm}" in settings:
            _no_effect(f"match: {algorithm}", owner, why, locations.get(f"match.{algorithm}"))
    if "index.prefix" in settings:
        _no_effect("index: prefix", owner, "Vespa derives a plain text index", locations.get("index.prefix"))
    if kind == "gram" and not is_index:
        fail("match", f"not supported: match: gram on {owner} without 'index' (Vespa: index only)")
    if "match.gram-size" in settings:
        if kind != "gram":
            fail("match.gram-size", f"gram-size in {owner} needs match: gram")
        _positive(settings["match.gram-size"], "gram-size", owner, locations.get("match.gram-size"))
    if "match.exact-terminator" in settings and kind != "exact":
        fail("match.exact-terminator", f"exact-terminator in {owner} needs match: exact")
    for key in ("match.max-length", "match.max-token-length", "match.max-occurrences"):
        if key in settings:
            _positive(settings[key], key.split(".", 1)[1], owner, locations.get(key))
    for key in ("stemming", "index.stemming"):
        if key in settings and settings[key] not in STEMMING_MODES:
            fail(key, f"not supported: stemming: {settings[key]} in {owner} (use one of "
                      f"{', '.join(STEMMING_MODES)})")
    for key in ("normalizing", "index.normalizing"):
        if key in settings and settings[key] != "none":
            fail(key, f"not supported: normalizing: {settings[key]} in {owner} (only 'none')")


def _no_effect(setting: str, owner: str, why: str, location: SourceLocation | None) -> None:
    log.info("%s: %s in %s has no effect in indexed mode (%s), as in Vespa", location, setting, owner, why)


STREAMING = "mode.streaming"  # set at load on each field of a mode="streaming" document type


def streaming_schemas(schemas: Mapping[str, Any], clusters) -> dict[str, Any]:
    """The schemas with the fields of every mode="streaming" type marked (STREAMING) and unstemmed:
    Vespa's streaming search tokenizes and normalizes each streamed value but does not stem
    ("Stemming is not supported for streaming", docs streaming-search.html), so here the feed
    indexes and queries look up plain words; the node matches `match: prefix|substring|suffix`
    by the field's dictionary (content_node/streaming.py)."""
    streaming = {name for cluster in clusters for name in cluster.streaming_types}
    marked = {}
    for name, schema in schemas.items():
        if schema.document_name in streaming:
            fields = {key: replace(field, settings=MappingProxyType({**field.settings, "stemming": "none",
                                                                     STREAMING: "true"}))
                      for key, field in schema.fields.items()}
            schema = replace(schema, fields=MappingProxyType(fields))
        marked[name] = schema
    return marked


def streaming_algorithm(field) -> str:
    """The match algorithm (prefix, substring, suffix) a streaming field's words match by; "" for
    whole words, and on a field of an indexed type (where Vespa ignores the algorithms)."""
    if STREAMING not in field.settings or not field.match_algorithms:
        return ""
    return field.match_algorithms[0][0]


def _positive(value: str, what: str, owner: str, location: SourceLocation | None) -> None:
    if not (value.isascii() and value.isdigit()) or int(value) <= 0:
        raise SchemaError(f"{what} in {owner} must be a positive integer, not '{value}'", location)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def query_match_modes(schemas) -> dict[str, MatchMode]:
    """Index name → mode, for the fields and fieldsets of `schemas` (model.Schema values) whose
    words do not become plain text terms; a fieldset takes its first field's mode, with the
    fieldset's own `match` kind when it has one, the literal indexes of all its fields and the
    phrase-segmenting of `fieldset_phrase_segmenting`."""
    modes: dict[str, MatchMode] = {}
    for schema in schemas:
        for name, field in schema.fields.items():
            mode = match_mode(field)
            if mode != TEXT:
                modes.setdefault(name, mode)
        for name, fieldset in schema.fieldsets.items():
            literal = tuple(index for f in fieldset.fields for index in match_mode(schema.fields[f]).literal_indexes)
            mode = replace(match_mode(schema.fields[fieldset.fields[0]]), literal_indexes=literal,
                           phrase_segmenting=fieldset_phrase_segmenting(schema.fields, fieldset.fields,
                                                                        fieldset.phrase_segmenting))
            if fieldset.match in ("exact", "word", "gram"):
                mode = replace(mode, kind=fieldset.match)
            if fieldset.exact_terminator:
                mode = replace(mode, exact_terminator=fieldset.exact_terminator)
            if mode != TEXT:
                modes.setdefault(name, mode)
    return modes


def fieldset_phrase_segmenting(fields, members: tuple[str, ...], own: bool | None = None) -> bool:
    """Vespa's IndexInfo.addFieldSetCommands: a fieldset gets the `phrase-segmenting` command of a
    member field that sets it explicitly (`query-command: phrase-segmenting [true|false]`), whichever
    member that is; else its own (`query-command: phrase-segmenting` on the fieldset: Vespa writes it
    first, so a member's, written after it, wins in the container's Index); else none (false). When
    members set it differently Vespa takes the last in its internal field order (the compiler
    warns); here the last one listed."""
    explicit = [fields[name].settings[PHRASE_SEGMENTING] for name in members
                if PHRASE_SEGMENTING in fields[name].settings]
    return explicit[-1] == "true" if explicit else bool(own)


# -- terms --------------------------------------------------------------------------------------

def whole_value_term(mode: MatchMode, text: str) -> str:
    """The one term of an exact / word value: normalized, lowercased unless cased."""
    if mode.cased:
        return unicodedata.normalize("NFKC", text)
    return normalize(text, mode.normalizing)


def grams(tokens: list[str], size: int) -> list[str]:
    out: list[str] = []
    for token in tokens:
        if len(token) <= size:
            out.append(token)
        else:
            out.extend(token[i:i + size] for i in range(len(token) - size + 1))
    return out


def index_terms(mode: MatchMode, text: str, language: str) -> list[str]:
    """The terms the index holds for one string (a value or one element), in position order."""
    words, stemmed = index_words(mode, text, language)
    return stems(words, language) if stemmed else words


def index_words(mode: MatchMode, text: str, language: str) -> tuple[list[str], bool]:
    """`index_terms` before stemming: the words, and whether they are still to be stemmed (in
    `language`), so a batch of documents can stem each distinct word once."""
    text = text[:mode.max_length]
    if mode.index_analysis and not mode.whole_value:  # a profile's terms are final: stemmed already
        words = analyze(mode.index_analysis, text)
        return [word for word in words if len(word) <= mode.max_token_length], False
    if mode.language_analysis is not None and not mode.whole_value:
        words = analyze(lucene_chain(mode, language), text)
        return [word for word in words if len(word) <= mode.max_token_length], False
    if mode.whole_value:
        term = whole_value_term(mode, text)
        return ([term] if term and len(term) <= mode.max_token_length else []), False
    # gram fields n-gram whole words (a CJK run too: the default tokenizer keeps it one word)
    words = (words_of(normalize(text, mode.normalizing)) if mode.kind == "gram"
             else tokenize_unstemmed(text, language, mode.normalizing))
    if max(map(len, words), default=0) > mode.max_token_length:  # tokens as written, before stemming
        words = [word for word in words if len(word) <= mode.max_token_length]
    if mode.kind == "gram":
        return grams(words, mode.gram_size), False
    return words, mode.stemming


def query_terms(mode: MatchMode, text: str, language: str, stem: bool = True) -> list[str]:
    """The terms a query string becomes for a field of this mode (a phrase when several)."""
    if mode.whole_value:
        term = whole_value_term(mode, text).replace("\x1f", "")  # U+001F marks equiv terms
        return [term] if term else []
    if mode.kind == "gram":
        return grams(words_of(normalize(text, mode.normalizing)), mode.gram_size)
    if mode.search_analysis:
        return analyze(mode.search_analysis, text, stem)
    if mode.language_analysis is not None:
        return analyze(lucene_chain(mode, language), text, stem)
    words = tokenize_unstemmed(text, language, mode.normalizing)
    return stems(words, language) if stem and mode.stemming else words


def mode_language(mode: MatchMode, text: str, explicit: str = "") -> str:
    """The language `text` is analyzed in on a field of this mode: `explicit`, else detected; on a
    field analyzed by LuceneLinguistics by its detector, Vespa's SimpleDetector (script only)."""
    if explicit:
        return explicit
    return script_language(text) if mode.language_analysis is not None else detect_language(text)


def query_detector(modes: Mapping[str, MatchMode]) -> Callable[[str], str]:
    """How a query's language is detected: Vespa's container has one linguistics, so with
    LuceneLinguistics (fields analyzed by language) by its SimpleDetector, else statistically."""
    lucene = any(mode.language_analysis is not None for mode in modes.values())
    return script_language if lucene else detect_language


def text_elements(value: Any) -> Iterable[str]:
    """The texts an index analyzes in a non-string value: a weighted set's keys, an array's (or a
    struct-field's many values') strings."""
    if isinstance(value, dict):
        return (str(key) for key in value)
    if isinstance(value, list):
        return (item for item in value if isinstance(item, str))
    return ()


def lucene_chain(mode: MatchMode, language: str) -> tuple[str, ...]:
    """The analyzer of a `language_analysis` field for text in `language` ("": the default
    language, as the Snowball path stems it); raises UnsupportedLanguageError."""
    return language_chain(language or DEFAULT_LANGUAGE, mode.language_analysis or ())


def cap_occurrences(terms: list[str], limit: int) -> list[bool]:
    """Which positions are indexed under max-occurrences: the first `limit` of each term."""
    seen: dict[str, int] = {}
    keep = []
    for term in terms:
        seen[term] = seen.get(term, 0) + 1
        keep.append(seen[term] <= limit)
    return keep
