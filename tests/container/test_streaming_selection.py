"""Streaming parameters → the one document selection the nodes get (only for streaming types)."""
from __future__ import annotations

import pytest

from container.search.streaming import selection_for, streaming_selection
from searchlib.errors import InvalidParameterError
from searchlib.schema.application import application_from_text

SD = "schema mail { document mail { field size type int { indexing: attribute | summary } } }"
SERVICES = """<services version="1.0"><content id="box" version="1.0">
  <documents><document type="mail" mode="{mode}"/></documents><nodes count="1"/></content></services>"""


def app(mode: str = "streaming"):
    return application_from_text(SD, services_xml=SERVICES.replace("{mode}", mode), name="mail.sd")


def test_parameters_combine_into_one_selection() -> None:
    assert streaming_selection({"streaming.groupname": "alice"}, app()) == 'id.group == "alice"'
    assert streaming_selection({"streaming.userid": "7", "streaming.selection": "mail.size > 3"}, app()) == \
        "id.user == 7 and (mail.size > 3)"
    assert streaming_selection({}, app()) == ""


def test_only_streaming_types_are_searched_per_group() -> None:
    assert selection_for(app(), "mail", 'id.group == "a"') == 'id.group == "a"'
    assert selection_for(app("index"), "mail", 'id.group == "a"') == ""


@pytest.mark.parametrize("parameters", [{"streaming.userid": "x"}, {"streaming.userid": "²"}, {"streaming.userid": "１２"},
                                        {"streaming.userid": "-3"}, {"streaming.userid": str(2**63)},
                                        {"streaming.userid": "1_0"}, {"streaming.groupname": 'a"'},
                                        {"streaming.selection": "mail.nope == 1"}, {"streaming.selection": "(("}])
def test_bad_parameters_are_invalid(parameters) -> None:
    with pytest.raises(InvalidParameterError):
        streaming_selection(parameters, app())
