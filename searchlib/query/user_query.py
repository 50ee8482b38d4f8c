"""Vespa's simple query language (the text of `query`/`model.queryString` used by `userQuery()`).

Syntax: whitespace-separated items, each `[+|-][index:](word | "quoted phrase")`.
- `+item` is required, `-item` must not match, anything else is optional or required per the type;
- `index:` names a field or fieldset (only names in `known_indexes`, when that set is given, so that
  text such as `ratio:1` stays text if `ratio` is not an index);
- a quoted string that tokenizes to several tokens becomes a Phrase (`"heart attack"`), a word
  joined by punctuation an And of its words (`covid-19`; a Phrase on a phrase-segmenting index, as
  in Vespa), a single token a Term, no token nothing.

How the items combine (model.type):
- `all`/`web`: And of the positive items;
- `any`: Or of the positive items; with `+` items, Rank(And(required), Or(optional));
- `weakAnd` (Vespa 8 default): WeakAnd(targetHits) of the positive items; with `+` items,
  Rank(And(required), WeakAnd(optional)) so `+` really means must (Vespa's parser ignores `+` here);
- `phrase`: the whole text as one Phrase; `tokenize`/`linguistics`: WeakAnd of the tokens, no syntax.
Negative items are added as Not children of an And around the positive part. A query with no
positive item is empty: Vespa's NullItem, which matches nothing (`parse_user_query` gives FalseItem;
YQL drops it from its parent, like Vespa).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from searchlib.errors import InvalidParameterError
from searchlib.languages import query_language
from searchlib.linguistics import query_words, tokenize_unstemmed, words
from searchlib.match_modes import MatchMode, query_detector, query_terms
from searchlib.query.literal_boost import LiteralBoost
from searchlib.query.plain_text import without_query_syntax
from searchlib.query.tree import And, FalseItem, Not, Or, Phrase, QueryNode, Range, Rank, Term, WeakAnd

QUERY_TYPES = ("all", "any", "weakAnd", "phrase", "web", "tokenize", "linguistics")
# userInput's annotations (name, default, allowed): its grammar, and Vespa's grammar.syntax (`none`:
# no character is query syntax) and grammar.composite (how the items combine, over the grammar)
# userInput's grammars: the query types, and raw/segment, which parse no query syntax (yql_user_input.py)
INPUT_GRAMMARS = (*QUERY_TYPES, "raw", "segment")
INPUT_GRAMMAR = (("grammar", "weakAnd", INPUT_GRAMMARS), ("grammar.syntax", "simple", ("simple", "web", "none")),
                 ("grammar.composite", "", ("and", "or", "weakAnd", "phrase")))
_COMPOSITES = {"and": "all", "or": "any", "weakAnd": "weakAnd", "phrase": "phrase"}
DEFAULT_TARGET_HITS = 100

_INDEX_PREFIX = re.compile(r"([A-Za-z_][\w.]*):(?=[^\s:])")


@dataclass(frozen=True, slots=True)
class UserQuerySettings:
    """What `userQuery()` parses: the model.* request parameters that concern the user query."""

    query: str = ""
    type: str = "weakAnd"
    default_index: str = "default"
    filter: str = ""
    target_hits: int = DEFAULT_TARGET_HITS
    known_indexes: frozenset[str] | None = None  # None: every `name:` prefix is an index
    language: str = ""  # model.language/model.locale; "": detected from the query text

    @classmethod
    def from_parameters(
        cls, parameters: Mapping[str, object], known_indexes: Collection[str] | None = None
    ) -> "UserQuerySettings":
        """Read model.queryString/query, model.type/type, model.defaultIndex/default-index,
        model.filter/filter, model.language/language/lang or model.locale/locale (the full name
        wins over the alias)."""

        def first(*names: str, default: str) -> str:
            for name in names:
                if name in parameters and parameters[name] is not None:
                    return str(parameters[name])
            return default

        query_type = first("model.type", "type", default="weakAnd")
        if query_type not in QUERY_TYPES:
            raise InvalidParameterError(
                f"Invalid query parameter: model.type '{query_type}' is not one of {', '.join(QUERY_TYPES)}"
            )
        return cls(
            query=first("model.queryString", "query", default=""),
            type=query_type,
            default_index=first("model.defaultIndex", "default-index", default="default"),
            filter=first("model.filter", "filter", default=""),
            known_indexes=frozenset(known_indexes) if known_indexes is not None else None,
            language=query_language(parameters),
        )


@dataclass(frozen=True, slots=True)
class _Item:
    node: QueryNode
    sign: str  # "+", "-" or ""


def parse_user_query(
    text: str,
    *,
    type: str = "weakAnd",
    default_index: str = "default",
    target_hits: int = DEFAULT_TARGET_HITS,
    known_indexes: Collection[str] | None = None,
    stem: bool = True,
    language: str = "",
    match_modes: Mapping[str, MatchMode] | None = None,
) -> QueryNode:
    """Parse simple-query-language text into a query tree; empty text gives FalseItem (no hits).
    Words are stemmed in `language`, or in the text's detected language when it is ""; an index
    in `match_modes` turns its words into terms by its match mode (searchlib.match_modes)."""
    node = parse_user_query_or_empty(
        text, type=type, default_index=default_index, target_hits=target_hits,
        known_indexes=known_indexes, stem=stem, language=language, match_modes=match_modes,
    )
    return FalseItem() if node is None else node


def input_grammar(text: str, grammar: str, syntax: str, composite: str) -> tuple[str, str]:
    """(the text to parse, the grammar to parse it with) for userInput's INPUT_GRAMMAR annotations."""
    return (without_query_syntax(text) if syntax == "none" else text), _COMPOSITES.get(composite, grammar)


