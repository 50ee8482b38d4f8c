"""Annotated and parenthesised numbers, annotations on groups, and the older `[{...}]` form."""
from __future__ import annotations

import pytest

from searchlib.errors import QueryError
from searchlib.query.tree import (
    And, Equiv, Fuzzy, WeakAnd, In, Or, Phrase, Range, Regex, SameElement, Term, TrueItem, FalseItem, Not, WeightedTokens, equiv_alternatives, equiv_key,
    item_words, rank_terms, terms_of,
)
from searchlib.query.vespa_form import vespa_string
from searchlib.query.yql import parse_yql
from searchlib.wire.query_codec import decode_query, encode_query


def where(condition: str) -> object:
    return parse_yql(f"select * from sources * where {condition}").where


@pytest.mark.parametrize("condition, expected", [
    ("price < (-500)", Range("price", None, -500.0, high_inclusive=False)),
    ("(-500) < price", Range("price", -500.0, None, low_inclusive=False)),
    ("price > ({filter: true}500)", Range("price", 500.0, None, low_inclusive=False, filter=True)),
    ("({filter: true}(-500)) >= price", Range("price", None, -500.0, filter=True)),
    ("price = ({id: 3}({label: \"p\"}(7)))", Range("price", 7.0, 7.0, label="p")),
    ("([{filter: true}](-500)) >= price", Range("price", None, -500.0, filter=True)),
    ("{filter: true}(500) < price", Range("price", 500.0, None, low_inclusive=False, filter=True)),
    ("price <= ({hitLimit: 89}(-549755813888L))", Range("price", None, -549755813888.0, hit_limit=89)),
])
def test_annotated_and_parenthesised_numbers(condition: str, expected: Range) -> None:
    assert where(condition) == expected


def test_a_parenthesised_group_is_still_a_group() -> None:
    assert where('(a contains "x" or (b contains "y")) and (c > 1)') == And((
        Or((Term("a", "x"), Term("b", "y"))), Range("c", 1.0, None, low_inclusive=False)))


def test_filter_shows_in_vespa_form_and_survives_the_wire() -> None:
    node = where("({filter: true}500) < price")
    assert vespa_string(node) == "|price:>500"
    assert decode_query(encode_query(node)) == node


def test_affix_words_are_unstemmed_show_in_vespa_form_and_survive_the_wire() -> None:
    node = where('f contains ({prefix: true}"Colors") and f contains ({substring: true}"a") and '
                 'f contains ({suffix: true}"b")')
    assert node == And((Term("f", "colors", affix="prefix"), Term("f", "a", affix="substring"),
                        Term("f", "b", affix="suffix")))
    assert vespa_string(node) == "AND f:colors* f:*a* f:*b"
    assert decode_query(encode_query(node)) == node
    with pytest.raises(QueryError, match="Only one of prefix, substring and suffix can be set"):
        where('f contains ({suffix: true, prefix: true}"colors")')


def test_group_annotations_reach_every_word_and_the_innermost_wins() -> None:
    node = where('{ranked: false}(a contains "x" and ({ranked: true}(b contains "y" or c contains "z")))')
    assert node == And((Term("a", "x", ranked=False), Or((Term("b", "y"), Term("c", "z")))))
    outside = where('({filter: true}(a contains "x")) and b contains "y"')
    assert outside == And((Term("a", "x", filter=True), Term("b", "y")))


def test_older_annotation_form_on_words() -> None:
    assert where('title contains ([{weight: 150}]"x")') == Term("title", "x", 150)


@pytest.mark.parametrize("condition", [
    "price < (-500", "price < ({filter: true})", "(500) price", "price < ({filter: tru}500)",
    "({ranked: false}(a contains \"x\")",
])
def test_malformed_numbers_and_groups_are_located_errors(condition: str) -> None:
    with pytest.raises(QueryError) as error:
        where(condition)
    assert error.value.location is not None


@pytest.mark.parametrize("yql", [
    "select * from sources * where // false\n true",
    "select * from sources * where # false\n true",
    "select * from sources * where /* false */ true",
    "select * from sources * where true /* | all(group(a)) */",
])
def test_comments_are_blanks(yql: str) -> None:
    parsed = parse_yql(yql)
    assert parsed.where == TrueItem() and parsed.grouping == ""


def test_comment_markers_inside_strings_are_text_and_open_comments_are_located() -> None:
    assert where('a contains "x#y"') == Phrase("a", ("x", "y"))
    with pytest.raises(QueryError, match="Unterminated comment at column 36"):
        parse_yql("select * from sources * where true /* open")


