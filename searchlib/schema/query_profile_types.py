"""Query-profile types (Vespa's `search/query-profiles/types/<id>.xml`): the one part this engine
reads is the type of query features they declare for every rank profile,

    <query-profile-type id="root">
        <field name="ranking.features.query(W_0)" type="tensor(x[9],hidden[9])" />
    </query-profile-type>

which is as if each rank profile declared `inputs { query(W_0) tensor(x[9],hidden[9]): {} }` (a
profile's own declaration wins; a query that does not set it gets zeros, Vespa's unset value): the type checker and the container's parsing of
`ranking.features.query(W_0)` / `input.query(W_0)` then know the tensor type. Other fields of a type
(typed query parameters, nested profile types) are not read: a query profile's values are strings
here (searchlib.schema.query_profiles). Vespa's derived-config tests keep these files in a
`query-profiles/types/` folder beside the schemas; derive mode reads that folder too."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.model import RankInput, Schema

_FEATURE = re.compile(r"^(?:ranking\.features|input)\.(query\([^()]+\))$")
_TYPES = ("double", "float", "int", "long", "integer")  # besides tensor(...)


def is_query_profile_type_source(relative: str, derive_only: bool = False) -> bool:
    parts = PurePosixPath(relative).parts
    if len(parts) == 4 and parts[:3] == ("search", "query-profiles", "types"):
        return parts[3].endswith(".xml")
    return derive_only and len(parts) == 3 and parts[:2] == ("query-profiles", "types") and parts[2].endswith(".xml")


def query_feature_types(sources: Mapping[str, str], file_name, derive_only: bool = False) -> dict[str, RankInput]:
    """query(x) -> its declared input, from every query-profile type among `sources`."""
    found: dict[str, RankInput] = {}
    for relative in sorted(sources):
        if not is_query_profile_type_source(relative, derive_only):
            continue
        where = SourceLocation(file_name(relative), 1, 1)
        try:
            root = ET.fromstring(sources[relative])
        except ET.ParseError as error:
            line, column = error.position
            raise SchemaError(f"query-profile type is not well-formed XML: {error}",
                              SourceLocation(where.file, line, column + 1)) from None
        if root.tag != "query-profile-type":
            raise SchemaError(f"expected <query-profile-type>, found <{root.tag}>", where)
        for field in root.iter("field"):
            match = _FEATURE.match((field.get("name") or "").strip())
            if match is None:
                continue
            type_spec = (field.get("type") or "").strip()
            if not (type_spec.startswith("tensor") or type_spec in _TYPES):
                raise SchemaError(f"query-profile type field '{field.get('name')}': type '{type_spec}' is no "
                                  f"tensor or number type", where)
            type_spec = "double" if type_spec == "integer" else type_spec
            name = match.group(1)
            if name in found and found[name].type_spec != type_spec:
                raise SchemaError(f"query-profile types declare {name} as both {found[name].type_spec} and "
                                  f"{type_spec}", where)
            # a query that does not set it gets Vespa's unset value: zeros (an empty tensor), no 400
            found[name] = RankInput(name, type_spec, "{}" if type_spec.startswith("tensor") else "0", where)
    return found


def with_query_feature_types(schemas: Mapping[str, Schema], features: Mapping[str, RankInput]) -> dict[str, Schema]:
    """The schemas with every profile's inputs completed by the declared query features."""
    if not features:
        return dict(schemas)
    result = {}
    for name, schema in schemas.items():
        profiles = {}
        for key, profile in schema.rank_profiles.items():
            inputs = {**{k: v for k, v in features.items() if k not in profile.inputs}, **profile.inputs}
            profiles[key] = replace(profile, inputs=MappingProxyType(inputs))
        result[name] = replace(schema, rank_profiles=MappingProxyType(profiles))
    return result