def parse_user_query_or_empty(
    text: str,
    *,
    type: str = "weakAnd",
    default_index: str = "default",
    target_hits: int = DEFAULT_TARGET_HITS,
    known_indexes: Collection[str] | None = None,
    stem: bool = True,
    language: str = "",
    match_modes: Mapping[str, MatchMode] | None = None,
    literal: LiteralBoost | None = None,
    fold_accents: bool = True,
    lowercase: bool = True,
) -> QueryNode | None:
    """As parse_user_query, but None for an empty query (Vespa's NullItem) so callers can drop it.
    `exact_indexes` (attribute fields → how a value is normalized) take each item whole.
    fold_accents=False (userInput's `{accentDrop: false}`): words keep their accents;
    lowercase=False (`{normalizeCase: false}`): their case."""
    if type not in QUERY_TYPES:
        raise InvalidParameterError(f"Unknown query type '{type}': use one of {', '.join(QUERY_TYPES)}")
    terms_of = _terms_of(stem, language or query_detector(match_modes or {})(text), match_modes or {}, literal,
                         fold_accents, lowercase)
    if type == "phrase":
        return _text_item(default_index, terms_of(default_index, text), written=text)
    if type in ("tokenize", "linguistics"):
        terms = [Term(default_index, token) for token in terms_of(default_index, text)]
        return WeakAnd(tuple(terms), target_hits) if terms else None
    items = _parse_items(text, default_index, known_indexes, terms_of, match_modes or {})
    return _combine(items, type, target_hits)


_TermsOf = Callable[[str, str], list[str]]  # (index, text) -> terms


def _terms_of(stem: bool, language: str, modes: Mapping[str, MatchMode],
              literal: LiteralBoost | None = None, fold_accents: bool = True, lowercase: bool = True) -> _TermsOf:
    tokenizer = functools.partial(query_words, language=language, stem=stem, fold_accents=fold_accents,
                                  lowercase=lowercase)

    def terms(index: str, text: str) -> list[str]:
        mode = modes.get(index)
        if mode is not None and not fold_accents:
            mode = replace(mode, normalizing=False)
        if literal is not None:
            literal.note(index, text, language)
        return tokenizer(text) if mode is None else query_terms(mode, text, language, stem)
    return terms


def with_label(node: QueryNode, label: str) -> QueryNode:
    """A userInput's `{label: "l"}` on the items it made, as Vespa's YqlParser.AnnotationPropagator:
    the outermost labelable item of each branch (a term, a phrase) that has no label gets it, so
    `bm25(f, label: l)` and the other label features read all of them; composites take none."""
    if not label:
        return node
    if isinstance(node, (And, Or, WeakAnd, Rank)):
        return replace(node, children=tuple(with_label(child, label) for child in node.children))
    if isinstance(node, Not):
        return replace(node, child=with_label(node.child, label))
    return replace(node, label=label) if hasattr(node, "label") and not node.label else node