def test_in_lists_with_parameters_and_the_type_rules() -> None:
    parameters = {"foostring": "'this', \"might\", work ", "foonumeric": "26, 25, -11, 24 "}
    numbers = parse_yql("select * from sources * where field in (42, 22L, -7, @foonumeric)", parameters=parameters)
    # a set, in order (as Vespa's NumericInItem/StringInItem, which its serializer prints sorted)
    assert numbers.where == In("field", ("-11", "-7", "22", "24", "25", "26", "42"), True)
    strings = parse_yql("select * from sources * where string in ('a','B', @foostring)", parameters=parameters)
    assert strings.where == In("string", ("a", "b", "might", "this", "work"), False)
    assert decode_query(encode_query(strings.where)) == strings.where
    for bad, message in [("field in (29.9)", "integers or strings"), ("s in ('a', 25L)", "not both"),
                         ("s in ()", "at least one value")]:
        with pytest.raises(QueryError, match=message):
            where(bad)


def test_equiv_words_rank_as_one_combined_term() -> None:
    node = where('f contains ({weight: 50}equiv("NY", "nyc", "ny"))')
    assert node == Equiv("f", ("ny", "nyc"), 50)
    assert vespa_string(node) == "EQUIV f:ny f:nyc"
    assert terms_of(node) == [Term("f", equiv_key(("ny", "nyc")), 50)]
    assert equiv_alternatives(equiv_key(("ny", "nyc"))) == ("ny", "nyc")
    assert decode_query(encode_query(node)) == node
    for bad, message in [('f contains equiv("a")', "2 or more"), ('f contains equiv("a", 42)', "Expected a string")]:
        with pytest.raises(QueryError, match=message):
            where(bad)


def test_alternatives_inside_a_phrase_inside_equiv_keep_their_place() -> None:
    """The phrase stands as one word of the equiv, its alternatives as one word of the phrase (their
    own mark, so the keys split back unambiguously: plain_words, the content node's postings)."""
    from searchlib.query.tree import phrase_key, phrase_words, plain_words
    node = where('f contains equiv("a", phrase("b", alternatives({c: 1, d: 0.5})))')
    inner = equiv_key(("c", "d"), inner=True)
    assert node == Equiv("f", ("a", phrase_key(("b", inner))))
    assert equiv_alternatives(equiv_key(("a", phrase_key(("b", inner))))) == ("a", phrase_key(("b", inner)))
    assert phrase_words(node.terms[1]) == ("b", inner) and equiv_alternatives(inner) == ("c", "d")
    assert plain_words(terms_of(node)[0].term) == ["a", "b", "c", "d"]
    assert decode_query(encode_query(node)) == node


def test_phrases_and_equivs_stand_as_one_word_in_equiv_and_near() -> None:
    from searchlib.query.tree import Near, phrase_key, phrase_words
    equiv = where('f contains equiv("ny", phrase("new", "york"), "new-york")')
    assert equiv == Equiv("f", ("ny", phrase_key(("new", "york"))))  # "new-york" is the same phrase
    assert vespa_string(equiv) == 'EQUIV f:ny f:"new york"'
    assert phrase_words(phrase_key(("new", "york"))) == ("new", "york")
    near = where("f contains ({distance: 5}onear('a-b', 'c', !equiv('d', 'e')))")
    assert near == Near("f", (phrase_key(("a", "b")), "c"), (equiv_key(("d", "e")),), 5, 3, True)
    assert vespa_string(near) == "ONEAR(5,1,3) f:'a b' f:c (EQUIV f:d f:e)"
    assert decode_query(encode_query(near)) == near


def test_weighted_token_operators_parse_to_vespa_trees() -> None:
    wand = where('{scoreThreshold: 13, targetHits: 7, thresholdBoostFactor: 2} wand(d, {"a": 1, "b": 2})')
    assert wand == WeightedTokens("wand", "d", (("a", 1), ("b", 2)), 7, 13.0, 2.0)
    assert vespa_string(wand) == 'WAND(7) {scoreThreshold=13.0, thresholdBoostFactor=2.0} d{[1]:"a",[2]:"b"}'
    assert decode_query(encode_query(wand)) == wand
    assert vespa_string(where("wand(d, [[11L, 1], [37, 2]])")) == 'WAND d{[1]:"11",[2]:"37"}'
    assert vespa_string(where('dotProduct(d, {"A": 2})')) == 'DOTPRODUCT d{[2]:"a"}'
    for bad, message in [('weightedSet(d, {"a": g})', "an integer weight"), ("weightedSet(d)", "Expected ','"),
                         ("wand(d, 12)", "a map"), ('dotProduct(d, {"a": 1.5})', "Weights must be integers")]:
        with pytest.raises(QueryError, match=message):
            where(bad)


