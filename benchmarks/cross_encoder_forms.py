"""The default cross-encoder in its two forms (issue 4 item 7): int8 with dynamically quantized
activations, batched or one call per hit, vs the float-activation copy (`model-fp32act.onnx`, the
same int8 weights dequantized, see deploy/model_conversion.py), batched.

    python -m benchmarks.cross_encoder_forms [--queries 100] [--top 25] [--check-queries 10]

BM25 top `--top` for the first `--queries` scifact test queries come from the `bm25` profile of a
2-node cluster (cached in --candidates, so a rerun skips the cluster); each form then reranks them
in this process through the engine's OnnxModelRunner with the token layout of `bert-ranker`
(length 256, query 32 tokens), one `run` per query as the global phase does. Reported: cost per 100
pairs, nDCG@10, and how far the scores move with batching and between the forms. On the first
`--check-queries` queries the fp32-activation model is also run one call per hit, to check that its
batched scores equal the per-hit ones. The machine is shared, so the costs are also measured
interleaved: every form (fp32 per hit too) on the pairs of the first `--cost-queries` queries, in
turn, `--cost-rounds` times, best of each.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.global_phase import APP, SCIFACT, _corpus, _pairs
from benchmarks.report import write_section

INT8 = APP / "models/cross-encoder/model.onnx"
FP32ACT = APP / "models/cross-encoder/model-fp32act.onnx"


def bm25_candidates(queries: dict[str, str], top: int, cache: Path) -> dict[str, list[str]]:
    if cache.is_file():
        cached = json.loads(cache.read_text())
        if cached.get("top") == top and all(q in cached["run"] for q in queries):
            return {q: cached["run"][q] for q in queries}
    import httpx

    from deploy.beir_eval import EVAL_YQL, hit_corpus_id, iter_corpus_operations, load_dataset, sanitize_query_text
    from deploy.feeder import feed
    from deploy.local_cluster import LocalCluster

    run = {}
    with tempfile.TemporaryDirectory() as data, LocalCluster(APP, data, nodes=2) as cluster:
        feed(iter_corpus_operations(load_dataset(SCIFACT)), cluster.url, show_progress=False)
        with httpx.Client(base_url=cluster.url, timeout=60) as http:
            for qid, text in queries.items():
                params = {"yql": EVAL_YQL, "query": sanitize_query_text(text), "type": "any", "ranking": "bm25",
                          "hits": str(top), "timeout": "30s"}
                hits = http.get("/search/", params=params).json()["root"].get("children", [])
                run[qid] = [hit_corpus_id(h) for h in hits]
    cache.write_text(json.dumps({"top": top, "run": run}))
    return run


def score_all(runner, batch_size: int, work: list[tuple[str, dict[str, np.ndarray]]]):
    """One engine `run` per query; returns per-query scores and the seconds spent in them."""
    scores, seconds = {}, 0.0
    for qid, inputs in work:
        started = time.perf_counter()
        scores[qid] = runner.run(inputs, batch_size)["logits"].reshape(-1)
        seconds += time.perf_counter() - started
    return scores, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--check-queries", type=int, default=10)
    parser.add_argument("--cost-queries", type=int, default=4)
    parser.add_argument("--cost-rounds", type=int, default=3)
    parser.add_argument("--candidates", default=str(Path(tempfile.gettempdir()) / "scifact-bm25-candidates.json"))
    parser.add_argument("--no-write", action="store_true", help="print the section, leave BENCHMARKS.md alone")
    parser.add_argument("--smoke", action="store_true", help="score only 3 queries (checks the script; no write)")
    args = parser.parse_args()

    from container.ranking.onnx_models import OnnxModelRunner, OnnxSettings
    from deploy.beir_eval import load_dataset, sanitize_query_text
    from deploy.models import ensure_models
    from searchlib.evaluation import mean_metrics

    ensure_models(APP)
    dataset = load_dataset(SCIFACT)
    queries = dict(itertools.islice(dataset.queries.items(), args.queries))
    candidates = bm25_candidates(queries, args.top, Path(args.candidates))
    texts = dict(_corpus())
    work = []
    for qid, text in queries.items():
        if candidates[qid]:
            ids, types, mask = _pairs(sanitize_query_text(text), [texts[d] for d in candidates[qid]])
            work.append((qid, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}))
    if args.smoke:
        work, args.no_write = work[:3], True
    pairs = sum(len(candidates[q]) for q, _ in work)
    qrels = {q: dataset.qrels[q] for q in queries if not args.smoke or q in dict(work)}

    int8, fp32 = OnnxModelRunner(OnnxSettings(str(INT8))), OnnxModelRunner(OnnxSettings(str(FP32ACT)))
    forms = [("int8, batches of %d" % args.batch, int8, args.batch), ("int8, one call per hit", int8, 1),
             ("fp32 activations, batches of %d" % args.batch, fp32, args.batch)]
    results = {}
    for name, runner, batch in forms:
        scores, seconds = score_all(runner, batch, work)
        run = {qid: [candidates[qid][i] for i in np.argsort(-scores[qid], kind="stable")[:10]] for qid, _ in work}
        results[name] = (scores, seconds, mean_metrics(run, qrels)["ndcg@10"])
        print(f"{name}: {100 * seconds / pairs:.2f} s per 100 pairs, nDCG@10 {results[name][2]:.4f}", flush=True)
    check = work[:args.check_queries]
    check_pairs = sum(len(candidates[q]) for q, _ in check)
    fp32_single, _ = score_all(fp32, 1, check)
    cost_work = work[:args.cost_queries]
    cost_pairs = sum(len(candidates[q]) for q, _ in cost_work)
    interleaved = {name: float("inf") for name in [*results, "fp32 activations, one call per hit"]}
    for _ in range(args.cost_rounds):
        for name, runner, batch in [*forms, ("fp32 activations, one call per hit", fp32, 1)]:
            interleaved[name] = min(interleaved[name], score_all(runner, batch, cost_work)[1])
    print("interleaved:", {k: round(100 * v / cost_pairs, 2) for k, v in interleaved.items()}, flush=True)
    bm25_run = {qid: candidates[qid][:10] for qid, _ in work}
    bm25 = mean_metrics(bm25_run, qrels)["ndcg@10"]

    def max_diff(a: str, b: str) -> float:
        return max(float(np.max(np.abs(results[a][0][q] - results[b][0][q]))) for q, _ in work)

    int8_batched, int8_single, fp32_batched = (f[0] for f in forms)
    fp32_batch_diff = max(float(np.max(np.abs(results[fp32_batched][0][q] - fp32_single[q]))) for q, _ in check)
    base, best_base = results[int8_single][1], interleaved[int8_single]
    rows = [f"| {name} | {100 * seconds / pairs:.2f} s ({seconds / base:.2f}×) | "
            f"{100 * interleaved[name] / cost_pairs:.2f} s ({interleaved[name] / best_base:.2f}×) | {ndcg:.4f} |"
            for name, (_, seconds, ndcg) in results.items()]
    single = interleaved["fp32 activations, one call per hit"]
    rows.append(f"| fp32 activations, one call per hit | – | {100 * single / cost_pairs:.2f} s "
                f"({single / best_base:.2f}×) | same scores as batched |")
    lengths = [int(inputs["attention_mask"].sum(axis=1).mean()) for _, inputs in work]
    body = f"""
