"""Imported fields in document selections on a content node: a visit's `selection` and a
test-and-set `condition` read the parent's current value through the child's reference."""
from __future__ import annotations

import pytest

from content_node.imported_fields import bind_parents, open_database
from content_node.node import _condition
from content_node.visiting import Visitor
from searchlib.schema.application import application_from_sources
from searchlib.selection import ConditionNotMet, Selection, SelectionError
from searchlib.wire.visit_codec import VisitCall

PARENT = """schema parent {
    document parent {
        field score type int { indexing: attribute }
        field name type string { indexing: attribute | summary }
        field tags type array<string> { indexing: attribute }
    }
}
"""
CHILD = """schema child {
    document child {
        field ref type reference<parent> { indexing: attribute }
        field n type int { indexing: attribute | summary }
    }
    import field ref.score as score {}
    import field ref.name as name {}
    import field ref.tags as tags {}
}
"""
APP = application_from_sources({"schemas/parent.sd": PARENT, "schemas/child.sd": CHILD})


@pytest.fixture
def dbs(tmp_path):
    dbs = {name: open_database(schema, tmp_path / name) for name, schema in APP.schemas.items()}
    bind_parents(dbs)
    dbs["parent"].put("id:t:parent::p1", {"score": 7, "name": "one"})
    dbs["parent"].put("id:t:parent::p2", {"score": 9, "name": "two"})
    for i, ref in enumerate(["id:t:parent::p1", "id:t:parent::p2", "id:t:parent::p9", None]):
        dbs["child"].put(f"id:t:child::c{i}", {"n": i, **({"ref": ref} if ref else {})})
    yield dbs
    for db in dbs.values():
        db.close()


def visit(dbs, selection: str) -> list[str]:
    page = Visitor(dbs).visit(VisitCall(document_type="child", selection=selection))
    return sorted(d.document_id for d in page.documents)


def test_a_visit_selects_children_by_their_parents_current_values(dbs) -> None:
    assert visit(dbs, "child.score > 8") == ["id:t:child::c1"]
    assert visit(dbs, 'child.name == "one" and child.n < 5') == ["id:t:child::c0"]
    # a missing parent (never fed, or no reference) leaves the imported field without a value
    assert visit(dbs, "child.score == null") == ["id:t:child::c2", "id:t:child::c3"]
    dbs["parent"].update("id:t:parent::p1", {"score": {"assign": 70}})
    assert visit(dbs, "child.score > 8") == ["id:t:child::c0", "id:t:child::c1"]
    dbs["parent"].remove("id:t:parent::p2")
    assert visit(dbs, "child.score > 8") == ["id:t:child::c0"]
    page = Visitor(dbs).visit(VisitCall(document_type="child", selection="child.score > 8"))
    assert page.documents[0].fields == {"ref": "id:t:parent::p1", "n": 0}  # imported values are not returned


def test_a_condition_tests_the_parents_value_at_the_write(dbs) -> None:
    child = dbs["child"]
    child.put("id:t:child::c0", {"ref": "id:t:parent::p1", "n": 10},
              condition=_condition("id:t:child::c0", "child.score == 7", False, child))
    assert child.get("id:t:child::c0")["n"] == 10
    with pytest.raises(ConditionNotMet):
        child.update("id:t:child::c1", {"n": {"assign": 11}},
                     condition=_condition("id:t:child::c1", 'child.name == "one"', False, child))
    assert child.get("id:t:child::c1")["n"] == 1
    with pytest.raises(ConditionNotMet):  # no parent: the comparison is invalid, never true
        child.remove("id:t:child::c2", condition=_condition("id:t:child::c2", "child.score < 100", False, child))
    assert child.remove("id:t:child::c2", condition=_condition("id:t:child::c2", "child.score == null", False, child))


def test_a_condition_follows_a_reference_changed_after_it_was_prepared(dbs) -> None:
    child = dbs["child"]
    check = _condition("id:t:child::c0", "child.score == 9", False, child)  # prepared against p1 (7)
    child.put("id:t:child::c0", {"ref": "id:t:parent::p2", "n": 0})  # a write in between: now p2 (9)
    child.update("id:t:child::c0", {"n": {"assign": 5}}, condition=check)
    assert child.get("id:t:child::c0")["n"] == 5


def test_only_simple_imported_fields_can_be_selected() -> None:
    Selection.parse('child.score > 1 and child.name = "o*"').check(APP.schemas.values())
    with pytest.raises(SelectionError, match="only simple .single-value. imported fields") as raised:
        Selection.parse('child.n > 1 and child.tags == "x"').check(APP.schemas.values())
    assert raised.value.location.column == 17
    with pytest.raises(SelectionError, match="field 'nope' does not exist"):
        Selection.parse("child.nope == 1").check(APP.schemas.values())
