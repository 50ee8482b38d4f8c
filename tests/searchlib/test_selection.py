"""The document selection language (test-and-set conditions): parsing, located errors, Vespa's
three-valued evaluation, and and/or/not checked against Python's boolean logic on random documents."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.schema.application import load_application
from searchlib.selection import ConditionNotMet, Selection, SelectionError
from searchlib.selection.evaluator import glob_match
from searchlib.selection.parser import MAX_DEPTH, MAX_LENGTH
from searchlib.selection.tree import And, Comparison, DocType, FieldRef, IdRef, Literal, Not, Or

MUSIC = Path(__file__).resolve().parents[1] / "apps" / "music"
DOC_ID = "id:ns:music::song-1"


def holds(text: str, fields: dict | None, document_id: str = DOC_ID) -> bool:
    return Selection.parse(text).matches(document_id, fields, now=1_700_000_000)


def test_the_tree_of_a_typical_condition():
    tree = Selection.parse('music.year >= 2000 and not (id.namespace == "old" or music)').tree
    assert tree == And((Comparison(">=", FieldRef("music", "year"), Literal(2000)),
                        Not(Or((Comparison("==", IdRef("namespace"), Literal("old")), DocType("music"))))))


def test_keywords_are_case_insensitive_and_not_binds_tighter_than_and_than_or():
    assert Selection.parse("a OR b AND NOT c").tree == Or((DocType("a"), And((DocType("b"), Not(DocType("c"))))))


@pytest.mark.parametrize("text, fields, expected", [
    ('music.year == 2015', {"year": 2015}, True),
    ('music.year != 2015', {"year": 2015}, False),
    ('music.year < 2016 and music.year > 2014', {"year": 2015}, True),
    ('music.year <= 2015 and music.year >= 2015', {"year": 2015}, True),
    ('music.artist == "Coldplay"', {"artist": "Coldplay"}, True),
    ("music.artist == 'Coldplay'", {"artist": "Coldplay"}, True),
    ('music.artist < "D"', {"artist": "Coldplay"}, True),
    ('music.score > 0.5', {"score": 0.75}, True),
    ('music.year == null', {}, True),
    ('music.year != null', {"year": 1}, True),
    ('music.year', {"year": 1}, True),  # a field by itself: is it set?
    ('not music.year', {}, True),
    ('music', {}, True),
    ('book', {}, False),
    ('true', {}, True),
    ('false or music', {}, True),
    ('music.title = "*Dreams"', {"title": "A Head Full of Dreams"}, True),
    ('music.title = "A?Head*"', {"title": "A Head Full of Dreams"}, True),
    ('music.title = "Head*"', {"title": "A Head Full of Dreams"}, False),
    ('music.tags == "rock"', {"tags": ["pop", "rock"]}, True),  # any element
    ('music.tags == "jazz"', {"tags": ["pop", "rock"]}, False),
    ('music.weights == "b"', {"weights": {"a": 1, "b": 2}}, True),  # a weighted set by its keys
    ('music.contact.first == "Ann"', {"contact": {"first": "Ann"}}, True),
    ('music.list[1] == 3', {"list": [2, 3]}, True),
    ('music.list[5] == null', {"list": [2, 3]}, True),
    ('music.map{"k"} == 2', {"map": {"k": 2}}, True),
    ('music.year + 1 == 2016 and music.year % 10 == 5 and music.year / 10 == 201', {"year": 2015}, True),
    ('music.year - -5 == 2020', {"year": 2015}, True),
    ('music.year * 2 > 4000', {"year": 2015}, True),
    ('now() - 86400 > music.stamp', {"stamp": 1_600_000_000}, True),
    ('music.flag == true', {"flag": True}, True),
    ('0x10 == 16 and 1e3 == 1000', {}, True),
    ('music.artist == "a\\"b\\n"', {"artist": 'a"b\n'}, True),
])
def test_evaluation(text, fields, expected):
    assert holds(text, fields) is expected


@pytest.mark.parametrize("text", [
    'id == "id:ns:music::song-1"', 'id.scheme == "id" and id.namespace == "ns"', 'id.namespace == "ns"', 'id.type == "music"',
    'id.specific == "song-1"'])
def test_id_parts(text):
    assert holds(text, {})
    assert not holds(text, {}, "id:other:book::x")


def test_user_and_group_id_parts():
    assert holds("id.user == 1234", {}, "id:ns:music:n=1234:a")
    assert holds('id.group == "g1"', {}, "id:ns:music:g=g1:a")
    # an id without n= / g= has no user or group: invalid, so neither the test nor its negation holds
    for text in ("id.user == 1234", "not id.user == 1234", 'id.group == "g1"', 'not id.group == "g1"'):
        assert not holds(text, {})


@pytest.mark.parametrize("text, fields", [
    ('music.year < 5', {}),  # ordering against an unset field
    ('music.year == "2015"', {"year": 2015}),  # a string against a number: never equal...
    ('music.year < "2016"', {"year": 2015}),
    ('book.year == 2015', {"year": 2015}),  # a field of another document type
    ('music.year / 0 == 1', {"year": 2015}),
])
def test_invalid_comparisons_never_make_a_condition_true(text, fields):
    assert not holds(text, fields)
    if "==" not in text:  # ...for ordering the comparison is invalid, and so is its negation
        assert not holds(f"not ({text})", fields)


def test_three_valued_and_or():
    invalid = "music.year < 5"  # with no year
    assert holds(f"{invalid} or true", {}) and not holds(f"{invalid} or false", {})
    assert not holds(f"{invalid} and true", {}) and not holds(f"not ({invalid} and true)", {})
    assert holds(f"not ({invalid} and false)", {})


@pytest.mark.parametrize("text, column, fragment", [
    ("music.year ==", 14, "expected a value"),
    ('music.year == "abc', 15, "not terminated"),
    ("music.year == 2015 music", 20, "expected 'and', 'or' or the end"),
    ("(music.year == 1", 17, "expected ')'"),
    ("music. == 1", 8, "expected a field name"),
    ("id.bucket == 1", 4, "id.specific"),
    ('music.a =~ "x.*"', 9, "not supported"),
    ("music.a == 1 & 2", 14, "unexpected character '&'"),
    ('music.a == "\\q"', 13, "unknown escape"),
    ("music.list[x] == 1", 12, "array index"),
    ("and", 1, "expected a value"),
    ("", 1, "empty"),
])
def test_syntax_errors_are_located(text, column, fragment):
    with pytest.raises(SelectionError) as raised:
        Selection.parse(text)
    assert raised.value.location.column == column and fragment in raised.value.message
    assert str(raised.value).startswith(f"condition:1:{column}: ")


def test_hostile_conditions_are_refused_without_recursion_or_huge_quotes():
    with pytest.raises(SelectionError, match="nested more than"):
        Selection.parse("(" * 3000 + "true" + ")" * 3000)
    with pytest.raises(SelectionError, match="nested more than"):
        Selection.parse("not " * (MAX_DEPTH + 1) + "true")
    with pytest.raises(SelectionError, match="nested more than"):  # a left-deep arithmetic chain
        Selection.parse("music.year == " + " + ".join(["1"] * 2000))
    assert holds("music.year == " + " + ".join(["1"] * 20), {"year": 20})
    with pytest.raises(SelectionError, match="longer than"):
        Selection.parse("true or " * MAX_LENGTH)
    with pytest.raises(SelectionError) as raised:
        Selection.parse("music.year == " + "9" * 5000)
    assert len(raised.value.message) < 100
    Selection.parse("(" * (MAX_DEPTH - 1) + "true" + ")" * (MAX_DEPTH - 1))


def test_check_names_only_known_types_and_document_fields():
    schemas = load_application(MUSIC).schemas.values()
    field = next(iter(next(iter(schemas)).fields))
    Selection.parse(f"music.{field} != null and music").check(schemas)
    with pytest.raises(SelectionError, match="document type 'book' does not exist") as raised:
        Selection.parse("music or book.x == 1").check(schemas)
    assert raised.value.location.column == 10
    with pytest.raises(SelectionError, match="field 'nope' does not exist in document type 'music'"):
        Selection.parse("music.nope == 1").check(schemas)


def test_test_and_set_rules():
    selection = Selection.parse("music.year == 2015")
    selection.test(DOC_ID, {"year": 2015}, create=False)
    with pytest.raises(ConditionNotMet, match="TEST_AND_SET_CONDITION_FAILED"):
        selection.test(DOC_ID, {"year": 2016}, create=False)
    with pytest.raises(ConditionNotMet, match="does not exist"):
        selection.test(DOC_ID, None, create=False)
    selection.test(DOC_ID, None, create=True)  # Vespa: create=true ignores the condition if missing
    with pytest.raises(ConditionNotMet):
        selection.test(DOC_ID, {"year": 2016}, create=True)


def test_glob_is_linear_on_hostile_patterns():
    text = "a" * 20_000
    assert not glob_match("*a" * 200 + "b", text)
    assert glob_match("*a*a*", text) and glob_match("a*", text) and not glob_match("b*", text)
    assert glob_match("", "") and not glob_match("", "x") and glob_match("*", "")


# ---- property: and / or / not agree with Python's boolean logic ---------------------------------

FIELDS = ("a", "b", "c")
documents = st.fixed_dictionaries({name: st.integers(-3, 3) for name in FIELDS})


def leaves():
    return st.builds(lambda field, op, number: (f"music.{field} {op} {number}",
                                                _PY_OPS[op], field, number),
                     st.sampled_from(FIELDS), st.sampled_from(sorted(_PY_OPS)), st.integers(-3, 3))


_PY_OPS = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
           "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}


def expressions():
    """(condition text, python predicate) pairs of random shape."""
    leaf = leaves().map(lambda t: (t[0], lambda doc, t=t: t[1](doc[t[2]], t[3])))
    return st.recursive(leaf, lambda inner: st.one_of(
        inner.map(lambda e: (f"not ({e[0]})", lambda doc, e=e: not e[1](doc))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) and ({p[1][0]})",
                                               lambda doc, p=p: p[0][1](doc) and p[1][1](doc))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) or ({p[1][0]})",
                                               lambda doc, p=p: p[0][1](doc) or p[1][1](doc))),
        st.tuples(inner, inner).map(lambda p: (f"{p[0][0]} OR {p[1][0]}",  # no parentheses: precedence
                                               lambda doc, p=p: p[0][1](doc) or p[1][1](doc)))),
        max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(expressions(), documents)
def test_and_or_not_agree_with_python(expression, document):
    text, predicate = expression
    assert holds(text, document) is predicate(document)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FIELDS), st.integers(-3, 3)), min_size=1, max_size=6),
       st.lists(st.sampled_from(["and", "or"]), min_size=5, max_size=5), documents)
def test_unparenthesized_chains_bind_and_before_or(comparisons, joins, document):
    parts = [f"music.{field} == {number}" for field, number in comparisons]
    text = parts[0] + "".join(f" {joins[i]} {part}" for i, part in enumerate(parts[1:]))
    python = " ".join(f"(doc[{field!r}] == {number})" if i == 0 else f"{joins[i - 1]} (doc[{field!r}] == {number})"
                      for i, (field, number) in enumerate(comparisons))
    expected = _python_boolean(python, document)
    assert holds(text, document) is expected


def _python_boolean(source: str, document: dict) -> bool:
    """Python's own and/or precedence, over test-generated text (never user input)."""
    import ast
    tree = ast.parse(source, mode="eval")
    return _eval_bool(tree.body, document)


def _eval_bool(node, document) -> bool:
    import ast
    if isinstance(node, ast.BoolOp):
        values = [_eval_bool(v, document) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    assert isinstance(node, ast.Compare)
    field = node.left.slice.value
    number = node.comparators[0]
    value = -number.operand.value if isinstance(number, ast.UnaryOp) else number.value
    return document[field] == value
