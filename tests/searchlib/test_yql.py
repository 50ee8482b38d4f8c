"""YQL → ParsedYql: statement clauses, leaves, annotations, booleans and userQuery()."""
from __future__ import annotations

import pytest

from searchlib.errors import InvalidParameterError, QueryError
from searchlib.query.field_checks import nearest_neighbor_check
from searchlib.query.tree import (
    And, FalseItem, NearestNeighbor, Not, Or, Phrase, Range, Rank, SortKey, Term, TrueItem, WeakAnd,
)
from searchlib.query.user_query import UserQuerySettings
from searchlib.query.vespa_form import vespa_string
from searchlib.query.yql import parse_yql


def where(condition: str, **kwargs: object) -> object:
    return parse_yql(f"select * from sources * where {condition}", **kwargs).where  # type: ignore[arg-type]


# --- statement ----------------------------------------------------------------------------------


def test_full_statement_clauses() -> None:
    parsed = parse_yql(
        "select title, text from sources music, books where true "
        "order by year desc, price, '[relevance]' asc limit 20 offset 5 timeout 200"
    )
    assert parsed.select_fields == ("title", "text")
    assert parsed.sources == ("music", "books")
    assert parsed.where == TrueItem()
    assert parsed.order_by == (SortKey("year", False), SortKey("price", True), SortKey("[relevance]", True))
    assert (parsed.limit, parsed.offset, parsed.timeout_ms) == (20, 5, 200.0)
    assert parsed.grouping == ""


def test_select_star_from_sources_star_and_plain_source_name() -> None:
    assert parse_yql("select * from sources * where true").sources == ("*",)
    assert parse_yql("select * from music where true").sources == ("music",)
    assert parse_yql("select * from music where true").select_fields == ("*",)


def test_vespa_source_forms() -> None:
    assert parse_yql("select * from sources c1.*, c2.* where true").sources == ("c1", "c2")
    assert parse_yql("select * from source-a where true").sources == ("source-a",)
    assert parse_yql("select * from sources where true").sources == ("*",)
    with pytest.raises(QueryError, match="column 17"):  # a dash with blanks around joins nothing
        parse_yql("select * from a - b where true")


def test_unset_clauses_are_none() -> None:
    parsed = parse_yql("select * from sources * where false;")
    assert parsed.where == FalseItem()
    assert (parsed.limit, parsed.offset, parsed.timeout_ms, parsed.order_by) == (None, None, None, ())


def test_keywords_are_case_insensitive() -> None:
    parsed = parse_yql('SELECT * FROM sources * WHERE title CONTAINS "a" AND b CONTAINS "c" LIMIT 3')
    assert parsed.where == And((Term("title", "a"), Term("b", "c")))
    assert parsed.limit == 3


def test_order_by_bracket_relevance_and_sort_annotation() -> None:
    parsed = parse_yql(
        'select * from sources * where true order by {function:"uca",locale:"en_US"}name desc, [relevance]'
    )
    assert parsed.order_by == (SortKey("name", False, "uca", "", "en_US"), SortKey("[relevance]", True))


def test_grouping_is_kept_as_raw_text() -> None:
    parsed = parse_yql(
        'select * from music where title contains "a|b" limit 0 | all(group(year) max(10) '
        "order(-count()) each(output(count()) max(3) each(output(summary()))))"
    )
    assert parsed.limit == 0
    assert parsed.where == Phrase("title", ("a", "b"))  # the '|' inside the string is text
    assert parsed.grouping.startswith("all(group(year) max(10) order(-count())")
    assert parsed.grouping.endswith("each(output(summary()))))")


# --- contains and linguistics ------------------------------------------------------------------------


def test_contains_single_word_is_a_stemmed_term() -> None:
    assert where('title contains "Running"') == Term("title", "run")


def test_contains_multiple_tokens_becomes_a_phrase() -> None:
    assert where('title contains "Heart Attacks"') == Phrase("title", ("heart", "attack"))


def test_contains_stem_false_keeps_the_surface_form() -> None:
    assert where('title contains ({stem:false}"Running")') == Term("title", "running")


