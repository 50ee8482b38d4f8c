"""Dynamic snippets, bolding, matched elements and tokens (searchlib/snippets.py). Expected
outputs are worked out by hand from Vespa's rules (schema reference `summary`/`bolding`, juniperrc
defaults): the steps are written next to each case."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.linguistics import tokenize
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text
from searchlib.schema.model import Field, FieldSet, FieldType, Schema
from searchlib.snippets import (
    DEFAULT_SNIPPETS, SEP, SnippetConfig, bold, dynamic_snippet, indexed_tokens, matched_elements,
    query_affixes, query_prefixes, query_words,
)

TEXT = "Vespa is a search engine. It ranks documents with phased ranking. Snippets show matched words in context."
SMALL = SnippetConfig(length=40, max_matches=2, surround_max=10, winsize=20)
STRING = FieldType("string")


def words(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def test_bolding_highlights_every_word_the_index_would_match_by_its_stem():
    # "running" stems to "run", as do both "runs": the index finds the document by them
    assert bold("The fox runs and a dog runs too", words("running")) == \
        "The fox <hi>runs</hi> and a dog <hi>runs</hi> too"
    # an unstemmed query word ({stem:false}) matches only the same word, as in the index
    assert bold("The fox runs", frozenset({"running"})) == "The fox runs"
    assert bold("Running FOX", words("fox")) == "Running <hi>FOX</hi>"


def test_a_word_with_combining_marks_or_joined_by_underscores_highlights_whole():
    assert bold("यह हिन्दी है", frozenset(tokenize("हिन्दी", "hi"))) == "यह <hi>हिन्दी</hi> है"
    assert bold("call merge_hits here", words("merge")) == "call <hi>merge_hits</hi> here"


def test_presentation_bolding_false_drops_the_hi_tags_and_keeps_the_separators():
    assert dynamic_snippet(TEXT, words("ranking"), config=SMALL, bolding=False) == \
        "<sep />It ranks<sep />phased ranking<sep />"  # the same fragments as with bolding
    assert dynamic_snippet(TEXT, words("ranking"), bolding=False) == TEXT


def test_a_text_within_the_length_is_returned_whole_and_bolded():
    assert len(TEXT) == 105 <= DEFAULT_SNIPPETS.length
    assert dynamic_snippet(TEXT, words("ranking")) == TEXT.replace("ranks", "<hi>ranks</hi>").replace(
        "ranking.", "<hi>ranking</hi>.")


def test_fragments_around_each_match_within_the_length():
    # matches "ranks" [29,34) and "ranking" [57,64): two groups (35 characters apart > winsize 20);
    # context = min(surround_max 10, (40 - 12) // (2 * 2)) = 7 characters each side:
    # [22,41) widened to whole words -> [26,34) "It ranks"; [50,71) -> [50,64) "phased ranking";
    # text cut before, between and after: <sep /> each time
    assert dynamic_snippet(TEXT, words("ranking"), config=SMALL) == \
        "<sep />It <hi>ranks</hi><sep />phased <hi>ranking</hi><sep />"


def test_the_group_with_most_distinct_query_words_wins():
    # one group allowed: "phased ranking" (2 distinct words within winsize) beats "ranks" (1);
    # context = min(10, (40 - 14) // 2) = 10: [40,74) -> [45,74) "with phased ranking. Snippets"
    config = SnippetConfig(length=40, max_matches=1, surround_max=10, winsize=20)
    assert dynamic_snippet(TEXT, words("phase ranking"), config=config) == \
        "<sep />with <hi>phased</hi> <hi>ranking</hi>. Snippets<sep />"


def test_no_match_gives_the_prefix_cut_at_a_word():
    # prefix: true -> the first 40 characters, back to the end of a whole word ("ranks" ends at 34)
    assert dynamic_snippet(TEXT, words("unrelated"), config=SMALL) == "Vespa is a search engine. It ranks" + SEP
    assert dynamic_snippet(TEXT, words("unrelated"), config=SnippetConfig(length=40, prefix=False)) == ""


def test_default_lengths_on_a_long_text():
    text = " ".join(["filler words here."] * 40 + ["The phased ranking part."] + ["more filler text."] * 40)
    snippet = dynamic_snippet(text, words("ranking"))
    plain = snippet.replace("<hi>", "").replace("</hi>", "").replace(SEP, "")
    assert snippet.startswith(SEP) and snippet.endswith(SEP)
    assert "<hi>ranking</hi>" in snippet
    assert 200 <= len(plain) <= DEFAULT_SNIPPETS.length  # one group: context fills the length
    assert plain.index("ranking") in range(100, 140)  # centred: ~128 characters either side


def test_dense_matches_keep_the_groups_within_the_length():
    # "alpha beta gamma" x 20 (17 characters a unit, "alpha" at 17k) then filler: a group from
    # each "alpha" takes the matches within winsize 200. Best (12 matches, earliest): [0,192).
    # [204,328) and the next ones would pass length 256 with it (192 + 124 ...); [272,328)
    # (4 matches) fits: 192 + 56 = 248. Context = min(128, (256 - 248) // 4) = 2 characters,
    # widened to whole words: [0,192) and [272,328). Before: 3 groups, ~430 characters.
    dense = " ".join(["alpha beta gamma"] * 20)
    text = dense + " " + " ".join(["filler words here."] * 30)
    bolded = lambda start, end: text[start:end].replace("alpha", "<hi>alpha</hi>")  # noqa: E731
    snippet = dynamic_snippet(text, words("alpha"))
    assert snippet == bolded(0, 192) + SEP + bolded(272, 328) + SEP
    plain = snippet.replace("<hi>", "").replace("</hi>", "").replace(SEP, "")
    assert len(plain) <= DEFAULT_SNIPPETS.length


def test_query_words_follow_fieldsets_and_skip_negatives():
    schema = Schema("s", "s", {"title": Field("title", STRING, is_index=True),
                               "body": Field("body", STRING, is_index=True)},
                    fieldsets={"default": FieldSet("default", ("title", "body"))})
    tree = q.And((q.Term("default", "rank"), q.Phrase("body", ("phase", "rank")),
                  q.Not(q.Term("title", "fox"))))
    assert query_words(tree, schema, "body") == {"rank", "phase"}
    assert query_words(tree, schema, "title") == {"rank"}


def test_matched_elements_only():
    tags = Field("tags", FieldType("array", STRING), is_attribute=True, match="word")
    assert matched_elements(["A", "b", "B c"], frozenset({"b"}), tags) == ["b"]
    assert matched_elements(["A"], frozenset({"b"}), tags) is None  # nothing matched: not rendered
    wset = Field("w", FieldType("weightedset", STRING), is_attribute=True, match="word")
    assert matched_elements({"x": 1, "Y": 2}, frozenset({"y"}), wset) == {"Y": 2}
    texts = Field("t", FieldType("array", STRING), is_index=True)
    assert matched_elements(["the fox runs", "a cat"], words("running"), texts) == ["the fox runs"]


def test_prefix_and_substring_items_highlight_the_words_they_begin():
    # Vespa's juniper takes {prefix: true} and {substring: true} words as prefix-like keywords
    # (juniper_query_adapter.cpp): every document word that starts with one is highlighted, whole
    assert bold("We meet at the meeting on Meetings day", frozenset(), prefixes=frozenset({"meet"})) == \
        "We <hi>meet</hi> at the <hi>meeting</hi> on <hi>Meetings</hi> day"
    # a substring's word only where it begins a word: "older", not "gold" or "cold" (juniper's match)
    assert bold("gold and older cold", frozenset(), prefixes=frozenset({"old"})) == "gold and <hi>older</hi> cold"
    # beside plain words; the longest prefix is the match's query word
    assert bold("runs meetings", words("run"), prefixes=frozenset({"me", "meet"})) == \
        "<hi>runs</hi> <hi>meetings</hi>"


def test_affix_items_give_prefixes_and_suffix_fuzzy_items_no_words():
    schema = Schema("s", "s", {"title": Field("title", STRING, is_index=True)})
    tree = q.Or((q.Term("title", "meet", affix="prefix"), q.Term("title", "old", affix="substring"),
                 q.Term("title", "ing", affix="suffix"), q.Fuzzy("title", "fox", 1), q.Term("title", "cat"),
                 q.Not(q.Term("title", "dog", affix="prefix"))))
    assert query_words(tree, schema, "title") == {"cat"}  # an affix item is no whole word to highlight
    assert query_prefixes(tree, schema, "title") == {"meet", "old"}  # suffix, fuzzy: not highlighted
    assert query_affixes(tree, schema, "title") == {("prefix", "meet"), ("substring", "old"), ("suffix", "ing")}


def test_a_dynamic_snippet_is_cut_around_a_prefix_match():
    # "Alpha beta gamma delta. " is 24 characters: "Searching" spans [24, 33), matched by "search".
    # length 40: context = min(surround_max 10, (40 - 9) // 2) = 10, so [14, 43) widened to whole
    # words: 14 is inside "gamma" → the next word, "delta." at 17; 43 is inside "index" → back to
    # the end of "engines" at 41. Cut before and after: <sep /> at both ends.
    text = "Alpha beta gamma delta. Searching engines index documents quickly. Omega psi chi phi."
    assert dynamic_snippet(text, frozenset(), config=SMALL, prefixes=frozenset({"search"})) == \
        "<sep />delta. <hi>Searching</hi> engines<sep />"


def test_matched_elements_only_keeps_the_elements_an_affix_item_matched():
    tags = Field("tags", FieldType("array", STRING), is_attribute=True, match="word")
    assert matched_elements(["red", "green", "Greenish blue"], frozenset(), tags,
                            affixes=frozenset({("prefix", "gre")})) == ["green", "Greenish blue"]
    assert matched_elements(["red", "green"], frozenset(), tags, affixes=frozenset({("suffix", "ed")})) == ["red"]
    texts = Field("t", FieldType("array", STRING), is_index=True)
    assert matched_elements(["a cold day", "warm"], frozenset(), texts,
                            affixes=frozenset({("substring", "ol")})) == ["a cold day"]


def test_tokens_are_the_indexed_terms():
    title = Field("title", STRING, is_index=True)
    assert indexed_tokens("Foxes Running!", title) == ["fox", "run"]
    assert indexed_tokens("Foxes Running!", Field("t", STRING, is_attribute=True, match="word")) == ["foxes running!"]
    assert indexed_tokens(["Foxes", "Running"], title) == [["fox"], ["run"]]


SERVICES = """<services version="1.0">
  <container id="default" version="1.0"><search/></container>
  <content id="c" version="1.0">
    <documents><document type="s" mode="index"/></documents>
    <nodes><node hostalias="n" distribution-key="0"/></nodes>
    <config name="vespa.config.search.summary.juniperrc">
      {settings}
    </config>
  </content>
