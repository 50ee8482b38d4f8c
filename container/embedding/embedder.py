"""`hugging-face-embedder` (vespa-reference §7.1): a bi-encoder ONNX model + tokenizer.json.
Text -> [CLS] tokens [SEP] truncated to max-tokens, last_hidden_state pooled (mean over the
attention mask, or the CLS row), optionally L2-normalized, written into tensor<float>(x[N]).
`embed_many(..., batch_size=n)` is the batched path for feeders that embed a corpus."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from container.ranking.onnx_models import OnnxSettings, load_model
from searchlib.errors import InvalidParameterError
from searchlib.tensor import Tensor, TensorType


class HuggingFaceEmbedder:
    def __init__(self, component_id: str, config: Mapping[str, str], resolve, tokenizer=None) -> None:
        self.id = component_id
        self.max_tokens = int(config.get("max-tokens") or 512)
        self.pooling = (config.get("pooling-strategy") or "mean").lower()
        if self.pooling not in ("mean", "cls", "none"):
            raise InvalidParameterError(f"component '{component_id}': pooling-strategy must be mean, cls or none, "
                                        f"not '{self.pooling}'")
        self.normalize = (config.get("normalize") or "false").lower() == "true"
        self.prepend = {"query": config.get("prepend.query", ""), "document": config.get("prepend.document", "")}
        self.input_ids, self.attention_mask, self.token_type_ids, self.runner, self.tokenizer = \
            load_transformer(config, resolve, tokenizer)
        self.output = config.get("transformer-output") or "last_hidden_state"
        self.tokenizer.enable_truncation(self.max_tokens)

    def embed_many(self, texts: Sequence[str], tensor_type: TensorType, context: str = "document",
                   batch_size: int = 1, max_tokens: int | None = None) -> np.ndarray:
        """One row per text, in the order given. `batch_size` 1 (the default) is one ONNX call per
        text, as in Vespa: the int8 model quantizes activations per call, so in a batch a text's
        embedding depends on its batch-mates. With `batch_size` > 1 the texts are sorted by token
        count and each run of `batch_size` becomes one ONNX call padded to its longest text: the
        fast path for feeders embedding a corpus (exact for float-activation models; for the int8
        model embeddings move slightly with the batch, test_embedder_batching measures how much).
        `max_tokens` cuts texts shorter than the configured max-tokens (feeders trade accuracy for
        time: the cost is tokens x model), keeping the closing special token as truncation does."""
        dims = tensor_type.indexed
        if len(tensor_type.dimension_names) != 1 or len(dims) != 1:
            raise InvalidParameterError(f"Don't know how to embed into {tensor_type} with '{self.id}'")
        size = dims[0].size
        if tensor_type.cell_type == "int8":  # binarized: 8 embedding values per int8 cell, packed
            floats = TensorType.parse(f"tensor<float>({dims[0].name}[{size * 8}])")
            return pack_bits(self.embed_many(texts, floats, context, batch_size, max_tokens))
        encodings = [e.ids for e in self.tokenizer.encode_batch([self.prepended(t, context) for t in texts])]
        if max_tokens is not None and max_tokens < self.max_tokens:
            if max_tokens < 2:
                raise InvalidParameterError(f"max-tokens must be at least 2, got {max_tokens}")
            encodings = [ids if len(ids) <= max_tokens else ids[: max_tokens - 1] + ids[-1:] for ids in encodings]
        out = np.zeros((len(texts), size), dtype=np.float64)
        step = max(1, batch_size)
        order = sorted(range(len(texts)), key=lambda row: len(encodings[row])) if step > 1 else list(range(len(texts)))
        for start in range(0, len(order), step):
            rows = order[start:start + step]
            out[rows] = self._embed_ids([encodings[row] for row in rows], size, tensor_type)
        return out

    def prepended(self, text: str, context: str) -> str:
        """The text with `prepend` for its context before it, joined by a space as Vespa's
        prependInstruction does (services.xml's element text arrives trimmed: `query: ` is `query:`)."""
        prefix = self.prepend.get(context, "")
        return f"{prefix} {text}" if prefix else text

    def _embed_ids(self, encodings: Sequence[Sequence[int]], size: int, tensor_type: TensorType) -> np.ndarray:
        """One ONNX call over the token id lists, padded to the longest."""
        width = max((len(ids) for ids in encodings), default=1)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding)] = encoding
            mask[row, :len(encoding)] = 1
        inputs = {self.input_ids: ids, self.attention_mask: mask}
        if self.token_type_ids and self.token_type_ids in self.runner.inputs:
            inputs[self.token_type_ids] = np.zeros_like(ids)
        hidden = self.runner.run(inputs, batch_size=len(encodings))[self.output].astype(np.float64)
        if self.pooling == "none":  # the model pools: its output is one vector per text
            pooled = hidden.reshape(len(encodings), -1)
        elif self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float64)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        if self.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        if pooled.shape[1] != size:
            raise InvalidParameterError(f"'{self.id}' produces {pooled.shape[1]} values, {tensor_type} holds {size}")
        return pooled

    def embed(self, text: str, tensor_type: TensorType, context: str = "query") -> Tensor:
        return Tensor.dense(tensor_type, self.embed_many([text], tensor_type, context)[0])


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def load_transformer(config: Mapping[str, str], resolve, tokenizer=None):
    """The ONNX session and tokenizer every transformer embedder configures the same way: input
    names (`<transformer-token-type-ids/>` empty = the model has none), ONNX settings, and the
    tokenizer (tokenizer.json unless one is given) with padding and truncation off (each embedder
    truncates as it documents)."""
    from tokenizers import Tokenizer

    gpu = config.get("onnx-gpu-device")
    runner = load_model(OnnxSettings(resolve(config["transformer-model"]),
                                     int(gpu) if gpu not in (None, "") else None,
                                     _int(config.get("onnx-intraop-threads")),
                                     _int(config.get("onnx-interop-threads")),
                                     config.get("onnx-execution-mode") or None))
    tokenizer = tokenizer or Tokenizer.from_file(resolve(config["tokenizer-model"]))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return (config.get("transformer-input-ids") or "input_ids",
            config.get("transformer-attention-mask") or "attention_mask",
            config.get("transformer-token-type-ids", "token_type_ids"), runner, tokenizer)


def pack_bits(values: np.ndarray) -> np.ndarray:
    """Rows of floats -> rows of int8 cells, one bit per value (> 0 is 1), the first value the
    highest bit: Vespa's binarized embeddings (hamming distance, unpack_bits)."""
    bits = (np.asarray(values) > 0).astype(np.uint8)
    return np.packbits(bits, axis=-1).view(np.int8).astype(np.float64)