def test_term_annotations() -> None:
    node = where('title contains ({weight: 200, label: "t", ranked: false, filter: true}"cats")')
    assert node == Term("title", "cat", weight=200, label="t", ranked=False, filter=True)


def test_annotation_before_the_field_applies_to_the_term() -> None:
    assert where('{weight:300}title contains "cats"') == Term("title", "cat", weight=300)


def test_phrase_function_concatenates_tokens() -> None:
    node = where('title contains ({label:"p"}phrase("New York", "times"))')
    assert node == Phrase("title", ("new", "york", "time"), label="p")


def test_contains_without_word_characters_is_empty_and_dropped() -> None:
    assert where('title contains "..." and text contains "b"') == Term("text", "b")
    assert where('title contains "!!"') == FalseItem()


def test_exact_match_fields_are_not_tokenized_or_stemmed() -> None:
    node = where('genre contains "Rock and Roll"', exact_match_fields={"genre"})
    assert node == Term("genre", "rock and roll")


def test_string_escapes_and_single_quotes() -> None:
    assert where("title contains 'caf\\u00e9'") == Term("title", "cafe")
    assert where('title contains "say \\"hi\\""') == Phrase("title", ("say", "hi"))


# --- numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("year = 2000", Range("year", 2000.0, 2000.0)),
        ("year < 2000", Range("year", None, 2000.0, high_inclusive=False)),
        ("year <= 2000", Range("year", None, 2000.0)),
        ("year > 2000", Range("year", 2000.0, None, low_inclusive=False)),
        ("year >= 2000", Range("year", 2000.0, None)),
        ("2000 < year", Range("year", 2000.0, None, low_inclusive=False)),
        ("price > -1.5", Range("price", -1.5, None, low_inclusive=False)),
        ("ts >= 1700000000000L", Range("ts", 1.7e12, None)),
        ("x < 1e3", Range("x", None, 1000.0, high_inclusive=False)),
        ("flag = true", Range("flag", 1.0, 1.0)),
    ],
)
def test_comparisons(condition: str, expected: Range) -> None:
    assert where(condition) == expected


def test_range_with_bounds_and_infinity() -> None:
    assert where("range(year, 2000, 2010)") == Range("year", 2000.0, 2010.0)
    assert where("range(year, -Infinity, 2010)") == Range("year", None, 2010.0)
    assert where("range(year, 2000, Infinity)") == Range("year", 2000.0, None)
    assert where('{bounds:"leftOpen"}range(y, 1, 2)') == Range("y", 1.0, 2.0, low_inclusive=False)
    assert where('{bounds:"rightOpen"}range(y, 1, 2)') == Range("y", 1.0, 2.0, high_inclusive=False)
    assert where('{bounds:"open", label:"r"}range(y, 1, 2)') == Range("y", 1.0, 2.0, False, False, "r")


def test_integer_literals_are_64_bit_with_or_without_the_long_suffix() -> None:
    assert where("ts > 3000000000") == where("ts > 3000000000L") == Range("ts", 3e9, None, low_inclusive=False)
    with pytest.raises(QueryError, match="64-bit"):
        where("ts > 9223372036854775808")


# --- booleans and operators --------------------------------------------------------------------------


def test_and_binds_tighter_than_or() -> None:
    node = where('a contains "x" or b contains "y" and c contains "z"')
    assert node == Or((Term("a", "x"), And((Term("b", "y"), Term("c", "z")))))


def test_parentheses_and_not() -> None:
    node = where('(a contains "x" or b contains "y") and !(c contains "z")')
    assert node == And((Or((Term("a", "x"), Term("b", "y"))), Not(Term("c", "z"))))


def test_weak_and_with_and_without_target_hits() -> None:
    assert where('weakAnd(a contains "x", b contains "y")') == WeakAnd((Term("a", "x"), Term("b", "y")), 100)
    node = where('({targetHits: 7}weakAnd(a contains "x"))')
    assert node == WeakAnd((Term("a", "x"),), 7)


def test_rank_keeps_all_children_in_order() -> None:
    node = where('rank(a contains "x", b contains "y", c contains "z")')
    assert node == Rank((Term("a", "x"), Term("b", "y"), Term("c", "z")))


