"""String sort functions: Vespa's raw, lowercase and uca sorters, an attribute's `sorting` settings,
and how a query's sort key gets its function (Vespa's ValidateSortingSearcher).

- raw: the value's bytes (UTF-8: code point order, as Python compares str).
- lowercase: the lowercased value, compared as raw.
- uca: a collation key. Vespa uses ICU's collator for the locale; this engine has no ICU and uses a
  locale-independent key built from Unicode data (documented limits below), by strength:
    primary     base characters: NFD, combining marks removed, case folded; spaces, punctuation
                and symbols sort before digits, digits before letters (as in the UCA's root order)
    secondary   then the accents (the combining marks), character by character
    tertiary    then case (lower before upper, as ICU's default)
    quaternary / identical   then the value's code points
  The levels are compared one after the other over the whole string, as the UCA does. Not done:
  locale tailoring (e.g. Swedish å after z), contractions and expansions beyond NFD (æ is one
  letter here, "ae" in the UCA), digits as numbers. The locale is kept and shown, not used.

A key is a str so it crosses the wire as a sort value and compares correctly in the merge.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FUNCTIONS = ("uca", "raw", "lowercase")
STRENGTHS = ("primary", "secondary", "tertiary", "quaternary", "identical")


@dataclass(frozen=True, slots=True)
class SortSettings:
    """An attribute's `sorting` settings, with Vespa's defaults (attributes.def: sortascending
    true, sortfunction UCA, sortstrength PRIMARY, sortlocale "")."""

    ascending: bool = True
    function: str = "uca"
    strength: str = "primary"
    locale: str = ""


DEFAULT_SORT_SETTINGS = SortSettings()
_LEVEL_END = "\x00"  # below every character a level holds: a shorter level sorts first


def _char_class(char: str) -> str:
    """The UCA root's groups: spaces/punctuation/symbols, then digits, then letters and the rest."""
    category = unicodedata.category(char)
    if category[0] in "ZPSC":
        return "\x01"
    return "\x02" if category[0] == "N" else "\x03"


def collation_key(value: str, strength: str = "primary") -> str:
    """The uca sort key of `value` at `strength` (see the module docstring)."""
    decomposed = unicodedata.normalize("NFD", value)
    bases = [char for char in decomposed if not unicodedata.combining(char)]
    primary = "".join(_char_class(char) + char.casefold()[:1] for char in bases)
    if strength == "primary":
        return primary
    accents, position = [], -1
    for char in decomposed:  # the marks that follow each base character, "" where none
        if not unicodedata.combining(char):
            position += 1
            accents.append("")
        elif accents:
            accents[position] += char
        else:
            accents.append(char)
    secondary = "".join("\x01" + (marks or "\x01") for marks in accents)
    key = primary + _LEVEL_END + secondary
    if strength == "secondary":
        return key
    tertiary = "".join("\x01" if char == char.lower() else "\x02" for char in bases)
    key += _LEVEL_END + tertiary
    if strength == "tertiary":
        return key
    return key + _LEVEL_END + value


def sort_string(value: str, function: str, strength: str = "primary") -> str:
    """The string a value sorts by under a sort function."""
    if function == "lowercase":
        return value.lower()
    if function == "uca":
        return collation_key(value, strength or "primary")
    return value


def sort_value_of(value: object, function: str, strength: str = "") -> object:
    """A string attribute value as it sorts under the key's function; other values as they are."""
    return sort_string(value, function, strength) if isinstance(value, str) and function else value


def sort_column(column, function: str, strength: str = ""):
    """A string attribute column (object array) as it sorts under the function (numbers untouched)."""
    if not function or function == "raw" or column.dtype.kind != "O":
        return column
    out = column.copy()
    for i, value in enumerate(column):
        if isinstance(value, str):
            out[i] = sort_string(value, function, strength)
    return out


@dataclass(frozen=True, slots=True)
class ResolvedSort:
    function: str  # raw, lowercase or uca
    strength: str = ""
    locale: str = ""


def resolve_sort(function: str, strength: str, locale: str, settings: SortSettings,
                 query_locale: str | None) -> ResolvedSort:
    """A sort key's function on a string attribute, as Vespa's ValidateSortingSearcher picks it:
    no function given → the attribute's; uca without any locale known (the sorter's, the
    attribute's, the query's) → lowercase; a uca strength not given → the attribute's."""
    if not function:
        if settings.function != "uca":
            return ResolvedSort(settings.function)
        locale = settings.locale or query_locale or ""
        if not locale:
            return ResolvedSort("lowercase")
        return ResolvedSort("uca", settings.strength, locale)
    if function != "uca":
        return ResolvedSort(function)
    return ResolvedSort("uca", strength or settings.strength,
                        locale or settings.locale or query_locale or "en_US")
