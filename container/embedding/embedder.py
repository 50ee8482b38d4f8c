"""`hugging-face-embedder` (vespa-reference §7.1): a bi-encoder ONNX model + tokenizer.json.
Text -> [CLS] tokens [SEP] truncated to max-tokens, last_hidden_state pooled (mean over the
attention mask, or the CLS row), optionally L2-normalized, written into tensor<float>(x[N])."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from container.ranking.onnx_models import OnnxSettings, load_model
from searchlib.errors import InvalidParameterError
from searchlib.tensor import Tensor, TensorType


class HuggingFaceEmbedder:
    def __init__(self, component_id: str, config: Mapping[str, str], resolve) -> None:
        from tokenizers import Tokenizer

        self.id = component_id
        self.max_tokens = int(config.get("max-tokens") or 512)
        self.pooling = (config.get("pooling-strategy") or "mean").lower()
        self.normalize = (config.get("normalize") or "false").lower() == "true"
        self.prepend = {"query": config.get("prepend.query", ""), "document": config.get("prepend.document", "")}
        self.input_ids = config.get("transformer-input-ids") or "input_ids"
        self.attention_mask = config.get("transformer-attention-mask") or "attention_mask"
        self.token_type_ids = config.get("transformer-token-type-ids", "token_type_ids")
        self.output = config.get("transformer-output") or "last_hidden_state"
        gpu = config.get("onnx-gpu-device")
        self.runner = load_model(OnnxSettings(resolve(config["transformer-model"]),
                                              int(gpu) if gpu not in (None, "") else None,
                                              _int(config.get("onnx-intraop-threads")),
                                              _int(config.get("onnx-interop-threads")),
                                              config.get("onnx-execution-mode") or None, batch_size=16))
        self.tokenizer = Tokenizer.from_file(resolve(config["tokenizer-model"]))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(self.max_tokens)

    def embed_many(self, texts: Sequence[str], tensor_type: TensorType, context: str = "document") -> np.ndarray:
        dims = tensor_type.indexed
        if len(tensor_type.dimension_names) != 1 or len(dims) != 1:
            raise InvalidParameterError(f"Don't know how to embed into {tensor_type} with '{self.id}'")
        # One text per ONNX call, as in Vespa: the int8 model quantizes activations per call, so a
        # batch would make a text's embedding depend on its batch-mates.
        if len(texts) != 1:
            return np.stack([self.embed_many([t], tensor_type, context)[0] for t in texts]) if texts \
                else np.zeros((0, dims[0].size))
        prefix = self.prepend.get(context, "")
        encodings = self.tokenizer.encode_batch([prefix + t for t in texts])
        width = max((len(e.ids) for e in encodings), default=1)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        inputs = {self.input_ids: ids, self.attention_mask: mask}
        if self.token_type_ids and self.token_type_ids in self.runner.inputs:
            inputs[self.token_type_ids] = np.zeros_like(ids)
        hidden = self.runner.run(inputs)[self.output].astype(np.float64)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float64)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        if self.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        size = dims[0].size
        if pooled.shape[1] != size:
            raise InvalidParameterError(f"'{self.id}' produces {pooled.shape[1]} values, {tensor_type} holds {size}")
        return pooled

    def embed(self, text: str, tensor_type: TensorType, context: str = "query") -> Tensor:
        return Tensor.dense(tensor_type, self.embed_many([text], tensor_type, context)[0])


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None
