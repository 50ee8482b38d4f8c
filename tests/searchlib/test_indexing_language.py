"""The indexing language's converters, chunkers and for_each, with expected values worked out by
hand from Vespa's indexing-language and chunking references, and the load-time refusal of what
the engine cannot run."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib.errors import DocumentError, SchemaError
from searchlib.indexing import parse_indexing, run_script
from searchlib.indexing.evaluator import LabeledCells
from searchlib.indexing.chunking import chunk_fixed_length, chunk_sentences
from searchlib.indexing.siphash import siphash24
from searchlib.schema.application import application_from_text


def run(text, document, field="f", kinds=None, initial=None, embed=None):
    return run_script(parse_indexing(text), document, field, embed, initial, kinds)


def test_split_join_and_array_concatenation():
    assert run('input a | split "," | summary', {"a": "1,2,3"}) == {"f": ["1", "2", "3"]}
    assert run(r'input a | split "\\s*;\\s*" | summary', {"a": "x ;y;  z"}) == {"f": ["x", "y", "z"]}
    assert run('input a | split "," | summary', {"a": ""}) == {"f": []}
    # the reference's example: arrays from two splits appended
    both = "(input a | split ',') . (input b | split ',') | index arr"
    assert run(both, {"a": "1,2", "b": "3"}) == {"arr": ["1", "2", "3"]}
    assert run(both, {"a": "1,2"}) == {"arr": ["1", "2"]}  # a null collection is empty
    assert run('input a | join "; " | summary', {"a": ["x", 2, True]}) == {"f": "x; 2; true"}
    assert run('input a | join "," | summary', {}) == {}


def test_substring_is_inclusive_exclusive_and_clamped():
    assert run("input a | substring 1 3 | summary", {"a": "hello"}) == {"f": "el"}
    assert run("input a | substring 2 100 | summary", {"a": "hello"}) == {"f": "llo"}
    assert run("input a | substring -5 2 | summary", {"a": "hello"}) == {"f": "he"}
    assert run("input a | substring 4 2 | summary", {"a": "hello"}) == {"f": ""}
    assert run("input a | substring 0 1 | summary", {"a": ["ab", "cd"]}) == {"f": ["a", "c"]}


def test_for_each_runs_its_script_on_every_element():
    assert run("input a | for_each { trim } | summary", {"a": [" x ", "y "]}) == {"f": ["x", "y"]}
    assert run('input a | for_each { "#" . _ } | summary', {"a": ["x", "y"]}) == {"f": ["#x", "#y"]}
    assert run("input a | for_each { _ * 2 } | attribute", {"a": [1, 2]}) == {"f": [2, 4]}
    assert run('input a | split "," | for_each { to_int } | attribute', {"a": "3,4"}) == {"f": [3, 4]}


def test_normalize_drops_accents_and_keeps_case():
    assert run("input a | normalize | summary", {"a": "Café Crème Ñandú"}) == {"f": "Cafe Creme Nandu"}


def test_to_epoch_second_examples_from_the_reference():
    for text in ("2023-12-24T17:00:43.000Z", "2023-12-24T17:00:43Z", "2023-12-24T17:00:43.431Z",
                 "2023-12-24T17:00:43.431+00:00"):
        assert run("input a | to_epoch_second | attribute", {"a": text}) == {"f": 1703437243}
    assert run("input a | to_epoch_second | attribute", {"a": "1970-01-01T01:00:00+01:00"}) == {"f": 0}
    with pytest.raises(DocumentError, match="ISO-8601"):
        run("input a | to_epoch_second | attribute", {"a": "yesterday"})
    with pytest.raises(DocumentError, match="time zone"):
        run("input a | to_epoch_second | attribute", {"a": "2023-12-24T17:00:43"})


def test_siphash_matches_the_papers_test_vectors():
    # SipHash-2-4 reference vectors, key 00..0f: message of 0 bytes, of 00..0e (15 bytes), of 00..3e
    assert siphash24(b"") == 0x726FDB47DD0E0E31
    assert siphash24(bytes(range(15))) == 0xA129CA6149BE45E5
    assert siphash24(bytes(range(63))) == 0x958A324CEB064572


def test_hash_is_a_long_or_an_int_by_the_target_field():
    # the empty string's SipHash is 0x726fdb47dd0e0e31: as a long that value, as an int its low 32
    # bits 0xdd0e0e31, which is negative as a signed int
    assert run("input a | hash | attribute", {"a": ""}, kinds={"f": "long"}) == {"f": 0x726FDB47DD0E0E31}
    assert run("input a | hash | attribute", {"a": ""}, kinds={"f": "int"}) == {"f": 0xDD0E0E31 - (1 << 32)}
    long_value = run("input a | hash | attribute", {"a": "vespa"}, kinds={"f": "long"})["f"]
    assert -(1 << 63) <= long_value < (1 << 63)
    assert long_value == int.from_bytes(siphash24(b"vespa").to_bytes(8, "big"), "big", signed=True)


def test_pack_bits_is_big_endian_one_bit_per_cell_into_int8():
    out = run("input a | pack_bits | attribute", {"a": np.array([1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1])})
    assert out["f"].tolist() == [-127, 127]  # 0b10000001 = 129 → int8 -127; 0b01111111 = 127
    # values other than 0/1 are binarized with threshold 0; 9 cells round up to 2 bytes
    out = run("input a | pack_bits | attribute", {"a": np.array([0.5, -2, 0, 0, 0, 0, 0, 0, 3.0])})
    assert out["f"].tolist() == [-128, -128]
    out = run("input a | binarize 0.5 | pack_bits | attribute", {"a": LabeledCells({"0": np.array([0.6, 0.4] * 4)})})
    assert out["f"]["0"].tolist() == [-86]  # 0b10101010 = 170 → -86, per mapped label


def test_fixed_length_chunker():
    # target 6: soft max round(6.3) = 6, hard max round(6.6) = 7
    assert chunk_fixed_length("", 6) == []
    assert chunk_fixed_length("first", 6) == ["first"]
    assert chunk_fixed_length("first second", 6) == ["first ", "second"]
    assert chunk_fixed_length("first. second.", 6) == ["first.", " second", "."]
    assert chunk_fixed_length("firstsecond. third....", 6) == ["firstse", "cond. ", "third.", "..."]
    # target 20: soft max 21, hard max 22
    assert chunk_fixed_length("first sentence, end. Next sentence.", 20) == ["first sentence, end.", " Next sentence."]
    assert chunk_fixed_length("first sentence, stop.Next sentence.", 20) == ["first sentence, stop.", "Next sentence."]
    assert chunk_fixed_length("first sentence, endNext sentence.", 20) == ["first sentence, endNex", "t sentence."]
    text = "word " * 300
    chunks = chunk_fixed_length(text, 100)
    assert "".join(chunks) == text and all(100 <= len(c) <= 110 for c in chunks[:-1])


def test_fixed_length_chunks_of_cjk_text_are_exact():
    text = "東京都は日本の首都です。大阪は西にあります。"
    assert chunk_fixed_length(text, 5, cjk=True) == [text[0:5], text[5:10], text[10:15], text[15:20], text[20:]]
    # in a script: the language is detected (Japanese), or set by set_language
    assert run("input a | chunk fixed-length 5 | summary", {"a": text}) == {"f": chunk_fixed_length(text, 5, cjk=True)}
    script = "input lang | set_language; input a | chunk fixed-length 6 | summary"
    assert run(script, {"lang": "en", "a": "first second"}) == {"f": ["first ", "second"]}
    assert run(script, {"lang": "zh", "a": "first second"}) == {"f": ["first ", "second"]}  # 6 + 6 anyway
    assert run(script, {"lang": "zh", "a": "firstsecond"}) == {"f": ["firsts", "econd"]}
    assert run(script, {"lang": "en", "a": "firstsecond"}) == {"f": ["firstse", "cond"]}  # hard max 7


def test_sentence_chunker():
    assert chunk_sentences("Hello world. How are you?! Fine... ok") == \
        ["Hello world.", " How are you?!", " Fine...", " ok"]
    assert chunk_sentences("... Start. ") == ["... Start.", " "]  # no content before the dots: no break
    assert chunk_sentences("") == []


def test_chunk_in_a_script_and_its_default_length():
    assert run("input a | chunk sentence | summary", {"a": "A b. C d."}) == {"f": ["A b.", " C d."]}
    assert run("input a | chunk fixed-length 6 | summary", {"a": "first second"}) == {"f": ["first ", "second"]}
    assert parse_indexing("input a | chunk fixed-length | summary").statements[0].steps[1].length == 1000


def test_tokenize_takes_its_flags():
    assert run("tokenize normalize stem | summary | index", {}, initial="Running") == {"f": "Running"}


def test_document_field_scripts_start_from_the_fields_value():
    assert run("lowercase | summary | index", {"f": "AbC"}, initial="AbC") == {"f": "abc"}


SCHEMA = """schema test {{
    document test {{
        field a type string {{ indexing: summary }}
    }}
    field b type {type} {{
        indexing: {script}
    }}
}}
"""


@pytest.mark.parametrize("script, message", [
    ("input a | optimize_predicate | summary", "not supported: optimize_predicate"),
    ("input a | chunk paragraph | summary", "not supported: chunk paragraph"),
    ("input a | to_wset create_if_non_existent | summary", "not supported: create_if_non_existent"),
    ("input a | substring 1 x | summary", "integer arguments"),
    ('input a | split "(" | summary', "invalid regex"),
])
def test_a_statement_the_engine_cannot_run_refuses_the_package_where_it_is(script, message):
    with pytest.raises(SchemaError, match=message) as caught:
        application_from_text(SCHEMA.format(type="array<string>", script=script))
    assert str(caught.value).startswith("schemas/test.sd:5:")  # file:line:column of the field


def test_hash_and_pack_bits_targets_are_checked_at_load():
    with pytest.raises(SchemaError, match="hash can only write an int or long"):
        application_from_text(SCHEMA.format(type="string", script="input a | hash | attribute"))
    with pytest.raises(SchemaError, match="tensor<int8>"):
        application_from_text(SCHEMA.format(type="tensor<float>(x[2])", script="input a | embed | pack_bits | attribute"))
    application_from_text(SCHEMA.format(type="array<long>", script='input a | split "," | for_each { hash } | attribute'))


EMBEDDERS = """<services version="1.0">
  <container id="default" version="1.0">
    <component id="e5" type="hugging-face-embedder"><transformer-model path="m.onnx"/>
      <tokenizer-model path="t.json"/></component>
    <component id="colbert" type="colbert-embedder"><transformer-model path="m.onnx"/>
      <tokenizer-model path="t.json"/></component>
  </container>
  <content id="c" version="1.0"><documents><document type="test" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes></content>
