"""Global-phase benchmarks (issue 4), with the default cross-encoder (ms-marco-MiniLM-L-12-v2 int8).

    python -m benchmarks.global_phase inference [--pairs 100] [--rounds 3]
        Batched + padding-trimmed inference (the engine's OnnxModelRunner) vs one fixed-length
        (256) call per hit (Vespa's design) on the same pairs: scifact query 1 with 100 documents.

    python -m benchmarks.global_phase e2e [--queries 5] [--rerank 100]
        A 2-node cluster on scifact: end-to-end /search/ latency of bert-ranker reranking
        `--rerank` hits vs raw onnxruntime scoring the same pairs in one process (ratio target ≤ 1.15).
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "schemas"
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
LENGTH = 256


def _tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(APP / "models/cross-encoder/tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def _pairs(query: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixed-length (256) rows, as tokenInputIds/tokenTypeIds/tokenAttentionMask produce them."""
    tokenizer = _tokenizer()
    q = tokenizer.encode(query, add_special_tokens=False).ids[:32]
    ids = np.zeros((len(texts), LENGTH), dtype=np.int64)
    types = np.zeros_like(ids)
    for row, text in enumerate(texts):
        d = tokenizer.encode(text, add_special_tokens=False).ids[:512]
        seq = ([101] + q + [102] + d + [102])[:LENGTH]
        typ = ([0] * (len(q) + 2) + [1] * (len(d) + 1))[:LENGTH]
        ids[row, :len(seq)] = seq
        types[row, :len(typ)] = typ
    return ids, types, (ids != 0).astype(np.int64)


def _corpus(limit: int | None = None) -> list[tuple[str, str]]:
    out = []
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as stream:
        for line in itertools.islice(stream, limit):
            item = json.loads(line)
            out.append((str(item["_id"]), f"{item.get('title') or ''} {item.get('text') or ''}"))
    return out


def _best(fn, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def inference(pairs: int, rounds: int) -> None:
    from container.ranking.onnx_models import OnnxModelRunner, OnnxSettings

    query = json.loads(next(iter(open(SCIFACT / "queries.jsonl", encoding="utf-8"))))["text"]
    texts = [t for _, t in _corpus(pairs)]
    ids, types, mask = _pairs(query, texts)
    lengths = mask.sum(axis=1)
    runner = OnnxModelRunner(OnnxSettings(str(APP / "models/cross-encoder/model.onnx")))
    inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}

    def per_hit_fixed():
        return np.concatenate([runner.session.run(None, {k: v[i:i + 1] for k, v in inputs.items()})[0]
                               for i in range(len(ids))]).reshape(-1)

    def per_hit_trimmed():
        return np.concatenate([runner.session.run(None, {k: v[i:i + 1, :lengths[i]] for k, v in inputs.items()})[0]
                               for i in range(len(ids))]).reshape(-1)

    rows = [("one call per hit, fixed length 256 (Vespa)", per_hit_fixed),
            ("one call per hit, trimmed to its length", per_hit_trimmed)]
    for batch in (8, 32, 100):
        rows.append((f"batches of {batch}, trimmed to the longest", lambda b=batch: runner.run(inputs, b)["logits"]
                     .reshape(-1)))
    print(f"{len(ids)} pairs, sequence lengths: mean {lengths.mean():.0f}, min {lengths.min()}, max {lengths.max()}; "
          f"provider {runner.provider}, intra-op threads {runner.session.get_session_options().intra_op_num_threads}")
    reference_time, reference = _best(per_hit_fixed, rounds)
    for name, fn in rows:
        seconds, scores = _best(fn, rounds)
        diff = float(np.max(np.abs(np.asarray(scores) - reference)))
        top10 = len(set(np.argsort(-reference)[:10]) & set(np.argsort(-np.asarray(scores))[:10]))
        print(f"  {name:45s} {1000 * seconds:8.1f} ms  {reference_time / seconds:5.2f}x  "
              f"max |Δscore| {diff:.3f}  top-10 overlap {top10}/10")


def e2e(queries: int, rerank: int) -> None:
    import httpx
    import onnxruntime as ort

    from deploy.beir_eval import EVAL_YQL, hit_corpus_id, iter_corpus_operations, load_dataset, sanitize_query_text
    from deploy.feeder import feed
    from deploy.local_cluster import LocalCluster

    dataset = load_dataset(SCIFACT)
    texts = dict(_corpus())
    session = ort.InferenceSession(str(APP / "models/cross-encoder/model.onnx"), providers=["CPUExecutionProvider"])
    with tempfile.TemporaryDirectory() as data, LocalCluster(APP, data, nodes=2) as cluster:
        feed(iter_corpus_operations(dataset), cluster.url, show_progress=False)
        ratios, engine, raw = [], [], []
        with httpx.Client(base_url=cluster.url, timeout=300) as http:
            for text in itertools.islice(dataset.queries.values(), queries):
                params = {"yql": EVAL_YQL, "query": sanitize_query_text(text), "type": "any", "timeout": "120s",
                          "ranking": "bert-ranker", "hits": "10", "input.query(q_tokens)": "embed(tokenizer, @query)",
                          "ranking.globalPhase.rerankCount": str(rerank)}
                first_phase = {k: v for k, v in params.items() if not k.startswith("input.")}
                bm25 = http.get("/search/", params={**first_phase, "ranking": "bm25", "hits": str(rerank)}).json()
                docs = [hit_corpus_id(h) for h in bm25["root"].get("children", [])]
                started = time.perf_counter()
                http.get("/search/", params=params).raise_for_status()
                engine.append(time.perf_counter() - started)
                ids, types, mask = _pairs(sanitize_query_text(text), [texts[d] for d in docs])
                used = int(mask.sum(axis=1).max())
                started = time.perf_counter()
                for start in range(0, len(ids), 32):  # the engine's batching, done by hand
                    chunk = slice(start, start + 32)
                    width = int(mask[chunk].sum(axis=1).max())
                    session.run(None, {"input_ids": ids[chunk, :width], "attention_mask": mask[chunk, :width],
                                       "token_type_ids": types[chunk, :width]})
                raw.append(time.perf_counter() - started)
                ratios.append(engine[-1] / raw[-1])
                print(f"  {len(docs)} pairs (max length {used}): /search/ {1000 * engine[-1]:.0f} ms, "
                      f"raw onnxruntime {1000 * raw[-1]:.0f} ms, ratio {ratios[-1]:.2f}")
    print(f"median /search/ {1000 * statistics.median(engine):.0f} ms, raw {1000 * statistics.median(raw):.0f} ms, "
          f"median ratio {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("inference")
    first.add_argument("--pairs", type=int, default=100)
    first.add_argument("--rounds", type=int, default=3)
    second = commands.add_parser("e2e")
    second.add_argument("--queries", type=int, default=5)
    second.add_argument("--rerank", type=int, default=100)
    args = parser.parse_args()
    from deploy.models import ensure_models

    ensure_models(APP)
    if args.command == "inference":
        inference(args.pairs, args.rounds)
    else:
        e2e(args.queries, args.rerank)


if __name__ == "__main__":
    main()
