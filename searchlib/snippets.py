"""Summary field transforms that depend on the query: dynamic snippets, bolding, matched elements
only, and the indexed-tokens summary. Pure functions of (value, the query's words for the field),
so the content node's fill and the tests run the same code.

A document word matches when the field's index would match it: its normalized form or its stem
in the document's language equals a query word for the field (query words arrive normalized and
stemmed, or unstemmed for `{stem:false}`), so "running" in a query highlights "runs" exactly when
the index finds the document by it. Affix items highlight as Vespa's juniper does
(juniper_query_adapter.cpp): a `{prefix: true}` or `{substring: true}` word is a prefix-like
keyword, highlighting every document word it begins ("meet" → "meeting"; a substring's word only
where it begins one, as juniper matches it); `{suffix: true}`, fuzzy() and regex items are not
highlighted. A field with a linguistics profile runs its index chain over the
text and highlights the words (as written) whose terms the query has.

Dynamic snippets follow Vespa's juniper (searchsummary/config/juniperrc.def defaults, quoted on
SnippetConfig): the text is cut into up to `max_matches` fragments around the best groups of
matched words, each with context on both sides, all within about `length` characters; fragments
are joined by `<sep />`, which also marks text cut off before the first or after the last
fragment, and matched words are wrapped in `<hi>`…`</hi>`. A text no longer than `length` is
returned whole (bolded); a text without a match gives its prefix (`prefix: true`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Mapping

from searchlib.languages import text_language
from searchlib.lucene_analysis import analyze_spans
from searchlib.linguistics import WORD_RUN, normalize, stem, tokenize_unstemmed
from searchlib.lucene_languages import UnsupportedLanguageError
from searchlib.match_modes import (AFFIX_TESTS, TEXT, MatchMode, grams, index_terms, lucene_chain, match_mode,
                                   mode_language, whole_value_term)
from searchlib.query import tree as q
from searchlib.schema.model import Field, Schema

HI, HI_END, SEP = "<hi>", "</hi>", "<sep />"
_WORD = WORD_RUN  # a span's pieces are tokenize_unstemmed's: a word joined by `_` highlights whole


@dataclass(frozen=True, slots=True)
class SnippetConfig:
    """Vespa's juniperrc.def defaults (vespa-engine/vespa searchsummary/src/vespa/searchsummary/
    config/juniperrc.def); lengths in characters here (Vespa counts bytes: the same for ASCII)."""

    length: int = 256  # `length int default=256`: the whole dynamic summary
    max_matches: int = 3  # `max_matches int default=3`: groups of query words to include
    min_length: int = 128  # `min_length int default=128` (the context below always fills `length`)
    surround_max: int = 128  # `surround_max int default=128`: context before and after each group
    winsize: int = 200  # `winsize int default=200`: words this close count as one group
    prefix: bool = True  # `prefix bool default=true`: no match in the field gives its prefix

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> "SnippetConfig":
        """From a content cluster's juniperrc <config> values (searchlib/schema/juniper.py validated them)."""
        if not settings:
            return DEFAULT_SNIPPETS
        values = {name: int(settings[name]) for name in ("length", "max_matches", "min_length", "surround_max",
                                                         "winsize") if name in settings}
        if "prefix" in settings:
            values["prefix"] = settings["prefix"] == "true"
        return cls(**values)


DEFAULT_SNIPPETS = SnippetConfig()


# -- the query's words for one field -----------------------------------------------------------

PREFIX_LIKE = ("prefix", "substring")  # affixes juniper matches as a prefix of a document word


def query_words(node: q.QueryNode | None, schema: Schema, field: str) -> frozenset[str]:
    """Every positive word of the query that searches `field` (directly or through a fieldset),
    affix items apart (query_prefixes)."""
    return query_words_and_affixes(node, schema, field)[0]


def query_affixes(node: q.QueryNode | None, schema: Schema, field: str) -> frozenset[tuple[str, str]]:
    """(affix, word) of the query's positive prefix, substring and suffix items on `field`."""
    return query_words_and_affixes(node, schema, field)[1]


def query_words_and_affixes(node: q.QueryNode | None, schema: Schema,
                            field: str) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """query_words and query_affixes in one walk of the tree."""
    found: set[str] = set()
    affixes: set[tuple[str, str]] = set()
    _collect(node, schema, field, found, affixes)
    return frozenset(found), frozenset(affixes)