`python -m benchmarks.cross_encoder_forms --queries {args.queries} --top {args.top}` on {platform.machine()},
{os.cpu_count()} shared cores (load average {os.getloadavg()[0]:.1f} at the end: other work runs here, so
the costs are noisy), {time.strftime('%Y-%m-%d')}, CPU provider, one intra-op thread (the engine's
ceil(cpus/4)). scifact, first {len(work)} test queries, BM25 top {args.top} from the `bm25` profile of a
2-node cluster ({pairs} pairs, length 256: mean {np.mean(lengths):.0f} tokens), reranked in one
process through the engine's OnnxModelRunner, one call to it per query, as the global phase does.
`int8` is `models/cross-encoder/model.onnx` (activations quantized per call); `fp32 activations` is
`models/cross-encoder/model-fp32act.onnx`, written by `phasedsearch models fetch` from the same int8
weights (dequantized into float initializers, plain MatMul).

| form | cost per 100 pairs, whole run (vs int8 per hit) | interleaved, best of {args.cost_rounds} on {cost_pairs} pairs | nDCG@10 |
| --- | --- | --- | --- |
| BM25 alone (top 10 of the candidates) | – | – | {bm25:.4f} |
{chr(10).join(rows)}

Score agreement: int8 batched vs int8 per hit max |Δ logit| {max_diff(int8_batched, int8_single):.3f}
(batch-mates and padding move the activation quantization range); fp32 activations batched vs
one call per hit (fixed length 256) on the first {len(check)} queries ({check_pairs} pairs):
max |Δ| {fp32_batch_diff:.2e};
fp32 activations vs int8 per hit: max |Δ logit| {max_diff(fp32_batched, int8_single):.3f}.
"""
    print(body)
    if not args.no_write:
        write_section("Cross-encoder forms: int8 vs float activations (issue 4)", body)


if __name__ == "__main__":
    main()
