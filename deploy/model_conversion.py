"""A float-activation copy of a dynamically quantized ONNX model (graph surgery with `onnx`).

onnxruntime's dynamic int8 quantization turns every `MatMul(x, W)` with a constant W into

    x_q, x_scale, x_zp = DynamicQuantizeLinear(x)          # range of x over the whole batch
    y = Mul(Cast(MatMulInteger(x_q, W_q, x_zp, W_zp), float), Mul(x_scale, W_scale))

so a row's result depends on the other rows of the batch (and on its padding). `fp32_activations`
undoes the activation half: each such chain becomes `MatMul(x, W_f)` with the float initializer
`W_f = (W_q - W_zp) * W_scale` (per tensor, or per output column), i.e. the same int8 weights, dequantized once, on float activations.
The model's scores then no longer depend on batch-mates. Weight-only quantized lookups
(`Gather` + `DequantizeLinear` of the embedding tables) do not depend on the batch and are kept.

The conversion is deterministic (same input bytes, same output bytes), and `convert_file` skips the
work when the output records the sha256 of the current input and this converter's version.
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from searchlib.digests import file_sha256

CONVERTER_VERSION = "1"
SOURCE_KEY = "phasedsearch.fp32act.source_sha256"
VERSION_KEY = "phasedsearch.fp32act.converter"


class ConversionError(ValueError):
    pass


def fp32_activations(model):
    """A new ModelProto: every DynamicQuantizeLinear→MatMulInteger→Cast→Mul chain with a constant
    per-tensor quantized weight replaced by a float MatMul. Raises ConversionError when a
    MatMulInteger does not have that shape (nothing is guessed)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.ModelProto.FromString(model.SerializeToString())  # never touch the caller's copy
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            consumers[name].append(node)

    def constant(name: str) -> np.ndarray:
        if name not in initializers:
            raise ConversionError(f"'{name}' is not an initializer")
        return numpy_helper.to_array(initializers[name])

    def only_consumer(name: str, op_type: str):
        users = consumers.get(name, [])
        if len(users) != 1 or users[0].op_type != op_type:
            raise ConversionError(f"'{name}' does not feed exactly one {op_type}")
        return users[0]

    replaced: dict[int, object] = {}  # id(final Mul) -> the MatMul that takes its place
    removed: set[int] = set()
    new_initializers = []
    dequantized: dict[tuple[str, str, str], str] = {}
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        if len(node.input) != 4:
            raise ConversionError(f"MatMulInteger '{node.name}' without zero points")
        x_q, w_q, x_zp, w_zp = node.input
        quantize = producer.get(x_q)
        if quantize is None or quantize.op_type != "DynamicQuantizeLinear" or quantize.output[2] != x_zp:
            raise ConversionError(f"MatMulInteger '{node.name}': activation not from DynamicQuantizeLinear")
        cast = only_consumer(node.output[0], "Cast")
        if helper.get_attribute_value(cast.attribute[0]) != TensorProto.FLOAT:
            raise ConversionError(f"Cast after '{node.name}' is not to float")
        mul = only_consumer(cast.output[0], "Mul")
        scale_name = next(n for n in mul.input if n != cast.output[0])
        scale_mul = producer.get(scale_name)
        if scale_mul is None or scale_mul.op_type != "Mul" or quantize.output[1] not in scale_mul.input:
            raise ConversionError(f"MatMulInteger '{node.name}': no activation-scale x weight-scale Mul")
        w_scale = next(n for n in scale_mul.input if n != quantize.output[1])
        quantized, scale, zero_point = constant(w_q), constant(w_scale), constant(w_zp)
        columns = quantized.shape[-1]
        if quantized.ndim != 2 or scale.size not in (1, columns) or zero_point.size not in (1, columns):
            raise ConversionError(f"MatMulInteger '{node.name}': weights neither per tensor nor per column")
        key = (w_q, w_zp, w_scale)
        if key not in dequantized:
            # per tensor: one scale; per channel (bge-small): one scale and zero point per output column
            weights = (quantized.astype(np.float32) - zero_point.reshape(-1).astype(np.float32)) \
                * scale.reshape(-1).astype(np.float32)
            name = f"{w_q}_fp32"
            while name in initializers or name in producer:
                name += "_"
            dequantized[key] = name
            new_initializers.append(numpy_helper.from_array(weights.astype(np.float32), name))
        replaced[id(mul)] = helper.make_node("MatMul", [quantize.input[0], dequantized[key]], list(mul.output),
                                             name=f"{node.name}_fp32" if node.name else "")
        removed.update({id(node), id(cast)})
    if not replaced:
        raise ConversionError("no dynamically quantized MatMul in this model")

    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in removed]
    nodes = _without_dead_nodes(nodes, {o.name for o in graph.output})
    used = {name for n in nodes for name in n.input} | {o.name for o in graph.output}
    kept_initializers = [t for t in [*graph.initializer, *new_initializers] if t.name in used]
    produced = {out for n in nodes for out in n.output} | {i.name for i in graph.input}
    kept_value_info = [v for v in graph.value_info if v.name in produced]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept_initializers)
    del graph.value_info[:]
    graph.value_info.extend(kept_value_info)
    onnx.checker.check_model(model)
    return model


def _without_dead_nodes(nodes: list, outputs: set[str]) -> list:
    """Drop nodes none of whose outputs is used (the quantize and scale nodes left behind)."""
    while True:
        used = {name for n in nodes for name in n.input} | outputs
        alive = [n for n in nodes if any(out in used for out in n.output)]
        if len(alive) == len(nodes):
            return nodes
        nodes = alive


def _recorded(model) -> dict[str, str]:
    return {p.key: p.value for p in model.metadata_props}


def is_current(source: Path, target: Path) -> bool:
    """True when `target` was converted from the current bytes of `source` by this converter."""
    import onnx

    if not target.is_file():
        return False
    try:
        recorded = _recorded(onnx.load(str(target), load_external_data=False))
    except Exception:  # noqa: BLE001 - an unreadable target is rebuilt
        return False
    return recorded.get(VERSION_KEY) == CONVERTER_VERSION and recorded.get(SOURCE_KEY) == file_sha256(source)


def convert_file(source: Path | str, target: Path | str) -> bool:
    """Write the float-activation copy of `source` to `target` unless it is up to date. Returns
    whether it wrote. The file appears atomically (a concurrent reader never sees half a model)."""
    import onnx

    source, target = Path(source), Path(target)
    if is_current(source, target):
        return False
    model = fp32_activations(onnx.load(str(source)))
    model.metadata_props.add(key=SOURCE_KEY, value=file_sha256(source))
    model.metadata_props.add(key=VERSION_KEY, value=CONVERTER_VERSION)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")  # concurrent fetches: own partial
    partial.write_bytes(model.SerializeToString(deterministic=True))
    partial.replace(target)
    return True