def query_prefixes(node: q.QueryNode | None, schema: Schema, field: str) -> frozenset[str]:
    """The words of the query's positive prefix and substring items that search `field`: each
    highlights the document words it begins."""
    return prefixes_of(query_affixes(node, schema, field))


def prefixes_of(affixes: frozenset[tuple[str, str]]) -> frozenset[str]:
    return frozenset(word for affix, word in affixes if affix in PREFIX_LIKE)


def _collect(node, schema: Schema, field: str, found: set[str], affixes: set[tuple[str, str]]) -> None:
    if node is None or isinstance(node, q.Not):
        return  # negative words are not highlighted
    children = getattr(node, "children", None)
    if children is not None:
        for child in children:
            _collect(child, schema, field, found, affixes)
        return
    index = getattr(node, "field", None)
    if index is None or field not in schema.index_fields(index):
        return
    if isinstance(node, q.Term) and node.affix:
        if node.term:
            affixes.add((node.affix, node.term))
    elif isinstance(node, q.Term):
        found.update(q.plain_words(node.term))
    elif isinstance(node, (q.Phrase, q.Near, q.Equiv)):
        found.update(word for term in node.terms for word in q.plain_words(term))
    elif isinstance(node, q.WeightedTokens):
        found.update(normalize(token) for token, _ in node.tokens)
    elif isinstance(node, q.In) and not node.numeric:
        found.update(node.values)


# -- matching words of a text ------------------------------------------------------------------

def _matched_spans(text: str, words: frozenset[str], language: str, mode: MatchMode = TEXT,
                   prefixes: frozenset[str] = frozenset()) -> list[tuple[int, int, str]]:
    """(start, end, query word) of each word of `text` that a query word matches, by the field's
    match mode: an exact/word value as a whole, a gram field by any shared gram, text by the
    normalized word or (unless `stemming: none`) its stem; or that a query prefix begins (the
    prefix is then its query word)."""
    if not words and not prefixes:
        return []
    if mode.whole_value:
        term = whole_value_term(mode, text)
        matched = term if term in words else _prefix_of(term, prefixes) if prefixes else None
        return [(0, len(text), matched)] if matched is not None else []
    if mode.index_analysis:  # a linguistics profile: the words whose index terms the query has
        return _profile_spans(mode.index_analysis, text, words, prefixes)
    if mode.language_analysis is not None:  # a Lucene language analyzer, by the text's language
        try:
            return _profile_spans(lucene_chain(mode, mode_language(mode, text, language)), text, words, prefixes)
        except UnsupportedLanguageError:  # not indexed in it either (refused at feed): nothing matched
            return []
    language = text_language(text, language)
    spans = []
    for found in _WORD.finditer(text):
        pieces = [normalize(found.group())] if mode.kind == "gram" else tokenize_unstemmed(found.group(), language)
        for piece in pieces:
            candidates = grams([piece], mode.gram_size) if mode.kind == "gram" else \
                [piece, stem(piece, language)] if mode.stemming else [piece]
            matched = next((c for c in candidates if c in words), None)
            if matched is None and prefixes and mode.kind != "gram":  # most queries have no affix item
                matched = _prefix_of(piece, prefixes)
            if matched is not None:
                spans.append((found.start(), found.end(), matched))
                break
    return spans


def _prefix_of(word: str, prefixes: frozenset[str]) -> str | None:
    """The longest query prefix that begins `word` (juniper's prefix-like keyword match), if any."""
    return max((p for p in prefixes if word.startswith(p)), key=len, default=None)


def _profile_spans(chain: tuple[str, ...], text: str, words: frozenset[str],
                   prefixes: frozenset[str] = frozenset()) -> list[tuple[int, int, str]]:
    """The surface words of `text` whose terms under the field's index chain are query words (or
    begin with a query prefix): a folded, stemmed or lowercased query word highlights the word as
    written ("Cafés" for "cafe")."""
    spans: list[tuple[int, int, str]] = []
    for term, start, end in analyze_spans(chain, text):
        matched = term if term in words else _prefix_of(term, prefixes) if prefixes else None
        if matched is not None and not (spans and start < spans[-1][1]):  # preserveOriginal: one span, two terms
            spans.append((start, end, matched))
    return spans


