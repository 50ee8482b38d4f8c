"""Struct, map and older-syntax schema constructs compile into the model (Vespa's grammar:
config-model/src/main/javacc/SchemaParser.jj)."""
from __future__ import annotations

import re

import pytest

from searchlib.sort_functions import SortSettings

from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text
from searchlib.struct_values import summary_source_value


def compile_sd(fields: str, outside: str = ""):
    sd = f"schema s {{\n  document s {{\n{fields}\n  }}\n{outside}\n}}\n"
    return application_from_text(sd, name="s.sd").schemas["s"]


def test_struct_inheritance_is_flattened_and_a_cycle_or_redeclaration_refused() -> None:
    schema = compile_sd("""
    struct a { field x type string {} }
    struct b inherits a { field y type int {} }
    field f type b { indexing: summary }""")
    assert schema.structs["b"].fields[0][0] == "x" and str(schema.structs["b"].fields[1][1]) == "int"
    with pytest.raises(SchemaError, match="redeclares field 'x'"):
        compile_sd("struct a { field x type string {} }\nstruct b inherits a { field x type int {} }")
    with pytest.raises(SchemaError, match="struct inheritance cycle"):
        compile_sd("struct a inherits b { }\nstruct b inherits a { }")


def test_structs_and_annotations_outside_the_document_and_in_any_order() -> None:
    schema = compile_sd("    field f type array<late> { indexing: summary }",
                        "  struct late { field v type string {} }\n  annotation note inherits base { }\n"
                        "  annotation base { field who type string {} }")
    assert str(schema.fields["f"].type) == "array<late>"
    assert schema.structs["note"].annotation and schema.structs["note"].fields[0][0] == "who"


def test_map_struct_fields_and_their_types() -> None:
    schema = compile_sd("""
    struct e { field w type int {} }
    field m type map<string, e> {
      indexing: summary
      struct-field key { indexing: attribute }
      struct-field value.w { indexing: attribute }
    }""")
    assert str(schema.fields["m"].type) == "map<string,e>"
    assert str(schema.fields["m.value.w"].type) == "array<int>" and schema.fields["m.value.w"].parent == "m"
    with pytest.raises(SchemaError, match="has no sub-field 'nope'"):
        compile_sd("field m type map<string, int> {\n indexing: summary\n struct-field nope { indexing: attribute }\n}")


def test_older_spellings() -> None:
    schema = compile_sd("""
    field a type int[] { indexing: attribute }
    field t type tag { indexing: attribute }
    field s type string { indexing: index
      match { token } }
    field v type tensor(x[2]) { indexing: attribute
      attribute { distance-metric: innerproduct } }
    field w type weightedset<string> { indexing: attribute
      weightedset { create-if-nonexistent
                    remove-if-zero } }""")
    assert str(schema.fields["a"].type) == "array<int>"
    assert str(schema.fields["t"].type) == "weightedset<string>"
    assert schema.fields["t"].settings["weightedset.create-if-nonexistent"] == "true"
    assert schema.fields["s"].match == "text"
    assert schema.fields["v"].distance_metric == "dotproduct"
    assert schema.fields["w"].settings["weightedset.remove-if-zero"] == "true"


def test_summary_to_places_the_field_in_the_named_summaries() -> None:
    schema = compile_sd("""
    field a type string { indexing: summary
      summary-to: default, second }
    field b type string { indexing: summary
      summary-to: second }
    field c type string { indexing: summary }""")
    assert [f.name for f in schema.summaries["default"].fields] == ["sddocname", "documentid", "a", "c"]
    assert [f.name for f in schema.summaries["second"].fields] == ["sddocname", "a", "b"]


def test_summary_sources_may_be_struct_paths() -> None:
    schema = compile_sd("""
    struct p { field name type string {} }
    field people type array<p> { indexing: summary }""",
                        "  document-summary names {\n    summary n { source: people.name }\n  }")
    assert schema.summaries["names"].fields[-1].sources == ("people.name",)
    assert summary_source_value({"people": [{"name": "a"}, {}, {"name": "b"}]}, "people.name") == ["a", "b"]
    with pytest.raises(SchemaError, match="refers to unknown field 'people.age'"):
        compile_sd("struct p { field name type string {} }\nfield people type array<p> { indexing: summary }",
                   "  document-summary x {\n    summary n { source: people.age }\n  }")


