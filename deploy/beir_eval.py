"""`phasedsearch eval`: feed a BEIR dataset, run its test queries, report nDCG@10, MRR@10, recall@100.

BEIR layout: corpus.jsonl ({"_id", "title", "text"}), queries.jsonl ({"_id", "text"}),
qrels/test.tsv (header `query-id corpus-id score`). Documents become `id:beir:doc::<_id>`.
"""
from __future__ import annotations

import asyncio
import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import httpx

from deploy.feed_format import FeedFormatError, FeedItem, FeedParseError, document_path, parse_operation
from searchlib.evaluation import mean_metrics
from searchlib.query.plain_text import SYNTAX_PARAMETER, without_query_syntax

BEIR_NAMESPACE = "beir"
BEIR_DOCTYPE = "doc"
DOCUMENT_ID_PREFIX = f"id:{BEIR_NAMESPACE}:{BEIR_DOCTYPE}::"
EVAL_YQL = f"select * from {BEIR_DOCTYPE} where userQuery()"
EVAL_HITS = 100


@dataclass(frozen=True, slots=True)
class BeirDataset:
    root: Path
    queries: Mapping[str, str]  # only the queries judged in the qrels split, in qrels order
    qrels: Mapping[str, Mapping[str, int]]

    @property
    def corpus_path(self) -> Path:
        return self.root / "corpus.jsonl"


@dataclass
class QueryRun:
    run: dict[str, list[str]] = field(default_factory=dict)  # query id → doc ids in rank order
    failures: dict[str, str] = field(default_factory=dict)  # query id → what went wrong
    degraded: int = 0
    seconds: float = 0.0
    no_hits: int = 0  # queries answered with no hits at all
    hits: int = 0
    zero_relevance_hits: int = 0  # hits whose relevance is exactly 0: usually an input that was never set
    latencies: dict[str, float] = field(default_factory=dict)  # query id → seconds from request to parsed answer


def sanitize_query_text(text: str) -> str:
    return without_query_syntax(text)


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8", newline="") as stream:
        for row in csv.reader(stream, delimiter="\t"):
            if len(row) < 3:
                continue
            query_id, doc_id, grade = row[0].strip(), row[1].strip(), row[2].strip()
            try:
                qrels.setdefault(query_id, {})[doc_id] = int(float(grade))
            except ValueError:
                continue  # the header line
    return qrels


def load_queries(path: Path) -> dict[str, str]:
    queries = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                item = json.loads(line)
                queries[str(item["_id"])] = item.get("text", "")
    return queries


def load_dataset(root: str | Path, split: str = "test", max_queries: int | None = None) -> BeirDataset:
    root = Path(root)
    for required in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (root / required).is_file():
            raise FileNotFoundError(f"{root} is not a BEIR dataset: {required} is missing")
    qrels = load_qrels(root / "qrels" / f"{split}.tsv")
    all_queries = load_queries(root / "queries.jsonl")
    judged = [query_id for query_id in qrels if query_id in all_queries]
    if max_queries is not None:
        judged = judged[:max_queries]
    return BeirDataset(root, {query_id: all_queries[query_id] for query_id in judged},
                       {query_id: qrels[query_id] for query_id in judged})


def corpus_size(dataset: BeirDataset) -> int:
    with open(dataset.corpus_path, "rb") as stream:
        return sum(1 for line in stream if line.strip())


def corpus_put(line: str) -> dict[str, Any]:
    """One corpus.jsonl line as a put of `id:beir:doc::<_id>` with title and text."""
    item = json.loads(line)
    return {"put": DOCUMENT_ID_PREFIX + str(item["_id"]),
            "fields": {"title": item.get("title") or "", "text": item.get("text") or ""}}


def iter_corpus_operations(dataset: BeirDataset) -> Iterator[FeedItem]:
    with open(dataset.corpus_path, encoding="utf-8") as stream:
        for line_number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                yield parse_operation(corpus_put(line), line_number)
            except (ValueError, KeyError, TypeError, FeedFormatError) as error:
                yield FeedParseError(line_number, f"bad corpus line: {error}")


