"""Does the batching of documents move the bge vectors enough to cost relevance? (issue 22, dense gap)

The default package's bge-small is int8 with dynamic activation quantization: each ONNX call scales
the activations over the whole padded batch, so a document's vector depends on its batch-mates.
This measures exact dense nDCG@10 (numpy cosine over every document, queries one call each with the
query instruction, as the container embeds them) for document vectors made

- `feed`: as the feed and `eval --embed` make them today (container/embedding/feed_embedding.py:
  chunks of 512 documents, each sorted by token count, 32 a call);
- `sorted-32`: the whole corpus sorted by token count, 32 a call (other batch-mates, least padding);
- `unsorted-32`: 32 a call in corpus order (more padding);
- `single`: one document per call (as Vespa embeds at feed time);
- `fp32act`: the same int8 weights with float activations (deploy/model_conversion.py), batched as
  today; documents and queries both through it.

Documents are title + text up to 512 tokens (the default package's feed). Times are CPU seconds of
this process (all ONNX threads) for embedding the corpus.

    python -m benchmarks.dense_vectors [--dataset cranfield] [--variants sorted-32 single ...]
"""
from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.relevance import APP, DATA, VECTOR, corpus
from container.embedding.embedder import HuggingFaceEmbedder
from container.embedding.feed_embedding import CHUNK
from deploy.beir_eval import load_dataset
from searchlib.evaluation import mean_metrics
from searchlib.schema.application import load_application

VARIANTS = ("feed", "sorted-32", "unsorted-32", "single", "fp32act")


INT8 = APP / "models" / "bge-small-en" / "model.onnx"  # the fetched model; fp32act is derived from it


def embedder(model: Path) -> HuggingFaceEmbedder:
    """The default package's bge component (prepend, max-tokens, pooling) over `model`."""
    application = load_application(APP)
    config = {**application.components["bge"].config, "transformer-model": str(model)}
    return HuggingFaceEmbedder("bge", config, lambda ref: str(Path(ref) if Path(ref).is_absolute() else APP / ref))


def fp32act_model(cache: Path) -> Path:
    from deploy.model_conversion import convert_file

    target = cache / "bge-small-en-fp32act.onnx"
    convert_file(INT8, target)  # no-op when current
    return target


def document_matrix(bge: HuggingFaceEmbedder, texts: list[str], variant: str) -> np.ndarray:
    if variant == "unsorted-32":  # corpus order: one call per 32, padded to the longest of them
        encodings = [e.ids for e in bge.tokenizer.encode_batch(texts)]
        return np.concatenate([bge._embed_ids(encodings[i:i + 32], VECTOR.indexed[0].size, VECTOR)
                               for i in range(0, len(texts), 32)])
    if variant == "feed":
        return np.concatenate([bge.embed_many(texts[i:i + CHUNK], VECTOR, "document", batch_size=32)
                               for i in range(0, len(texts), CHUNK)])
    return bge.embed_many(texts, VECTOR, "document", batch_size=1 if variant == "single" else 32)


def measure(dataset_name: str, variant: str, cache: Path) -> dict:
    dataset = load_dataset(DATA / dataset_name)
    ids, titles, texts = corpus(dataset)
    documents = [f"{title} {text}".strip() for title, text in zip(titles, texts)]  # as the feed joins them
    bge = embedder(fp32act_model(cache) if variant == "fp32act" else INT8)
    bge.embed_many(documents[:4], VECTOR)  # session warm-up outside the timing
    cpu, wall = time.process_time(), time.perf_counter()
    matrix = document_matrix(bge, documents, variant).astype(np.float32)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    run = {}
    for query_id, text in dataset.queries.items():
        query = bge.embed(text, VECTOR, "query").dense_values.reshape(-1).astype(np.float32)
        run[query_id] = [ids[row] for row in np.argsort(-(matrix @ query), kind="stable")[:100]]
    metrics = mean_metrics(run, dataset.qrels)
    return {"dataset": dataset_name, "variant": variant, "ndcg@10": metrics["ndcg@10"],
            "queries": metrics["queries"], "documents": len(ids), "cpu_s": cpu, "wall_s": wall}


def table(rows: list[dict]) -> str:
    lines = ["| collection | document vectors | nDCG@10 | CPU s (corpus) | wall s |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r['dataset']} | {r['variant']} | {r['ndcg@10']:.4f} | {r['cpu_s']:.0f} | {r['wall_s']:.0f} |"
              for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="cranfield")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "phasedsearch-dense-vectors")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for variant in args.variants:
        rows.append(measure(args.dataset, variant, args.cache))
        print(json.dumps(rows[-1]), flush=True)
    print(f"\n{platform.processor() or platform.machine()}, {len(rows)} variants\n\n{table(rows)}")


if __name__ == "__main__":
    main()
