"""model.searchPath parsing and node/group selection (reference §4.6, Vespa SearchPath.java)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from searchlib.errors import InvalidParameterError
from searchlib.query.search_path import SearchPath, Selection, parse_search_path


@pytest.mark.parametrize(
    ("text", "nodes", "groups"),
    [
        ("7/3", [7], [3]),
        ("7/", [7], [0, 1, 2, 3]),
        ("*/0", list(range(10)), [0]),
        ("/0", list(range(10)), [0]),
        ("1,[3,9>/0", [1, 3, 4, 5, 6, 7, 8], [0]),
        ("3/*", [3], [0, 1, 2, 3]),
        ("[0,2>/[1,3>", [0, 1], [1, 2]),
        ("2,2,[1,3>", [1, 2], [0, 1, 2, 3]),
        ("12/1", [], [1]),  # a node index beyond the group's size selects nothing, as in Vespa
    ],
)
def test_examples(text: str, nodes: list[int], groups: list[int]) -> None:
    path = parse_search_path(text)
    assert path is not None
    assert path.node_indexes(10) == nodes
    assert path.candidate_groups(4) == groups


@pytest.mark.parametrize("text", [None, "", "*", "*/", "0;1", "1/0;2/1"])
def test_paths_that_mean_normal_dispatch(text: str | None) -> None:
    assert parse_search_path(text) is None


@pytest.mark.parametrize("text", ["x", "1,/0", "[5,3>/0", "[1,2]/0", "1/0,x", "1/2/3", "-1/0", "1 /0"])
def test_malformed_paths_are_invalid_parameters(text: str) -> None:
    with pytest.raises(InvalidParameterError, match="Invalid search path"):
        parse_search_path(text)


def test_group_beyond_the_cluster_is_an_error() -> None:
    path = parse_search_path("0/5")
    assert path is not None
    with pytest.raises(InvalidParameterError, match="does not have 6 groups"):
        path.candidate_groups(2)


def test_flat_cluster_has_group_zero() -> None:
    path = parse_search_path("1/0")
    assert path is not None and path.candidate_groups(1) == [0]


def test_string_form_round_trips() -> None:
    assert str(SearchPath((Selection(1, 2), Selection(3, 9)), (Selection(0, 1),))) == "1,[3,9>/0"
    assert str(parse_search_path("1,[3,9>/0")) == "1,[3,9>/0"


@given(st.text(alphabet="0123456789[],>/*;x ", max_size=20))
def test_random_paths_parse_or_raise_invalid_parameter(text: str) -> None:
    try:
        path = parse_search_path(text)
    except InvalidParameterError:
        return
    if path is not None:
        assert all(0 <= index < 10 for index in path.node_indexes(10))
