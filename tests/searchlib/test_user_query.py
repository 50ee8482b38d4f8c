"""The simple query language behind userQuery(): items, signs, indexes, phrases and query types."""
from __future__ import annotations

from searchlib.match_modes import MatchMode

import pytest
from hypothesis import given, settings, strategies as st

from searchlib.errors import InvalidParameterError
from searchlib.query.tree import And, FalseItem, Not, Or, Phrase, Rank, Term, WeakAnd, terms_of
from searchlib.query.user_query import UserQuerySettings, apply_filter, parse_user_query


def t(term: str, field: str = "default") -> Term:
    return Term(field, term)


def test_default_type_is_weak_and_with_target_hits_100() -> None:
    assert parse_user_query("semantic search") == WeakAnd((t("semant"), t("search")), 100)


@pytest.mark.parametrize(
    ("query_type", "expected"),
    [
        ("all", And((t("cat"), t("dog")))),
        ("web", And((t("cat"), t("dog")))),
        ("any", Or((t("cat"), t("dog")))),
        ("weakAnd", WeakAnd((t("cat"), t("dog")), 100)),
        ("phrase", Phrase("default", ("cat", "dog"))),
        ("tokenize", WeakAnd((t("cat"), t("dog")), 100)),
    ],
)
def test_query_types(query_type: str, expected: object) -> None:
    assert parse_user_query("cats dogs", type=query_type) == expected


def test_single_term_all_and_any_collapse_to_the_term() -> None:
    assert parse_user_query("cats", type="all") == t("cat")
    assert parse_user_query("cats", type="any") == t("cat")


def test_target_hits_and_default_index() -> None:
    assert parse_user_query("cats", target_hits=7, default_index="title") == WeakAnd((t("cat", "title"),), 7)


def test_minus_excludes_and_plus_requires() -> None:
    assert parse_user_query("+a b -c", type="all") == And((t("a"), t("b"), Not(t("c"))))
    assert parse_user_query("+a b -c", type="any") == And((Rank((t("a"), t("b"))), Not(t("c"))))
    assert parse_user_query("+a b -c") == And((Rank((t("a"), WeakAnd((t("b"),), 100))), Not(t("c"))))
    assert parse_user_query("+a +b", type="any") == And((t("a"), t("b")))


def test_sign_followed_by_space_is_not_an_operator() -> None:
    assert parse_user_query("a - b", type="all") == And((t("a"), t("b")))


def test_minus_number_is_the_number() -> None:
    assert parse_user_query("-5 apples", type="all") == And((t("5"), t("appl")))


def test_only_negative_items_is_empty() -> None:
    assert parse_user_query("-cats") == FalseItem()


@pytest.mark.parametrize("text", ["", "   ", "!!! ??", '""'])
def test_empty_query_matches_nothing(text: str) -> None:
    assert parse_user_query(text) == FalseItem()


def test_field_prefix_and_quoted_phrase() -> None:
    node = parse_user_query('title:"heart attacks" text:Dogs', type="all")
    assert node == And((Phrase("title", ("heart", "attack")), t("dog", "text")))


def test_field_prefix_only_for_known_indexes_when_given() -> None:
    node = parse_user_query("title:cats ratio:1", type="all", known_indexes={"title"})
    assert node == And((t("cat", "title"), And((t("ratio"), t("1")))))


def test_words_joined_by_punctuation_are_an_and_like_vespa() -> None:
    """Vespa's parser: an index is not phrase-segmenting unless its query-command says so, so the
    words of `covid-19` or `h2a.z` are an AND (quoted, a phrase); a CJK run is one word."""
    assert parse_user_query("covid-19 vaccines", type="all") == And((And((t("covid"), t("19"))), t("vaccin")))
    assert parse_user_query('"covid-19" vaccines', type="all") == And((Phrase("default", ("covid", "19")), t("vaccin")))
    assert parse_user_query("h2a.z", type="any") == And((t("h2a"), t("z")))
    assert parse_user_query("e.g.北京大学", type="any") == And((t("e"), t("g"), t("北京大学")))


def test_unterminated_quote_runs_to_the_end() -> None:
    assert parse_user_query('"heart attack', type="all") == Phrase("default", ("heart", "attack"))


def test_stem_false_keeps_surface_forms() -> None:
    assert parse_user_query("running", type="all", stem=False) == t("running")


def test_negative_phrase() -> None:
    node = parse_user_query('cats -"big dogs"', type="all")
    assert node == And((t("cat"), Not(Phrase("default", ("big", "dog")))))


def test_filter_terms_are_required_and_unranked() -> None:
    node = apply_filter(parse_user_query("cats", type="all"), "pets -dogs")
    assert node == And((t("cat"), Term("default", "pet", ranked=False, filter=True),
                        Not(Term("default", "dog", ranked=False, filter=True))))
    assert apply_filter(None, "") is None
    unranked = [Term("default", word, ranked=False, filter=True) for word in ("h2a", "z")]
    assert apply_filter(None, "h2a.z") == And(tuple(unranked))


def test_unknown_type_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError):
        parse_user_query("cats", type="fuzzy")


def test_settings_from_parameters_reads_full_names_and_aliases() -> None:
    settings = UserQuerySettings.from_parameters(
        {"query": "a", "type": "all", "default-index": "title", "filter": "+x"}
    )
    assert settings == UserQuerySettings(query="a", type="all", default_index="title", filter="+x")
    full = UserQuerySettings.from_parameters({"model.queryString": "b", "query": "a", "model.type": "any"})
    assert (full.query, full.type) == ("b", "any")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.sampled_from(["all", "any", "weakAnd", "phrase", "tokenize"]))
def test_any_text_parses_and_every_term_is_normalized(text: str, query_type: str) -> None:
    node = parse_user_query(text, type=query_type)
    for item in terms_of(node):
        words = item.terms if isinstance(item, Phrase) else (item.term,)
        assert all(word and word == word.lower() for word in words)


@given(st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), min_size=1, max_size=6))
def test_all_terms_of_plain_words_appear_in_query_order(words: list[str]) -> None:
    node = parse_user_query(" ".join(words), type="all")
    assert len(terms_of(node)) == len(words)


def test_attribute_items_are_taken_whole_with_affixes_and_range_syntax() -> None:
    exact = {"name": MatchMode(kind="word"), "cased": MatchMode(kind="word", cased=True), "ids": MatchMode(kind="word")}
    tree = parse_user_query('name:"Space Station" cased:Spa* ids:[2;6] name:*ace* name:*ion title:Space-Station',
                            type="all", match_modes=exact,
                            known_indexes={"name", "cased", "ids", "title"}, stem=False)
    assert tree == And((Term("name", "space station"), Term("cased", "Spa", affix="prefix"), Term("ids", "[2;6]"),
                        Term("name", "ace", affix="substring"), Term("name", "ion", affix="suffix"),
                        And((Term("title", "space"), Term("title", "station")))))
    assert parse_user_query("*", type="all", match_modes=exact, default_index="name") == Term("name", "*")


def test_a_star_after_a_word_is_a_prefix_on_any_index() -> None:
    # Vespa's PrefixItem, whatever the index (its QueryValidator refuses it on an index field):
    # never the whole word with the `*` dropped
    assert parse_user_query("title:Ab* cd*", type="all") == And((Term("title", "ab", affix="prefix"),
                                                                  Term("default", "cd", affix="prefix")))
    assert parse_user_query('"ab*"', type="all") == Term("default", "ab")  # quoted: text