</services>
"""


def test_embed_must_name_an_embedder_of_services_xml():
    vector = "tensor<float>(x[4])"
    application_from_text(SCHEMA.format(type=vector, script="input a | embed e5 | attribute"), services_xml=EMBEDDERS)
    with pytest.raises(SchemaError, match=r"embed 'e6': services.xml has no such embedder \(embedders: colbert, e5\)"):
        application_from_text(SCHEMA.format(type=vector, script="input a | embed e6 | attribute"), services_xml=EMBEDDERS)
    with pytest.raises(SchemaError, match="embed without an id needs exactly one embedder") as caught:
        application_from_text(SCHEMA.format(type=vector, script="input a | embed | attribute"), services_xml=EMBEDDERS)
    assert str(caught.value).startswith("schemas/test.sd:5:")
    with pytest.raises(SchemaError, match=r"embed 'colbert' \(colbert-embedder\) cannot fill 'b' of type "
                                          r"tensor<float>\(x\[4\]\): it fills a tensor like tensor<float>\(dt\{\}, x\[128\]\)"):
        application_from_text(SCHEMA.format(type=vector, script="input a | embed colbert | attribute"),
                              services_xml=EMBEDDERS)
    with pytest.raises(SchemaError, match="cannot fill 'b' of type string"):
        application_from_text(SCHEMA.format(type="string", script="input a | embed e5 | summary"),
                              services_xml=EMBEDDERS)
    application_from_text(SCHEMA.format(type="tensor<int8>(dt{}, x[16])", script="input a | embed colbert | attribute"),
                          services_xml=EMBEDDERS)
    application_from_text(SCHEMA.format(type="tensor<float>(chunk{}, x[4])",
                                        script="input a | chunk sentence | embed e5 chunk | attribute"),
                          services_xml=EMBEDDERS)


@pytest.mark.parametrize("script, document", [
    ("input a / input b | attribute", {"a": 1, "b": 0}),
    ("input a + input b | attribute", {"a": "x", "b": 1}),
    ("input a | to_int | attribute", {"a": "nan"}),
    ("input a | to_int | attribute", {"a": "1e400"}),
])
def test_a_value_the_script_cannot_process_is_a_document_error(script, document):
    with pytest.raises(DocumentError, match="cannot process this document"):
        run(script, document)
