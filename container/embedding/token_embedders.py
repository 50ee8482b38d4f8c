"""Token-level embedders (vespa-reference §7.1; Vespa's embedding reference):

`colbert-embedder`: one vector per token, into a tensor with one mapped and one indexed dimension.
  query    [CLS] [unused0](query-token-id 1) tokens [SEP], padded with [MASK] (103) to
           max-query-tokens (32; query augmentation), the padding with attention mask 0 (Vespa's
           ColBertEmbedder: "do not attend to mask paddings"), a vector for every position:
           tensor<float>(qt{}, x[128]), labels 0..31.
  document [CLS] [unused1](document-token-id 2) tokens [SEP] with punctuation tokens removed and
           at most max-document-tokens (512) ids, a vector for every position but the closing
           [SEP]: "annoyance" gives 3 (CLS, the marker, the word). Into tensor<float>(dt{}, x[128]),
           or binarized into tensor<int8>(dt{}, x[16]) (8 values per cell, > 0 is 1, big-endian:
           unpack_bits in ranking); int8 is for documents only.
  Ranked with max_sim, e.g. sum(reduce(sum(query(qt) * unpack_bits(attribute(dt)), x), max, dt), qt).

`splade-embedder`: sparse expansion into tensor<float>(t{}): per vocabulary entry the maximum over
  the text's tokens of log(1 + relu(logit)), kept when above term-score-threshold (default: any
  positive weight), labeled with the token's string.
"""
from __future__ import annotations

import string
from typing import Mapping, Sequence

import numpy as np

from container.embedding.embedder import load_transformer, pack_bits
from searchlib.errors import InvalidParameterError
from searchlib.tensor import Tensor, TensorType

_PUNCTUATION = frozenset(string.punctuation)


def _int(config: Mapping[str, str], key: str, default: int) -> int:
    value = config.get(key)
    return int(value) if value not in (None, "") else default


class _TransformerEmbedder:
    default_output = ""

    def __init__(self, component_id: str, config: Mapping[str, str], resolve) -> None:
        self.id = component_id
        self.max_tokens = _int(config, "max-tokens", 512)
        self.input_ids, self.attention_mask, self.token_type_ids, self.runner, self.tokenizer = \
            load_transformer(config, resolve)
        self.output = config.get("transformer-output") or self.default_output

    def _run(self, ids: Sequence[int], mask: Sequence[int]) -> np.ndarray:
        ids_row = np.asarray([ids], dtype=np.int64)
        inputs = {self.input_ids: ids_row, self.attention_mask: np.asarray([mask], dtype=np.int64)}
        if self.token_type_ids and self.token_type_ids in self.runner.inputs:
            inputs[self.token_type_ids] = np.zeros_like(ids_row)
        outputs = self.runner.run(inputs, batch_size=1)
        if self.output not in outputs:
            raise InvalidParameterError(f"'{self.id}': the model has no output '{self.output}' "
                                        f"(it has {', '.join(outputs)}): set <transformer-output>")
        return outputs[self.output][0].astype(np.float64)

    def embed_many(self, texts: Sequence[str], tensor_type: TensorType, context: str = "document",
                   batch_size: int = 1, max_tokens: int | None = None) -> np.ndarray:
        raise InvalidParameterError(f"'{self.id}' embeds into a tensor with a mapped dimension, not {tensor_type}")


class ColBertEmbedder(_TransformerEmbedder):
    default_output = "contextual"

    def __init__(self, component_id: str, config: Mapping[str, str], resolve) -> None:
        super().__init__(component_id, config, resolve)
        self.max_query_tokens = _int(config, "max-query-tokens", 32)
        self.max_document_tokens = _int(config, "max-document-tokens", 512)
        self.start = _int(config, "transformer-start-sequence-token", 101)
        self.end = _int(config, "transformer-end-sequence-token", 102)
        self.mask_token = _int(config, "transformer-mask-token", 103)
        self.query_marker = _int(config, "query-token-id", 1)
        self.document_marker = _int(config, "document-token-id", 2)
        for key in ("max-query-tokens", "max-document-tokens"):
            if _int(config, key, 0) > self.max_tokens:
                raise InvalidParameterError(f"component '{component_id}': {key} must not exceed max-tokens")

    def token_ids(self, text: str, context: str) -> tuple[list[int], list[int]]:
        """(input ids, attention mask) as Vespa builds them for a query or a document."""
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        if context == "query":
            ids = [self.start, self.query_marker] + encoding.ids[:self.max_query_tokens - 3] + [self.end]
            padding = self.max_query_tokens - len(ids)
            return ids + [self.mask_token] * padding, [1] * len(ids) + [0] * padding
        kept = [i for i, token in zip(encoding.ids, encoding.tokens) if token not in _PUNCTUATION]
        ids = [self.start, self.document_marker] + kept[:self.max_document_tokens - 3] + [self.end]
        return ids, [1] * len(ids)

    def embed(self, text: str, tensor_type: TensorType, context: str = "query") -> Tensor:
        if len(tensor_type.mapped) != 1 or len(tensor_type.indexed) != 1:
            raise InvalidParameterError(f"'{self.id}' embeds into a tensor with one mapped and one indexed "
                                        f"dimension, like tensor<float>(dt{{}}, x[128]), not {tensor_type}")
        ids, mask = self.token_ids(text, context)
        vectors = self._run(ids, mask)
        if context != "query":
            vectors = vectors[:-1]  # the closing [SEP] is not a document token
        size = tensor_type.indexed[0].size
        width = vectors.shape[1]
        if tensor_type.cell_type == "int8":
            if context == "query":
                raise InvalidParameterError(f"'{self.id}': a query is embedded into float cells, not {tensor_type}")
            if width != size * 8:
                raise InvalidParameterError(f"'{self.id}': {width} values per token do not pack into {tensor_type}")
            vectors = pack_bits(vectors)
        elif width != size:
            raise InvalidParameterError(f"'{self.id}' produces {width} values per token, {tensor_type} holds {size}")
        return Tensor(tensor_type, {(str(i),): row for i, row in enumerate(vectors)})


class SpladeEmbedder(_TransformerEmbedder):
    default_output = "logits"

    def __init__(self, component_id: str, config: Mapping[str, str], resolve) -> None:
        super().__init__(component_id, config, resolve)
        threshold = config.get("term-score-threshold")
        self.threshold = float(threshold) if threshold not in (None, "") else 0.0

    def weights(self, text: str) -> dict[str, float]:
        encoding = self.tokenizer.encode(text)
        ids = encoding.ids[:self.max_tokens - 1] + encoding.ids[-1:] if len(encoding.ids) > self.max_tokens \
            else encoding.ids
        logits = self._run(ids, [1] * len(ids))  # (tokens, vocabulary)
        scores = np.log1p(np.maximum(logits, 0.0)).max(axis=0)
        kept = np.nonzero(scores > self.threshold)[0]
        return {self.tokenizer.id_to_token(int(i)) or str(int(i)): float(scores[i]) for i in kept}

    def embed(self, text: str, tensor_type: TensorType, context: str = "query") -> Tensor:
        if len(tensor_type.mapped) != 1 or tensor_type.indexed:
            raise InvalidParameterError(f"'{self.id}' embeds into a tensor with one mapped dimension, like "
                                        f"tensor<float>(t{{}}), not {tensor_type}")
        return Tensor(tensor_type, {(token,): np.float64(weight) for token, weight in self.weights(text).items()})
