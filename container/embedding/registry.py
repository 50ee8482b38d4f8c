"""Embedder components by id, loaded once per process on first use (feeding or query time)."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.indexing import EMBEDDER_TYPES
from searchlib.schema.model import ApplicationPackage
from searchlib.tensor import Tensor, TensorType



class Embedder(Protocol):
    id: str

    def embed(self, text: str, tensor_type: TensorType, context: str = "query") -> Tensor: ...

    def embed_many(self, texts: Sequence[str], tensor_type: TensorType, context: str = "document",
                   batch_size: int = 1, max_tokens: int | None = None) -> np.ndarray: ...


_LOADED: dict[tuple[str, str], Embedder] = {}
_LOCK = threading.Lock()


def embedder_ids(application: ApplicationPackage) -> list[str]:
    return [c.id for c in application.components.values() if c.type in EMBEDDER_TYPES]


def get_embedder(application: ApplicationPackage, component_id: str | None) -> Embedder:
    """`component_id` None: the only embedder (Vespa allows omitting the id then)."""
    ids = embedder_ids(application)
    if component_id is None:
        if len(ids) != 1:
            raise InvalidParameterError(f"An embedder id is required: the application has {len(ids)} embedders "
                                        f"({', '.join(ids) or 'none'})")
        component_id = ids[0]
    if component_id not in ids:
        raise InvalidParameterError(f"Can't find embedder '{component_id}'. Valid embedders are "
                                    f"{', '.join(ids) or 'none'}")
    key = (str(Path(application.path).resolve()), component_id)
    with _LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            loaded = _LOADED[key] = _load(application, component_id)
        return loaded


def _load(application: ApplicationPackage, component_id: str) -> Embedder:
    component = application.components[component_id]

    def resolve(reference: str) -> str:
        path = Path(reference)
        path = path if path.is_absolute() else Path(application.path) / path
        if not path.is_file():
            raise InvalidParameterError(f"component '{component_id}': model file '{path}' not found "
                                        "(run `phasedsearch models fetch` for the default models)")
        return str(path)

    if component.type == "hugging-face-tokenizer":
        from container.embedding.tokenizer import HuggingFaceTokenizer

        return HuggingFaceTokenizer(component_id, resolve(component.config["model"]))
    if component.type in ("colbert-embedder", "splade-embedder"):
        from container.embedding.token_embedders import ColBertEmbedder, SpladeEmbedder

        kind = ColBertEmbedder if component.type == "colbert-embedder" else SpladeEmbedder
        return kind(component_id, component.config, resolve)
    if component.type == "bert-embedder":
        from container.embedding.bert_embedder import BertBaseEmbedder

        return BertBaseEmbedder(component_id, component.config, resolve)
    from container.embedding.embedder import HuggingFaceEmbedder

    return HuggingFaceEmbedder(component_id, component.config, resolve)
