"""`<content><tuning><resource-limits>`: Vespa's defaults, the configured fractions, and a located
error for anything outside [0, 1] or unknown."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.model import ResourceLimits
from searchlib.schema.services import parse_services

SERVICES = """<services version="1.0">
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
    <tuning>
      <resource-limits>{limits}</resource-limits>
    </tuning>
  </content>
</services>
"""


def limits_of(text: str) -> ResourceLimits:
    return parse_services(SERVICES.format(limits=text), "services.xml", ["doc"]).clusters[0].resource_limits


def test_defaults_are_vespas():
    assert limits_of("") == ResourceLimits(0.75, 0.8)
    plain = SERVICES.replace("<tuning>", "<!--").replace("</tuning>", "-->").format(limits="")
    assert parse_services(plain, "services.xml", ["doc"]).clusters[0].resource_limits == ResourceLimits(0.75, 0.8)


def test_configured_fractions_are_read():
    assert limits_of("<disk>0.9</disk><memory>0.77</memory>") == ResourceLimits(0.9, 0.77)
    assert limits_of("<memory> 1 </memory>") == ResourceLimits(0.75, 1.0)
    assert limits_of("<disk>0</disk>") == ResourceLimits(0.0, 0.8)


@pytest.mark.parametrize("limits, problem", [
    ("<disk>1.5</disk>", "<resource-limits><disk> must be a number in [0, 1], not '1.5'"),
    ("<memory>-0.1</memory>", "<resource-limits><memory> must be a number in [0, 1], not '-0.1'"),
    ("<disk>75%</disk>", "not '75%'"),
    ("<disk>nan</disk>", "not 'nan'"),
    ("<disk></disk>", "not ''"),
    ("<cpu>0.5</cpu>", "unknown element <cpu> in <resource-limits> (disk, memory)"),
])
def test_a_bad_limit_is_a_located_error(limits, problem):
    with pytest.raises(SchemaError) as caught:
        limits_of(limits)
    assert problem in str(caught.value) and str(caught.value).startswith("services.xml:6:")
