"""The boost tables and rank properties of Vespa's native rank features (nativeFieldMatch,
nativeProximity, nativeAttributeMatch; content_node.matching.native_features).

A table is named by a function (Vespa's FunctionTableFactory, 256 entries unless a last argument
gives the size): `expdecay(w,t)` is w*exp(-x/t), `loggrowth(w,t,s)` w*log(1+x/s)+t, `linear(w,t)`
w*x+t, for x = 0..size-1. A lookup past the end reads the last entry (fef::Table::get).

Which table a field uses (util::lookupTable): the rank property `<feature>.<table>.<field>`, else
the field's rank-type table (written per field by the config model, so it beats the next one), else
`<feature>.<table>`, else the default. The rank types (NativeRankTypeDefinitionSet): `about` is the
defaults; `identity`, `tags` and `empty` change some tables; a field's `rank-type:` is overridden by
the profile's `rank-type f:`. Tables in files (the application's tables/ folder) are refused.
"""
from __future__ import annotations

import functools
import math
from typing import Mapping

import numpy as np

from searchlib.errors import InvalidParameterError

TABLE_SIZE = 256  # proton's FunctionTableFactory(256)

# (feature, table) -> the default table name, Vespa's `about` rank type
DEFAULT_TABLES = {
    ("nativeFieldMatch", "firstOccurrenceTable"): "expdecay(8000,12.50)",
    ("nativeFieldMatch", "occurrenceCountTable"): "loggrowth(1500,4000,19)",
    ("nativeProximity", "proximityTable"): "expdecay(500,3)",
    ("nativeProximity", "reverseProximityTable"): "expdecay(400,3)",
    ("nativeAttributeMatch", "weightTable"): "linear(1,0)",
}
_INDEX_TABLES = frozenset(k for k in DEFAULT_TABLES if k[0] != "nativeAttributeMatch")
_RANK_TYPES: dict[str, Mapping[tuple[str, str], str]] = {
    "about": DEFAULT_TABLES,
    "identity": {**DEFAULT_TABLES, ("nativeFieldMatch", "firstOccurrenceTable"): "expdecay(100,12.50)",
                 ("nativeProximity", "proximityTable"): "expdecay(5000,3)",
                 ("nativeProximity", "reverseProximityTable"): "expdecay(3000,3)"},
    "tags": {**DEFAULT_TABLES, ("nativeAttributeMatch", "weightTable"): "loggrowth(38,50,1)"},
    "empty": {key: "linear(0,0)" for key in DEFAULT_TABLES},
}
_ARGUMENTS = {"expdecay": 2, "loggrowth": 3, "linear": 2}


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
        values = [float(part) for part in parts[:wanted]]
        size = int(parts[wanted]) if len(parts) > wanted else TABLE_SIZE
        if size < 1 or size > 1 << 20 or not all(math.isfinite(v) for v in values):
            raise ValueError
    except ValueError:
        raise InvalidParameterError(f"the rank table '{name[:60]}' takes {wanted} numbers and an optional "
                                    "size from 1") from None
    x = np.arange(size, dtype=np.float64)
    if kind == "expdecay":
        table = values[0] * np.exp(-(x / values[1]))
    elif kind == "loggrowth":
        table = values[0] * np.log(1.0 + x / values[2]) + values[1]
    else:
        table = values[0] * x + values[1]
    table.flags.writeable = False
    return table


def lookup(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """table[index] with an index past the end reading the last entry (fef::Table::get)."""
    return table[np.minimum(index, len(table) - 1)]


def field_table(properties: Mapping[str, str], rank_type: str | None, feature: str, table: str,
                field: str) -> np.ndarray:
    """The table `feature` uses for `field` (see the module's order of lookups)."""
    name = properties.get(f"{feature}.{table}.{field}")
    if name is None and rank_type not in (None, "default"):
        name = _RANK_TYPES[rank_type][(feature, table)]
    if name is None:
        name = properties.get(f"{feature}.{table}", DEFAULT_TABLES[(feature, table)])
    return function_table(name)


def field_rank_type(settings: Mapping[str, str], field_settings: Mapping[str, str], field: str,
                    is_attribute: bool, feature: str, table: str) -> str | None:
    """The field's rank type for this table, None when it has none or it does not apply (the
    config model writes index tables only for fields without an attribute, the weight table only
    for attributes)."""
    rank_type = settings.get(f"rank-type.{field}") or field_settings.get("rank-type")
    if rank_type is None or rank_type not in _RANK_TYPES:
        return None
    if ((feature, table) in _INDEX_TABLES) == is_attribute:
        return None
    return rank_type


def number(properties: Mapping[str, str], default: float, *keys: str) -> float:
    """The first of the rank properties `keys` that is set, as a number, else `default`."""
    for key in keys:
        value = properties.get(key)
        if value is not None:
            try:
                found = float(value)
            except ValueError:
                raise InvalidParameterError(f"{key} must be a number, not '{str(value)[:40]}'") from None
            if not math.isfinite(found):
                raise InvalidParameterError(f"{key} must be a finite number, not '{str(value)[:40]}'")
            return found
    return default


def use_table_normalization(properties: Mapping[str, str]) -> bool:
    """nativeRank.useTableNormalization: only the exact text false turns it off (as Vespa)."""
    return properties.get("nativeRank.useTableNormalization") != "false"
