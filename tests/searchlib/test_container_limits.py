"""`<container><limits>` in services.xml: defaults when absent, every limit settable, bad values
refused with file:line:column."""
from __future__ import annotations

import os

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.model import ContainerLimits
from searchlib.schema.services import parse_services

CONTENT = '<content id="c"><documents><document type="doc"/></documents></content>'


def services(limits: str) -> str:
    return f'<services><container id="default">{limits}</container>{CONTENT}</services>'


def test_defaults_without_limits():
    limits = parse_services(services(""), "services.xml", ["doc"]).limits
    assert limits == ContainerLimits()
    assert (limits.max_hits, limits.max_offset) == (400, 1000)  # Vespa's maxHits / maxOffset
    assert limits.document_bytes <= limits.request_body_bytes
    assert limits.max_concurrent_searches == 32 * (os.cpu_count() or 1)  # derived from the machine


def test_every_limit_can_be_set():
    given = {"request-body-bytes": "1000", "document-bytes": "500", "header-bytes": "4096", "yql-length": "10",
             "json-depth": "5", "query-tree-depth": "3", "query-tensor-cells": "7", "max-hits": "20",
             "max-offset": "30", "idle-timeout": "0.5", "request-timeout": "2", "max-concurrent-searches": "3",
             "search-queue-timeout": "0.25"}
    text = "<limits>" + "".join(f"<{k}>{v}</{k}>" for k, v in given.items()) + "</limits>"
    limits = parse_services(services(text), "services.xml", ["doc"]).limits
    assert limits == ContainerLimits(1000, 500, 4096, 10, 5, 3, 7, 20, 30, 0.5, 2.0, 3, 0.25)


@pytest.mark.parametrize("element, message", [
    ("<yql-length>0</yql-length>", "<yql-length> must be at least 1"),
    ("<json-depth>deep</json-depth>", "<json-depth> must be an integer"),
    ("<idle-timeout>-1</idle-timeout>", "positive number of seconds"),
    ("<request-timeout>nan</request-timeout>", "positive number of seconds"),
    ("<max-concurrent-searches>0</max-concurrent-searches>", "<max-concurrent-searches> must be at least 1"),
    ("<search-queue-timeout>0</search-queue-timeout>", "positive number of seconds"),
    ("<body-bytes>5</body-bytes>", "unknown limit <body-bytes>"),
])
def test_bad_limits_name_the_place(element, message):
    with pytest.raises(SchemaError, match=message) as raised:
        parse_services(services(f"<limits>{element}</limits>"), "services.xml", ["doc"])
    assert str(raised.value).startswith("services.xml:1:")
