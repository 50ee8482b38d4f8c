"""Streaming mode on a node: a query searches only the documents of the group it names (Vespa's
`streaming.groupname`, `streaming.userid`, `streaming.selection`), given as one document selection
the container built (container/search/streaming.py). Documents are checked one by one, as Vespa
streams a group's documents; the selection is evaluated on the id alone unless it names fields.

Matching in a streaming type follows Vespa's searchvisitor (docs: streaming-search.html, schema
reference `match`): words are tokenized and normalized, never stemmed (the load marks the fields,
searchlib.match_modes.streaming_schemas, so feed and query agree), and a word matches by the
field's match algorithm — `prefix`, `substring` or `suffix` of a token (of the whole value on
`exact`/`word` fields) — or by the query's `{prefix|substring|suffix: true}` annotation; fuzzy()
and `matches` search any string field. The node's per-field word dictionary stands in for the
streamed tokens: `streamed_query` turns each such item into the one term of the dictionary words
it matches (an equiv: ranking sees one query term occurring wherever any of them does; over a
fieldset whose fields match by different algorithms, of field words, each field's own), picked
by vectorized string tests over the dictionary, so the cost follows the vocabulary, never
documents × terms; the group's documents are then matched and ranked as any query's."""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from searchlib.match_modes import STREAMING, streaming_algorithm
from searchlib.query import tree as q
from searchlib.query.string_match import compile_regex, fuzzy_match
from searchlib.schema.model import Schema
from searchlib.selection import Selection
from searchlib.selection.tree import FieldRef, walk


def within(index, selection_text: str, candidates: np.ndarray) -> np.ndarray:
    if not selection_text:
        return candidates
    selection = Selection.parse(selection_text)
    needs_fields = any(isinstance(node, FieldRef) for node in walk(selection.tree))
    keep = [row for row in candidates.tolist()
            if selection.matches(index.document_id(row), index.document(row) if needs_fields else {})]
    return np.asarray(keep, dtype=candidates.dtype)


def dictionary_words(index) -> Callable[[str], np.ndarray]:
    """A field's dictionary words as one numpy string array, made once per index generation (the
    posting cache's `derived`, where the index has one) rather than once per query."""
    derived = getattr(index, "derived", None)

    def words(field: str) -> np.ndarray:
        def compute() -> np.ndarray:
            return np.asarray(index.terms(field), dtype=np.str_)
        return derived(("dictionary-words", field), compute) if derived is not None else compute()
    return words


def is_streaming(schema: Schema) -> bool:
    return any(STREAMING in field.settings for field in schema.fields.values())


def streamed_query(node: q.QueryNode, schema: Schema, words_of: Callable[[str], np.ndarray]) -> q.QueryNode:
    """`node` with every word that a streaming field matches by an algorithm (or the query by an
    annotation), and every fuzzy/regex item on an indexed field, replaced by the term of the
    dictionary words (`words_of(field)`) it matches; other items unchanged."""
    if not is_streaming(schema):
        return node
    return _rewrite(node, schema, words_of)


def _rewrite(node, schema: Schema, words_of, scope: str = "") -> q.QueryNode:
    """Every item of the tree, whatever composite holds it; `scope`: the field a sameElement's
    children name their fields relative to ("persons." for `name` → `persons.name`)."""
    if isinstance(node, q.SameElement):
        inner = f"{scope}{node.field}."
        return q.map_children(node, lambda child: _rewrite(child, schema, words_of, inner))
    if not isinstance(node, q.FIELD_ITEMS):
        return q.map_children(node, lambda child: _rewrite(child, schema, words_of, scope))
    name = f"{scope}{node.field}" if node.field else scope.rstrip(".")
    if isinstance(node, q.Term):
        return _term(node, name, schema, words_of)
    if isinstance(node, (q.Fuzzy, q.Regex)):
        return _string_item(node, name, schema, words_of)
    if not isinstance(node, (q.Phrase, q.Near, q.Equiv)):
        return node
    expand = _expansion(schema, name, "", words_of)
    if expand is None:
        return node
    if isinstance(node, q.Phrase):  # each word matches by the algorithm, in a row as any phrase
        return replace(node, terms=tuple(_one_term(expand(word), word) for word in node.terms))
    if isinstance(node, q.Near):  # a word becomes the equiv of its words: near reads its positions
        return replace(node, terms=tuple(_near_word(word, expand) for word in node.terms),
                       negative=tuple(_near_word(word, expand) for word in node.negative))
    # an equiv's alternatives are the words each of its words matches (or itself: no dictionary holds it)
    terms = [found for word in node.terms
             for found in ([_near_word(word, expand)] if q.phrase_words(word) else expand(word) or [word])]
    return replace(node, terms=tuple(dict.fromkeys(terms)))