def test_hit_limit_sign_follows_vespa() -> None:
    limits = {q: where(q).hit_limit for q in [
        "{hitLimit: -38}range(f, 0, 1)", "{hitLimit: 38, ascending: true}range(f, 0, 1)",
        "{hitLimit: 38, ascending: false}range(f, 0, 1)", "{hitLimit: 38, descending: false}range(f, 0, 1)",
        "f <= ({hitLimit: 89}(-500))"]}
    assert list(limits.values()) == [-38, 38, -38, 38, 89]
    node = where("{hitLimit: 5000, descending: true}range(s, 0, Infinity)")
    assert vespa_string(node) == "s:[0;;-5000]" and decode_query(encode_query(node)) == node
    with pytest.raises(QueryError, match="both ascending and descending"):
        where("{hitLimit: 38, ascending: true, descending: false}range(f, 0, 1)")


def test_fuzzy_bounds_and_the_equiv_mark_never_comes_from_user_text() -> None:
    assert where('f contains ({maxEditDistance: 3, prefixLength: 1, prefix: true}fuzzy("Alpha"))') == Fuzzy(
        "f", "alpha", 3, 1, True)
    with pytest.raises(QueryError, match="at most 16"):
        where('f contains ({maxEditDistance: 17}fuzzy("a"))')
    exact = parse_yql('select * from sources * where f contains "\x1fa\x1fb"', exact_match_fields=["f"]).where
    assert exact == Term("f", "ab")


def test_connectivity_must_name_an_item_id_of_the_query() -> None:
    ok = ('title contains ({id: 1, connectivity: {"id": 2, weight: 7.0}}"a") and '
          'title contains ({id: 2}equiv("b", "c"))')
    assert where(ok) is not None
    with pytest.raises(QueryError, match="item with id 4") as raised:
        where('title contains ({id: 1, connectivity: {id: 4, weight: 7.0}}"a") and title contains ({id: 2}"b")')
    assert raised.value.location.column == 55


@pytest.mark.parametrize("condition, printed, term", [
    ("price = ({weight: 1}223)", "price:223!1", Term("price", "223", 1)),
    ("({weight: 7}200) > price", "price:<200!7", Term("price", "<200", 7)),
    ("price >= 2.5", "price:[2.5;]", Term("price", "[2.5;]")),
    ('{weight: 40, bounds: "leftOpen"}range(price, 1, 5)', "price:<1;5]!40", Term("price", "<1;5]", 40)),
    ("flag = true", "flag:true", Term("flag", "1")),
    ("price = ({filter: true}3)", "|price:3", Term("price", "3", filter=True)),
    ("{ranked: false}(price > 3)", "price:>3", Term("price", ">3", ranked=False)),
    ("{ranked: false}range(price, 1, 2)", "price:[1;2]", Term("price", "[1;2]", ranked=False)),
])
def test_numeric_items_are_weighted_rank_terms(condition: str, printed: str, term: Term) -> None:
    """As Vespa's IntItem: the weight shows as `!w`, survives the wire, and the item ranks as a
    term whose text is the number or range (filter and unranked items are no rank terms)."""
    node = where(condition)
    assert vespa_string(node) == printed
    assert decode_query(encode_query(node)) == node
    assert terms_of(node) == [term]
    assert terms_of(where(f"!({condition}) and a contains \"x\"")) == [Term("a", "x")]  # negatives never rank


def test_implicit_transforms_off_keeps_the_word_as_written() -> None:
    """{implicitTransforms: false}: no segmenting or stemming (Vespa's YqlParser), only case folded."""
    assert where('a contains ({implicitTransforms: false}"Install_Apps")') == Term("a", "install_apps")
    assert where('a contains "install_apps"') == Phrase("a", ("instal", "app"))  # stemmed words