</services>"""
SD = "schema s { document s { field body type string { indexing: index | summary\n summary: dynamic } } }"


def _content(settings: str):
    return application_from_text(SD, services_xml=SERVICES.format(settings=settings), name="s.sd").content


def test_juniperrc_config_in_services_sets_the_snippet_lengths():
    # the document-summaries guide's example configuration
    content = _content("<max_matches>2</max_matches><length>1000</length>"
                       "<surround_max>500</surround_max><min_length>300</min_length><prefix>false</prefix>")
    config = SnippetConfig.from_settings(content.snippet_settings)
    assert config == SnippetConfig(length=1000, max_matches=2, min_length=300, surround_max=500, prefix=False)
    assert SnippetConfig.from_settings(_content("").snippet_settings) == DEFAULT_SNIPPETS


def test_juniperrc_settings_this_engine_does_not_honour_are_refused():
    with pytest.raises(SchemaError, match="not supported: vespa.config.search.summary.juniperrc <stem_min_length>"):
        _content("<stem_min_length>3</stem_min_length>")
    with pytest.raises(SchemaError, match="<length> must be a positive integer"):
        _content("<length>-1</length>")


def test_words_without_affix_items_are_never_tried_as_prefixes_and_the_tree_is_walked_once(monkeypatch):
    # the cost of snippets on long texts (BENCHMARKS.md, "Snippets without affix items")
    from searchlib import snippets

    def refuse(word, prefixes):
        raise AssertionError("a prefix lookup without prefixes")

    monkeypatch.setattr(snippets, "_prefix_of", refuse)
    assert bold("The fox runs", words("fox")) == "The <hi>fox</hi> runs"
    monkeypatch.undo()
    schema = application_from_text(SD, services_xml=SERVICES.format(settings=""), name="s.sd").schemas["s"]
    walks = []
    collect = snippets._collect
    monkeypatch.setattr(snippets, "_collect", lambda node, *rest: (walks.append(node), collect(node, *rest)))
    tree = q.And((q.Term("body", "fox"), q.Term("body", "ru", affix="prefix")))
    transforms = snippets.summary_transforms(schema, "default", tree)
    assert transforms["body"]("The fox runs") == "The <hi>fox</hi> <hi>runs</hi>"
    assert len(walks) == 3  # the And and its two terms, once for the one snippet field
