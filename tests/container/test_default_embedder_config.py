"""The default package's bge embedder is configured as bge-small-en-v1.5 was trained (services.xml):
the query instruction before queries only, 512 tokens, CLS pooling, normalized."""
from __future__ import annotations

import numpy as np

from container.embedding.registry import get_embedder
from searchlib.schema.application import load_application
from searchlib.tensor import TensorType
from tests.integration.conftest import DEFAULT_APP

INSTRUCTION = "Represent this sentence for searching relevant passages:"
VECTOR = TensorType.parse("tensor<float>(x[384])")


def test_services_xml_configures_the_query_instruction_and_512_tokens():
    bge = get_embedder(load_application(DEFAULT_APP), "bge")
    assert bge.prepend == {"query": INSTRUCTION, "document": ""}
    assert (bge.max_tokens, bge.pooling, bge.normalize) == (512, "cls", True)
    query = bge.embed("what is a heap", VECTOR, "query").dense_values.ravel()
    as_document = bge.embed_many([f"{INSTRUCTION} what is a heap"], VECTOR, "document")[0]
    plain = bge.embed_many(["what is a heap"], VECTOR, "document")[0]
    assert np.allclose(query, as_document, atol=1e-6)  # the instruction, and only for queries
    assert not np.allclose(query, plain, atol=1e-3)
    assert abs(np.linalg.norm(query) - 1.0) < 1e-6
    long_text = " ".join(["heap"] * 2000)
    assert len(bge.tokenizer.encode(long_text).ids) == 512  # truncated at max-tokens, SEP kept