def test_nearest_neighbor_with_all_annotations() -> None:
    node = where(
        '({targetHits:10, approximate:false, label:"q", hnsw.exploreAdditionalHits: 5, '
        "distanceThreshold: 0.5}nearestNeighbor(embedding, q))"
    )
    assert node == NearestNeighbor("embedding", "q", 10, False, 5, 0.5, "q")


def test_nearest_neighbor_defaults() -> None:
    node = where("{targetHits: 100}nearestNeighbor(embedding, q)")
    assert node == NearestNeighbor("embedding", "q", 100)


def test_nearest_neighbor_without_target_hits_parses_and_is_refused_by_the_check() -> None:
    """As Vespa: the parser takes it (target 0), ValidateNearestNeighborSearcher refuses it."""
    node = where("nearestNeighbor(embedding, q)")
    assert node == NearestNeighbor("embedding", "q", 0)
    assert vespa_string(node) == "NEAREST_NEIGHBOR {field=embedding,queryTensorName=q}"
    assert nearest_neighbor_check(node) == (
        "NEAREST_NEIGHBOR {field=embedding,queryTensorName=q} has invalid targetHits 0: Must be >= 1")
    assert nearest_neighbor_check(where("{targetHits: 1}nearestNeighbor(embedding, q)")) is None


def test_keywords_may_follow_a_number_without_a_space() -> None:
    parsed = parse_yql('select * from sources * where title contains "x" limit 31offset 7')
    assert (parsed.limit, parsed.offset) == (31, 7)
    with pytest.raises(QueryError, match="Unexpected character"):
        parse_yql('select * from sources * where price < 1.2.3')


def test_nearest_neighbor_total_target_hits_and_hnsw_tuning_round_trip_the_wire() -> None:
    from searchlib.wire.query_codec import decode_query, encode_query
    total = where("{totalTargetHits: 100, minTargetHits: 120}nearestNeighbor(e, q)")
    assert total == NearestNeighbor("e", "q", 120, total_target_hits=100, min_target_hits=120)
    tuned = where("{targetHits: 10, hnsw.postFilterThreshold: 0.9, hnsw.approximateThreshold: 1}nearestNeighbor(e, q)")
    assert tuned.hnsw == (("hnsw.approximateThreshold", 1.0), ("hnsw.postFilterThreshold", 0.9))
    assert [decode_query(encode_query(n)) for n in (total, tuned)] == [total, tuned]
    with pytest.raises(QueryError, match="non-negative number"):
        where("{targetHits: 10, hnsw.explorationSlack: -1}nearestNeighbor(e, q)")


def test_hybrid_idiom() -> None:
    node = where("userQuery() or ({targetHits:100}nearestNeighbor(embedding, q))", parameters={"query": "cats"})
    assert node == Or((WeakAnd((Term("default", "cat"),), 100), NearestNeighbor("embedding", "q", 100)))


# --- parameters and user input -----------------------------------------------------------------------


def test_parameter_substitution() -> None:
    node = where("title contains @q and year > @y", parameters={"q": "dogs", "y": "1990"})
    assert node == And((Term("title", "dog"), Range("year", 1990.0, None, low_inclusive=False)))


def test_parameter_substitution_in_annotations() -> None:
    node = where("{targetHits: @k}nearestNeighbor(e, q)", parameters={"k": "25"})
    assert isinstance(node, NearestNeighbor) and node.target_hits == 25


def test_user_query_uses_query_type_and_default_index_parameters() -> None:
    node = where("userQuery()", parameters={"query": "cats dogs", "type": "all", "model.defaultIndex": "title"})
    assert node == And((Term("title", "cat"), Term("title", "dog")))


def test_user_query_full_parameter_names_win_over_aliases() -> None:
    node = where("userQuery()", parameters={"query": "cats", "model.queryString": "dogs"})
    assert node == WeakAnd((Term("default", "dog"),), 100)


def test_user_query_settings_argument_overrides_parameters() -> None:
    settings = UserQuerySettings(query="+cats -dogs", type="all")
    node = where("userQuery()", parameters={"query": "ignored"}, user_query=settings)
    assert node == And((Term("default", "cat"), Not(Term("default", "dog"))))