def test_an_sd_with_only_a_document_is_a_schema_of_that_name() -> None:
    schema = application_from_text("document solo {\n  field f type string { indexing: summary }\n}\n",
                                   name="solo.sd").schemas["solo"]
    assert schema.document_name == "solo" and "f" in schema.fields


def test_profile_syntax_forms() -> None:
    schema = compile_sd("    field a type int { indexing: attribute }", """
  rank-profile p1 { summary-features: attribute(a) }
  rank-profile p2 { summary-features: nativeRank }
  rank-profile both inherits p1, p2 {
    summary-features inherits p1, p2 { bm25(x) }
    function f$() { expression: 2 }
    first-phase { expression: f$ }
    rank-properties {
      foo ( bar ) . baz.2  : 123.4
      "nud":"ity"
    }
  }""".replace("bm25(x)", "attribute(a)"))
    both = schema.rank_profiles["both"]
    assert both.summary_features == ("attribute(a)", "nativeRank")
    assert "f$" in both.functions
    assert both.rank_properties["foo(bar).baz.2"] == "123.4" and both.rank_properties["nud"] == "ity"


def test_profile_files_in_sub_folders_and_a_reserved_document_name() -> None:
    from searchlib.schema.application import application_from_sources
    sd = "schema s {\n  document s {\n    field t type string { indexing: index }\n  }\n}\n"
    app = application_from_sources({"schemas/s.sd": sd,
                                    "schemas/s/more/deep.profile": "rank-profile deep {\n}\n"})
    assert "deep" in app.schemas["s"].rank_profiles
    with pytest.raises(SchemaError, match="'position' is a reserved name") as raised:
        application_from_text("schema position {\n  document position { }\n}\n", name="position.sd")
    assert raised.value.location.line == 1


def test_only_functions_something_uses_are_type_checked() -> None:
    profile = """
  rank-profile p {
    function unused() { expression: attribute(nosuch) }
    function helper() { expression: attribute(nosuch2) }
    function used() { expression: helper * 2 }
    first-phase { expression: used }
  }"""
    with pytest.raises(SchemaError, match="nosuch2"):  # reached through used -> helper
        compile_sd("    field a type int { indexing: attribute }", profile)
    schema = compile_sd("    field a type int { indexing: attribute }", profile.replace("nosuch2", "a"))
    assert "unused" in schema.rank_profiles["p"].functions
    with pytest.raises(SchemaError, match="function 'unused'"):  # it must still parse
        compile_sd("    field a type int { indexing: attribute }",
                   profile.replace("nosuch2", "a").replace("attribute(nosuch)", "attribute(("))


def test_a_custom_query_command_loads_with_no_effect(caplog) -> None:
    """Only an application's custom Java searchers read such a command: none runs here."""
    caplog.set_level("INFO", logger="searchlib.schema.query_commands")
    compile_sd("    field s type string { indexing: index\n      query-command: my-own-command\n    }", "")
    assert "query-command 'my-own-command' in field 's' is for custom searchers" in caplog.text


def test_attribute_sorting_settings_in_both_forms() -> None:
    schema = compile_sd("    field s type string { indexing: attribute\n      attribute { sorting: descending } }\n"
                        "    field t type string { indexing: attribute\n      attribute {\n        sorting: function: raw\n"
                        "        sorting: strength: secondary\n      }\n    }\n"
                        "    field u type string { indexing: attribute\n      sorting {\n        function: lowercase\n"
                        "        locale: en_US\n      }\n    }", "")
    assert schema.fields["s"].sorting == SortSettings(ascending=False)  # uca, primary: Vespa's defaults
    assert schema.fields["t"].sorting == SortSettings(function="raw", strength="secondary")
    assert schema.fields["u"].sorting == SortSettings(function="lowercase", locale="en_US")


@pytest.mark.parametrize("fields, outside, message, line", [
    ("    field s type string { indexing: attribute\n      attribute { sorting: function: nosuch } }", "",
     "unknown sort function 'nosuch' in field 's'", 4),
    ("    field s type string { indexing: attribute\n      sorting { strength: loud } }", "",
     "unknown sort strength 'loud' in field 's'", 4),
    ("    field s type string { indexing: index\n      linguistics { profile: x } }", "",
     "unknown linguistics profile 'x' (index of field 's')", 4),
    ("    field s type string { indexing: index\n      linguistics {\n        profile {\n          index: whitespaceLowercase\n"
     "          search: lower\n        }\n      }\n    }", "",
     "unknown linguistics profile 'whitespaceLowercase' (index of field 's')", 6),
    ("    field s type string { indexing: index }", "  fieldset f {\n    fields: s\n    query-command: phrase-segmenting x\n  }",
     "query-command 'phrase-segmenting x' in fieldset 'f': write 'phrase-segmenting true'", 7),
    ("    field s type string { indexing: index }", "  fieldset f {\n    fields: s\n    query-command: highlight\n  }",
     "not supported: query-command 'highlight' in fieldset 'f'", 7),
])
def test_vespa_settings_not_implemented_are_refused_where_written(fields, outside, message, line) -> None:
    with pytest.raises(SchemaError, match=re.escape(message)) as raised:
        compile_sd(fields, outside)
    assert raised.value.location.line == line