def _near_word(word: str, expand: Callable[[str], list[str]]) -> str:
    """A word of near/equiv as the one word standing for what it matches; a phrase key's words
    each become their inner equiv (the mark a phrase key's words split back by)."""
    words = q.phrase_words(word)
    if words is None:
        return _one_term(expand(word), word)
    return q.phrase_key(tuple(_one_term(expand(w), w, inner=True) for w in words))


def _indexed(schema: Schema, name: str) -> tuple[str, ...]:
    return tuple(f for f in schema.index_fields(name) if schema.fields[f].is_index)


def _expansion(schema: Schema, name: str, affix: str, words_of) -> Callable[[str], list[str]] | None:
    """The dictionary words a word on the index name `name` matches, by the term's `affix` or
    each field's own algorithm (Vespa's searchvisitor runs each field's matcher); None: it
    matches as a whole word (no algorithm, or no index field). When a fieldset's fields match by
    different algorithms, each field's words are field words (tree.field_word), so that a field
    never matches a word only another field's algorithm found, and the item stays one term."""
    indexed = _indexed(schema, name)
    algorithms = {f: affix or streaming_algorithm(schema.fields[f]) for f in indexed}
    if not any(algorithms.values()):
        return None
    if len(set(algorithms.values())) == 1:
        vocabularies = [words_of(f) for f in indexed]
        return lambda word: matching_words(vocabularies, algorithms[indexed[0]], word)
    return lambda word: sorted(q.field_word(f, found) for f, algorithm in algorithms.items()
                               for found in matching_words([words_of(f)], algorithm, word))


def _term(node: q.Term, name: str, schema: Schema, words_of) -> q.QueryNode:
    fields = schema.index_fields(name)
    algorithm = node.affix or next((a for a in map(streaming_algorithm, (schema.fields[f] for f in fields)) if a), "")
    if not algorithm or q.equiv_alternatives(node.term) is not None:
        return node
    expand = _expansion(schema, name, node.affix, words_of)
    if expand is None:  # attributes match values by the affix themselves (attribute_terms.term_predicate)
        return replace(node, affix=algorithm)
    return replace(node, term=_one_term(expand(node.term), node.term), affix=algorithm)


def _string_item(node: q.Fuzzy | q.Regex, name: str, schema: Schema, words_of) -> q.QueryNode:
    indexed = _indexed(schema, name)
    if not indexed or len(indexed) != len(schema.index_fields(name)):
        return node  # attributes: matched as in indexed mode (string_items.py)
    vocabulary = sorted({word for f in indexed for word in words_of(f).tolist()})
    if isinstance(node, q.Fuzzy):  # dictionary words are normalized (lowercased): never cased
        words = [w for w in vocabulary
                 if fuzzy_match(w, node.term, node.max_edit_distance, node.prefix_length, node.prefix, False)]
    else:
        pattern = compile_regex(node.pattern, False)
        words = [w for w in vocabulary if pattern.search(w) is not None]
    return q.Term(node.field, _one_term(words, q.equiv_key(())), node.weight, node.label)


def _one_term(words: list[str], fallback: str, *, inner: bool = False) -> str:
    """The term for the words an item matches: a word or their equiv (`inner`: as a word of a
    phrase key); none: `fallback`, a term no dictionary holds."""
    if not words:
        return fallback
    return words[0] if len(words) == 1 else q.equiv_key(tuple(words), inner=inner)


def matching_words(vocabularies: list[np.ndarray], algorithm: str, term: str) -> list[str]:
    """The distinct words of the vocabularies (numpy string arrays) that `term` matches by
    `algorithm` (prefix, substring, suffix; anything else: equality), sorted; one vectorized
    string test per vocabulary."""
    found: set[str] = set()
    for words in vocabularies:
        if not len(words):
            continue
        if algorithm == "prefix":
            hit = np.char.startswith(words, term)
        elif algorithm == "suffix":
            hit = np.char.endswith(words, term)
        elif algorithm == "substring":
            hit = np.char.find(words, term) >= 0
        else:
            hit = words == term
        found.update(words[hit].tolist())
    return sorted(found)