def _bold_range(text: str, start: int, end: int, spans: list[tuple[int, int, str]], bolding: bool = True) -> str:
    """bolding=False (presentation.bolding=false): the same text without the <hi> tags, as Vespa's
    JuniperSearcher drops the highlight marks then and keeps the separators."""
    if not bolding:
        return text[start:end]
    out, position = [], start
    for span_start, span_end, _ in spans:
        if span_start < start or span_end > end:
            continue
        out += [text[position:span_start], HI, text[span_start:span_end], HI_END]
        position = span_end
    out.append(text[position:end])
    return "".join(out)


def bold(text: str, words: frozenset[str], language: str = "", mode: MatchMode = TEXT,
         prefixes: frozenset[str] = frozenset()) -> str:
    """`bolding: on`: the whole text with every matched word in `<hi>`…`</hi>`."""
    return _bold_range(text, 0, len(text), _matched_spans(text, words, language, mode, prefixes))


# -- dynamic snippets --------------------------------------------------------------------------

def dynamic_snippet(text: str, words: frozenset[str], language: str = "",
                    config: SnippetConfig = DEFAULT_SNIPPETS, mode: MatchMode = TEXT, bolding: bool = True,
                    prefixes: frozenset[str] = frozenset()) -> str:
    """`summary: dynamic`: the fragments of `text` around its best groups of matched words."""
    spans = _matched_spans(text, words, language, mode, prefixes)
    if len(text) <= config.length:
        return _bold_range(text, 0, len(text), spans, bolding)
    if not spans:
        if not config.prefix:
            return ""
        end = _word_end_before(text, config.length)
        return text[:end] + SEP
    groups = _best_groups(spans, config)
    covered = sum(end - start for start, end in groups)
    context = min(config.surround_max, max(config.length - covered, 0) // (2 * len(groups)))
    fragments: list[list[int]] = []
    for start, end in groups:
        first = _word_start_after(text, max(start - context, 0))
        last = _word_end_before(text, min(end + context, len(text)))
        first, last = min(first, start), max(last, end)
        if fragments and first <= fragments[-1][1]:
            fragments[-1][1] = max(fragments[-1][1], last)
        else:
            fragments.append([first, last])
    pieces = [_bold_range(text, start, end, spans, bolding).strip() for start, end in fragments]
    head = SEP if fragments[0][0] > 0 else ""
    tail = SEP if fragments[-1][1] < len(text.rstrip()) else ""
    return head + SEP.join(pieces) + tail


def _best_groups(spans: list[tuple[int, int, str]], config: SnippetConfig) -> list[tuple[int, int]]:
    """Up to max_matches non-overlapping groups of matched words, each the matches within
    `winsize` characters from its first; the groups with the most distinct query words (then the
    most matches, then the earliest) win, returned in text order. The groups together stay within
    `length` (dense matches make groups of up to `winsize` each): a group that would pass it is
    left out, and the best one alone is cut at its last match that fits."""
    candidates = []
    for i, (start, _, _) in enumerate(spans):
        members = [span for span in spans[i:] if span[1] - start <= config.winsize]
        fitting = [span for span in members if span[1] - start <= config.length] or members[:1]
        candidates.append((-len({word for _, _, word in members}), -len(members), start, fitting[-1][1]))
    chosen: list[tuple[int, int]] = []
    covered = 0
    for _, _, start, end in sorted(candidates):
        if len(chosen) == config.max_matches:
            break
        if chosen and covered + end - start > config.length:
            continue
        if all(end <= other_start or start >= other_end for other_start, other_end in chosen):
            chosen.append((start, end))
            covered += end - start
    return sorted(chosen)


def _is_word(text: str, position: int) -> bool:
    return 0 <= position < len(text) and _WORD.match(text, position) is not None


def _word_start_after(text: str, position: int) -> int:
    """`position`, moved forward to the start of a word, past a word it would cut."""
    if position == 0:
        return 0
    while _is_word(text, position - 1) and _is_word(text, position):
        position += 1
    found = _WORD.search(text, position)
    return found.start() if found else len(text)


def _word_end_before(text: str, position: int) -> int:
    """`position`, moved back to the end of a word, before a word it would cut."""
    if position >= len(text):
        return len(text)
    while _is_word(text, position - 1) and _is_word(text, position):
        position -= 1
    while position > 0 and not _is_word(text, position - 1):
        position -= 1
    return position


# -- matched elements and tokens ---------------------------------------------------------------

def element_matches(element: object, words: frozenset[str], field: Field, language: str = "",
                    affixes: frozenset[tuple[str, str]] = frozenset()) -> bool:
    """Whether one element of an array or weighted set matched: an indexed string by its words,
    an attribute value (match: word) as a whole, normalized; or, for an affix item, a word of it
    (the whole value, on exact/word fields) that the item's word begins, is in or ends."""
    if not isinstance(element, str):
        return str(element) in words
    mode = match_mode(field)
    if _matched_spans(element, words, language, mode):
        return True
    if not affixes:
        return False
    tokens = [whole_value_term(mode, element)] if mode.whole_value else \
        tokenize_unstemmed(element, text_language(element, language))
    return any(AFFIX_TESTS[affix](token, word) for affix, word in affixes for token in tokens)


def matched_elements(value: object, words: frozenset[str], field: Field, language: str = "",
                     affixes: frozenset[tuple[str, str]] = frozenset()) -> object:
    """`matched-elements-only`: the elements (or weighted-set entries) that matched; None when none did."""
    if isinstance(value, dict):
        kept = {key: weight for key, weight in value.items()
                if element_matches(key, words, field, language, affixes)}
    elif isinstance(value, list):
        kept = [element for element in value if element_matches(element, words, field, language, affixes)]
    else:
        return value
    return kept or None


def indexed_tokens(value: object, field: Field, language: str = "") -> object:
    """The `tokens` summary: the terms the field's index holds for the value (an attribute's
    whole normalized value); one list per element of an array or weighted set."""
    if isinstance(value, str):
        try:
            mode = match_mode(field)
            return index_terms(mode, value, mode_language(mode, value, language))
        except UnsupportedLanguageError:  # an element alone may read as a language its whole value is not
            return []
    if isinstance(value, (list, dict)):
        return [indexed_tokens(element, field, language) for element in value if isinstance(element, str)]
    return value


def per_element(value: object, transform, language: str = "") -> object:
    """A string transform applied to a string, or to each string of an array."""
    if isinstance(value, str):
        return transform(value, language=language)
    if isinstance(value, list):
        return [transform(element, language=language) if isinstance(element, str) else element for element in value]
    return value


def summary_transforms(schema: Schema, summary_class: str, query: q.QueryNode | None,
                       config: SnippetConfig = DEFAULT_SNIPPETS, *,
                       bolding: bool = True) -> dict[str, Callable[[object], object]]:
    """For the summary fields of a class that depend on the query (or show tokens): the function
    that turns the stored value into the rendered one, `f(value, language=...)` with the language
    of the document's set_language field ("": detected from the text); fields not listed render
    as stored.
    bolding=False (presentation.bolding=false): snippets without <hi>, bolded fields as stored."""
    summary = schema.summaries.get(summary_class or "default")
    transforms: dict[str, Callable[[object], object]] = {}
    for entry in summary.fields if summary is not None else ():
        field = schema.fields.get(entry.sources[0]) if entry.sources else None
        if field is None or not (entry.dynamic or entry.bolding or entry.tokens or entry.matched_elements_only):
            continue
        (words, affixes), mode = query_words_and_affixes(query, schema, field.name), match_mode(field)
        prefixes = prefixes_of(affixes)
        if entry.tokens:
            transforms[entry.name] = functools.partial(indexed_tokens, field=field)
        elif entry.matched_elements_only:
            transforms[entry.name] = functools.partial(matched_elements, words=words, field=field, affixes=affixes)
        elif entry.dynamic:
            transforms[entry.name] = functools.partial(per_element, transform=functools.partial(
                dynamic_snippet, words=words, mode=mode, config=config, bolding=bolding, prefixes=prefixes))
        elif bolding:
            transforms[entry.name] = functools.partial(per_element, transform=functools.partial(
                bold, words=words, mode=mode, prefixes=prefixes))
    return transforms


__all__ = ["summary_transforms", "SnippetConfig", "DEFAULT_SNIPPETS", "query_words", "query_affixes", "query_prefixes",
           "bold",
           "dynamic_snippet",
           "matched_elements", "indexed_tokens", "per_element", "HI", "HI_END", "SEP"]
