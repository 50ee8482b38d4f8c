"""`f contains uri("google.com")`, a layer of the YQL parser (yql.py): the URI's words as one
phrase; on a hostname index (`f.hostname`) end-anchored by default, `{startAnchor: true}` and
`{endAnchor: false}` as Vespa (the anchors are searchlib.uri's host marker words)."""
from __future__ import annotations

from searchlib.query import parameters as params
from searchlib.query.tree import Phrase, QueryNode, Term
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor
from searchlib.uri import anchored, split_field


class YqlUriParser(YqlValueCursor):
    """Needs `_words(field, text, annotations, at)` and `_single_string(what)` from the parser."""

    def _uri(self, field: str, annotations: dict[str, object], at: Token) -> QueryNode | None:
        self.expect_punct("(")
        text, token = self._single_string("a URI string in uri()")
        self.expect_punct(")")
        host_index = (split_field(field) or ("", ""))[1] == "hostname"
        start = self._annotation(params.annotation_bool, annotations, "startAnchor", False, at)
        end = self._annotation(params.annotation_bool, annotations, "endAnchor", host_index, at)
        words = self._words(field, text, annotations, token)
        if not words:
            self._empty_words += 1
            return None
        if host_index:
            words = anchored(words, start=start, end=end)
        weight = self._annotation(params.annotation_int, annotations, "weight", 100, at)
        label = self._annotation(params.annotation_str, annotations, "label", "", at)
        return Term(field, words[0], weight, label) if len(words) == 1 else Phrase(field, tuple(words), weight, label)
