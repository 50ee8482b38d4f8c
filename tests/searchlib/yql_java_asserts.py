"""What the Java tests assert about the corpus rows that have no `assertParse` tree string nor a
serializer round trip, as checks on the engine's ParsedYql (read by test_yql_java_asserts.py).

Derived by hand from the Java files in ../shared/data/vespa-language-conformance/yql-tests/: each
key is a corpus row's `File.java:line`, each check a (path, expected) pair for the Java assert it
stands for. Paths:
  tree       vespa_string(where): a `toString()` the test compares (`parsed.toString()`)
  yql        yql_where(where): a `VespaSerializer.serialize(...)` the test compares
  statement  yql_statement(parsed): a `query.yqlRepresentation()` the test compares
  a.b.0.c    attributes and indexes from the ParsedYql (`where.label` for `getRootWord(...).getLabel()`);
             `form.X` a word setting the item keeps (None: not set), `@type` the node's class name,
             `@len` a length, `@terms` the tree's query terms (tree.terms_of) - an attribute after a
             list is taken of each element.
How the engine's tree names what Vespa's items hold: a WordItem is a Term, a PhraseSegmentItem a
Phrase with segment=True, a WordAlternativesItem an Equiv with exactness, Vespa's empty source or
summary-field list is ("*",), a stemmed/lowercased/not-normalizable word is form stem/normalizeCase/
accentDrop False, isFromQuery() false is form implicitTransforms False.

Rows left out (checked for acceptance only; the test prints them) assert what the engine does not
hold: generic `{annotations: {...}}` maps, Vespa's LANGUAGE_DEFAULT segmenting
rule, the word before NFKC/accent normalization (the engine normalizes while parsing), an item's
detected language, IndexFacts the corpus row does not carry (field aliases, exact struct fields,
userQuery sources from `sources=`), and Vespa's AndSegmentItem display of user input. Known
differences of the engine, also left out: user-query words name the default index and are
lowercased (Vespa leaves the index empty and the case: MinimalQueryInserterTestCase.java:172, 181,
191 are checked for their language only), IN items have no ranked flag (they are no rank term here).
"""
from __future__ import annotations

_WORD = "select foo from bar where baz contains "