def test_empty_user_query_is_dropped_or_matches_nothing() -> None:
    assert where("userQuery()") == FalseItem()
    assert where('userQuery() and year > 5', parameters={"query": "  "}) == Range("year", 5.0, None, low_inclusive=False)
    node = where("userQuery() or ({targetHits:10}nearestNeighbor(e, q))")
    assert node == NearestNeighbor("e", "q", 10)


def test_user_query_with_filter_parameter() -> None:
    node = where("userQuery()", parameters={"query": "cats", "filter": "+pets -dogs"})
    assert node == And((
        WeakAnd((Term("default", "cat"),), 100),
        Term("default", "pet", ranked=False, filter=True),
        Not(Term("default", "dog", ranked=False, filter=True)),
    ))


def test_user_input_with_grammar_default_index_and_target_hits() -> None:
    node = where('{grammar:"any", defaultIndex:"title"}userInput(@q)', parameters={"q": "cats dogs"})
    assert node == Or((Term("title", "cat"), Term("title", "dog")))
    node = where("{targetHits: 3}userInput(@q)", parameters={"q": "cats"})
    assert node == WeakAnd((Term("default", "cat"),), 3)
    assert where('userInput("heart attack")') == WeakAnd((Term("default", "heart"), Term("default", "attack")), 100)


def test_user_input_raw_and_segment_grammars_take_the_text_as_a_contains_string() -> None:
    """Vespa's buildTextInput: {grammar: "raw"} makes the whole text one word (no tokenizing, no query
    syntax), {grammar: "segment"} its words one phrase segment (one word: a term), in the defaultIndex
    with the annotations' weight, label, ranked, filter; grammar.composite does not apply."""
    assert where('{grammar: "raw", defaultIndex: "title"}userInput("New York -x")') == Term("title", "new york -x")
    assert where('{grammar: "raw"}userInput(@q)', parameters={"q": "Cats"}) == Term("default", "cats")
    segment = where('{grammar: "segment", defaultIndex: "title", grammar.composite: "or", weight: 300, '
                    'label: "l", ranked: false}userInput("New York -x")')
    assert segment == Phrase("title", ("new", "york", "x"), 300, "l", ranked=False) and segment.segment
    assert where('{grammar: "segment"}userInput("cats")') == Term("default", "cat")  # stemmed, as contains
    assert where('{grammar: "segment", stem: false}userInput("cats")') == Term("default", "cats")
    assert where('{grammar: "raw", allowEmpty: true}userInput("")') == FalseItem()
    with pytest.raises(QueryError, match="only resulted in NullItem"):
        where('{grammar: "segment"}userInput("-")')


def test_user_input_grammar_syntax_and_composite_as_vespa() -> None:
    """grammar.syntax "none": no character is query syntax; grammar.composite: how the items combine
    (and, or, weakAnd, phrase), over `grammar` (Vespa's YqlParserTestCase: none + phrase → one phrase)."""
    assert where('{grammar.syntax: "none", grammar.composite: "phrase"}userInput("new york")') == \
        Phrase("default", ("new", "york"))
    assert where('{grammar.composite: "and"}userInput("a -b")') == \
        And((Term("default", "a"), Not(Term("default", "b"))))
    assert where('{grammar.syntax: "none", grammar: "all", grammar.composite: "or"}userInput("a -b")') == \
        Or((Term("default", "a"), Term("default", "b")))
    for bad in ('{grammar.syntax: "json"}userInput("a")', '{grammar.composite: "xor"}userInput("a")'):
        with pytest.raises(QueryError, match="must be one of"):
            where(bad)


def test_user_input_label_goes_on_every_term_and_phrase_it_makes() -> None:
    """Vespa's YqlParser.AnnotationPropagator: the label goes on the outermost labelable item of each
    branch (terms, phrases, negated ones too), not on the composites and not into a phrase's words."""
    assert where('{label: "l"}userInput(@q)', parameters={"q": 'cats -dogs "new york"'}) == And((
        WeakAnd((Term("default", "cat", label="l"), Phrase("default", ("new", "york"), label="l")), 100),
        Not(Term("default", "dog", label="l"))))
    assert where('{label: "l", grammar: "any"}userInput("a b")') == \
        Or((Term("default", "a", label="l"), Term("default", "b", label="l")))
    assert where('userInput("a")') == WeakAnd((Term("default", "a"),), 100)


