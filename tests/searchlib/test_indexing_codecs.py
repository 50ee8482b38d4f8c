"""guard, select_input, random, hostname, clear_state, the base64/hex codecs of a long, zcurve,
to_uri, exact, ngram and flatten: expected values worked out by hand from Vespa's indexing-language
reference and its expressions (Base64EncodeExpression: the long's bytes least significant first;
HexEncodeExpression: Long.toHexString; ZCurve: x bits even, y bits odd), plus their load-time checks."""
from __future__ import annotations

import socket

import pytest

from searchlib.errors import DocumentError, SchemaError
from searchlib.indexing import parse_indexing, run_script
from searchlib.schema.application import application_from_text

LONG_MIN = -(1 << 63)


def run(text, document, field="f", update=False):
    return run_script(parse_indexing(text), document, field, None, None, None, update=update)


@pytest.mark.parametrize("number, text", [
    (1, "AQAAAAAAAAA="),  # bytes 01 00 00 00 00 00 00 00
    (256, "AAEAAAAAAAA="),  # 00 01 00 ...: the low byte first
    (-1, "//////////8="),  # eight ff bytes
    (0, "AAAAAAAAAAA="),
])
def test_base64_of_a_long_is_its_eight_bytes_low_first(number, text):
    assert run("input a | base64encode | summary", {"a": number}) == {"f": text}
    assert run("input a | base64decode | summary", {"a": text}) == {"f": number}


def test_base64_decode_edges():
    assert run("input a | base64_decode | summary", {"a": "AQ"}) == {"f": 1}  # padding optional
    assert run("input a | base64decode | summary", {"a": ""}) == {"f": LONG_MIN}
    with pytest.raises(DocumentError, match="out of range"):
        run("input a | base64decode | summary", {"a": "AAAAAAAAAAAAA"})  # 13 characters
    with pytest.raises(DocumentError, match="Illegal base64"):
        run("input a | base64decode | summary", {"a": "!!!!"})
    for padded in ("QQ==", "QQ", "QUI=", "QUI"):  # padding optional, but whole where given
        assert run("input a | base64decode | summary", {"a": padded})["f"] in (65, 0x4241)
    for bad in ("QQ=", "QQ===", "Q", "Q===", "QUI==", "QQ==QQ==", "QUJD="):  # Base64.getDecoder() refuses each
        with pytest.raises(DocumentError, match="Illegal base64"):
            run("input a | base64decode | summary", {"a": bad})


@pytest.mark.parametrize("number, text", [(255, "ff"), (0, "0"), (-1, "ffffffffffffffff"),
                                          (LONG_MIN, "8000000000000000"), (4096, "1000")])
def test_hex_of_a_long_is_its_twos_complement(number, text):
    assert run("input a | hexencode | summary", {"a": number}) == {"f": text}
    assert run("input a | hex_decode | summary", {"a": text}) == {"f": number}


def test_hex_decode_edges():
    assert run("input a | hexdecode | summary", {"a": "-FF"}) == {"f": -255}  # BigInteger reads a sign
    assert run("input a | hexdecode | summary", {"a": ""}) == {"f": LONG_MIN}
    with pytest.raises(DocumentError, match="out of range"):
        run("input a | hexdecode | summary", {"a": "10000000000000000"})  # 65 bits
    with pytest.raises(DocumentError, match="Illegal hex"):
        run("input a | hexdecode | summary", {"a": "0x1f"})
    with pytest.raises(DocumentError, match="expects a long"):
        run("input a | hexencode | summary", {"a": "12"})


def test_zcurve_interleaves_x_on_even_and_y_on_odd_bits():
    # lng 2e-6 -> x = 2 (bit 1 -> bit 2), lat 1e-6 -> y = 1 (bit 0 -> bit 1): 4 + 2
    assert run("input p | zcurve | attribute z", {"p": {"lat": 0.000001, "lng": 0.000002}}) == {"z": 6}
    assert run("input p | zcurve | attribute z", {"p": "N0.000000;E0.000003"}) == {"z": 5}  # x = 3: bits 0, 2
    # x = -1: all 32 bits set, so every even bit of the long
    assert run("input p | zcurve | attribute z", {"p": {"lat": 0.0, "lng": -0.000001}}) == {"z": 0x5555555555555555}


def test_guard_on_an_update_runs_only_blocks_that_read_an_input():
    script = "guard { now | attribute stamp }; guard { input a | lowercase | summary low }"
    put = run(script, {"a": "AB"})
    assert put["low"] == "ab" and isinstance(put["stamp"], int)
    assert run(script, {"a": "AB"}, update=True) == {"low": "ab"}  # no stamp on a partial update


def test_select_input_runs_the_first_present_field_and_passes_the_value_on():
    script = "select_input { b: lowercase | attribute x; a: attribute y; }"
    assert run(script, {"a": "A", "b": "B"}) == {"x": "b"}
    assert run(script, {"a": "A"}) == {"y": "A"}
    assert run(script, {}) == {}
    assert run('"v" | select_input { a: attribute y; } | summary s', {"a": "A"}) == {"y": "A", "s": "v"}


