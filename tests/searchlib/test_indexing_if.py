"""The indexing language's `if (a <cmp> b) { ... } else { ... }`, with values worked out by hand from
Vespa's IfThenExpression: both sides start from the execution value, numbers compare by value, a
null side makes the value null (no block runs), a false condition without `else` passes the value on."""
from __future__ import annotations

import pytest

from searchlib.errors import DocumentError, SchemaError
from searchlib.indexing import parse_indexing, run_script

# Vespa's config-model test `advanced`
ADVANCED = '''{
    if (input product2_src == "foo") {
        "bar" | index product2;
    } else {
        "baz" | index product2;
    };
}'''


def run(text, document, field="f"):
    return run_script(parse_indexing(text), document, field)


def test_the_branch_the_condition_chooses_writes_the_field():
    assert run(ADVANCED, {"product2_src": "foo"}, "product2") == {"product2": "bar"}
    assert run(ADVANCED, {"product2_src": "food"}, "product2") == {"product2": "baz"}


def test_a_null_side_runs_neither_block():
    assert run(ADVANCED, {}, "product2") == {}
    # the value after the if is null too: nothing reaches the summary
    assert run('input s | if (input n > 1) { "big" | summary t; } | summary u', {"s": "x"}) == {}


@pytest.mark.parametrize("n, expected", [(9, "small"), (10, "large"), (10.5, "large")])
def test_numbers_compare_by_value(n, expected):
    script = 'if (input n < 10.0) { "small" | attribute size; } else { "large" | attribute size; }'
    assert run(script, {"n": n}) == {"size": expected}


@pytest.mark.parametrize("comparator, truth", [("==", [False, True, False]), ("!=", [True, False, True]),
                                               ("<", [True, False, False]), ("<=", [True, True, False]),
                                               (">", [False, False, True]), (">=", [False, True, True])])
def test_every_comparator(comparator, truth):
    script = f'if (input n {comparator} 5) {{ 1 | attribute hit; }} else {{ 0 | attribute hit; }}'
    assert [run(script, {"n": n})["hit"] == 1 for n in (4, 5, 6)] == truth


def test_without_else_a_false_condition_passes_the_value_on():
    script = 'input s | if (_ == "a") { "was a" | summary t; } | summary u'
    assert run(script, {"s": "b"}) == {"u": "b"}
    assert run(script, {"s": "a"})["t"] == "was a"


def test_strings_order_lexically():
    script = 'if (input s < "m") { "first half" | summary h; }'
    assert run(script, {"s": "apple"}) == {"h": "first half"}
    assert run(script, {"s": "pear"}) == {}


def test_a_string_compared_with_a_number_is_a_document_error():
    with pytest.raises(DocumentError, match="cannot compare str with int"):
        run('if (input s == 1) { "x" | summary t; }', {"s": "1"})


@pytest.mark.parametrize("text, message", [
    ('if input s == "a" { "x" | summary t; }', "expected '\\(' after 'if'"),
    ('if (input s) { "x" | summary t; }', "expected one of == != < <= > >="),
    ('if (input s == "a" { "x" | summary t; }', "missing '\\)'"),
    ('if (input s == "a") "x" | summary t;', "expected '\\{' after 'if \\(...\\)'"),
    ('if (input s == "a") { "x" | summary t; } else "y"', "expected '\\{' after 'else'"),
])
def test_malformed_if_is_refused(text, message):
    with pytest.raises(SchemaError, match=message):
        parse_indexing(text)
