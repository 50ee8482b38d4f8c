"""The boost tables of Vespa's native rank features (nativeFieldMatch, nativeProximity,
nativeAttributeMatch), shared by the schema compiler (which refuses a bad table in a profile's
rank-properties, as Vespa's rank setup fails on one; numbers: searchlib.rank_properties) and the content node
(content_node/matching/native_tables.py, native_features.py).

A table is named by a function (Vespa's FunctionTableFactory, 256 entries unless a last argument
gives the size): `expdecay(w,t)` is w*exp(-x/t), `loggrowth(w,t,s)` w*log(1+x/s)+t, `linear(w,t)`
w*x+t, for x = 0..size-1. Tables in files (the application's tables/ folder) are not supported.
The rank types (NativeRankTypeDefinitionSet) name a table per (feature, table): `about` is the
defaults; `identity`, `tags` and `empty` change some.
"""
from __future__ import annotations

import functools
import math
import re
from typing import Mapping

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.java_numbers import parse_double, parse_long

TABLE_SIZE = 256  # proton's FunctionTableFactory(256)

# (feature, table) -> the default table name, Vespa's `about` rank type
DEFAULT_TABLES = {
    ("nativeFieldMatch", "firstOccurrenceTable"): "expdecay(8000,12.50)",
    ("nativeFieldMatch", "occurrenceCountTable"): "loggrowth(1500,4000,19)",
    ("nativeProximity", "proximityTable"): "expdecay(500,3)",
    ("nativeProximity", "reverseProximityTable"): "expdecay(400,3)",
    ("nativeAttributeMatch", "weightTable"): "linear(1,0)",
}
INDEX_TABLES = frozenset(k for k in DEFAULT_TABLES if k[0] != "nativeAttributeMatch")
RANK_TYPE_TABLES: dict[str, Mapping[tuple[str, str], str]] = {
    "about": DEFAULT_TABLES,
    "identity": {**DEFAULT_TABLES, ("nativeFieldMatch", "firstOccurrenceTable"): "expdecay(100,12.50)",
                 ("nativeProximity", "proximityTable"): "expdecay(5000,3)",
                 ("nativeProximity", "reverseProximityTable"): "expdecay(3000,3)"},
    "tags": {**DEFAULT_TABLES, ("nativeAttributeMatch", "weightTable"): "loggrowth(38,50,1)"},
    "empty": {key: "linear(0,0)" for key in DEFAULT_TABLES},
}
_ARGUMENTS = {"expdecay": 2, "loggrowth": 3, "linear": 2}
_FIELD_FORM = re.compile(r"^(native\w+)\([\w.]+\)\.(\w+)$")  # nativeFieldMatch(title).firstOccurrenceTable


@functools.lru_cache(maxsize=64)
def function_table(name: str) -> np.ndarray:
    """The table a function name describes (read-only); InvalidParameterError for another name."""
    text = name.strip().strip('"')
    open_at, close_at = text.find("("), text.find(")")
    kind = text[:open_at].strip() if 0 < open_at < close_at else ""
    if kind not in _ARGUMENTS:
        raise InvalidParameterError(f"not supported: the rank table '{name[:60]}' (only expdecay(w,t), "
                                    "loggrowth(w,t,s) and linear(w,t), with an optional size, are)")
    parts = [part.strip() for part in text[open_at + 1:close_at].split(",")]
    wanted = _ARGUMENTS[kind]
    try:
        if len(parts) not in (wanted, wanted + 1):
            raise ValueError
        values = [parse_double(part) for part in parts[:wanted]]
        size = parse_long(parts[wanted]) if len(parts) > wanted else TABLE_SIZE
        if size < 1 or size > 1 << 20 or not all(math.isfinite(v) for v in values):
            raise ValueError
    except ValueError:
        raise InvalidParameterError(f"the rank table '{name[:60]}' takes {wanted} numbers and an optional "
                                    "size from 1") from None
    x = np.arange(size, dtype=np.float64)
    with np.errstate(all="ignore"):  # a 0 divisor or a huge weight: refused below, not warned
        if kind == "expdecay":
            table = values[0] * np.exp(-(x / values[1]))
        elif kind == "loggrowth":
            table = values[0] * np.log(1.0 + x / values[2]) + values[1]
        else:
            table = values[0] * x + values[1]
    if not np.isfinite(table).all():  # NaN or inf entries would make NaN relevance
        raise InvalidParameterError(f"the rank table '{name[:60]}' has entries that are not finite numbers")
    table.flags.writeable = False
    return table


def is_table_property(key: str) -> bool:
    """Whether a rank property names a native feature's table (`<feature>.<table>[.<field>]`, or
    `<feature>(<field>).<table>`)."""
    form = _FIELD_FORM.match(key)
    key = f"{form[1]}.{form[2]}" if form else key
    return any(key == f"{feature}.{table}" or key.startswith(f"{feature}.{table}.")
               for feature, table in DEFAULT_TABLES)


def table_property_problem(key: str, value: str) -> str | None:
    """Why a rank property naming a native feature's table has a table that cannot be made (None for
    a good one or another property; numbers are searchlib.rank_properties')."""
    if not is_table_property(key):
        return None
    try:
        function_table(value)
    except InvalidParameterError as error:
        return str(error)
    return None
