"""Query profiles (Vespa's `search/query-profiles/<id>.xml`): named sets of query parameters a
request picks with `queryProfile=<id>` (`default` applies when it exists and none is named).

    <query-profile id="hybrid" inherits="bm25 semantic">
        <field name="yql">select * from doc where userQuery() or ({targetHits:100}nearestNeighbor(embedding, q))</field>
        <field name="ranking.profile">hybrid</field>
        <field name="input.query(q)">embed(bge, @query)</field>
        <field name="ranking"><query-profile><field name="rerankCount">50</field></query-profile></field>
    </query-profile>

Inheritance: the profile's own fields win, then its parents in the order listed (the first
parent that sets a name wins), depth first, as Vespa resolves multiple inheritance. A nested
`<query-profile>` inside a field gives dotted names. Values may hold variables, `%{name}`, that
the container replaces by the query's value of `name` (see container/search/query_profile.py).
Variants (`<dimensions>`) are not supported: a profile that declares them is an error.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Mapping

from searchlib.errors import SchemaError, SourceLocation

QUERY_PROFILE_DIR = ("search", "query-profiles")
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, slots=True)
class QueryProfile:
    id: str
    inherits: tuple[str, ...]
    own: Mapping[str, str]  # the fields written in this profile (dotted names)
    values: Mapping[str, str]  # own fields plus everything inherited, resolved


def is_query_profile_source(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    return len(parts) == 3 and parts[:2] == QUERY_PROFILE_DIR and parts[2].endswith(".xml")


def parse_query_profiles(sources: Mapping[str, str], file_name=lambda relative: relative) -> dict[str, QueryProfile]:
    """Every query profile among `sources` ({relative path: text}), inheritance resolved."""
    parsed: dict[str, tuple[tuple[str, ...], dict[str, str], str]] = {}
    for relative in sorted(sources):
        if not is_query_profile_source(relative):
            continue
        where = file_name(relative)
        profile_id, inherits, fields = _parse_one(sources[relative], where)
        if profile_id != PurePosixPath(relative).stem:
            raise SchemaError(f"query profile '{profile_id}' must be in a file named {profile_id}.xml",
                              SourceLocation(where, 1, 1))
        parsed[profile_id] = (inherits, fields, where)
    resolved: dict[str, QueryProfile] = {}

    def resolve(profile_id: str, chain: tuple[str, ...]) -> QueryProfile:
        if profile_id in resolved:
            return resolved[profile_id]
        inherits, fields, where = parsed[profile_id]
        values: dict[str, str] = {}
        for parent in reversed(inherits):  # the first parent listed wins: apply it last
            if parent not in parsed:
                raise SchemaError(f"query profile '{profile_id}' inherits '{parent}', which does not exist",
                                  SourceLocation(where, 1, 1))
            if parent in chain:
                raise SchemaError(f"query profile '{profile_id}' inherits itself through "
                                  f"{' -> '.join((*chain, parent))}", SourceLocation(where, 1, 1))
            values.update(resolve(parent, (*chain, parent)).values)
        values.update(fields)
        resolved[profile_id] = QueryProfile(profile_id, inherits, MappingProxyType(dict(fields)),
                                            MappingProxyType(values))
        return resolved[profile_id]

    for profile_id in parsed:
        resolve(profile_id, (profile_id,))
    return resolved


def _parse_one(text: str, where: str) -> tuple[str, tuple[str, ...], dict[str, str]]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, column = error.position
        raise SchemaError(f"query profile is not well-formed XML: {error}", SourceLocation(where, line, column + 1)) \
            from None
    if root.tag != "query-profile":
        raise SchemaError(f"expected <query-profile>, found <{root.tag}>", SourceLocation(where, 1, 1))
    profile_id = (root.get("id") or "").strip()
    if not _ID.match(profile_id):
        raise SchemaError(f"a query profile needs an id of letters, digits, '_', '-' and '.', got '{profile_id}'",
                          SourceLocation(where, 1, 1))
    inherits = tuple((root.get("inherits") or "").split())
    fields: dict[str, str] = {}
    _collect(root, "", fields, where)
    return profile_id, inherits, fields


def _collect(element: ET.Element, prefix: str, fields: dict[str, str], where: str) -> None:
    for child in element:
        if child.tag == "dimensions" or child.tag == "query-profile" and child.get("for") is not None:
            raise SchemaError("query profile variants (<dimensions>, <query-profile for=...>) are not supported",
                              SourceLocation(where, 1, 1))
        if child.tag == "description":
            continue
        if child.tag != "field":
            raise SchemaError(f"unexpected <{child.tag}> in a query profile (expected <field name=...>)",
                              SourceLocation(where, 1, 1))
        name = (child.get("name") or "").strip()
        if not name:
            raise SchemaError("a query profile <field> needs a name", SourceLocation(where, 1, 1))
        nested = child.find("query-profile")
        if nested is not None:
            _collect(nested, f"{prefix}{name}.", fields, where)
        else:
            fields[prefix + name] = (child.text or "").strip()
