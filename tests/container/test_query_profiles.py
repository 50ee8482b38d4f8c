"""Query profiles: parsing, inheritance, nesting, variables and the errors a package can have."""
from __future__ import annotations

import types

import pytest

from container.search.query import build_query
from container.search.query_profile import with_query_profile
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.schema.application import load_application
from searchlib.schema.query_profiles import parse_query_profiles
from tests.integration.conftest import DEFAULT_APP


def _profiles(**texts: str):
    return parse_query_profiles({f"search/query-profiles/{name}.xml": text for name, text in texts.items()})


ROOT = """<query-profile id="root">
  <field name="hits">5</field><field name="ranking.profile">bm25</field><field name="a">root</field>
</query-profile>"""
LEFT = """<query-profile id="left" inherits="root"><field name="a">left</field><field name="b">left</field>
</query-profile>"""
RIGHT = """<query-profile id="right"><field name="b">right</field><field name="c">right</field></query-profile>"""
CHILD = """<query-profile id="child" inherits="left right">
  <description>the first parent wins, own fields win over both</description>
  <field name="c">child</field>
  <field name="ranking"><query-profile><field name="rerankCount">7</field></query-profile></field>
</query-profile>"""


def test_inheritance_own_fields_first_then_parents_in_order_depth_first():
    profiles = _profiles(root=ROOT, left=LEFT, right=RIGHT, child=CHILD)
    child = profiles["child"]
    assert child.inherits == ("left", "right")
    assert dict(child.values) == {"hits": "5", "ranking.profile": "bm25", "a": "left", "b": "left",
                                  "c": "child", "ranking.rerankCount": "7"}
    assert dict(child.own) == {"c": "child", "ranking.rerankCount": "7"}
    assert dict(profiles["root"].values)["a"] == "root"


@pytest.mark.parametrize("texts, message", [
    ({"a": '<query-profile id="a" inherits="b"/>'}, "inherits 'b', which does not exist"),
    ({"a": '<query-profile id="a" inherits="b"/>', "b": '<query-profile id="b" inherits="a"/>'}, "inherits itself"),
    ({"a": '<query-profile id="x"/>'}, "must be in a file named x.xml"),
    ({"a": '<query-profile id="a"><field>1</field></query-profile>'}, "needs a name"),
    ({"a": '<query-profile id="a"><dimensions>x</dimensions></query-profile>'}, "variants"),
    ({"a": '<query-profile id="a"><field name="x">1</field'}, "not well-formed"),
    ({"a": '<query-profile-type id="a"/>'}, "expected <query-profile>"),
])
def test_broken_profiles_are_package_errors(texts, message):
    with pytest.raises(SchemaError, match=message):
        _profiles(**texts)


def _app(**texts: str):
    return types.SimpleNamespace(query_profiles=_profiles(**texts))


def test_request_parameters_override_the_profile_and_variables_resolve():
    app = _app(p="""<query-profile id="p"><field name="yql">select * from doc where title contains "%{word}"</field>
      <field name="word">owl</field><field name="ranking">bm25</field>
      <field name="input.query(q)">embed(bge, "%{query} and %{missing}")</field></query-profile>""")
    params = with_query_profile({"queryProfile": "p", "model.queryString": "night"}, app)
    assert params["yql"] == 'select * from doc where title contains "owl"'
    assert params["ranking.profile"] == "bm25"  # the alias in the profile, canonical here
    assert params["ranking.features.query(q)"] == 'embed(bge, "night and ")'  # %{query} is an alias
    overridden = with_query_profile({"queryProfile": "p", "word": "bat", "ranking.profile": "default"}, app)
    assert overridden["yql"].endswith('"bat"') and overridden["ranking.profile"] == "default"


def test_default_profile_applies_when_none_is_named_and_unknown_names_are_a_400():
    app = _app(default='<query-profile id="default"><field name="hits">3</field></query-profile>')
    assert with_query_profile({}, app)["hits"] == "3"
    assert with_query_profile({}, _app()) == {}
    with pytest.raises(InvalidParameterError, match="Could not resolve query profile 'nope'"):
        with_query_profile({"queryProfile": "nope"}, app)


def test_the_default_package_profiles_build_complete_queries():
    app = load_application(DEFAULT_APP)
    assert {"bm25", "bm25-title-boost", "semantic", "hybrid", "bert-ranker", "hybrid-ce"} <= set(app.query_profiles)
    expected = {"bm25": set(), "bm25-title-boost": set(), "semantic": {"query(q)"}, "hybrid": {"query(q)"},
                "bert-ranker": {"query(q_tokens)"}, "hybrid-ce": {"query(q)", "query(q_tokens)"}}
    for name, inputs in expected.items():
        query = build_query({"queryProfile": name, "query": "what is a heap"}, app)
        assert query.profile == name and set(query.feature_texts) == inputs
        assert query.profile in app.schemas["doc"].rank_profiles
    # title-boost's words search title and text (bm25(title), bm25(text)), bm25's the default fieldset
    boost = build_query({"queryProfile": "bm25-title-boost", "query": "heap"}, app)
    assert "field='title_and_text', term='heap'" in repr(boost.yql.where)
    assert "field='default', term='heap'" in repr(build_query({"queryProfile": "bm25", "query": "heap"}, app).yql.where)


def test_syntax_none_reads_the_user_text_without_operators_for_matching_only():
    app = load_application(DEFAULT_APP)
    raw = 'owls -night "hunt"'
    plain = build_query({"queryProfile": "bm25", "query": raw, "model.type.syntax": "none"}, app)
    syntax = build_query({"queryProfile": "bm25", "query": raw}, app)
    assert "Not" not in repr(plain.yql.where) and "Not" in repr(syntax.yql.where)
    assert plain.parameters["model.queryString"] == raw  # what embed(@query) reads
    with pytest.raises(InvalidParameterError, match="model.type.syntax"):
        build_query({"queryProfile": "bm25", "query": raw, "model.type.syntax": "regex"}, app)
