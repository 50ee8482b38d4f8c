"""Malformed tensor values in puts and updates are a 400 that says what is wrong, found by a fuzz of
the JSON tensor forms over the test packages' tensor fields: before, each of these reached the
content nodes, whose tensor reader raised KeyError/TypeError/ValueError: a 500 ("Internal server
error in content node 0"). Real HTTP app and content nodes, in process."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.container.in_process import APPS, in_process_cluster

SERVER_WORDS = ("Error", "Exception", "Traceback", "Internal")

BAD = [  # (field, value, words the message must hold)
    ("embedding", {"cells": [1]}, 'needs an "address"'),                      # tensor<float>(x[16])
    ("embedding", {"cells": [{"address": {"x": "0"}}]}, 'needs a "value"'),
    ("embedding", {"cells": [{"value": 1}]}, 'needs an "address"'),
    ("embedding", {"values": "0"}, "must be hex"),
    ("embedding", {"values": "zz" * 64}, "hex string"),
    ("embedding", {"values": [[1, 2], 3]}, "same length"),
    ("embedding", [1, [2]], "same length"),
    ("embedding", {"values": [{"a": 1}] * 16}, "must be a number, not an object"),
    ("embedding", {"type": 5, "values": [1] * 16}, "must be a string"),
    ("paragraphs", {"blocks": {"a": [1, 2, 3, 4, 5]}}, "does not fit"),      # tensor<float>(p{}, x[4])
    ("paragraphs", {"blocks": [{"address": {}, "values": [1, 2, 3, 4]}]}, "needs an address of p"),
    ("paragraphs", {"blocks": [1]}, 'needs an "address"'),
    ("paragraphs", {"blocks": "x"}, "expected numeric tensor cells, got 'x'"),
    ("paragraphs", {"blocks": {"a": "3f800000"}}, "expected numeric tensor cells"),
    ("paragraphs", {"cells": {"a": 1}}, "one mapped dimension"),
]


@pytest.fixture(scope="module")
def retrieval(tmp_path_factory):
    with in_process_cluster(APPS / "retrieval", tmp_path_factory.mktemp("bad_tensors"), nodes=1) as cluster:
        yield cluster.http


@pytest.mark.parametrize("field, value, words", BAD)
def test_malformed_tensors_are_400_in_puts_and_assign_updates(retrieval, field, value, words):
    for method, body in (("POST", {"fields": {field: value}}), ("PUT", {"fields": {field: {"assign": value}}})):
        response = retrieval.request(method, "/document/v1/test/passage/docid/bad", json=body)
        assert response.status_code == 400, (method, response.text)
        message = response.json()["message"]
        assert words in message, message
        assert not any(word in message for word in SERVER_WORDS), message


def test_a_good_tensor_still_feeds_and_reads_back(retrieval):
    fields = {"embedding": [0.5] * 16, "paragraphs": {"blocks": {"a": [1, 2, 3, 4]}}}
    assert retrieval.post("/document/v1/test/passage/docid/good", json={"fields": fields}).status_code == 200
    stored = retrieval.get("/document/v1/test/passage/docid/good").json()["fields"]
    assert stored["embedding"]["values"] == [0.5] * 16 and stored["paragraphs"]["blocks"] == {"a": [1.0, 2.0, 3.0, 4.0]}


def test_a_mapped_tensor_cell_that_is_a_list_is_400(tmp_path):
    with in_process_cluster(APPS / "input_defaults", tmp_path, nodes=1) as cluster:  # category_scores: tensor<float>(cat{})
        response = cluster.http.post("/document/v1/test/music/docid/1", json={"fields": {"category_scores": {"a": [1]}}})
        assert response.status_code == 400 and "must be a number, not an array" in response.json()["message"]