def test_index_on_a_number_is_searched_through_an_attribute() -> None:
    schema = compile_sd("    field n type int { indexing: summary | index }\n"
                        "    field m type long { indexing: attribute | index }")
    assert all(schema.fields[f].is_attribute and not schema.fields[f].is_index for f in ("n", "m"))


def test_a_profile_may_inherit_a_profile_of_an_inherited_documents_schema() -> None:
    from searchlib.schema.application import application_from_sources
    parent = ("schema parent {\n  document parent {\n    field a type int { indexing: attribute }\n  }\n"
              "  rank-profile p1 {\n    function f() { expression: attribute(a) + 1 }\n"
              "    first-phase { expression: f }\n  }\n}\n")
    child = ("schema child {\n  document child inherits parent {\n    field b type int { indexing: attribute }\n"
             "  }\n  rank-profile p2 inherits p1 {\n    second-phase { expression: f * attribute(b) }\n  }\n}\n")
    app = application_from_sources({"schemas/parent.sd": parent, "schemas/child.sd": child})
    p2 = app.schemas["child"].rank_profiles["p2"]
    assert p2.first_phase.expression.text == "f" and "f" in p2.functions


def test_a_struct_in_another_documents_block_is_not_visible() -> None:
    from searchlib.schema.application import application_from_sources
    other = "schema other {\n  document other {\n    struct hidden { field x type int {} }\n  }\n}\n"
    user = "schema user {\n  document user {\n    field f type hidden { indexing: summary }\n  }\n}\n"
    with pytest.raises(SchemaError, match="unknown field type 'hidden'"):
        application_from_sources({"schemas/other.sd": other, "schemas/user.sd": user})
    shared = other.replace("  document other {\n    struct hidden { field x type int {} }\n  }\n",
                           "  document other { }\n  struct hidden { field x type int {} }\n")
    app = application_from_sources({"schemas/other.sd": shared, "schemas/user.sd": user})
    assert "hidden" in app.schemas["user"].structs


def test_an_inherited_field_may_be_redeclared_with_its_type() -> None:
    from searchlib.schema.application import application_from_sources
    parent = "schema parent {\n  document parent {\n    field n type int { indexing: summary }\n  }\n}\n"
    child = ("schema child {\n  document child inherits parent {\n    field n type int { indexing: attribute }\n"
             "  }\n}\n")
    app = application_from_sources({"schemas/parent.sd": parent, "schemas/child.sd": child})
    assert app.schemas["child"].fields["n"].is_attribute and not app.schemas["parent"].fields["n"].is_attribute
    with pytest.raises(SchemaError, match="duplicate field 'n'"):
        application_from_sources({"schemas/parent.sd": parent,
                                  "schemas/child.sd": child.replace("type int { indexing: attribute }",
                                                                    "type string { indexing: summary }")})


def test_a_struct_declared_twice_in_one_schema_is_refused() -> None:
    with pytest.raises(SchemaError, match="duplicate struct 'a'"):
        compile_sd("    struct a { field x type int {} }\n    struct a { field x type int {} }")


def test_float16_and_raw_values() -> None:
    from searchlib.documents import validate_document
    from searchlib.errors import DocumentError
    schema = compile_sd("    field h type float16 { indexing: attribute | summary }\n"
                        "    field r type raw { indexing: summary }")
    assert validate_document(schema, {"h": 0.1, "r": "AAEC"}) == {"h": 0.0999755859375, "r": "AAEC"}
    from searchlib.documents import apply_update
    assert apply_update(schema, {"h": 0.0999755859375}, {"h": {"increment": 0.1}})["h"] == 0.199951171875
    for bad in ({"h": 1e6}, {"r": "not base64!"}, {"r": 3}):
        with pytest.raises(DocumentError):
            validate_document(schema, bad)
