"""The indexing language's `switch` and `set_var` / `get_var`, with values worked out by hand from
Vespa's indexing-language reference (and SwitchExpression: the case equal to the string value runs,
else `default`; each case starts from the value; the switch passes the value on)."""
from __future__ import annotations

import pytest

from searchlib.errors import DocumentError, SchemaError
from searchlib.indexing import parse_indexing, run_script

# Vespa's config-model test `indexswitches`
SOURCE = '''input source_src |
        switch {
            case "amg":    input source_src | summary;
            case "theweb": input source_src | summary | index;
            default:       input source_src . " partner" | summary | index;
        };'''
# Vespa's config-model test `arrays`: a counter over the elements of b
COUNT = '''0 | set_var chunk_cnt;
          input b | for_each {
              get_var chunk_cnt + 1 | set_var chunk_cnt
          };
          get_var chunk_cnt | attribute;'''


def run(text, document, field="f"):
    return run_script(parse_indexing(text), document, field)


def test_switch_runs_the_matching_case_else_the_default():
    assert run(SOURCE, {"source_src": "amg"}, "source") == {"source": "amg"}
    assert run(SOURCE, {"source_src": "theweb"}, "source") == {"source": "theweb"}
    assert run(SOURCE, {"source_src": "news"}, "source") == {"source": "news partner"}
    # a null value runs the default; null . " partner" is null, which writes nothing
    assert run(SOURCE, {}, "source") == {}


def test_switch_cases_start_from_the_value_and_the_switch_passes_it_on():
    script = 'input a | switch { case "x": _ . "!" | summary s; } | attribute'
    assert run(script, {"a": "x"}) == {"s": "x!", "f": "x"}
    assert run(script, {"a": "y"}) == {"f": "y"}  # no case and no default: nothing runs
    with pytest.raises(DocumentError, match="switch expects a string, got int"):
        run('input n | switch { case "1": "one" | summary; }', {"n": 1})


@pytest.mark.parametrize("script, message", [
    ('input a | switch { case "x": summary; case "x": index; }', "duplicate case 'x'"),
    ('input a | switch { case "x": summary }', "expected ';' after a switch case"),
    ('input a | switch { default: summary; }', "switch needs at least one case"),
    ('input a | switch { other: summary; }', "expected 'case' or 'default' in switch"),
])
def test_malformed_switches_are_refused(script, message):
    with pytest.raises(SchemaError, match=message):
        parse_indexing(script)


def test_variables_count_the_elements_of_an_array():
    assert run(COUNT, {"b": ["x", "y", "z"]}, "mycnt") == {"mycnt": 3}
    assert run(COUNT, {"b": []}, "mycnt") == {"mycnt": 0}
    assert run(COUNT, {}, "mycnt") == {"mycnt": 0}  # for_each of null does nothing


def test_set_var_passes_the_value_on_and_get_var_of_an_unset_name_is_null():
    script = 'input a | set_var v | summary; get_var v . "!" | summary g'
    assert run(script, {"a": "hi"}) == {"f": "hi", "g": "hi!"}
    assert run("get_var nothing | summary", {}) == {}
