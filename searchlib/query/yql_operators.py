"""The YQL operators after `contains` (near, onear, fuzzy) and `matches`: each builds one
query item from its arguments and annotations. A layer of the YQL parser (yql.py)."""
from __future__ import annotations

from searchlib.linguistics import normalize
from searchlib.query import parameters as params
from searchlib.query.string_match import PatternError, compile_regex
from searchlib.query.tree import Fuzzy, Near, QueryNode, Regex
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor


class YqlOperatorParser(YqlValueCursor):
    """Needs `_words(field, text, annotations, at)` from the statement parser (how a field's text
    becomes words depends on the schema and the query language)."""

    def _single_string(self, what: str) -> tuple[str, Token]:
        token = self.advance()
        if token.kind == "string":
            return token.text, token
        if token.kind == "param":
            return self._parameter(token), token
        self.expected(what, token)

    def _near(self, field: str, annotations: dict[str, object], at: Token, *, ordered: bool) -> QueryNode:
        """near("a", "b", !"c") / onear(...): single words, the negative ones last (as Vespa)."""
        name = "onear" if ordered else "near"
        self.expect_punct("(")
        positive: list[str] = []
        negative: list[str] = []
        while not self.is_punct(")"):
            if positive or negative:
                self.expect_punct(",")
            is_negative = self.is_punct("!")
            if is_negative:
                self.advance()
            token = self.advance()
            if token.kind not in ("string", "param"):
                self.expected(f"a string in {name}() (nested phrase/equiv items are not supported)", token)
            if positive and not is_negative and negative:
                self.fail(f"Positive terms must come before negative terms in {name.upper()}", token.start)
            words = self._words(field, token.text if token.kind == "string" else self._parameter(token),
                                annotations, token)
            if len(words) != 1:
                self.fail(f"{name}() takes single words, got {len(words)} in one string", token.start)
            (negative if is_negative else positive).append(words[0])
        self.advance()
        if not positive:
            self.fail(f"{name}() needs at least one positive word", at.start)
        distance = self._annotation(params.annotation_int, annotations, "distance", 2, at, minimum=0)
        return Near(
            field, tuple(positive), tuple(negative), distance,
            self._annotation(params.annotation_int, annotations, "exclusionDistance", (distance + 1) // 2, at,
                             minimum=0),
            ordered,
            self._annotation(params.annotation_int, annotations, "weight", 100, at),
            self._annotation(params.annotation_str, annotations, "label", "", at),
        )

    def _fuzzy(self, field: str, annotations: dict[str, object], at: Token) -> QueryNode:
        self.expect_punct("(")
        text, token = self._single_string("a string in fuzzy()")
        self.expect_punct(")")
        term = normalize(text)
        if not term:
            self.fail("fuzzy() needs a non-empty string", token.start)
        return Fuzzy(
            field, term,
            self._annotation(params.annotation_int, annotations, "maxEditDistance", 2, at, minimum=0),
            self._annotation(params.annotation_int, annotations, "prefixLength", 0, at, minimum=0),
            self._annotation(params.annotation_bool, annotations, "prefix", False, at),
            self._annotation(params.annotation_str, annotations, "label", "", at),
        )

    def _regex(self, field: str, annotations: dict[str, object]) -> QueryNode:
        pattern, token = self._single_string("a string pattern after 'matches'")
        try:
            compile_regex(pattern)
        except PatternError as error:
            self.fail(str(error), token.start)
        return Regex(field, pattern, self._annotation(params.annotation_str, annotations, "label", "", token))
