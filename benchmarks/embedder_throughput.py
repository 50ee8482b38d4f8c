"""bge-small-en document embedding throughput on scifact, the way the container's batched path runs
it: texts sorted by token count, one ONNX call per batch padded to its longest text, onnxruntime
with 2 intra-op threads. Measures a fixed-seed random sample of documents per max length and
extrapolates to the whole corpus (the numbers behind tests/integration/test_dense_hybrid_scifact.py).

    python3 -m benchmarks.embedder_throughput [--sample 512] [--lengths 512 256 128] [--batch 32]
        [--model models/bge-small-en/model.onnx]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from container.embedding.embedder import HuggingFaceEmbedder
from searchlib.tensor import TensorType

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "schemas"
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
VECTOR = TensorType.parse("tensor<float>(x[384])")


def corpus_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as stream:
        items = [json.loads(line) for line in stream if line.strip()]
    return [f"{item.get('title') or ''} {item.get('text') or ''}".strip() for item in items]


def embedder(max_tokens: int, model: str, threads: int) -> HuggingFaceEmbedder:
    config = {"transformer-model": model, "tokenizer-model": "models/bge-small-en/tokenizer.json",
              "pooling-strategy": "cls", "normalize": "true", "max-tokens": str(max_tokens),
              "onnx-intraop-threads": str(threads), "onnx-interop-threads": "1"}
    return HuggingFaceEmbedder("bge", config, lambda reference: str(APP / reference))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=512)
    parser.add_argument("--lengths", type=int, nargs="+", default=[512, 256, 128])
    parser.add_argument("--batch", type=int, nargs="+", default=[32])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default="models/bge-small-en/model.onnx")
    args = parser.parse_args()
    texts = corpus_texts(SCIFACT / "corpus.jsonl")
    sample = random.Random(7).sample(texts, min(args.sample, len(texts)))
    for max_tokens in args.lengths:
        encoder = embedder(max_tokens, args.model, args.threads)
        lengths = np.array([len(e.ids) for e in encoder.tokenizer.encode_batch(texts)])
        encoder.embed_many(sample[:8], VECTOR, batch_size=8)  # warm-up
        for batch in args.batch:
            started, cpu = time.perf_counter(), time.process_time()
            encoder.embed_many(sample, VECTOR, batch_size=batch)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            rate = len(sample) / seconds
            print(f"max-tokens {max_tokens:4d} batch {batch:3d}: {rate:6.1f} docs/s, {1000 * cpu / len(sample):5.1f} "
                  f"cpu-ms/doc -> {len(texts) / rate:6.0f} s ({len(texts) * cpu / len(sample):6.0f} cpu-s) for "
                  f"{len(texts)} docs; tokens mean {lengths.mean():.0f}, at the cut "
                  f"{np.mean(lengths >= max_tokens):.0%}; load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