def test_random_hostname_and_clear_state():
    draws = {run("random 3 | attribute r", {})["r"] for _ in range(200)}
    assert draws == {0, 1, 2}  # 0 <= r < 3, each drawn in 200 tries
    assert run("input a | random | attribute r", {"a": "1"}) == {"r": 0}  # the value is the bound
    with pytest.raises(DocumentError, match="must be positive"):
        run("random 0 | attribute r", {})
    for bound in (" 5 ", "5_0", "2147483648", "0x10", "٥", "5.0"):  # Integer.parseInt refuses each
        with pytest.raises(DocumentError, match=r"^random: the bound '.*' is ") as refused:
            run("input a | random | attribute r", {"a": bound})
        assert "invalid literal" not in str(refused.value)
    assert run("input a | random | attribute r", {"a": "+1"}) == {"r": 0}
    assert run("input a | random | attribute r", {"a": 1}) == {"r": 0}
    with pytest.raises(SchemaError, match="32-bit"):
        run("random 2147483648 | attribute r", {})
    name = run("hostname | summary", {})["f"]
    assert name == socket.gethostname().split(".")[0] and "." not in name and name
    assert run("input a | set_var x; clear_state; get_var x | summary", {"a": "v"}) == {}


def test_exact_and_ngram_annotate_and_flatten_writes_the_terms_out():
    assert run("input a | exact | flatten | summary", {"a": "Foo Bar"}) == {"f": "Foo Bar[foo bar]"}
    # grams within words: "Hi" is one gram, "you" gives "yo" (ends at 5) and "ou" (ends at 6)
    assert run("input a | ngram 2 | flatten | summary", {"a": "Hi you"}) == {"f": "Hi[hi] yo[yo]u[ou]"}
    assert run("input a | ngram 3 | flatten | summary", {"a": "ab, c"}) == {"f": "ab[ab], c[c]"}
    stored = run("input a | exact | summary", {"a": "Foo"})["f"]
    assert stored == "Foo" and type(stored) is str  # the stored value is the plain string
    with pytest.raises(DocumentError, match="annotated by tokenize, exact or ngram"):
        run("input a | flatten | summary", {"a": "x"})


SCHEMA = """schema test {{
    document test {{
        field a type string {{ indexing: summary }}
        field n type long {{ indexing: attribute }}
        field p type position {{ indexing: attribute }}
    }}
    field b type {type} {{
        {body}
    }}
}}
"""


def load(type_, body):
    return application_from_text(SCHEMA.format(type=type_, body=body)).schemas["test"]


def test_exact_and_ngram_in_a_script_set_the_index_match_mode():
    field = load("string", "indexing: input a | ngram 3 | index | summary").fields["b"]
    assert field.match == "gram" and field.settings["match.gram-size"] == "3"
    assert load("string", "indexing: input a | exact | index").fields["b"].match == "exact"
    with pytest.raises(SchemaError, match="match: word conflicts with 'ngram'"):
        load("string", "indexing: input a | ngram 2 | index\n match: word")


@pytest.mark.parametrize("type_, script, message", [
    ("string", "input p | zcurve | attribute", "zcurve makes a long"),
    ("long", "input a | zcurve | attribute", "zcurve expects position input"),
    ("string", "input a | hexencode | summary", "hexencode expects long input"),
    ("string", "input a | base64decode | attribute", "base64decode makes a long"),
    ("string", "input a | to_uri | summary", "to_uri makes a uri"),
])
def test_codec_types_are_checked_at_load(type_, script, message):
    with pytest.raises(SchemaError, match=message) as caught:
        load(type_, f"indexing: {script}")
    assert str(caught.value).startswith("schemas/test.sd:7:")


def test_codecs_load_with_matching_types():
    load("long", "indexing: input p | zcurve | attribute")
    load("string", "indexing: input n | base64encode | summary")
    load("uri", "indexing: input a | to_uri | summary | index")
    load("long", "indexing: select_input { a: hexdecode | attribute; n: attribute; }")


def test_this_echo_sleep_get_field_and_passthrough(capsys):
    assert run("input a | this | echo | summary", {"a": 7}) == {"f": 7}
    assert capsys.readouterr().out == "7\n"  # EchoExpression prints the value
    run("input missing | echo", {})
    assert capsys.readouterr().out == "null\n"
    assert run("input a | sleep | summary", {"a": 0.01}) == {"f": 0.01}  # the value passes through
    assert run("input a | sleep | summary", {"a": "x"}) == {"f": "x"}  # not a number: ignored
    assert run("input s | get_field name | summary", {"s": {"name": "n", "age": 3}}) == {"f": "n"}
    assert run("input s | get_field other | summary", {"s": {"name": "n"}}) == {}  # unset: null
    with pytest.raises(DocumentError, match="expected a struct"):
        run("input a | get_field name | summary", {"a": "text"})
    assert run("input a | passthrough other", {"a": "v"}) == {"other": "v"}


def test_tokenize_annotates_words_for_flatten():
    assert run("input a | tokenize | flatten | summary", {"a": "Hello World, dogs"}) == {
        "f": "Hello[hello] World[world], dogs[dogs]"}
    # normalize drops accents, stem stems (Snowball English): every mode of stem:"..." alike
    assert run('input a | tokenize normalize stem:"BEST" max-length: 10 | flatten | summary',
               {"a": "Crème Dogs"}) == {"f": "Crème[creme] Dogs[dog]"}
    stored = run("input a | tokenize normalize stem | summary", {"a": ["Crème", "x"]})["f"]
    assert stored == ["Crème", "x"] and all(type(e) is str for e in stored)


def test_flatten_without_an_annotator_before_it_is_refused_at_load():
    with pytest.raises(SchemaError, match="flatten writes out the terms of tokenize, exact or ngram"):
        load("string", "indexing: input a | lowercase | flatten | summary")
    load("string", "indexing: input a | tokenize | flatten | summary")


def test_select_input_reads_document_fields_only():
    with pytest.raises(SchemaError, match="select_input reads 'nope', which is not a document field"):
        load("string", "indexing: select_input { nope: summary; a: summary; }")
