"""Summaries and match modes on a real 2-node cluster (tests/apps/summaries_matching): dynamic
snippets and bolding with `<hi>`/`<sep />`, the tokens summary, matched-elements-only, the YQL select
list, and match: exact (with exact-terminator), word, cased, gram (gram-size 3), stemming: none,
normalizing: none and text on an attribute, each answered as Vespa's schema reference defines it; `source: a, b` takes the first with a value."""
from __future__ import annotations

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "summaries_matching"
FILLER = " ".join(f"Filler sentence number {i} about nothing much." for i in range(12))
BODY = FILLER + " Phased ranking reorders the best hits. " + " ".join(
    f"More filler sentence {i} here." for i in range(12))
DOCUMENTS = {
    "a": {"title": "Phased ranking in practice", "body": BODY, "tags": ["red", "green", "blue"],
          "sku": "AB-12 x", "label": "New York", "weights": {"x": 1, "y": 2}, "brand": "Acme", "code": "AbC", "grams": "hi blue", "plain": "running dogs",
          "accented": "Café crème", "spoken": "Running"},
    "b": {"title": "Unrelated title", "subtitle": "A subtitle", "body": "A short body about dogs.", "tags": ["green"],
          "sku": "AB", "label": "York", "weights": {"y": 3}, "brand": "Acme Corp", "code": "abc", "grams": "high", "plain": "run dog",
          "accented": "Cafe creme", "spoken": "run"},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("summaries"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            for name, fields in DOCUMENTS.items():
                response = client.post(f"/document/v1/test/item/docid/{name}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def hits(http, yql: str, **params) -> list[dict]:
    response = http.get("/search/", params={"yql": yql, "hits": 10, **params})
    assert response.status_code == 200, response.text
    return response.json()["root"].get("children", [])


def ids(http, where: str, **params) -> list[str]:
    return sorted(h["id"].rsplit(":", 1)[-1] for h in hits(http, f"select * from item where {where}", **params))


def test_dynamic_summary_and_bolding(http):
    [hit] = hits(http, "select * from item where userQuery()", query="ranked")
    body = hit["fields"]["body"]
    # "ranked" and "ranking" stem alike: the index matched the document by it, the snippet shows it
    assert "Phased <hi>ranking</hi> reorders the best hits." in body
    assert body.startswith("<sep />") and body.endswith("<sep />")  # cut before and after
    plain = body.replace("<hi>", "").replace("</hi>", "").replace("<sep />", "")
    assert 200 <= len(plain) <= 256 < len(BODY)  # juniper's length 256
    assert hit["fields"]["title"] == "Phased <hi>ranking</hi> in practice"  # bolding: on
    # Worked by hand from juniperrc's defaults (length 256, max_matches 3, surround_max 128, winsize
    # 200): "ranking" is BODY[549:556]; one group, context min(128, (256 - 7) // 2) = 124 each side,
    # BODY[425:680] moved in to whole words: "9" (428) to "filler" (679), cut off at both ends
    assert body == ("<sep />9 about nothing much. Filler sentence number 10 about nothing much. Filler sentence "
                    "number 11 about nothing much. Phased <hi>ranking</hi> reorders the best hits. More filler "
                    "sentence 0 here. More filler sentence 1 here. More filler sentence 2 here. More filler<sep />")
    # "0" at 23 and 602, "hits" at 575, "11" at 519 and 922: three groups (the best, 519-603 with its 3
    # words, then 23-24 and 922-924, one word each), covering 87; context (256 - 87) // 6 = 28 each
    # side: [0, 51], [496, 630] and [895, 930], in whole words; the text's start and end not cut
    [hit] = hits(http, "select * from item where userQuery()", query="0 hits 11", type="any")
    assert hit["fields"]["body"] == (
        "Filler sentence number <hi>0</hi> about nothing much. Filler<sep />Filler sentence number <hi>11</hi> "
        "about nothing much. Phased ranking reorders the best <hi>hits</hi>. More filler sentence <hi>0</hi> here. "
        "More filler sentence<sep />here. More filler sentence <hi>11</hi> here.")


def test_presentation_bolding_false_turns_the_hi_tags_off(http):
    """Vespa's presentation.bolding=false: the same snippet fragments, without <hi>, separators kept;
    a `bolding: on` field as stored. Both the one-round-trip and the separate fill path."""
    bolded = hits(http, "select * from item where userQuery()", query="ranked")[0]["fields"]
    for extra in ({}, {"ranking.globalPhase.rerankCount": "0", "hits": "1"}):
        [hit] = hits(http, "select * from item where userQuery()", query="ranked",
                     **{"presentation.bolding": "false", **extra})
        assert hit["fields"]["body"] == bolded["body"].replace("<hi>", "").replace("</hi>", "")
        assert "<sep />" in hit["fields"]["body"] and "<hi>" not in hit["fields"]["body"]
        assert hit["fields"]["title"] == "Phased ranking in practice"


def test_tokens_summary_and_dynamic_summary_field_in_a_class(http):
    [hit] = hits(http, "select * from item where title contains \"practice\"", **{"presentation.summary": "short"})
    fields = hit["fields"]
    assert fields["title_tokens"] == ["phase", "rank", "in", "practic"]
    assert fields["title"] == "Phased ranking in <hi>practice</hi>"  # `summary title {}`: the field's bolding
    # the class's fields and sddocname; documentid only where a class lists it (the default does)
    assert set(fields) == {"sddocname", "title", "title_tokens", "snippet", "heading"}
    assert "<hi>" not in fields["snippet"] and fields["snippet"].endswith("<sep />")  # no match: prefix


def test_summary_from_the_first_source_with_a_value(http):
    headings = {h["id"].rsplit(":", 1)[-1]: h["fields"]["heading"]
                for h in hits(http, "select * from item where true", **{"presentation.summary": "short"})}
    assert headings == {"a": "Phased ranking in practice", "b": "A subtitle"}  # source: subtitle, title


def test_matched_elements_only(http):
    [hit] = hits(http, 'select * from item where tags contains "blue"')
    assert hit["fields"]["tags"] == ["blue"]
    [hit] = hits(http, 'select * from item where weights contains "x"')
    assert hit["fields"]["weights"] == {"x": 1}
    assert "tags" not in hit["fields"]  # no element of it matched


def test_select_list_limits_the_fields(http):
    [hit] = hits(http, 'select title, sku from item where sku contains "AB"')
    assert hit["fields"] == {"title": "Unrelated title", "sku": "AB"}
    [hit] = hits(http, 'select * from item where sku contains "AB"')
    assert {"sddocname", "documentid", "title", "body", "sku", "label"} <= set(hit["fields"])


def test_exact_match_with_terminator(http):
    assert ids(http, 'sku contains "ab-12 x"') == ["a"]
    assert ids(http, 'sku contains "ab"') == ["b"]  # the whole value, not a word of it
    assert ids(http, "userQuery()", query="sku:AB-12 x@%", type="all") == ["a"]


def test_word_and_cased_matching(http):
    assert ids(http, 'label contains "new york"') == ["a"]
    assert ids(http, 'label contains "york"') == ["b"]
    assert ids(http, 'code contains "AbC"') == ["a"]
    assert ids(http, 'code contains "abc"') == ["b"]


def test_prefix_on_an_attribute_changes_nothing(http):
    # Vespa: "Has no effect, as attributes always support prefix searches"; a term is the whole value
    assert ids(http, 'brand contains "acme"') == ["a"]


def test_gram_matching(http):
    # gram-size 3: "hi blue" is indexed as "hi", "blu", "lue"; the query "lue" is the gram "lue"
    assert ids(http, 'grams contains "lue"') == ["a"]
    assert ids(http, 'grams contains "blue"') == ["a"]  # "blu" "lue" as a phrase
    assert ids(http, 'grams contains "hig"') == ["b"]


def test_stemming_none(http):
    assert ids(http, 'plain contains "running"') == ["a"]
    assert ids(http, 'plain contains "run"') == ["b"]


def test_normalizing_none_keeps_accents(http):
    assert ids(http, 'accented contains "CAFÉ"') == ["a"]
    assert ids(http, 'accented contains "cafe"') == ["b"]  # not folded: "café" is another word
    # (the language given: "accented:crème" alone is detected as French, the document as English)
    assert ids(http, "userQuery()", query="accented:crème", language="en") == ["a"]
    assert ids(http, "userQuery()", query="accented:creme", language="en") == ["b"]


def test_text_on_an_attribute_tokenizes_queries_without_stemming(http):
    # no word command in Vespa: the query is tokenized, lowercased, not stemmed ("running", not "run")
    assert ids(http, 'spoken contains "Running"') == ["a"]
    assert ids(http, 'spoken contains "run"') == ["b"]


def test_matched_elements_only_keeps_the_elements_a_prefix_item_matched(http):
    found = {h["id"].rsplit(":", 1)[-1]: h["fields"]["tags"]
             for h in hits(http, 'select * from item where tags contains ({prefix: true}"gre")')}
    assert found == {"a": ["green"], "b": ["green"]}
