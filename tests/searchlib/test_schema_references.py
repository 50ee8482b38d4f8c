"""reference<type> fields, `import field` and global document types: what compiles, and the
located errors for what Vespa refuses."""
from __future__ import annotations

import pytest

from searchlib.documents import validate_document
from searchlib.errors import DocumentError, SchemaError
from searchlib.schema.application import application_from_sources

SERVICES = """<services version="1.0">
  <container id="default" version="1.0"><search/><document-api/></container>
  <content id="c" version="1.0">
    <documents>
      <document type="parent" mode="index"{parent_global}/>
      <document type="child" mode="index"/>
    </documents>
    <nodes><node hostalias="node0" distribution-key="0"/></nodes>
  </content>
</services>
"""
PARENT = """schema parent {
    document parent {
        field score type int { indexing: attribute | summary }
        field label type string { indexing: summary }
    }
}
"""
CHILD = """schema child {
    document child {
        field ref type reference<parent> { indexing: attribute }
        field title type string { indexing: index | summary }
    }
    import field ref.score as parent_score {}
}
"""


def load(child: str = CHILD, parent: str = PARENT, parent_global: bool = True, services: bool = True):
    sources = {"schemas/parent.sd": parent, "schemas/child.sd": child}
    if services:
        sources["services.xml"] = SERVICES.format(parent_global=' global="true"' if parent_global else "")
    return application_from_sources(sources)


def test_an_imported_field_is_an_attribute_of_the_child_with_the_parents_type() -> None:
    app = load()
    field = app.schemas["child"].fields["parent_score"]
    assert (str(field.type), field.is_attribute, field.in_document) == ("int", True, False)
    assert (field.imported.reference, field.imported.field, field.imported.document_type) == ("ref", "score", "parent")
    assert str(app.schemas["child"].fields["ref"].type) == "reference<parent>"
    assert app.content.global_types == ("parent",)


def test_a_reference_to_a_type_that_is_not_global_is_refused_at_the_field() -> None:
    with pytest.raises(SchemaError, match="points to document type 'parent', which is not global") as error:
        load(parent_global=False)
    assert str(error.value).startswith("schemas/child.sd:3:")


def test_without_services_xml_the_generated_cluster_holds_parents_globally() -> None:
    assert load(services=False).content.global_types == ("parent",)


def test_a_reference_to_an_unknown_type_is_refused_at_the_field() -> None:
    child = CHILD.replace("reference<parent>", "reference<nothing>")
    with pytest.raises(SchemaError, match="references unknown document type 'nothing'") as error:
        load(child=child)
    assert str(error.value).startswith("schemas/child.sd:3:")


def test_a_reference_must_be_an_attribute() -> None:
    child = CHILD.replace("reference<parent> { indexing: attribute }", "reference<parent> { indexing: summary }")
    with pytest.raises(SchemaError, match="reference field 'ref' must be an attribute"):
        load(child=child)


@pytest.mark.parametrize("line, message", [
    ("import field ref.missing as x {}", "document type 'parent' has no field 'missing'"),
    ("import field ref.label as x {}", "field 'label' of 'parent' is not an attribute"),
    ("import field title.score as x {}", "'title' is not a reference field of schema 'child'"),
    ("import field nothing.score as x {}", "'nothing' is not a reference field of schema 'child'"),
    ("import field ref.score as title {}", "imported field 'title' has the name of a field"),
    ("import field refscore as x {}", "expected <reference field>.<field of the parent document>"),
    ("import field ref.score x {}", "expected 'as <name>'"),
])
def test_bad_imports_are_refused_where_written(line, message) -> None:
    child = CHILD.replace("import field ref.score as parent_score {}", line)
    with pytest.raises(SchemaError, match=message) as error:
        load(child=child)
    assert str(error.value).startswith("schemas/child.sd:6:")


def test_imported_fields_work_in_rank_expressions_fieldsets_and_summaries() -> None:
    child = CHILD.replace("    import field ref.score as parent_score {}\n", """    import field ref.score as parent_score {}
    fieldset both { fields: title, parent_score }
    document-summary with_parent { summary parent_score {} }
    rank-profile by_parent { first-phase { expression: attribute(parent_score) * 2 } }
""")
    schema = load(child=child).schemas["child"]
    assert [f.name for f in schema.summaries["with_parent"].fields] == ["sddocname", "parent_score"]
    assert schema.fieldsets["both"].fields == ("title", "parent_score")


