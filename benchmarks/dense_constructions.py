"""Which construction of the exact dense baseline gives which nDCG@10 with the int8 bge-small?
(issue 22: what could its "exact dense 0.3695 on cranfield" be)

Exact dense = numpy scores over every document, queries one ONNX call each. Documents are embedded
one per call (as Vespa embeds at feed time; the int8 model quantizes activations per call, so in a
batch a vector depends on its batch-mates: "Dense vectors: batching and float activations" in
BENCHMARKS.md), once per (document text, max tokens); each run gives both poolings. Varied:

- document text: `title text` (BEIR's and MTEB's joining, the default package's) or `text` alone;
- max tokens: 512 (bge's limit), 256, 128 (a document cut keeps its closing [SEP]);
- pooling: the CLS row (bge's) or the mean over the attention mask, the same for queries;
- the query instruction (bge's, for retrieval of passages) or none;
- score: cosine (normalized vectors, bge's) or the raw dot product of unnormalized vectors.

    python -m benchmarks.dense_constructions [--dataset cranfield] [--max-tokens 512 256 128]
"""
from __future__ import annotations

import argparse
import itertools
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.dense_vectors import INT8, embedder
from benchmarks.relevance import DATA, corpus
from deploy.beir_eval import load_dataset
from searchlib.evaluation import mean_metrics

TEXTS = ("title text", "text")
POOLINGS = ("cls", "mean")


def pooled(bge, ids: list[int]) -> dict[str, np.ndarray]:
    """One ONNX call over one token sequence: its CLS row and its mean, unnormalized."""
    array = np.asarray([ids], dtype=np.int64)
    inputs = {bge.input_ids: array, bge.attention_mask: np.ones_like(array)}
    if bge.token_type_ids and bge.token_type_ids in bge.runner.inputs:
        inputs[bge.token_type_ids] = np.zeros_like(array)
    hidden = bge.runner.run(inputs, batch_size=1)[bge.output].astype(np.float64)[0]
    return {"cls": hidden[0], "mean": hidden.mean(axis=0)}


def encode(bge, texts: list[str], max_tokens: int, cache: Path) -> dict[str, np.ndarray]:
    """Pooled rows of `texts` cut at `max_tokens`, cached by the texts and the cut."""
    import hashlib

    key = hashlib.sha256(("\x00".join(texts) + f"|{max_tokens}|{INT8.stat().st_size}").encode()).hexdigest()[:16]
    path = cache / f"bge-int8-single-{key}.npz"
    if path.is_file():
        with np.load(path) as stored:
            return {name: stored[name] for name in POOLINGS}
    rows: dict[str, list[np.ndarray]] = {name: [] for name in POOLINGS}
    for encoding in bge.tokenizer.encode_batch(texts):
        ids = encoding.ids if len(encoding.ids) <= max_tokens else encoding.ids[:max_tokens - 1] + encoding.ids[-1:]
        for name, row in pooled(bge, ids).items():
            rows[name].append(row)
    result = {name: np.stack(values) for name, values in rows.items()}
    np.savez(path, **result)
    return result


def normalized(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def measure(dataset_name: str, max_tokens: list[int], cache: Path) -> list[dict]:
    dataset = load_dataset(DATA / dataset_name)
    ids, titles, texts = corpus(dataset)
    bge = embedder(INT8)
    bge.tokenizer.no_truncation()  # cut here, keeping [SEP], as the embedder's max-tokens does
    query_ids = list(dataset.queries)
    queries = {instruction: encode(bge, [bge.prepended(dataset.queries[q], "query") if instruction
                                         else dataset.queries[q] for q in query_ids], 512, cache)
               for instruction in (True, False)}
    documents = {"title text": [f"{t} {x}".strip() for t, x in zip(titles, texts)], "text": texts}
    rows = []
    for text, tokens in itertools.product(TEXTS, max_tokens):
        started = time.perf_counter()
        matrices = encode(bge, documents[text], tokens, cache)
        seconds = time.perf_counter() - started
        for pooling, instruction, cosine in itertools.product(POOLINGS, (True, False), (True, False)):
            docs, query_matrix = matrices[pooling], queries[instruction][pooling]
            if cosine:
                docs, query_matrix = normalized(docs), normalized(query_matrix)
            scores = query_matrix @ docs.T
            run = {query_id: [ids[row] for row in np.argsort(-scores[i], kind="stable")[:100]]
                   for i, query_id in enumerate(query_ids)}
            rows.append({"text": text, "max_tokens": tokens, "pooling": pooling, "instruction": instruction,
                         "score": "cosine" if cosine else "dot", "ndcg@10": mean_metrics(run, dataset.qrels)["ndcg@10"],
                         "embed_s": seconds})
            print(rows[-1], file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict]) -> str:
    """One row per document text and cut; columns: pooling, instruction, score."""
    value = {(r["text"], r["max_tokens"], r["pooling"], r["instruction"], r["score"]): r["ndcg@10"] for r in rows}
    columns = [("cls", True, "cosine"), ("cls", False, "cosine"), ("mean", True, "cosine"), ("mean", False, "cosine"),
               ("cls", True, "dot"), ("mean", False, "dot")]
    lines = ["| document text | max tokens | CLS, instruction | CLS, none | mean, instruction | mean, none | "
             "CLS, instruction, dot unnormalized | mean, none, dot unnormalized |", "| --- " * 8 + "|"]
    for text, tokens in dict.fromkeys((r["text"], r["max_tokens"]) for r in rows):
        lines.append(f"| `{text}` | {tokens} | " + " | ".join(f"{value[(text, tokens, *column)]:.4f}"
                                                           for column in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cranfield")
    parser.add_argument("--max-tokens", nargs="+", type=int, default=[512, 256, 128])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "phasedsearch-dense-vectors")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = measure(args.dataset, args.max_tokens, args.cache)
    print(f"{platform.machine()}, {args.dataset}, nDCG@10, {time.strftime('%Y-%m-%d')}\n\n{table(rows)}")


if __name__ == "__main__":
    main()