def with_rank_flags(node: QueryNode, ranked: bool | None, filter_: bool | None,
                    positions: bool | None = None) -> QueryNode:
    """A userInput's `{ranked: false}` / `{filter: true}` / `{usePositionData: false}` (its own or an
    enclosing group's) on every item it made, as Vespa's YqlParser.AnnotationPropagator sets them on
    each item it visits: here on the words, phrases and numeric items, the tree's items with these
    flags (None: not given; usePositionData only on words and phrases)."""
    if ranked is None and filter_ is None and positions is None:
        return node
    if isinstance(node, (And, Or, WeakAnd, Rank)):
        return replace(node, children=tuple(with_rank_flags(child, ranked, filter_, positions)
                                            for child in node.children))
    if isinstance(node, Not):
        return replace(node, child=with_rank_flags(node.child, ranked, filter_, positions))
    if isinstance(node, (Term, Phrase, Range)):
        node = replace(node, ranked=node.ranked if ranked is None else ranked,
                       filter=node.filter if filter_ is None else filter_)
    if isinstance(node, (Term, Phrase)) and positions is not None:
        node = replace(node, positions=positions)
    return node


def apply_filter(tree: QueryNode | None, filter_text: str, default_index: str = "default",
                 language: str = "", match_modes: Mapping[str, MatchMode] | None = None) -> QueryNode | None:
    """Add model.filter terms: `+x` and `x` must match, `-x` must not; filter terms are unranked."""
    if not filter_text.strip():
        return tree
    positives: list[QueryNode] = []
    negatives: list[QueryNode] = []
    terms_of = _terms_of(True, language or query_detector(match_modes or {})(filter_text), match_modes or {})
    for item in _parse_items(filter_text, default_index, None, terms_of, match_modes or {}):
        node = _as_filter(item.node)
        (negatives if item.sign == "-" else positives).append(node)
    children = ([tree] if tree is not None else []) + positives
    if not children:
        return None
    return _and_with_negatives(children, negatives)


def _as_filter(node: QueryNode) -> QueryNode:
    if isinstance(node, Term):
        return Term(node.field, node.term, node.weight, node.label, ranked=False, filter=True, affix=node.affix)
    if isinstance(node, And):  # the words of "a.b"
        return And(tuple(_as_filter(child) for child in node.children))
    if isinstance(node, Phrase):
        return replace(node, ranked=False, filter=True)
    return node


def _parse_items(
    text: str, default_index: str, known_indexes: Collection[str] | None,
    terms_of: _TermsOf, modes: Mapping[str, MatchMode],
) -> list[_Item]:
    items: list[_Item] = []
    position = 0
    length = len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        sign = ""
        if text[position] in "+-" and position + 1 < length and not text[position + 1].isspace():
            sign = text[position]
            position += 1
        index = default_index
        prefix = _INDEX_PREFIX.match(text, position)
        if prefix and (known_indexes is None or prefix.group(1) in known_indexes):
            index = prefix.group(1)
            position = prefix.end()
        mode = modes.get(index)
        quoted = False
        terminator_at = text.find(mode.exact_terminator, position) if mode and mode.kind == "exact" else -1
        if terminator_at >= 0 and text[position:position + 1] != '"':
            surface = text[position:terminator_at]  # an exact value runs to its terminator
            position = terminator_at + len(mode.exact_terminator)
        elif position < length and text[position] == '"':
            quoted = True
            end = text.find('"', position + 1)
            end = length if end < 0 else end
            surface = text[position + 1 : end]
            position = end + 1
        else:
            end = position
            while end < length and not text[end].isspace() and text[end] != '"':
                end += 1
            surface = text[position:end]
            position = end
        if sign == "-" and index == default_index and surface[:1].isdigit():
            sign = ""  # Vespa reads `-5` as the number, not as "not 5"
        whole_value = index in modes and modes[index].kind in ("word", "exact")
        if whole_value:
            node = _affix_item(index, surface, terms_of)
        elif not quoted and (node := _prefix_item(index, surface, terms_of)) is not None:
            pass
        elif quoted or (mode is not None and (mode.phrase_segmenting or mode.kind == "gram")):
            node = _text_item(index, terms_of(index, surface), written=surface)
        else:  # Vespa's default (phrase-segmenting false): the words of "a.b" are an AND
            node = _joined_words(index, surface, terms_of)
        if node is not None:
            items.append(_Item(node, sign))
    return items