def test_fuzzy_regex_and_same_element_items_are_query_terms_in_query_order() -> None:
    """Vespa's FuzzyItem and RegExpItem are terms (queryTermCount, term(n)); a sameElement is a
    term itself (ProtonSameElement), before its positive descendants, terms on the struct field's
    sub-fields; its negated ones are not."""
    node = where('a contains "x" and name contains fuzzy("alpa") and name matches "^b" and '
                 'persons contains sameElement(name contains "ann", age > 30, !(age > 60))')
    same = node.children[3]
    assert isinstance(same, SameElement)
    assert terms_of(node) == [Term("a", "x"), Fuzzy("name", "alpa"), Regex("name", "^b"), same,
                              Term("persons.name", "ann"), Term("persons.age", ">30")]
    assert [item_words(t) for t in terms_of(node)] == [["x"], [], [], [], ["ann"], [">30"]]
    scopes: dict = {}
    found = terms_of(node, scopes)
    assert [scopes.get(id(t)) is same for t in found] == [False, False, False, True, True, True]
    # their weights are rank-term weights, kept over the wire
    weighted = where('name contains ({weight: 200}fuzzy("alpa")) and {weight: 30}name matches "^b"')
    assert terms_of(weighted) == [Fuzzy("name", "alpa", weight=200), Regex("name", "^b", weight=30)]
    assert decode_query(encode_query(weighted)) == weighted
    # an array of primitives: the ranked children search the field itself, whose match data hides
    # the sameElement's (sameelementmodifier.cpp); with only unranked or negated ones it is a term
    assert terms_of(where('tags contains sameElement("red")')) == [Term("tags", "red")]
    unranked = where('tags contains sameElement({ranked: false}"red", !"blue")')
    assert terms_of(unranked) == [unranked, Term("tags", "red", ranked=False)]  # the calculator drops the unranked


def test_rank_terms_number_a_phrase_once_and_leave_out_unranked_items() -> None:
    """rank_terms is the one numbering of the per-term features, Vespa's term data: a phrase is one
    term (termdataextractor.cpp), a {ranked: false} or {filter: true} word or phrase none."""
    node = where('a contains phrase("x", "y") and {ranked: false}a contains "u" and a contains "z" '
                 'and a contains ({filter: true}phrase("v", "w")) and {ranked: false}(a contains phrase("p", "q"))')
    assert rank_terms(node) == [Phrase("a", ("x", "y")), Term("a", "z")]
    assert len(terms_of(node)) == 5  # terms_of keeps them all (the node's df collection reads them)
    same = where('persons contains sameElement(name contains "ann", age > 30)')
    assert rank_terms(same) == [same, Term("persons.name", "ann"), Term("persons.age", ">30")]


def _user_input(condition: str, q: str | None) -> object:
    parameters = {} if q is None else {"q": q}
    return parse_yql(f"select * from s where {condition}", parameters=parameters).where


@pytest.mark.parametrize("q", ["", None, "!!!"])
def test_user_input_without_words_is_refused_unless_allow_empty(q: str | None) -> None:
    """Vespa's YqlParser: input that parses to nothing is refused ("Parsing '' only resulted in
    NullItem"); with {allowEmpty: true} it is a NullItem, dropped from its parent."""
    with pytest.raises(QueryError, match="only resulted in NullItem") as error:
        _user_input('a contains "x" and userInput(@q)', q)
    assert error.value.location.column == 42  # at userInput
    assert _user_input('a contains "x" and {allowEmpty: true}userInput(@q)', q) == Term("a", "x")
    assert isinstance(_user_input("{allowEmpty: true}userInput(@q)", q), FalseItem)  # an empty where,
    parameters = {} if q is None else {"q": q}  # marked so the container answers "Null query" (Vespa's NullItem root)
    assert parse_yql("select * from s where {allowEmpty: true}userInput(@q)", parameters=parameters).emptied
    assert not parse_yql('select * from s where a contains "x" and {allowEmpty: true}userInput(@q)',
                         parameters=parameters).emptied
    assert not parse_yql("select * from s where false").emptied
    # a string that analyzes to nothing is a word that matches nothing, not user text: no Null query
    assert not parse_yql('select * from s where a contains "!!!"').emptied
    assert parse_yql("select * from s where userQuery()", user_query=None).emptied
    with pytest.raises(QueryError, match="Annotation 'allowEmpty' must be true or false"):
        _user_input('{allowEmpty: 3}userInput(@q)', q)


def test_user_input_ranked_and_filter_reach_every_item_it_makes() -> None:
    """{ranked: false} / {filter: true} on userInput (or a group around it) go on each word and
    number it makes, negated ones too (Vespa's AnnotationPropagator); the rest keep theirs."""
    unranked = _user_input('a contains "x" and {ranked: false, defaultIndex: "b"}userInput(@q)', "y -z")
    assert terms_of(unranked) == [Term("a", "x"), Term("b", "y", ranked=False)]
    assert unranked.children[1].children[1] == Not(Term("b", "z", ranked=False))
    assert decode_query(encode_query(unranked)) == unranked
    grouped = _user_input('{ranked: false}({defaultIndex: "b"}userInput(@q))', "y")
    assert terms_of(grouped) == [Term("b", "y", ranked=False)]
    inner_wins = _user_input('{ranked: false}({ranked: true, defaultIndex: "b"}userInput(@q))', "y")
    assert terms_of(inner_wins) == [Term("b", "y")]
    filtered = _user_input('{filter: true, defaultIndex: "b", grammar: "all"}userInput(@q)', 'y w "u v"')
    assert vespa_string(filtered) == 'AND |b:y |b:w |b:"u v"'
    assert terms_of(filtered)[2] == Phrase("b", ("u", "v"), ranked=True, filter=True)
    phrase = _user_input('{ranked: false, defaultIndex: "b"}userInput(@q)', '"u v"')
    assert terms_of(phrase) == [Phrase("b", ("u", "v"), ranked=False)]
    assert decode_query(encode_query(filtered)) == filtered and decode_query(encode_query(phrase)) == phrase


