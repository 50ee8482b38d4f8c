"""Which boost table and numbers the native rank features use for a field (native_features.py,
native_attribute_match.py); the tables themselves are searchlib.rank_tables'.

The table of a field (util::lookupTable): the rank property `<feature>.<table>.<field>`, else the
field's rank-type table (the config model writes it per field, so it beats the next one), else
`<feature>.<table>`, else the default (`about`). A field's `rank-type:` is overridden by the
profile's `rank-type f:`. A lookup past a table's end reads its last entry (fef::Table::get).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from searchlib.rank_properties import count, number
from searchlib.rank_tables import DEFAULT_TABLES, INDEX_TABLES, RANK_TYPE_TABLES, function_table

__all__ = ["count", "field_rank_type", "field_table", "lookup", "number", "use_table_normalization"]


def lookup(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """table[index] with an index past the end reading the last entry (fef::Table::get)."""
    return table[np.minimum(index, len(table) - 1)]


def field_table(properties: Mapping[str, str], rank_type: str | None, feature: str, table: str,
                field: str) -> np.ndarray:
    """The table `feature` uses for `field` (see the module's order of lookups)."""
    name = properties.get(f"{feature}.{table}.{field}")
    if name is None and rank_type is not None:
        name = RANK_TYPE_TABLES[rank_type][(feature, table)]
    if name is None:
        name = properties.get(f"{feature}.{table}", DEFAULT_TABLES[(feature, table)])
    return function_table(name)


def field_rank_type(settings: Mapping[str, str], field_settings: Mapping[str, str], field: str,
                    is_attribute: bool, feature: str, table: str) -> str | None:
    """The field's rank type for this table, None when it has none (or `default`) or it does not
    apply (the config model writes index tables only for fields without an attribute, the weight
    table only for attributes)."""
    rank_type = settings.get(f"rank-type.{field}") or field_settings.get("rank-type")
    if rank_type not in RANK_TYPE_TABLES:
        return None
    if ((feature, table) in INDEX_TABLES) == is_attribute:
        return None
    return rank_type


def use_table_normalization(properties: Mapping[str, str]) -> bool:
    """nativeRank.useTableNormalization: only the exact text false turns it off (as Vespa)."""
    return properties.get("nativeRank.useTableNormalization") != "false"
