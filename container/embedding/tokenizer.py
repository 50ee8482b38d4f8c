"""`hugging-face-tokenizer` (vespa-reference §7.3): text -> sub-word ids without special tokens,
with padding and truncation forced off (whatever tokenizer.json says: the default cross-encoder's
file pads to 512), written into a 1-d indexed tensor: cells 0..min(n, N)-1, the rest 0."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.tensor import Tensor, TensorType


class HuggingFaceTokenizer:
    def __init__(self, component_id: str, tokenizer_path: str) -> None:
        from tokenizers import Tokenizer

        self.id = component_id
        self.tokenizer = Tokenizer.from_file(tokenizer_path)
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encodings]

    def embed_many(self, texts: Sequence[str], tensor_type: TensorType, context: str = "document",
                   batch_size: int = 1, max_tokens: int | None = None) -> np.ndarray:
        """(len(texts), N) float32 ids, truncated to and zero-padded at the tensor size (or at
        `max_tokens` when smaller; no model: `batch_size` changes nothing)."""
        size = _token_dimension_size(self.id, tensor_type)
        kept_tokens = size if max_tokens is None else max(0, min(size, max_tokens))
        out = np.zeros((len(texts), size), dtype=np.float32)
        for row, ids in enumerate(self.token_ids(texts)):
            kept = ids[:kept_tokens]
            out[row, :len(kept)] = kept
        return out

    def embed(self, text: str, tensor_type: TensorType, context: str = "query") -> Tensor:
        return Tensor.dense(tensor_type, self.embed_many([text], tensor_type, context)[0])


def _token_dimension_size(component_id: str, tensor_type: TensorType) -> int:
    dims = tensor_type.indexed
    if len(tensor_type.dimension_names) != 1 or len(dims) != 1 or dims[0].size is None:
        raise InvalidParameterError(f"Don't know how to embed into {tensor_type} with '{component_id}': "
                                    "a hugging-face-tokenizer writes a 1-d indexed tensor")
    return dims[0].size
