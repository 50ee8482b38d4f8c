"""YQL (the subset in reference §4.3) → ParsedYql, by recursive descent over a lazy tokenizer.

    select <fields|*> from <sources *|sources a, b|name> where <expr>
    [order by f [asc|desc], ...] [limit N] [offset M] [timeout MS] [;] [| grouping]

Every failure is a QueryError naming the line and column ("Could not create query from YQL:
Expected 'where' but found 'limit' at column 21"). The grouping text after `|` has its own
syntax: it is kept verbatim in ParsedYql.grouping (the tokenizer in yql_tokens is lazy for this).

Empty items (an empty userQuery(), a contains-string without word characters) are Vespa's
NullItem: they are dropped from their parent; a where left empty is FalseItem. When user text
(userQuery(), userInput with allowEmpty) emptied it, it is marked `emptied` and the container
answers it as Vespa's backend does a NullItem root ("Null query"); a where emptied by a string
that analyzes to nothing (a stop word) matches nothing, as Vespa's word of that string does.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from searchlib.errors import QueryError
from searchlib.match_modes import MatchMode
from searchlib.query import parameters as params
from searchlib.query.literal_boost import LiteralBoost
from searchlib.query.sort_specs import sort_function
from searchlib.query.tree import (
    And, FalseItem, Not, Or, ParsedYql, Phrase, QueryNode, Range, Rank, SortKey, Term, TrueItem, WeakAnd,
)
from searchlib.query.user_query import DEFAULT_TARGET_HITS, UserQuerySettings
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_geo import YqlGeoParser
from searchlib.query.yql_operators import YqlOperatorParser
from searchlib.query.yql_phrases import YqlPhraseParser
from searchlib.query.yql_predicate import YqlPredicateParser
from searchlib.query.yql_uri import YqlUriParser
from searchlib.query.yql_user_input import YqlUserInputParser
from searchlib.query.yql_vectors import YqlVectorParser
from searchlib.query.yql_values import MAX_DEPTH as _MAX_DEPTH

# annotations a group passes to the words inside it (Vespa reads word settings up the tree)
_INHERITED = ("ranked", "filter", "normalizeCase", "usePositionData")
_BOUNDS = ("closed", "open", "leftOpen", "rightOpen")
_UNSUPPORTED = frozenset({
    "text",
})


def parse_yql(
    yql: str,
    *,
    parameters: Mapping[str, object] = {},
    user_query: UserQuerySettings | None = None,
    exact_match_fields: Collection[str] = (),
    stem: bool = True,
    match_modes: Mapping[str, MatchMode] | None = None,
    fold_case: bool = True,
) -> ParsedYql:
    """Parse a YQL statement. `parameters` are the request parameters (for `@name` and, when
    user_query is None, for userQuery()); `exact_match_fields` are fields matched as whole
    lowercased values rather than tokenized and stemmed text (a field's `match: cased` is in its
    match mode, below).
    stem=False leaves every word unstemmed: the tree as Vespa's parser builds it, before its
    stemming searcher runs (what the conformance test compares); fold_case=False likewise leaves
    the words' letter case as written (Vespa lowercases in a later searcher: what its serializer
    tests print, searchlib.query.yql_serializer). `match_modes`: the indexes
    (fields, fieldsets) whose words become terms by a match mode other than text
    (searchlib.match_modes.query_match_modes), in YQL strings and in userQuery() alike."""
    settings = user_query if user_query is not None else UserQuerySettings.from_parameters(parameters)
    parser = _YqlParser(yql, parameters, settings, frozenset(exact_match_fields), stem, match_modes or {}, fold_case)
    parsed = parser.statement()
    if parser.language_changed:  # strings before the first userInput were analyzed before it set the language
        parsed = _YqlParser(yql, parameters, settings, frozenset(exact_match_fields), stem, match_modes or {},
                            fold_case, model_language=parser.model_language).statement()
    return parsed


class _YqlParser(
    YqlOperatorParser, YqlPhraseParser, YqlGeoParser, YqlUriParser, YqlPredicateParser, YqlVectorParser,
    YqlUserInputParser,
):
    def __init__(
        self, source: str, parameters: Mapping[str, object], settings: UserQuerySettings,
        exact_match_fields: frozenset[str], stem: bool = True,
        match_modes: Mapping[str, MatchMode] | None = None, fold_case: bool = True, model_language: str = "",
    ) -> None:
        super().__init__(source, parameters)
        self._modes = match_modes or {}
        self._stem = stem
        self._fold_case = fold_case  # False: words keep their case
        self._inherited: dict[str, object] = {}  # ranked/filter from enclosing annotated groups
        self._settings = settings
        self._exact_fields = exact_match_fields
        self._detected_language = ""  # without a userInput: the user query's (or the YQL strings') language
        self.model_language = model_language  # set by the first userInput (yql_user_input.py)
        self._language_override = ""  # a userInput's {language: ...} while its words are made
        self._same_element_field: str | None = None  # inside `f contains sameElement(...)`: f
        self._literal = LiteralBoost(self._modes)  # rank terms for fields with `rank: literal`
        self._user_text_emptied = False  # userQuery()/userInput gave no item (Vespa's NullItem)
        self._empty_words = 0  # strings that gave no word (items dropped as empty)

    # --- statement -------------------------------------------------------------------------------

    def statement(self) -> ParsedYql:
        if not self._source.strip():
            self.fail("The query is empty", 0)
        self.expect_keyword("select")
        select_fields = self._name_list("a field name or '*'", allow_star=True)
        self.expect_keyword("from")
        sources: tuple[str, ...]
        if self.is_keyword("sources") and self.is_keyword("where", 1):
            self.advance()  # `from sources where`: Vespa reads it as every source
            sources = ("*",)
        elif self.is_keyword("sources"):
            self.advance()
            sources = self._source_list("a source name or '*'", allow_star=True)
        else:
            sources = self._source_list("a source or schema name", allow_star=False)
        self.expect_keyword("where")
        where = self._literal.apply(self._or_expression(0))
        self._check_connectivity()
        order_by: tuple[SortKey, ...] = ()
        numbers: dict[str, float | None] = {"limit": None, "offset": None, "timeout": None}
        while True:
            if self.is_keyword("order") and not order_by:
                self.advance()
                self.expect_keyword("by")
                order_by = self._order_by()
            elif any(self.is_keyword(word) and numbers[word] is None for word in numbers):
                word = self.advance().text.lower()
                numbers[word] = self._non_negative_number(word, integer=word != "timeout")
            else:
                break
        if self.is_punct(";"):
            self.advance()
        grouping = ""
        if self.is_punct("|"):
            bar = self.advance()
            grouping = self.rest_after(bar).strip()
            if not grouping:
                self.fail("Expected a grouping expression after '|'", bar.start + 1)
        elif self.peek().kind != "eof":
            self.expected("'order by', 'limit', 'offset', 'timeout', '|' or the end of the query")
        return ParsedYql(
            select_fields=select_fields,
            sources=sources,
            where=FalseItem() if where is None else where,
            order_by=order_by,
            limit=None if numbers["limit"] is None else int(numbers["limit"]),
            offset=None if numbers["offset"] is None else int(numbers["offset"]),
            timeout_ms=numbers["timeout"],
            grouping=grouping,
            emptied=where is None and self._user_text_emptied,
            language=self._settings.language or self.model_language or self._detected_language,
        )

    def _name_list(self, what: str, *, allow_star: bool) -> tuple[str, ...]:
        if allow_star and self.is_punct("*"):
            self.advance()
            return ("*",)
        names = [self.expect_ident(what)]
        while self.is_punct(","):
            self.advance()
            names.append(self.expect_ident(what))
        return tuple(names)

    def _source_list(self, what: str, *, allow_star: bool) -> tuple[str, ...]:
        """Source names as Vespa reads them: `source-a` (dashes join words) and `cluster1.*` (the
        `.*` is ignored: it names the source cluster1)."""
        if allow_star and self.is_punct("*"):
            self.advance()
            return ("*",)
        names = []
        while True:
            start = self.peek().start
            name = self.expect_ident(what)
            while (self.is_punct("-") and self.peek().start == start + len(name)
                   and self.peek(1).kind in ("ident", "number") and self.peek(1).start == start + len(name) + 1):
                self.advance()
                name += "-" + self.advance().text
            if name.endswith(".") and self.is_punct("*"):
                self.advance()
                name = name[:-1]
            names.append(name)
            if not self.is_punct(","):
                return tuple(names)
            self.advance()

    def _order_by(self) -> tuple[SortKey, ...]:
        keys = []
        while True:
            sorter = self._annotations(0) if self._starts_annotations() else {}  # {function, locale, strength}
            token = self.peek()
            if token.kind in ("ident", "string"):
                name = self.advance().text
            elif self.is_punct("["):
                self.advance()
                name = f"[{self.expect_ident('a name such as relevance')}]"
                self.expect_punct("]")
            else:
                self.expected("a field to order by")
            ascending = True
            if self.is_keyword("asc") or self.is_keyword("desc"):
                ascending = self.advance().text.lower() == "asc"
            keys.append(SortKey(name, ascending, *sort_function(sorter, self.fail, token.start)))
            if not self.is_punct(","):
                return tuple(keys)
            self.advance()

    def _non_negative_number(self, clause: str, *, integer: bool) -> float:
        token = self.peek()
        value = self._number(f"a number after '{clause}'")
        if value < 0 or math.isinf(value) or (integer and value != int(value)):
            kind = "a non-negative integer" if integer else "a non-negative number"
            self.fail(f"'{clause}' must be {kind}", token.start)
        return float(value)

    # --- boolean expressions ---------------------------------------------------------------------

    def _or_expression(self, depth: int) -> QueryNode | None:
        children = [self._and_expression(depth)]
        while self.is_keyword("or"):
            self.advance()
            children.append(self._and_expression(depth))
        return _composite(Or, children) if len(children) > 1 else children[0]

    def _and_expression(self, depth: int) -> QueryNode | None:
        children = [self._unary(depth)]
        while self.is_keyword("and"):
            self.advance()
            children.append(self._unary(depth))
        return _composite(And, children) if len(children) > 1 else children[0]

    def _unary(self, depth: int) -> QueryNode | None:
        if depth > _MAX_DEPTH:
            self.fail(f"The query nests deeper than {_MAX_DEPTH} levels", self.peek().start)
        if self.is_punct("!"):
            self.advance()
            child = self._unary(depth + 1)
            return None if child is None else Not(child)
        if self.is_punct("("):
            mark = self.mark()
            try:  # `(-500) < price`, `({filter: true}500) < price`: a number, not a group
                return self._reversed_comparison({}, depth)
            except QueryError:
                self.reset(mark)
            self.advance()
            inner = self._or_expression(depth + 1)
            self.expect_punct(")")
            return inner
        annotations = self._annotations(depth) if self._starts_annotations() else {}
        if (self.is_punct("(") and not self._is_number_group()) or (annotations and self.is_punct("!")):
            return self._annotated_group(depth, annotations)
        return self._item(depth, annotations)

    def _annotated_group(self, depth: int, annotations: dict[str, object]) -> QueryNode | None:
        """`{ranked: false}(a and b)`: ranked and filter apply to every word inside, unless an
        inner annotation says otherwise (the innermost wins, as in Vespa)."""
        outer = self._inherited
        self._inherited = {**outer, **{k: v for k, v in annotations.items() if k in _INHERITED}}
        try:
            if self.is_punct("!"):  # `{...}!(a)`: the annotations are the negation's
                inner = self._unary(depth + 1)
            else:
                self.advance()
                inner = self._or_expression(depth + 1)
                self.expect_punct(")")
        finally:
            self._inherited = outer
        return inner

    def _is_number_group(self) -> bool:
        mark = self.mark()
        try:
            self._annotated_number(0)
            return True
        except QueryError:
            return False
        finally:
            self.reset(mark)

    def _item(self, depth: int, annotations: dict[str, object]) -> QueryNode | None:
        """A leaf or function, after its optional annotation block."""
        token = self.peek()
        if token.kind == "ident" and self.is_punct("(", 1):
            return self._function(depth, annotations)
        if token.kind == "string" and self._same_element_field is not None:  # the element itself
            self.advance()
            return self._text("", [token.text], annotations, token)
        if (self.is_keyword("true") or self.is_keyword("false")) and not self._is_comparison(1):
            return TrueItem() if self.advance().text.lower() == "true" else FalseItem()
        if token.kind == "ident":
            return self._field_condition(depth, annotations)
        if token.kind in ("number", "param") or self.is_punct("-") or self.is_punct("("):
            return self._reversed_comparison(annotations, depth)
        self.expected("a condition such as 'field contains \"word\"', userQuery() or true")

    def _is_comparison(self, ahead: int) -> bool:
        token = self.peek(ahead)
        return token.kind == "punct" and token.text in ("=", "<", ">", "<=", ">=")

    # --- leaves ----------------------------------------------------------------------------------

    def _field_condition(self, depth: int, annotations: dict[str, object]) -> QueryNode | None:
        field_token = self.advance()
        field = field_token.text
        if self.is_punct("["):  # `ints[1] = 2`: Vespa's shorthand for sameElement on element 1
            return self._indexed_access(field, annotations, field_token)
        if self.is_keyword("contains"):
            self.advance()
            return self._contains(field, depth, annotations)
        if self.is_keyword("matches"):
            self.advance()
            return self._regex(field, {**self._inherited, **annotations})
        if self.is_keyword("in"):
            self.advance()
            return self._in(field, {**self._inherited, **annotations}, field_token)
        if self._is_comparison(0):
            operator = self.advance().text
            if self.is_keyword("true") or self.is_keyword("false"):
                value: float = self.advance().text.lower() == "true"  # 1/0, printed true/false
            else:
                value, own = self._annotated_number(depth)
                annotations = {**annotations, **own}
            return self._comparison(field, operator, value, annotations, field_token)
        if self.is_punct("!="):
            self.fail("'!=' is not supported: use !(field = value)", self.peek().start)
        self.expected(f"'contains' or a comparison after '{field}'")

    def _reversed_comparison(self, annotations: dict[str, object], depth: int) -> QueryNode:
        start = self.peek()
        value, own = self._annotated_number(depth)
        annotations = {**annotations, **own}
        if not self._is_comparison(0):
            self.expected("a comparison operator after the number")
        operator = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "="}[self.advance().text]
        field = self.expect_ident("a field name")
        return self._comparison(field, operator, value, annotations, start)

    def _comparison(
        self, field: str, operator: str, value: float, annotations: dict[str, object], at: Token
    ) -> QueryNode:
        annotations = {**self._inherited, **annotations}
        common = {"label": self._annotation(params.annotation_str, annotations, "label", "", at),
                  "filter": self._annotation(params.annotation_bool, annotations, "filter", False, at),
                  "hit_limit": self._hit_limit(annotations, at),
                  "weight": self._annotation(params.annotation_int, annotations, "weight", 100, at),
                  "ranked": self._annotation(params.annotation_bool, annotations, "ranked", True, at),
                  "item_id": self._annotation(params.annotation_int, annotations, "id", 0, at)}
        bound = None if math.isinf(value) else value
        if operator == "=":
            if bound is None:
                self.fail("Cannot compare for equality with Infinity", at.start)
            return Range(field, bound, bound, **common)
        if operator in ("<", "<="):
            return Range(field, None, bound, high_inclusive=operator == "<=", **common)
        return Range(field, bound, None, low_inclusive=operator == ">=", **common)

    def _hit_limit(self, annotations: dict[str, object], at: Token) -> int:
        """Vespa's signed hitLimit: N keeps the N lowest values, -N the N highest; `ascending` or
        `descending` choose the sign (not both)."""
        limit = self._annotation(params.annotation_int, annotations, "hitLimit", 0, at)
        if "ascending" in annotations and "descending" in annotations:
            self.fail("hitLimit cannot have both ascending and descending ordering set", at.start)
        if "descending" in annotations:
            descending = self._annotation(params.annotation_bool, annotations, "descending", False, at)
        elif "ascending" in annotations:
            descending = not self._annotation(params.annotation_bool, annotations, "ascending", True, at)
        else:
            descending = limit < 0
        return -abs(limit) if descending else abs(limit)

    def _contains(self, field: str, depth: int, outer: dict[str, object]) -> QueryNode | None:
        annotations = dict(outer)
        wrapped = self.is_punct("(")
        if wrapped:
            self.advance()
        if self._starts_annotations():
            annotations.update(self._annotations(depth))
        token = self.peek()
        if token.kind in ("string", "param"):
            self.advance()
            text = token.text if token.kind == "string" else self._parameter(token)
            node = self._text(field, [text], annotations, token)
        elif token.kind == "ident" and self.is_punct("(", 1):
            name = self.advance().text
            if name.lower() == "equiv":
                node = self._equiv(field, annotations, token)
            elif name.lower() == "fuzzy":
                node = self._fuzzy(field, annotations, token)
            elif name.lower() == "uri":
                node = self._uri(field, annotations, token)
            elif name.lower() in ("near", "onear"):
                node = self._near(field, annotations, token, ordered=name.lower() == "onear")
            elif name.lower() == "alternatives":
                node = self._alternatives(field, annotations, token)
            elif name.lower() == "sameelement":
                node = self._same_element(field, annotations, token, depth)
            elif name.lower() != "phrase":
                what = "is not supported" if name.lower() in _UNSUPPORTED else "is not a known operator"
                self.fail(f"'{name}' {what} after 'contains'", token.start)
            else:
                segments: list[tuple[int, int]] = []
                members: list[QueryNode] = []
                words = self._phrase_words(field, annotations, depth, segments, members)
                node = self._phrase(field, words, annotations, token, segments=tuple(segments), items=tuple(members))
                if isinstance(node, Phrase) and "origin" in annotations and self._annotation(
                        params.annotation_bool, annotations, "andSegmenting", False, token):
                    # Vespa's AndSegmentItem: the segment's words are AND-ed, not a phrase
                    node = And(tuple(Term(field, word, node.weight, node.label, node.ranked, node.filter)
                                     for word in node.terms))
        else:
            self.expected("a string, @parameter or phrase(...) after 'contains'")
        if wrapped:
            self.expect_punct(")")
        return node

    # --- functions -------------------------------------------------------------------------------

    def _function(self, depth: int, annotations: dict[str, object]) -> QueryNode | None:
        name_token = self.advance()
        name = name_token.text
        lowered = name.lower()
        if lowered == "userquery":
            self.expect_punct("(")
            self.expect_punct(")")
            return self._user_query(annotations, name_token)
        if lowered == "userinput":
            return self._user_input(annotations, name_token)
        if lowered in ("weakand", "rank"):
            children = self._expression_arguments(depth)
            if lowered == "rank":
                kept = [child for child in children if child is not None]
                return None if not kept else kept[0] if len(kept) == 1 else Rank(tuple(kept))
            kept = [child for child in children if child is not None]
            return WeakAnd(tuple(kept), *self._weak_and_hits(annotations, name_token)) if kept else None
        if lowered == "labeled":
            return self._labeled(depth, name_token)
        if lowered == "nonempty":
            return self._non_empty(depth, name_token)
        if lowered in ("near", "onear") and self._same_element_field is not None:
            return self._near("", annotations, name_token, ordered=lowered == "onear")
        if lowered in ("weightedset", "dotproduct", "wand"):
            return self._weighted_tokens(annotations, name_token)
        if lowered == "range":
            return self._range(annotations, name_token)
        if lowered == "nearestneighbor":
            return self._nearest_neighbor(annotations, name_token)
        if lowered == "predicate":
            return self._predicate(annotations, name_token)
        if lowered == "geolocation":
            return self._geo_location(annotations, name_token)
        if lowered == "geoboundingbox":
            return self._geo_bounding_box(annotations, name_token)
        what = "is not supported" if lowered in _UNSUPPORTED else "is not a known function"
        self.fail(f"'{name}' {what}", name_token.start)

    def _weak_and_hits(self, annotations: dict[str, object], at: Token) -> tuple[int, int]:
        """(targetHits per node, totalTargetHits): totalTargetHits alone is that on every node (kept for display)."""
        total = self._annotation(params.annotation_int, annotations, "totalTargetHits", 0, at, minimum=1)
        hits = self._annotation(params.annotation_int, annotations, "targetHits", total or DEFAULT_TARGET_HITS, at,
                                minimum=1)
        return hits, 0 if "targetHits" in annotations else total

    def _labeled(self, depth: int, at: Token) -> QueryNode | None:
        """`labeled(expression, "label", score)`: Vespa's LabelWrapperItem (tree.Rank)."""
        self.expect_punct("(")
        child = self._or_expression(depth + 1)
        self.expect_punct(",")
        label = self.advance()
        if label.kind != "string":
            self.expected("a label string", label)
        self.expect_punct(",")
        score = self._number("a number as the label score")
        self.expect_punct(")")
        return None if child is None else Rank((child,), label.text, score)

    def _non_empty(self, depth: int, at: Token) -> QueryNode:
        """`nonEmpty(expression)`: the expression, refused (400) when any item in it is empty - a
        string without words, or user text without any (Vespa's NullItem) - where it would
        otherwise be dropped."""
        self.expect_punct("(")
        words, emptied = self._empty_words, self._user_text_emptied
        self._user_text_emptied = False
        inner = self._or_expression(depth + 1)
        self.expect_punct(")")
        null_item, self._user_text_emptied = self._user_text_emptied, emptied or self._user_text_emptied
        if self._empty_words != words:
            self.fail("Searching for empty string inside nonEmpty()", at.start)
        if inner is None or null_item:
            self.fail("Got NullItem inside nonEmpty()", at.start)
        return inner

    def _expression_arguments(self, depth: int) -> list[QueryNode | None]:
        self.expect_punct("(")
        children = [self._or_expression(depth + 1)]
        while self.is_punct(","):
            self.advance()
            children.append(self._or_expression(depth + 1))
        self.expect_punct(")")
        return children

    def _range(self, annotations: dict[str, object], at: Token) -> QueryNode:
        self.expect_punct("(")
        field = self.expect_ident("a field name")
        self.expect_punct(",")
        low = self._number("a lower bound", exact=True)
        self.expect_punct(",")
        high = self._number("an upper bound", exact=True)
        self.expect_punct(")")
        bounds = self._annotation(params.annotation_str, annotations, "bounds", "closed", at, allowed=_BOUNDS)
        return Range(
            field,
            None if math.isinf(low) else low,
            None if math.isinf(high) else high,
            low_inclusive=bounds in ("closed", "rightOpen"),
            high_inclusive=bounds in ("closed", "leftOpen"),
            label=self._annotation(params.annotation_str, annotations, "label", "", at),
            hit_limit=self._hit_limit(annotations, at),
            weight=self._annotation(params.annotation_int, annotations, "weight", 100, at),
            ranked=self._annotation(params.annotation_bool, {**self._inherited, **annotations}, "ranked", True, at),
            filter=self._annotation(params.annotation_bool, {**self._inherited, **annotations}, "filter", False, at),
            item_id=self._annotation(params.annotation_int, annotations, "id", 0, at),
        )


def _composite(kind: type[And] | type[Or], children: list[QueryNode | None]) -> QueryNode | None:
    kept = [child for child in children if child is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else kind(tuple(kept))