def test_a_phrase_takes_ranked_and_filter_as_a_word_does() -> None:
    assert where('{ranked: false}(a contains phrase("x", "y"))') == Phrase("a", ("x", "y"), ranked=False)
    assert vespa_string(where('a contains ({filter: true}phrase("x", "y"))')) == '|a:"x y"'
    assert where('a contains "x.y"') == Phrase("a", ("x", "y"))  # ranked, no filter by default


def test_accent_drop_false_keeps_the_accents_of_the_word() -> None:
    # Vespa's {accentDrop: false}: the word is not normalizable (NormalizingSearcher skips it), so
    # it keeps its accents and meets only an index that kept them (normalizing: none)
    def where(yql: str) -> object:
        return parse_yql(f"select * from s where {yql}").where
    assert where('f contains "Café"') == Term("f", "cafe")
    assert where('f contains ({accentDrop: true}"Café")') == Term("f", "cafe")
    assert where('f contains ({accentDrop: false}"Café")') == Term("f", "café")
    assert where('f contains ({accentDrop: false, stem: false}"Cafés Crème")') == Phrase("f", ("cafés", "crème"))
    assert where('f contains ({accentDrop: false, implicitTransforms: false}"Café Crème")') == Term("f", "café crème")
    assert where('{accentDrop: false, stem: false}userInput("résumé -naïve")') == \
        And((WeakAnd((Term("default", "résumé"),), 100), Not(Term("default", "naïve"))))
    assert where('{accentDrop: false, grammar: "all"}userInput("Résumé")') == Term("default", "résumé")
    assert where('{grammar: "all"}userInput("Résumé")') == Term("default", "resum")
    with pytest.raises(QueryError, match="accentDrop"):
        where('f contains ({accentDrop: "no"}"x")')


@pytest.mark.parametrize("term", [
    Term("f", "a"),
    Term("f", "a", 7, "lab", ranked=False, filter=True, affix="prefix", significance=0.25, item_id=3,
         connectivity=(2, 0.5)),
    Term("f", "a", significance=0.0, item_id=1, connectivity=(4, 0.0)),
])
def test_every_field_of_a_word_survives_the_wire(term) -> None:
    assert decode_query(encode_query(term)) == term
    assert decode_query(encode_query(Or((term, Term("g", "b"))))) == Or((term, Term("g", "b")))


def test_non_empty_is_its_expression_when_nothing_in_it_is_empty() -> None:
    # an empty string outside nonEmpty(...) is dropped, as ever
    assert where('nonEmpty(a contains "x") and b contains "+-!"') == Term("a", "x")
    assert where('nonEmpty(a contains "x" or ({filter: true}range(y, 1, 5)))') == where(
        'a contains "x" or ({filter: true}range(y, 1, 5))')
    assert where("{filter: true}range(y, 1, 5)").filter  # as on a comparison (Vespa's leafStyleSettings)


def test_raw_grammar_is_one_word_and_an_and_segment_ands_its_words() -> None:
    assert where('baz contains ({grammar: "raw"}"Yoni jo-dima")') == Term("baz", "yoni jo-dima")
    assert where('baz contains "yoni jo"') == Phrase("baz", ("yoni", "jo"))
    # Vespa's AndSegmentItem: a segment (origin) with andSegmenting matches its words anywhere
    segment = '({origin: {original: "m\'s", offset: 0, length: 3}%s}phrase("m", "s"))'
    assert where("d contains " + segment % ", andSegmenting: true") == And((Term("d", "m"), Term("d", "s")))
    assert where("d contains " + segment % "") == Phrase("d", ("m", "s"))
    # on a plain word andSegmenting only sets the words' SegmentingRule (YqlParser.wordStyleSettings,
    # YqlParserTestCase.java:732), read when a later searcher resegments a word: the segments of
    # the string itself still make a PhraseSegmentItem (YqlParser.segment), so it stays a phrase
    assert where('d contains ({andSegmenting: true}"quick fox")') == Phrase("d", ("quick", "fox"))
