"""A `<model>` inside a component's `<config>` is a config value (`<model>gpt-4o</model>`), not a
model file; with path, url or model-id it is still a model reference. (These LLM components are
parsed, but a package holding them is refused at load: tests/searchlib/test_container_parts.py.)"""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.services import parse_services

SERVICES = """<services version="1.0">
  <container id="default" version="1.0">
    <component id="llm" class="ai.vespa.llm.clients.OpenAI">
      <config name="ai.vespa.llm.clients.llm-client">
        <model>gpt-4o-mini</model>
        <apiKeySecretName>openai-key</apiKeySecretName>
      </config>
    </component>
    <component id="local" class="ai.vespa.llm.clients.LocalLLM">
      <config name="ai.vespa.llm.clients.llm-local-client">
        <model path="models/llm.gguf"/>
      </config>
    </component>
    {extra}
  </container>
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
  </content>
</services>
"""


def test_model_inside_config_is_a_value_and_a_referenced_one_a_file():
    services = parse_services(SERVICES.format(extra=""), "services.xml", ["doc"])
    assert services.components["llm"].config["config.model"] == "gpt-4o-mini"
    assert services.components["llm"].config["config.apiKeySecretName"] == "openai-key"
    assert services.components["local"].config["config.model"] == "models/llm.gguf"
    assert [file for file, _ in services.files] == ["models/llm.gguf"]


def test_a_model_element_outside_config_still_needs_a_reference():
    extra = '<component id="t" type="hugging-face-tokenizer"><model/></component>'
    with pytest.raises(SchemaError, match="<model> needs a path, url or model-id attribute") as caught:
        parse_services(SERVICES.format(extra=extra), "services.xml", ["doc"])
    assert str(caught.value).startswith("services.xml:14:53:")