CHECKS: dict[str, tuple[tuple[str, object], ...]] = {
    # testStemmingPhrase
    "YqlParserTestCase.java:194": (("yql", 'default contains phrase("Registered", "Nurse")'),),
    # testTermAnnotations
    "YqlParserTestCase.java:384": (("where.label", "merkelapp"),),
    "YqlParserTestCase.java:389": (("where.significance", 23.0),),
    "YqlParserTestCase.java:392": (("where.document_frequency", (13, 101)),),
    "YqlParserTestCase.java:394": (("where.item_id", 23),),
    "YqlParserTestCase.java:396": (("where.weight", 150),),
    "YqlParserTestCase.java:398": (("where.form.usePositionData", False),),
    "YqlParserTestCase.java:400": (("where.filter", True),),
    "YqlParserTestCase.java:402": (("where.ranked", False),),
    "YqlParserTestCase.java:405": (("where.form.origin", {"original": "abc", "offset": 1, "length": 2}),),
    # testLabelOnCompositeIsInheritedByEachLeaf, testLabelOnUserInput*
    "YqlParserTestCase.java:415": (("where.@type", "Near"), ("where.terms.@len", 2), ("@terms.label", ["t1", "t1"])),
    "YqlParserTestCase.java:426": (("where.@type", "WeakAnd"), ("where.children.@len", 2),
                                   ("@terms.label", ["t1", "t1"])),
    "YqlParserTestCase.java:437": (("where.@type", "Phrase"), ("where.label", "t1")),
    # testAnnotationsCanBeInBrackets, testValuesCanBeQuoted
    "YqlParserTestCase.java:467": (("where.label", "merkelapp"),),
    "YqlParserTestCase.java:474": (("where.label", "merkelapp"),),
    # testSameElementWithElementFilter
    "YqlParserTestCase.java:519": (("where.@type", "SameElement"), ("where.element_filter", (1, 2, 5))),
    "YqlParserTestCase.java:524": (("where.element_filter", (42,)),),
    "YqlParserTestCase.java:529": (("where.element_filter", (0,)),),
    "YqlParserTestCase.java:534": (("where.element_filter", (1, 2, 5)),),
    # testIndexedAccessRewritesToSameElement
    "YqlParserTestCase.java:561": (("where.field", "strings"), ("where.element_filter", (1,)),
                                   ("where.children.@len", 1)),
    "YqlParserTestCase.java:567": (("where.field", "ints"), ("where.element_filter", (1,)),
                                   ("where.children.@len", 1)),
    "YqlParserTestCase.java:573": (("where.field", "bools"), ("where.element_filter", (0,)),
                                   ("where.children.@len", 1)),
    # testFuzzy, testFuzzyAnnotations
    "YqlParserTestCase.java:602": (("where.@type", "Fuzzy"), ("where.field", "baz"), ("where.term", "a b")),
    "YqlParserTestCase.java:615": (("where.@type", "Fuzzy"), ("where.field", "baz"), ("where.term", "a b"),
                                   ("where.max_edit_distance", 3), ("where.prefix_length", 10),
                                   ("where.prefix", True)),
    # testStemming: isStemmed() (already stemmed: {stem: false})
    "YqlParserTestCase.java:630": (("where.form.stem", False),),
    "YqlParserTestCase.java:632": (("where.form.stem", None),),
    "YqlParserTestCase.java:634": (("where.form.stem", None),),
    # testRawContainsLiteral
    "YqlParserTestCase.java:641": (("tree", "baz:'yoni jo dima'"), ("where.@type", "Phrase"), ("where.segment", True)),
    "YqlParserTestCase.java:646": (("tree", "baz:yoni jo dima"), ("where.@type", "Term"),
                                   ("where.term", "yoni jo dima")),
    # testLinguisticsMode
    "YqlParserTestCase.java:656": (("tree", "WEAKAND default:yoni default:jo default:dima"),),
    "YqlParserTestCase.java:667": (("tree", "WEAKAND default:yoni default:jo default:dima"),),
    # testDistanceForNear, testPhraseSegmentsInNear, testNegativeTermsInNear
    "YqlParserTestCase.java:682": (("tree", "NEAR(7) default:a default:b"),),
    "YqlParserTestCase.java:685": (("tree", "ONEAR(7) default:a default:b"),),
    "YqlParserTestCase.java:691": (("tree", "NEAR(2) default:'a b' default:c"),),
    "YqlParserTestCase.java:694": (("tree", "ONEAR(2) default:'a b' default:c"),),
    "YqlParserTestCase.java:700": (("tree", "NEAR(7,2,4) default:a default:b default:c default:d"),),
    "YqlParserTestCase.java:703": (("tree", "ONEAR(7,2,4) default:a default:b default:c default:d"),),
    # testAccentDropping: isNormalizable()
    "YqlParserTestCase.java:708": (("where.form.accentDrop", False),),
    "YqlParserTestCase.java:710": (("where.form.accentDrop", None),),
    "YqlParserTestCase.java:712": (("where.form.accentDrop", None),),
    # testCaseNormalization: isLowercased() (already lowercased: {normalizeCase: false})
    "YqlParserTestCase.java:718": (("where.form.normalizeCase", False),),
    "YqlParserTestCase.java:720": (("where.form.normalizeCase", None),),
    "YqlParserTestCase.java:722": (("where.form.normalizeCase", None),),
    # testSegmentingRule: BOOLEAN_AND
    "YqlParserTestCase.java:732": (("where.form.andSegmenting", True),),
    # testImplicitTransforms: isFromQuery()
    "YqlParserTestCase.java:755": (("where.form.implicitTransforms", False),),
    "YqlParserTestCase.java:757": (("where.form.implicitTransforms", None),),
    "YqlParserTestCase.java:759": (("where.form.implicitTransforms", None),),
    # testConnectivity, testConnectivityToEquiv
    "YqlParserTestCase.java:764": (("tree", "AND title:madonna title:saint title:angel"),
                                   ("where.children.0.connectivity", (3, 7.0)),
                                   ("where.children.1.connectivity", None), ("where.children.2.item_id", 3)),
    "YqlParserTestCase.java:787": (("tree", "AND title:madonna (EQUIV title:saint title:angel)"),
                                   ("where.children.0.connectivity", (2, 7.0)),
                                   ("where.children.1.connectivity", None), ("where.children.1.item_id", 2)),
    # testWeight, testAnnotatedPhrase
    "YqlParserTestCase.java:801": (("tree", "WEAKAND field1:term1!120 field1:term2!70"),),
    "YqlParserTestCase.java:810": (("tree", 'baz:"a b"'), ("where.@type", "Phrase"), ("where.label", "hello world")),
    # testRange*
    "YqlParserTestCase.java:818": (("tree", "baz:[1;8]"),),
    "YqlParserTestCase.java:824": (("tree", "baz:[1;]"),),
    "YqlParserTestCase.java:830": (("tree", "baz:[;8]"),),
    "YqlParserTestCase.java:836": (("tree", "baz:[-8;-1]"),),
    # testNumericWand (assertParse with a variable)
    "YqlParserTestCase.java:898": (("tree", 'WAND description{[1]:"11",[2]:"37"}'),),
    "YqlParserTestCase.java:899": (("tree", 'WAND description{[1]:"11",[2]:"37"}'),),
    # testGeoLocation, testGeoBoundingBox
    "YqlParserTestCase.java:952": (("tree", "GEO_LOCATION mypos:(2,17123456,42123456,90133,0,1,0,3185582897)"),),
    "YqlParserTestCase.java:974": (("tree", "GEO_LOCATION workplace:[2,-10433000,-63418000,10500000,63500000]"),),
    # testWeakAnd
    "YqlParserTestCase.java:1100": (("tree", "WEAKAND a:A b:B"), ("where.@type", "WeakAnd")),
    # testAffixItems
    "YqlParserTestCase.java:1122": (("where.@type", "Term"), ("where.affix", "suffix")),
    "YqlParserTestCase.java:1124": (("where.@type", "Term"), ("where.affix", "prefix")),
    "YqlParserTestCase.java:1126": (("where.@type", "Term"), ("where.affix", "substring")),
    # testSources, testSourcesWithDash, testWildCardSources, testMultiSources, testReservedWordInSource
    "YqlParserTestCase.java:1149": (("sources", ("sourceA",)),),
    "YqlParserTestCase.java:1150": (("sources", ("sourceA", "sourceB")),),
    "YqlParserTestCase.java:1151": (("sources", ("cluster1",)),),
    "YqlParserTestCase.java:1152": (("sources", ("cluster1", "cluster2")),),
    "YqlParserTestCase.java:1162": (("sources", ("source-a",)),),
    "YqlParserTestCase.java:1167": (("sources", ("*",)),),
    "YqlParserTestCase.java:1172": (("sources", ("sourceA", "sourceB")),),
    "YqlParserTestCase.java:1555": (("sources", ("like",)),),
    # testFields
    "YqlParserTestCase.java:1177": (("select_fields", ("fieldA",)),),
    "YqlParserTestCase.java:1178": (("select_fields", ("fieldA", "fieldB")),),
    "YqlParserTestCase.java:1179": (("select_fields", ("fieldA", "fieldB", "fieldC")),),
    "YqlParserTestCase.java:1180": (("select_fields", ("*",)),),
    # testYqlRepresentationOfOrdering (its statement has `*` for the fields and sources it does not carry over)
    "YqlParserTestCase.java:1242": (("order_by.0.field", "[rank]"), ("limit", 5), (
        "statement", 'select foo from bar where price < 100 order by "[rank]" limit 5')),
    # testInheritedAnnotations, testMoreInheritedAnnotations: QueryTree.getPositiveTerms
    "YqlParserTestCase.java:1351": (("@terms.ranked", [False, False, False]),),
    "YqlParserTestCase.java:1359": (("@terms.ranked", [False, False]),),
    "YqlParserTestCase.java:1375": (("@terms.term", ["a", "b", "c", "d"]), ("@terms.ranked", [False, True, False, True])),
    # testRegexp
    "YqlParserTestCase.java:1419": (("where.@type", "Regex"), ("where.pattern", "a b")),
    "YqlParserTestCase.java:1427": (("where.@type", "Regex"), ("where.pattern", "a\\.b\\.c")),
    # testWordAlternatives*, checkWordAlternativesContent
    "YqlParserTestCase.java:1437": (("where.@type", "Equiv"), ("where.terms", ("trees", "tree")),
                                    ("where.exactness", (1.0, 0.7))),
    "YqlParserTestCase.java:1446": (("where.@type", "Equiv"), ("where.terms", ("trees", "tree")),
                                    ("where.exactness", (1.0, 0.7)),
                                    ("where.form.origin", {"original": " trees ", "offset": 1, "length": 5})),
    "YqlParserTestCase.java:1462": (("where.@type", "Phrase"), ("where.items.@len", 2), ("where.items.0.term", "forest"),
                                    ("where.items.1.terms", ("trees", "tree")),
                                    ("where.items.1.exactness", (1.0, 0.7)),
                                    ("tree", 'foo:"forest WORD_ALTERNATIVES foo:[ tree(0.7) trees(1.0) ]"')),
    # assertUrlQuery
    "YqlParserTestCase.java:1496": (("tree", 'urlfield.hostname:"google com $"'),),
    "YqlParserTestCase.java:1527": (("tree", 'urlfield.hostname:"google com"'),),
    "YqlParserTestCase.java:1538": (("tree", 'urlfield.hostname:"^ google com $"'),),
    "YqlParserTestCase.java:1549": (("tree", 'urlfield:"google com"'),),
    # testIn: assertNumericInItem, assertStringInItem
    "YqlParserTestCase.java:1568": (("where.field", "field"), ("where.numeric", True),
                                    ("where.values", ("-11", "-7", "22", "24", "25", "26", "42"))),
    "YqlParserTestCase.java:1572": (("where.field", "string"), ("where.numeric", False),
                                    ("where.values", ("a", "b", "might", "this", "work"))),
    # testExplicit*OnContainsSetsLanguage, testNoLanguageOnContainsStaysUnknown
    "YqlParserTestCase.java:1842": (("where.form.language", "en"),),
    "YqlParserTestCase.java:1850": (("where.form.language", "fr"),),
    "YqlParserTestCase.java:1858": (("where.form.language", None),),
    # MinimalQueryInserterTestCase: the query tree, grouping, sources, window and yqlRepresentation()
    "MinimalQueryInserterTestCase.java:68": (("tree", "baz:cox"), ("grouping", "")),
    "MinimalQueryInserterTestCase.java:77": (("tree", "baz:cox"), ("grouping", "all(group(a) each(output(count())))")),
    "MinimalQueryInserterTestCase.java:84": (("tree", "baz:cox"), ("grouping", "all(group(a) each(output(count()))) "
                                                                                "| all(group(b) each(output(count())))")),
    "MinimalQueryInserterTestCase.java:99": (("tree", "baz:cox"), ("grouping", "")),
    "MinimalQueryInserterTestCase.java:105": (("tree", "baz:cox"),),
    "MinimalQueryInserterTestCase.java:113": (("tree", "baz:cox"),),
    # testExplicitLanguageIsHonoredWithVerbatimQuery, testUserLanguageIsDetectedWithVerbatimQuery: one
    # word, as Vespa's default linguistics leaves a CJK run unsegmented (SimpleTokenizer)
    "MinimalQueryInserterTestCase.java:145": (("tree", "title:\u30ab\u30bf\u30ab\u30ca"), ("language", "ja")),
    "MinimalQueryInserterTestCase.java:154": (("tree", "title:\u30ab\u30bf\u30ab\u30ca"), ("language", "ja")),
    # testUserLanguageIsDetected...: the query language from the user's text (userInput or userQuery),
    # from the YQL's strings only without any; the trees where user-query words are not involved
    "MinimalQueryInserterTestCase.java:163": (("tree", "AND title:madonna (WEAKAND default:\u30ab\u30bf\u30ab\u30ca)"),
                                              ("language", "ja")),
    "MinimalQueryInserterTestCase.java:172": (("language", "ja"),),
    "MinimalQueryInserterTestCase.java:181": (("language", "en"),),
    "MinimalQueryInserterTestCase.java:191": (("language", "en"),),
    "MinimalQueryInserterTestCase.java:201": (
        ("tree", "AND attribute_key:\u6211\u80fd\u541e\u4e0b\u73bb\u7483\u800c\u4e0d\u4f24\u8eab\u4f53 "
                 "(WEAKAND default:executions)"), ("language", "en")),
    "MinimalQueryInserterTestCase.java:218": (("sources", ("*",)),),
    "MinimalQueryInserterTestCase.java:226": (("sources", ("*",)),),
    "MinimalQueryInserterTestCase.java:234": (("sources", ("sourceA", "sourceB")),),
    "MinimalQueryInserterTestCase.java:266": (("offset", 7), ("limit", 31), (
        "statement", 'select * from sources * where title contains "madonna" limit 31 offset 7')),
    "MinimalQueryInserterTestCase.java:296": (("timeout_ms", 51.0), (
        "statement", 'select * from sources * where title contains "madonna" timeout 51')),
    "MinimalQueryInserterTestCase.java:308": (("limit", 20), ("offset", 10), ("timeout_ms", 30.0), (
        "statement", 'select x, y, z from sources * where (x > 0 AND y contains "foo" AND z contains "bar") '
                     "order by x limit 20 offset 10 timeout 30 | all(group(y) max(3) each(output(count())))")),
    "MinimalQueryInserterTestCase.java:323": (("order_by.@len", 2), ("order_by.field", ["something", "shoesize"]),
                                              ("order_by.ascending", [True, False]), (
        "statement", 'select ignoredfield from ignoredsource where title contains "madonna" '
                     "order by something, shoesize desc limit 300 timeout 3")),
    "MinimalQueryInserterTestCase.java:339": (("order_by.0.field", "other"), ("order_by.0.ascending", True), (
        "statement", 'select ignoredfield from ignoredsource where title contains "madonna" '
                     "order by other limit 300 timeout 3")),
    "MinimalQueryInserterTestCase.java:349": (
        ("order_by.field", ["other", "something"]), ("order_by.ascending", [False, True]),
        ("order_by.function", ["uca", "lowercase"]), ("order_by.0.locale", "en_US"),
        ("order_by.0.strength", "identical"),
        ("statement", 'select foo from bar where title contains "madonna" order by [{"function": "uca", '
                      '"locale": "en_US", "strength": "IDENTICAL"}]other desc, [{"function": "lowercase"}]something '
                      "limit 300 timeout 3")),
    "MinimalQueryInserterTestCase.java:376": ((
        "statement", 'select ignoredfield from ignoredsource where title contains "madonna" '
                     "order by something, shoesize desc limit 300 timeout 3"),),
    "MinimalQueryInserterTestCase.java:394": (("grouping", "all(group(a) each(output(count())))"),),
}