def test_user_input_total_target_hits_as_weak_and() -> None:
    assert where("{totalTargetHits: 7}userInput(@q)", parameters={"q": "a b"}) == \
        WeakAnd((Term("default", "a"), Term("default", "b")), 7, 7)
    assert where("{targetHits: 3, totalTargetHits: 7}userInput(@q)", parameters={"q": "a"}) == \
        WeakAnd((Term("default", "a"),), 3)


def test_user_input_missing_parameter_is_empty_only_when_allowed() -> None:
    """Vespa refuses a userInput without words unless {allowEmpty: true} (then it is no item)."""
    assert where("{allowEmpty: true}userInput(@nothing)") == FalseItem()
    with pytest.raises(QueryError, match="only resulted in NullItem"):
        where("userInput(@nothing)")


def test_invalid_model_type_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError, match="model.type"):
        where("userQuery()", parameters={"query": "x", "type": "bogus"})


def test_infinity_bound_in_a_comparison_is_unbounded() -> None:
    assert where("x > -Infinity") == Range("x", None, None, low_inclusive=False)


def test_range_literals_print_as_vespa_longs_doubles_and_bools() -> None:
    shown = [vespa_string(where(c)) for c in ("range(p, 0.0, 500)", "p > 2.5", "p = 3", "flag = true",
                                              "bools[2] = false")]
    assert shown == ["p:[0.0;500]", "p:>2.5", "p:3", "flag:true", "bools[2]:{false}"]
    assert where("flag = true") == Range("flag", 1.0, 1.0)  # the same numeric range as 1


def test_labeled_is_a_one_child_rank_with_a_label_score() -> None:
    from searchlib.wire.query_codec import decode_query, encode_query
    node = where('labeled(a contains "x" or b contains "y", "my \\"l\\"", 3)')
    assert node == Rank((Or((Term("a", "x"), Term("b", "y"))),), 'my "l"', 3.0)
    assert decode_query(encode_query(node)) == node
    for bad, column in (('labeled(a contains "x", "l")', 58), ('labeled(a contains "x", "l", "s")', 60),
                        ('labeled(a contains "x", l, 2)', 55)):
        with pytest.raises(QueryError) as raised:
            where(bad)
        assert raised.value.location.column == column


def test_one_string_of_several_words_is_a_segment_phrase_and_phrase_is_not() -> None:
    from searchlib.wire.query_codec import decode_query, encode_query
    segment, phrase = where("title contains 'foo.bar'"), where('title contains phrase("foo", "bar")')
    assert segment == Phrase("title", ("foo", "bar"), segment=True) and not phrase.segment
    assert (vespa_string(segment), vespa_string(phrase)) == ("title:'foo bar'", 'title:"foo bar"')
    assert decode_query(encode_query(segment)) == segment


def test_weak_and_total_target_hits_is_every_nodes_target() -> None:
    from searchlib.wire.query_codec import decode_query, encode_query
    node = where('{totalTargetHits: 37}weakAnd(a contains "x", b contains "y")')
    assert node == WeakAnd((Term("a", "x"), Term("b", "y")), 37, 37)
    assert vespa_string(node) == "WEAKAND {totalTargetHits=37} a:x b:y"
    assert decode_query(encode_query(node)) == node
    assert where('{targetHits: 5, totalTargetHits: 37}weakAnd(a contains "x")').target_hits == 5


def test_a_phrase_segment_nested_in_a_phrase_matches_as_its_words_and_prints_quoted() -> None:
    yql = ('select * from sources * where baz contains phrase("a", "b", '
           '[{origin: {original: "c d", offset: 0, length: 3}}]phrase("c", "d"))')
    node = parse_yql(yql, stem=False).where
    assert node == Phrase("baz", ("a", "b", "c", "d"))  # the same phrase to match
    assert vespa_string(node) == "baz:\"a b 'c d'\""
    flat = parse_yql('select * from sources * where baz contains phrase("a", "b", phrase("c", "d"))', stem=False)
    assert vespa_string(flat.where) == 'baz:"a b c d"'
