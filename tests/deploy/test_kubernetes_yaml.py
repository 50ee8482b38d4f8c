"""The manifest YAML writer (PyYAML's safe dumper): whatever it writes reads back (PyYAML, YAML 1.1
rules) as the same value, and strings that YAML would read as something else are quoted."""
from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from deploy import k8s_yaml

TRICKY = ["yes", "No", "ON", "off", "y", "n", "true", "False", "null", "~", "", " ", "-", "- a", "a: b", "a:",
          "a #b", "#x", "0", "012", "0x1F", "1e3", ".5", ".inf", ".NaN", "1:30", "2001-12-14", "=", "<<", "*a",
          "&a", "!tag", "%x", "@x", "`x", "{a}", "[a]", "'q'", '"q"', "|", ">", "?", "a\tb", "\t", "é", "😀",
          "\x85", "\u2028", "\x7f", "\ufeff", "line\n", "\nlead", "two\nlines", "  indented\nnext", "a\r\nb",
          "trailing \nspace", "blank\n  \nline", "keep\n\n\n", "---\n...", "x\n---\ny", "tab\n\tstart",
          "phasedsearch:0.1.0", "http://h:1/x", "0/0=host:19100"]

text = st.text(st.characters(codec="utf-8"), max_size=30)
scalars = st.none() | st.booleans() | st.integers(-2**63, 2**63) | text | st.sampled_from(TRICKY)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(text | st.sampled_from(TRICKY), inner, max_size=4), max_leaves=25)


def test_tricky_strings_read_back_as_themselves() -> None:
    document = {"list": TRICKY, "map": {value: value for value in TRICKY}, "nested": [[value] for value in TRICKY]}
    assert yaml.safe_load(k8s_yaml.dump(document)) == document


@settings(max_examples=300, deadline=None)
@given(values)
def test_any_value_round_trips(value) -> None:
    assert yaml.safe_load(k8s_yaml.dump(value)) == value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(text, scalars, min_size=1, max_size=3), min_size=1, max_size=3))
def test_documents_round_trip_as_a_stream(documents) -> None:
    assert list(yaml.safe_load_all(k8s_yaml.dump_all(documents))) == documents


def test_text_files_become_literal_blocks_and_safe_words_stay_plain() -> None:
    written = k8s_yaml.dump({"data": {"services.xml": "<services>\n  <x/>\n</services>\n"}, "kind": "ConfigMap",
                             "port": 8080, "value": "19100", "image": "phasedsearch:0.1.0"})
    assert "services.xml: |\n    <services>\n      <x/>\n    </services>\n" in written
    assert "kind: ConfigMap\n" in written and "port: 8080\n" in written
    assert "value: '19100'\n" in written and "image: phasedsearch:0.1.0\n" in written


def test_go_yaml_booleans_are_quoted_and_shared_objects_are_written_twice() -> None:
    probe = {"httpGet": {"path": "/status.html", "port": 8080}}
    written = k8s_yaml.dump({"flags": ["y", "N", "yes"], "liveness": probe, "startup": probe})
    assert '- "y"\n' in written and '- "N"\n' in written and "- 'yes'\n" in written
    assert "&" not in written and "*" not in written
    assert written.count("path: /status.html") == 2
