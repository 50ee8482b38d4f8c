"""Where the engine's BM25 and tantivy's differ, query by query (issue 22): the engine's `bm25`
query profile re-implemented outside it over the whole corpus's statistics (what 1 node, or
`vespa.ranking.globalstatistics`, gives: the same nDCG@10 to the last digit), next to tantivy, and
the engine's scoring with one of tantivy's differences put in at a time:

- tantivy's tokens (its `en_stem`: no accent folding, tokens over 40 bytes dropped, its stemmer);
- tantivy's stems alone (rust-stemmers' English: Snowball 3's revised Porter2, 76 of the corpora's
  32,036 words stem differently, e.g. `internal` → `internal`, `adding` → `add`; the engine, as
  Vespa's OpenNLP Snowball, stems with the classic Porter2: `intern`, `ad`);
- tantivy's field lengths (one byte per document: exact up to 40 tokens, coarser above);
- each distinct query word once (tantivy's query parser drops a repeated word; the engine, as Vespa,
  keeps every word of the query, so `low ... low` counts `low` twice);
- not one of tantivy's: English stop words removed from documents and queries (Lucene's
  EnglishAnalyzer set, what the `stop` filter of the engine's Lucene linguistics removes); neither
  tantivy's `en_stem` nor Vespa's default linguistics removes any.

    python -m benchmarks.bm25_vs_tantivy [--datasets scifact cranfield] [--no-write]
"""
from __future__ import annotations

import argparse
import math
import platform
import time
from collections import defaultdict

import numpy as np

from benchmarks.relevance import DATA, corpus, tantivy_run
from benchmarks.report import write_section
from deploy.beir_eval import DOCUMENT_ID_PREFIX, load_dataset
from searchlib.docid import global_id
from searchlib.evaluation import mean_metrics, per_query_metrics
from searchlib.linguistics import stems, tokenize, tokenize_unstemmed
from searchlib.lucene_analysis import ENGLISH_STOP_WORDS
from searchlib.query.plain_text import without_query_syntax
from searchlib.query import tree as q
from searchlib.query.user_query import parse_user_query

K1, B = 1.2, 0.75


def tantivy_tokens():
    import tantivy

    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
                .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())
    return analyzer.analyze


def one_byte_lengths(lengths: np.ndarray) -> np.ndarray:
    """tantivy's fieldnorm code: 0..40 exact, then 8 steps per doubling of the step (floor)."""
    table, value, step = list(range(41)), 40, 2
    while len(table) < 256:
        for _ in range(min(8, 256 - len(table))):
            value += step
            table.append(value)
        step *= 2
    codes = np.asarray(table, dtype=np.float64)
    return codes[np.searchsorted(codes, lengths, side="right") - 1]


def tantivy_stemmer():
    import tantivy

    analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(
        tantivy.Filter.stemmer("english")).build()
    return lambda words: [(analyzer.analyze(word) or [word])[0] for word in words]


def query_items(text: str, words=None, stem=True) -> list[tuple[str, ...]]:
    """The profile's query as `eval` sends it (userQuery(), type any, model.type.syntax=none):
    words and phrases in order (`stem=False`: the words unstemmed)."""
    text = without_query_syntax(text)
    if words is not None:  # tantivy's tokens: each whitespace-separated word, several tokens a phrase
        return [tuple(tokens) for tokens in map(words, text.split()) if tokens]
    return [(item.term,) if isinstance(item, q.Term) else tuple(item.terms)
            for item in q.terms_of(parse_user_query(text, type="any", stem=stem))]


def ranking(documents: list[list[str]], queries: dict[str, list[tuple[str, ...]]], ids: list[str],
            lengths: np.ndarray | None = None) -> dict[str, list[str]]:
    """bm25 of every item over the documents that match an item, top 100 in the engine's hit order
    (relevance, then global id). A phrase (its words consecutive) is one term, as in the engine and
    Vespa: its frequency is its occurrences, its document frequency its rarest word's."""
    postings: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for doc, tokens in enumerate(documents):
        for position, token in enumerate(tokens):
            postings[token].setdefault(doc, []).append(position)
    exact = np.array([len(d) for d in documents], dtype=np.float64)
    lengths = exact if lengths is None else lengths
    average, count = exact.sum() / len(documents), len(documents)
    gids = [global_id(DOCUMENT_ID_PREFIX + i) for i in ids]
    run = {}
    for query_id, items in queries.items():
        score, matched = np.zeros(count), np.zeros(count, dtype=bool)
        for item in items:
            occurrences = _occurrences(postings, item)
            if not occurrences:
                continue
            docs = np.fromiter(occurrences, dtype=np.int64)
            matched[docs] = True
            df = min(len(postings.get(word, {})) for word in item)
            idf = math.log(1.0 + (count - df + 0.5) / (df + 0.5))
            tf = np.fromiter(occurrences.values(), dtype=np.float64)
            score[docs] += idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * lengths[docs] / average))
        top = sorted(np.flatnonzero(matched), key=lambda d: (-score[d], gids[d]))[:100]
        run[query_id] = [ids[d] for d in top]
    return run


