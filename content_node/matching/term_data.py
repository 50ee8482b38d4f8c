"""The query's terms as per-term rank features number them: one QueryTerm per Vespa term data
(calc.ranked_items, made by searchlib.query.tree.rank_terms), so term(n), matches(f, n),
fieldTermMatch(f, n), termDistance(f, a, b), matchCount(f) and queryTermDocumentFrequency(f) agree
with queryTermCount.

A phrase is ONE term, as in Vespa (termdataextractor.cpp makes one TermData per phrase): its
positions in a field are where the whole phrase starts (simple_phrase_search.cpp fillPositions
appends the first word's position per phrase match), so its occurrences are the phrase's matches,
and its document frequency is the phrase's hit estimate, its rarest word's
(simple_phrase_blueprint.cpp addTerm). Here its postings are the phrase key's
(content_node.matching.proximity.phrase_postings). Only fieldMatch splits phrases into their words
(fieldmatchfeature.cpp reads the query through PhraseSplitterQueryEnv): split_phrases, whose word i
occurs at the phrase's positions + i, only where the whole phrase matched (phrasesplitter.cpp).
"""
from __future__ import annotations

from dataclasses import dataclass

from content_node.matching.feature_api import Calculator
from searchlib.query import tree as q


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One rank term. `text` is what its postings are looked up by in an index field (a word, an
    equiv key or a phrase key; "" for a fuzzy, regex or sameElement item, which reads no index
    postings); `item` its item's term as bm25 sees it: the key of its document frequency; `length`
    its words (Vespa's getPhraseLength: termDistance measures from a phrase's last word); `offset`
    a split phrase word's place in its phrase (its positions are the phrase's + offset)."""

    index_name: str
    text: str
    weight: float
    item: str
    length: int = 1
    offset: int = 0
    significance: float | None = None  # the item's {significance: s}, else from document frequency
    item_id: int = 0  # the item's {id: N} and {connectivity: ...} (term(n).connectedness)
    connectivity: tuple[int, float] | None = None
    # the (frequency, count) the query gave this item ({documentFrequency: ...} or a significance
    # model's): its own, never another item's of the same key
    document_frequency: tuple[int, int] | None = None


def _query_term(item: q.RankTerm) -> QueryTerm:
    if isinstance(item, q.Phrase):
        key = q.item_key(item)
        return QueryTerm(item.field, key, float(item.weight), key, len(item.terms), significance=item.significance,
                         item_id=item.item_id, connectivity=item.connectivity,
                         document_frequency=item.document_frequency)
    if isinstance(item, q.Term):
        return QueryTerm(item.field, item.term, float(item.weight), item.term, significance=item.significance,
                         item_id=item.item_id, connectivity=item.connectivity,
                         document_frequency=item.document_frequency)
    if isinstance(item, (q.Fuzzy, q.Regex)):
        text = item.term if isinstance(item, q.Fuzzy) else item.pattern
        return QueryTerm(item.field, "", float(item.weight), text)
    return QueryTerm(item.field, "", 100.0, "")  # a sameElement: a term on the struct field, no word


def query_terms(calc: Calculator) -> list[QueryTerm]:
    """The query's terms in term(n) order, made once per query."""
    return calc.memo(("query_terms",), lambda: [_query_term(item) for item in calc.ranked_items])


def split_phrases(terms: list[QueryTerm]) -> list[QueryTerm]:
    """The terms with each phrase split into its words (PhraseSplitterQueryEnv: fieldMatch's view):
    word i reads the phrase's postings at offset i and keeps its weight and document frequency."""
    return [QueryTerm(t.index_name, t.text, t.weight, t.item, 1, i, t.significance,
                      document_frequency=t.document_frequency)
            for t in terms for i in range(t.length)]
