"""String sort functions (searchlib/sort_functions.py), sort specifications (searchlib/query/
sort_specs.py) and how a key gets its function (Vespa's ValidateSortingSearcher). The orders are
worked out by hand from the UCA's levels: base letters, then accents, then case."""
from __future__ import annotations

import pytest

from searchlib.errors import InvalidParameterError, QueryError
from searchlib.query.sort_specs import parse_sorting
from searchlib.query.tree import SortKey
from searchlib.query.yql import parse_yql
from searchlib.sort_functions import SortSettings, collation_key, resolve_sort, sort_string

WORDS = ["banana", "Apple", "apple", "äpple", "Zebra", "10", "9 lives", "_id", "ab"]


def ordered(function: str, strength: str = "primary") -> list[str]:
    return sorted(WORDS, key=lambda word: (sort_string(word, function, strength), word))


def test_raw_is_code_point_order_and_lowercase_folds_case():
    assert ordered("raw") == ["10", "9 lives", "Apple", "Zebra", "_id", "ab", "apple", "banana", "äpple"]
    # equal keys (Apple, apple) keep the tie-break by the word itself
    assert ordered("lowercase") == ["10", "9 lives", "_id", "ab", "Apple", "apple", "banana", "Zebra", "äpple"]


def test_uca_levels():
    # primary: punctuation < digits < letters; case and accents ignored (ties broken by the word here)
    assert ordered("uca") == ["_id", "10", "9 lives", "ab", "Apple", "apple", "äpple", "banana", "Zebra"]
    assert collation_key("Apple") == collation_key("äpple") == collation_key("apple")
    # secondary: the unaccented before the accented; case still equal
    assert collation_key("apple", "secondary") == collation_key("Apple", "secondary")
    assert collation_key("apple", "secondary") < collation_key("äpple", "secondary")
    # tertiary: lower case before upper case, accents decided first
    assert collation_key("apple", "tertiary") < collation_key("Apple", "tertiary") < collation_key("äpple", "tertiary")
    # a shorter base string sorts first at every level
    assert collation_key("ab", "identical") < collation_key("abc", "identical")


def test_a_key_without_a_function_takes_the_attributes():
    default = SortSettings()  # Vespa's: uca, primary, no locale
    assert resolve_sort("", "", "", default, None).function == "lowercase"  # uca without a locale
    assert resolve_sort("", "", "", default, "en_US") == resolve_sort("uca", "", "en_US", default, None)
    assert resolve_sort("", "", "", SortSettings(function="raw"), "en_US").function == "raw"
    given = resolve_sort("uca", "", "", SortSettings(strength="tertiary", locale="de_DE"), None)
    assert (given.function, given.strength, given.locale) == ("uca", "tertiary", "de_DE")
    assert resolve_sort("uca", "", "", default, None).locale == "en_US"  # the final fallback


def test_sorting_parameter_and_yql_order_by_functions():
    assert parse_sorting("-uca(title,en_US,PRIMARY) +lowercase(name) raw(code) -price") == (
        SortKey("title", False, "uca", "primary", "en_US"), SortKey("name", True, "lowercase"),
        SortKey("code", True, "raw"), SortKey("price", False))
    with pytest.raises(InvalidParameterError, match="Unknown sort function 'upper'"):
        parse_sorting("+upper(title)")
    parsed = parse_yql('select * from sources * where true order by {function: "uca", locale: "en_US", '
                       'strength: "IDENTICAL"}other desc, {"function": "lowercase"}something asc')
    assert parsed.order_by == (SortKey("other", False, "uca", "identical", "en_US"),
                               SortKey("something", True, "lowercase"))
    with pytest.raises(QueryError, match="Unknown sort strength 'loud'"):
        parse_yql('select * from sources * where true order by {function: "uca", strength: "loud"}other')