def _occurrences(postings: dict[str, dict[int, list[int]]], item: tuple[str, ...]) -> dict[int, int]:
    """Per document holding it, how often the item occurs (a phrase: where its words follow each other)."""
    found = {}
    for doc, starts in postings.get(item[0], {}).items():
        following = [set(postings.get(word, {}).get(doc, ())) for word in item[1:]]
        count = sum(all(start + k in positions for k, positions in enumerate(following, 1)) for start in starts)
        if count:
            found[doc] = count
    return found


def without_stop_words(words: list[str]) -> list[str]:
    return stems([word for word in words if word not in ENGLISH_STOP_WORDS])


def distinct(queries: dict[str, list[tuple[str, ...]]]) -> dict[str, list[tuple[str, ...]]]:
    return {query_id: list(dict.fromkeys(items)) for query_id, items in queries.items()}


def measure(name: str) -> dict[str, float]:
    dataset = load_dataset(DATA / name)
    ids, titles, texts = corpus(dataset)
    joined = [f"{title} {text}" for title, text in zip(titles, texts)]  # title_text
    ours = [tokenize(text) for text in joined]
    queries = {query_id: query_items(text) for query_id, text in dataset.queries.items()}
    words, stemmed = tantivy_tokens(), tantivy_stemmer()
    theirs = [words(text) for text in joined]
    runs = {
        "tantivy": tantivy_run(dataset),
        "engine (whole-corpus statistics)": ranking(ours, queries, ids),
        "engine + tantivy's tokens": ranking(theirs, {i: query_items(t, words) for i, t in dataset.queries.items()}, ids),
        "engine + tantivy's stems": ranking([stemmed(tokenize_unstemmed(text)) for text in joined], {
            i: [tuple(stemmed(list(item))) for item in query_items(t, stem=False)] for i, t in dataset.queries.items()}, ids),
        "engine + one-byte field lengths": ranking(ours, queries, ids, one_byte_lengths(
            np.array([len(d) for d in ours], dtype=np.float64))),
        "engine + each query word once": ranking(ours, distinct(queries), ids),
        "engine − English stop words": ranking([without_stop_words(tokenize_unstemmed(text)) for text in joined], {
            i: [item for item in (tuple(without_stop_words(list(item))) for item in query_items(t, stem=False)) if item]
            for i, t in dataset.queries.items()}, ids),
    }
    result = {label: mean_metrics(run, dataset.qrels)["ndcg@10"] for label, run in runs.items()}
    engine = per_query_metrics(runs["engine (whole-corpus statistics)"], dataset.qrels)
    tantivy = per_query_metrics(runs["tantivy"], dataset.qrels)
    result["queries that differ"] = sum(abs(engine[i]["ndcg@10"] - tantivy[i]["ndcg@10"]) > 1e-9 for i in engine)
    print(name, result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["scifact", "cranfield"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = {name: measure(name) for name in args.datasets}
    labels = [label for label in next(iter(results.values())) if label != "queries that differ"]
    rows = ["| collection | " + " | ".join(labels) + " | queries that differ (engine vs tantivy) |",
            "| --- " * (len(labels) + 2) + "|"]
    for name, result in results.items():
        rows.append(f"| {name} | " + " | ".join(f"{result[label]:.4f}" for label in labels)
                    + f" | {result['queries that differ']} |")
    body = f"""`python -m benchmarks.bm25_vs_tantivy --datasets {' '.join(args.datasets)}` on {platform.machine()},
{time.strftime('%Y-%m-%d')}. nDCG@10. The engine's `bm25` profile (BM25 over `title_text`, the
profile's query parsing) re-implemented in one process over the whole corpus's statistics — the
same number as `phasedsearch eval --ranking bm25` on 1 node, or on any number of nodes with
`vespa.ranking.globalstatistics` — next to tantivy (`en_stem`, one field of title + text), then the
engine's scoring with one of tantivy's differences at a time.

""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("BM25: the engine and tantivy, difference by difference", body)


if __name__ == "__main__":
    main()