def _joined_words(index: str, surface: str, terms_of: _TermsOf) -> QueryNode | None:
    """Words joined by punctuation (`a.b`, `covid-19`), as Vespa's parser reads them when the index
    is not phrase-segmenting: an AND of the words; a word the index's analysis still splits (a
    gram field's n-grams, LuceneLinguistics' CJK bigrams) stays a phrase."""
    items = [item for piece in words(surface) if (item := _text_item(index, terms_of(index, piece), written=piece))]
    return None if not items else items[0] if len(items) == 1 else And(tuple(items))


def _affix_item(index: str, surface: str, terms_of: _TermsOf) -> QueryNode | None:
    """A whole-value (word/exact) index's item as written: `x*` is a prefix, `*x` a suffix, `*x*` a
    substring (numeric range syntax such as `[2;6]` or `>6` is left for the content node)."""
    affix = ""
    if len(surface) > 2 and surface.startswith("*") and surface.endswith("*"):
        affix, surface = "substring", surface[1:-1]
    elif len(surface) > 1 and surface.endswith("*"):
        affix, surface = "prefix", surface[:-1]
    elif len(surface) > 1 and surface.startswith("*"):
        affix, surface = "suffix", surface[1:]
    terms = terms_of(index, surface)
    if affix and len(terms) == 1:
        return Term(index, terms[0], affix=affix)
    return _text_item(index, terms)


def _prefix_item(index: str, surface: str, terms_of: _TermsOf) -> Term | None:
    """`x*` on a tokenized index: Vespa's PrefixItem on any index, which its QueryValidator refuses
    on an index field (container.search.validation) and streaming search prefix-matches; None when
    not one word with a `*` after it (`a.b*` keeps its words as they are)."""
    if len(surface) < 2 or not surface.endswith("*") or surface.startswith("*"):
        return None
    terms = terms_of(index, surface[:-1])
    return Term(index, terms[0], affix="prefix", written=surface[:-1]) if len(terms) == 1 else None


def _text_item(index: str, tokens: list[str], phrase: bool = True, written: str = "") -> QueryNode | None:
    """`written`: the text the tokens came from (tree.Term.written, what a significance model is read by)."""
    if not tokens:
        return None
    if len(tokens) == 1:
        return Term(index, tokens[0], written=written)
    if phrase:
        return Phrase(index, tuple(tokens), written=written)
    return And(tuple(Term(index, token) for token in tokens))


def _combine(items: list[_Item], query_type: str, target_hits: int) -> QueryNode | None:
    negatives = [item.node for item in items if item.sign == "-"]
    required = [item.node for item in items if item.sign == "+"]
    optional = [item.node for item in items if item.sign == ""]
    if not required and not optional:
        return None  # only negative items: Vespa gives no query at all
    if query_type in ("all", "web"):
        positive = [item.node for item in items if item.sign != "-"]  # query order kept
        return _and_with_negatives(positive, negatives)
    optional_node: QueryNode | None = None
    if optional:
        optional_node = (
            WeakAnd(tuple(optional), target_hits) if query_type == "weakAnd" else _or(optional)
        )
    if required:
        required_node = required[0] if len(required) == 1 else And(tuple(required))
        positive_node: QueryNode = (
            Rank((required_node, optional_node)) if optional_node is not None else required_node
        )
    else:
        assert optional_node is not None
        positive_node = optional_node
    return _and_with_negatives([positive_node], negatives)


def _or(children: list[QueryNode]) -> QueryNode:
    return children[0] if len(children) == 1 else Or(tuple(children))


def _and_with_negatives(positives: list[QueryNode], negatives: list[QueryNode]) -> QueryNode:
    children = list(positives) + [Not(node) for node in negatives]
    return children[0] if len(children) == 1 else And(tuple(children))