def write_corpus_feed(dataset: BeirDataset, path: Path) -> int:
    """Write the corpus as a JSON Lines feed file (what the batch embedder reads); returns the
    number of bad corpus lines left out."""
    path.parent.mkdir(parents=True, exist_ok=True)
    skipped = 0
    with open(dataset.corpus_path, encoding="utf-8") as stream, open(path, "w", encoding="utf-8") as out:
        for line in filter(str.strip, stream):
            try:
                out.write(json.dumps(corpus_put(line), ensure_ascii=False) + "\n")
            except (ValueError, KeyError, TypeError):
                skipped += 1
    return skipped


def count_documents(url: str, timeout: float = 30.0) -> int | None:
    """Documents of the eval doctype in the cluster (None when the cluster cannot say)."""
    params = {"yql": f"select * from {BEIR_DOCTYPE} where true", "hits": "0", "timeout": "10s"}
    try:
        response = httpx.get(f"{url}/search/", params=params, timeout=timeout)
        result = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    root = result.get("root", {}) if isinstance(result, dict) else {}
    if response.status_code != 200 or root.get("errors"):
        return None
    return int(root.get("fields", {}).get("totalCount", 0))


def sample_corpus_ids(dataset: BeirDataset, samples: int = 20) -> list[str]:
    """Ids spread evenly over the corpus file (first and last included)."""
    with open(dataset.corpus_path, encoding="utf-8") as stream:
        ids = [str(json.loads(line)["_id"]) for line in stream if line.strip()]
    if len(ids) <= samples:
        return ids
    step = (len(ids) - 1) / (samples - 1)
    return [ids[round(index * step)] for index in range(samples)]


def corpus_already_fed(url: str, dataset: BeirDataset, size: int, with_field: str | None = None) -> bool:
    """True when the cluster holds at least as many docs and every sampled corpus doc is there
    (with `with_field` set, when asked: a corpus fed without vectors is fed again with them).

    The count alone could include other data in the same document type, hence the sampled gets.
    """
    present = count_documents(url)
    if present is not None and present < size:
        return False
    try:
        with httpx.Client(base_url=url, timeout=30.0) as client:
            for corpus_id in sample_corpus_ids(dataset):
                response = client.get(document_path(DOCUMENT_ID_PREFIX + corpus_id))
                if response.status_code != 200:
                    return False
                if with_field and with_field not in response.json().get("fields", {}):
                    return False
    except (httpx.HTTPError, ValueError, KeyError):
        return False
    return True


def hit_corpus_id(hit: Mapping[str, Any]) -> str | None:
    for candidate in (hit.get("fields", {}).get("documentid"), hit.get("id")):
        if isinstance(candidate, str) and candidate.startswith(DOCUMENT_ID_PREFIX):
            return candidate[len(DOCUMENT_ID_PREFIX):]
    return None


def eval_query_parameters(text: str, profile: str, timeout: str,
                          extra: Mapping[str, str] | None = None, query_profile: str | None = None) -> dict[str, str]:
    """With a query profile, it sets the YQL, the ranking and the inputs, and the text goes as
    written (embedders see it so), read without query syntax by userQuery(); without one, the
    rank profile `profile` over userQuery() with the text's syntax characters taken out.
    `extra`: more query API parameters, e.g. input.query(q_tokens)=embed(tokenizer, @query)."""
    if query_profile:
        base = {"queryProfile": query_profile, "query": text, SYNTAX_PARAMETER: "none"}
    else:
        base = {"yql": EVAL_YQL, "query": sanitize_query_text(text), "ranking": profile, "type": "any"}
    return {**base, "hits": str(EVAL_HITS), "timeout": timeout, **(extra or {})}


