"""ColBERT max_sim on a content node (issue 18): the rank expression over the candidates' bit-packed
token vectors, and the 32x128 `query(qt)` tensor across the wire (encode in the container, decode
on the node). Hand-run; BENCHMARKS.md's section "ColBERT max_sim per query" is hand-written:

    python -m benchmarks.max_sim [CODE_ROOT]   # CODE_ROOT: another checkout, to compare commits
"""
from __future__ import annotations

import statistics
import sys
import time

MAX_SIM = "sum(reduce(sum(query(qt) * unpack_bits(attribute(d)), x), max, dt), qt)"


def _median_ms(fn, repeat: int = 10) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    if len(sys.argv) > 1:
        sys.path.insert(0, sys.argv[1])
    import numpy as np
    from searchlib.expression import compile_expression
    from searchlib.tensor import Tensor, TensorBatch
    from searchlib.wire.tensor_codec import decode_tensor, encode_tensor

    rng = np.random.default_rng(1)
    query = Tensor.from_cells("tensor<float>(qt{},x[128])", [
        ({"qt": str(q), "x": str(x)}, float(v)) for q in range(32) for x, v in enumerate(rng.normal(size=128))])

    def docs(tokens):
        return TensorBatch(
            Tensor.from_cells("tensor<int8>(dt{},x[16])", []).type,
            rows=[Tensor.from_cells("tensor<int8>(dt{},x[16])", [
                ({"dt": str(t), "x": str(x)}, float(v)) for t in range(n)
                for x, v in enumerate(rng.integers(-128, 128, size=16))]) for n in tokens])

    expression = compile_expression(MAX_SIM)
    message = encode_tensor(query)
    print("| step | ms (median of 10) |\n| --- | ---: |")
    for label, tokens in (("max_sim, 3 candidates of 12/20/30 tokens", (12, 20, 30)),
                          ("max_sim, 100 candidates of 64 tokens", (64,) * 100)):
        batch = docs(tokens)
        ms = _median_ms(lambda: expression.evaluate({"query(qt)": query, "attribute(d)": batch}, len(tokens)))
        print(f"| {label} | {ms:.1f} |")
    print(f"| encode query(qt) 32x128 (container) | {_median_ms(lambda: encode_tensor(query)):.1f} |")
    print(f"| decode query(qt) 32x128 (content node) | {_median_ms(lambda: decode_tensor(message)):.1f} |")


if __name__ == "__main__":
    main()