def test_a_grandparents_field_is_imported_through_the_parents_import() -> None:
    grandparent = "schema grand {\n document grand {\n field age type long { indexing: attribute }\n }\n}\n"
    parent = PARENT.replace("        field label", "        field up type reference<grand> { indexing: attribute }\n"
                                                  "        field label").replace(
        "    }\n}\n", "    }\n    import field up.age as grand_age {}\n}\n")
    child = CHILD.replace("import field ref.score as parent_score {}", "import field ref.grand_age as age {}")
    services = SERVICES.format(parent_global=' global="true"').replace(
        '<document type="child"', '<document type="grand" mode="index" global="true"/>\n      <document type="child"')
    app = application_from_sources({"schemas/grand.sd": grandparent, "schemas/parent.sd": parent,
                                    "schemas/child.sd": child, "services.xml": services})
    age = app.schemas["child"].fields["age"]
    assert (str(age.type), age.imported.field, age.imported.document_type) == ("long", "grand_age", "parent")


MUTUAL_SERVICES = SERVICES.format(parent_global=' global="true"').replace(
    '<document type="child" mode="index"/>', '<document type="child" mode="index" global="true"/>')


def _parent_importing(field: str) -> str:
    """PARENT with a reference back to child, importing the child's `field` as `loop`."""
    return PARENT.replace(
        "        field label", "        field back type reference<child> { indexing: attribute }\n"
                              "        field label").replace(
        "    }\n}\n", f"    }}\n    import field back.{field} as loop {{}}\n}}\n")


def test_schemas_importing_from_each_other_without_a_field_cycle_compile() -> None:
    # parent.loop <- child.parent_score <- parent.score: the schemas refer to each other, the fields don't
    parent = _parent_importing("parent_score").replace(
        "field label type string { indexing: summary }",
        "field label type string { indexing: summary }\n        field own type int { indexing: attribute }")
    child = CHILD.replace("    import field ref.score as parent_score {}\n",
                          "    import field ref.score as parent_score {}\n    import field ref.own as parent_own {}\n")
    app = application_from_sources({"schemas/parent.sd": parent, "schemas/child.sd": child,
                                    "services.xml": MUTUAL_SERVICES})
    loop = app.schemas["parent"].fields["loop"]
    assert (str(loop.type), loop.imported.reference, loop.imported.field, loop.imported.document_type) == (
        "int", "back", "parent_score", "child")
    assert app.schemas["child"].fields["parent_own"].imported.field == "own"
    assert app.schemas["child"].fields["parent_score"].imported.field == "score"


def test_imported_fields_in_a_cycle_are_refused_at_the_import() -> None:
    # parent.loop <- child.parent_score <- parent.loop
    child = CHILD.replace("ref.score as parent_score", "ref.loop as parent_score")
    with pytest.raises(SchemaError, match=r"imported fields form a cycle: .*(child\.parent_score -> parent\.loop"
                                          r"|parent\.loop -> child\.parent_score)") as raised:
        application_from_sources({"schemas/parent.sd": _parent_importing("parent_score"), "schemas/child.sd": child,
                                  "services.xml": MUTUAL_SERVICES})
    assert raised.value.location is not None and raised.value.location.line > 1


def test_a_field_importing_itself_through_a_self_reference_is_a_cycle() -> None:
    parent = PARENT.replace("        field label", "        field me type reference<parent> { indexing: attribute }\n"
                                                  "        field label").replace(
        "    }\n}\n", "    }\n    import field me.self as self {}\n}\n")
    with pytest.raises(SchemaError, match="imported fields form a cycle"):
        load(parent=parent)


def test_a_global_type_cannot_be_streamed() -> None:
    services = SERVICES.format(parent_global=' global="true"').replace(
        'type="parent" mode="index"', 'type="parent" mode="streaming"')
    with pytest.raises(SchemaError, match="a global document type cannot be in mode=\"streaming\""):
        application_from_sources({"schemas/parent.sd": PARENT, "schemas/child.sd": CHILD, "services.xml": services})


def test_a_reference_is_fed_as_a_document_id_of_its_type() -> None:
    schema = load().schemas["child"]
    assert validate_document(schema, {"ref": "id:ns:parent::1"}) == {"ref": "id:ns:parent::1"}
    assert validate_document(schema, {"ref": ""}) == {}  # no reference
    with pytest.raises(DocumentError, match="to a reference of document type 'parent'"):
        validate_document(schema, {"ref": "id:ns:child::1"})
    with pytest.raises(DocumentError, match="is not of the form"):
        validate_document(schema, {"ref": "id:ns:parent:1"})
    with pytest.raises(DocumentError):
        validate_document(schema, {"ref": 5})
    with pytest.raises(DocumentError, match="No field 'parent_score'"):  # imported fields are not fed
        validate_document(schema, {"parent_score": 3})


def test_a_streamed_child_cannot_have_references() -> None:
    services = SERVICES.format(parent_global=' global="true"').replace(
        'type="child" mode="index"', 'type="child" mode="streaming"')
    with pytest.raises(SchemaError, match="not supported: reference field 'ref' .* mode=\"streaming\"") as error:
        application_from_sources({"schemas/parent.sd": PARENT, "schemas/child.sd": CHILD, "services.xml": services})
    assert str(error.value).startswith("schemas/child.sd:3:")