async def run_queries_async(url: str, queries: Mapping[str, str], profile: str, *, concurrency: int = 16,
                            timeout: str = "20s", on_done: Callable[[], None] | None = None,
                            transport: httpx.AsyncBaseTransport | None = None,
                            extra_parameters: Mapping[str, str] | None = None,
                            query_profile: str | None = None) -> QueryRun:
    outcome = QueryRun()
    pending = iter(queries.items())
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)  # a client per worker: see feeder

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=120.0, limits=limits, transport=transport) as client:
            for query_id, text in pending:
                sent = time.perf_counter()
                try:
                    params = eval_query_parameters(text, profile, timeout, extra_parameters, query_profile)
                    response = await client.get("/search/", params=params)
                    result = response.json()
                except (httpx.HTTPError, ValueError) as error:
                    outcome.failures[query_id] = f"{type(error).__name__}: {error}"
                    result = None
                outcome.latencies[query_id] = time.perf_counter() - sent
                if isinstance(result, dict):
                    _record(outcome, query_id, response.status_code, result)
                if on_done is not None:
                    on_done()

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    outcome.seconds = time.perf_counter() - started
    return outcome


def _record(outcome: QueryRun, query_id: str, status_code: int, result: Mapping[str, Any]) -> None:
    root = result.get("root", {})
    hits = root.get("children", []) or []
    outcome.run[query_id] = [doc for doc in map(hit_corpus_id, hits) if doc is not None]
    outcome.no_hits += not hits
    outcome.hits += len(hits)
    outcome.zero_relevance_hits += sum(1 for hit in hits if hit.get("relevance") in (0, 0.0))
    if root.get("coverage", {}).get("degraded"):
        outcome.degraded += 1
    errors = root.get("errors") or []
    if status_code != 200 or errors:
        message = "; ".join(f"{error.get('code')}: {error.get('message', '')}" for error in errors)
        outcome.failures[query_id] = f"HTTP {status_code}" + (f": {message}" if message else "")


def evaluate_run(dataset: BeirDataset, outcome: QueryRun) -> dict[str, float]:
    """Metrics over the dataset's judged queries; failed queries count with what they returned."""
    metrics = mean_metrics(outcome.run, dataset.qrels)
    metrics["failed"] = len(outcome.failures)
    metrics["degraded"] = outcome.degraded
    metrics["no_hits"] = outcome.no_hits
    metrics["hits"] = outcome.hits
    metrics["zero_relevance_hits"] = outcome.zero_relevance_hits
    metrics["qps"] = len(dataset.queries) / outcome.seconds if outcome.seconds > 0 else 0.0
    return metrics


# above these shares the numbers likely measure a broken setup (a missing input ranks by nothing)
NO_HITS_WARNING = 0.05
ZERO_RELEVANCE_WARNING = 0.10


def suspicious_results(metrics: Mapping[str, float]) -> list[str]:
    """Warnings when many queries found nothing or many hits have relevance exactly 0."""
    warnings = []
    queries, hits = int(metrics.get("queries", 0)), int(metrics.get("hits", 0))
    if queries and metrics.get("no_hits", 0) > NO_HITS_WARNING * queries:
        warnings.append(f"warning: {int(metrics['no_hits'])} of {queries} queries returned no hits")
    if hits and metrics.get("zero_relevance_hits", 0) > ZERO_RELEVANCE_WARNING * hits:
        warnings.append(f"warning: {int(metrics['zero_relevance_hits'])} of {hits} hits have relevance 0: "
                        "is a query input (e.g. a query embedding) missing?")
    return warnings


def format_report(dataset: BeirDataset, profile: str, metrics: Mapping[str, float], concurrency: int) -> str:
    return "\n".join([
        f"dataset     {dataset.root.name} ({len(dataset.queries)} test queries)",
        f"ranking     {profile}",
        f"nDCG@10     {metrics['ndcg@10']:.4f}",
        f"MRR@10      {metrics['mrr@10']:.4f}",
        f"recall@100  {metrics['recall@100']:.4f}",
        f"queries     {int(metrics['queries'])} evaluated, {int(metrics['failed'])} failed, "
        f"{int(metrics['degraded'])} degraded",
        f"empty       {int(metrics.get('no_hits', 0))} queries with no hits, "
        f"{int(metrics.get('zero_relevance_hits', 0))} of {int(metrics.get('hits', 0))} hits with relevance 0",
        f"QPS         {metrics['qps']:.1f} ({concurrency} in flight)",
        *suspicious_results(metrics),
    ])
