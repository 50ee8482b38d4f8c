"""`<config name="vespa.config.search.summary.juniperrc">` inside a `<content>` cluster: the
dynamic-snippet settings (Vespa's document-summaries guide, "Dynamic snippet configuration").
Only the settings searchlib/snippets.py honours are accepted; the others are refused where written."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from types import MappingProxyType
from typing import Callable, Mapping

from searchlib.errors import SchemaError, SourceLocation

JUNIPER_CONFIG = "vespa.config.search.summary.juniperrc"
_INTEGERS = ("length", "max_matches", "min_length", "surround_max", "winsize")
_BOOLEANS = ("prefix",)


def snippet_settings(content: ET.Element, location_of: Callable[[ET.Element], SourceLocation]) -> Mapping[str, str]:
    """The juniperrc values of a content cluster, validated, as written (empty when none)."""
    settings: dict[str, str] = {}
    for config in content.findall("config"):
        if config.get("name") != JUNIPER_CONFIG:
            continue
        for child in config:
            value = (child.text or "").strip()
            if child.tag in _INTEGERS:
                if not (value.isascii() and value.isdigit()) or int(value) <= 0:
                    raise SchemaError(f"{JUNIPER_CONFIG}: <{child.tag}> must be a positive integer, not "
                                      f"'{value}'", location_of(child))
            elif child.tag in _BOOLEANS:
                if value not in ("true", "false"):
                    raise SchemaError(f"{JUNIPER_CONFIG}: <{child.tag}> must be true or false", location_of(child))
            else:
                raise SchemaError(f"not supported: {JUNIPER_CONFIG} <{child.tag}> (supported: "
                                  f"{', '.join(_INTEGERS + _BOOLEANS)})", location_of(child))
            settings[child.tag] = value
    return MappingProxyType(settings)
