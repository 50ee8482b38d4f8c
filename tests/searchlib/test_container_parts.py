"""services.xml parts this engine does not run (Java components such as the LLM clients of the RAG
sample app, search chains, document processors, handlers) refuse the package at their
file:line:column with "not supported: ...", at load and in `phasedsearch validate`; embedders load."""
from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from deploy.app_check import validate_package
from searchlib.errors import SchemaError
from searchlib.schema.application import load_application

DOC = "schema doc { document doc { field text type string { indexing: index | summary } } }"
SERVICES = """<services version="1.0">
  <container id="default" version="1.0">
    <component id="bge" type="hugging-face-embedder">
      <transformer-model path="m.onnx"/><tokenizer-model path="t.json"/>
    </component>
{extra}
    <document-api/>
    <search/>
  </container>
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
  </content>
</services>
"""
CASES = [
    ('    <component id="openai" class="ai.vespa.llm.clients.OpenAI"/>', (6, 5),
     "not supported: component 'openai' (ai.vespa.llm.clients.OpenAI): this engine runs only the component types"),
    ('    <component id="voyage" type="voyage-ai-embedder"/>', (6, 5),
     "not supported: component 'voyage' (voyage-ai-embedder)"),
    ('    <search>\n      <chain id="rag" inherits="vespa"><searcher id="ai.vespa.search.llm.RAGSearcher"/></chain>\n'
     '    </search>', (7, 7), "not supported: search chain 'rag'"),
    ('    <document-processing>\n      <chain id="mine"><documentprocessor id="x.Y" bundle="b"/></chain>\n'
     '    </document-processing>', (7, 7), "not supported: document-processing chain 'mine'"),
    ('    <component id="com.yahoo.search.mcp.McpSearchSpecProvider" bundle="container-search-and-docproc"/>',
     (6, 5), "not supported: component 'com.yahoo.search.mcp.McpSearchSpecProvider' (com.yahoo.search.mcp."),
    ('    <handler id="x.SiteHandler" bundle="b"><binding>http://*/site/*</binding></handler>', (6, 5),
     "not supported: request handler 'x.SiteHandler'"),
]


def identity_model(path: Path) -> None:
    value = [helper.make_tensor_value_info(name, TensorProto.FLOAT, [1]) for name in ("x", "y")]
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity", value[:1], value[1:])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))


def package(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "doc.sd").write_text(DOC)
    (tmp_path / "services.xml").write_text(SERVICES.format(extra=extra))
    identity_model(tmp_path / "m.onnx")  # validate opens every model with onnxruntime
    (tmp_path / "t.json").write_text("{}")
    return tmp_path


@pytest.mark.parametrize(("extra", "where", "message"), CASES)
def test_a_part_this_engine_does_not_run_is_refused_where_written(tmp_path, extra, where, message):
    root = package(tmp_path, extra)
    with pytest.raises(SchemaError, match="not supported") as raised:
        load_application(root)
    assert raised.value.message.startswith(message)
    assert (raised.value.location.line, raised.value.location.column) == where
    problems = validate_package(root)
    assert [(p.location, p.message) for p in problems] == [
        (f"{root / 'services.xml'}:{where[0]}:{where[1]}", raised.value.message)]


def test_embedders_and_an_empty_search_load(tmp_path):
    app = load_application(package(tmp_path, ""))
    assert set(app.components) == {"bge"}
