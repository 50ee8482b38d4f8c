"""Field-path updates (`m{key}`, `ws{key}`, `a[i]`) as Vespa's document JSON defines them."""
from __future__ import annotations

import pytest

from searchlib.documents import apply_update
from searchlib.errors import DocumentError
from searchlib.schema.application import application_from_text

SD = """schema s {
  document s {
    struct p { field name type string {} }
    field m type map<string, int> { indexing: summary }
    field im type map<int, string> { indexing: summary }
    field tags type weightedset<string> { indexing: attribute
      weightedset { create-if-nonexistent
                    remove-if-zero } }
    field plain type weightedset<string> { indexing: attribute }
    field people type array<p> { indexing: summary }
  }
}"""
DOC = {"m": {"x": 1}, "im": {"7": "seven"}, "tags": {"red": 1}, "plain": {"red": 1},
       "people": [{"name": "a"}, {"name": "b"}]}


@pytest.fixture(scope="module")
def schema():
    return application_from_text(SD, name="s.sd").schemas["s"]


def test_map_entries(schema) -> None:
    updated = apply_update(schema, DOC, {"m{y}": {"assign": 3}, "m{x}": {"increment": 2}, "im{8}": {"assign": "e"}})
    assert updated["m"] == {"x": 3, "y": 3} and updated["im"] == {"7": "seven", "8": "e"}
    assert "m" not in apply_update(schema, DOC, {"m{x}": {"remove": 0}})
    assert DOC["m"] == {"x": 1}  # the current document is not changed in place


def test_weighted_set_keys_follow_create_if_nonexistent_and_remove_if_zero(schema) -> None:
    updated = apply_update(schema, DOC, {"tags{red}": {"decrement": 1}, "tags{blue}": {"increment": 4},
                                         "plain{blue}": {"increment": 4}, "plain{red}": {"decrement": 1}})
    assert updated["tags"] == {"blue": 4}  # red reached 0 and went; blue was created
    assert updated["plain"] == {"red": 0}  # neither setting: no new key, a 0 weight stays


def test_array_elements(schema) -> None:
    updated = apply_update(schema, DOC, {"people[1]": {"assign": {"name": "c"}}})
    assert updated["people"] == [{"name": "a"}, {"name": "c"}]
    assert apply_update(schema, DOC, {"people[2]": {"assign": {"name": "c"}}})["people"] == DOC["people"]


@pytest.mark.parametrize("operations, message", [
    ({"people[0]": {"assign": {"age": 3}}}, "No field 'age'"),
    ({"m{x}.f": {"assign": 1}}, "is not supported"),
    ({"m{x}": {"assign": "many"}}, "m{x}"),
    ({"im{seven}": {"assign": "x"}}, "key 'seven' is not a int"),
    ({"people{x}": {"assign": 1}}, "not a map or weighted set"),
    ({"nosuch{x}": {"assign": 1}}, "No field 'nosuch'"),
])
def test_bad_paths_are_refused(schema, operations, message) -> None:
    with pytest.raises(DocumentError, match=message):
        apply_update(schema, DOC, operations)
