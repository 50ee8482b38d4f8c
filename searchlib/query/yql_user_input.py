"""userQuery() and userInput(@q), a layer of the YQL parser (yql.py): the text parsed by
searchlib.query.user_query with the request's model.* settings or the userInput's annotations
(grammar, defaultIndex, language, stem, targetHits, label, ranked, filter, allowEmpty);
`{grammar: "raw"}` and `{grammar: "segment"}` take the text as a `contains` string instead."""
from __future__ import annotations

import re
from dataclasses import replace

from searchlib.languages import language_code
from searchlib.match_modes import query_detector
from searchlib.query import parameters as params
from searchlib.query.tree import QueryNode, WeakAnd
from searchlib.query.user_query import (
    INPUT_GRAMMAR, apply_filter, input_grammar, parse_user_query_or_empty, with_label, with_rank_flags,
)
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor

_STRING_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'')
# userInput's own annotations, which say how to parse the text, not what its items are
_INPUT_ONLY = frozenset({"grammar", "defaultIndex", "allowEmpty", "language", "targetHits", "totalTargetHits",
                         "grammar.syntax", "grammar.composite"})


class YqlUserInputParser(YqlValueCursor):
    """Needs from the parser: `_settings`, `_inherited`, `_modes`, `_language`, `_language_override`,
    `model_language` (set here by the first userInput), `_detected_language`, `_text`, `_stem`, `_literal`,
    `_weak_and_hits` and `_user_text_emptied` (set here when user text gave no item)."""

    @property
    def _language(self) -> str:
        """One language for the whole query (Vespa's model language), which its YQL strings and
        userQuery() are analyzed in: the request's, else the first userInput's (_user_input),
        else detected from the user query, or without one from the YQL's strings
        (MinimalQueryInserterTestCase: "executions" beside a Chinese YQL string is English)."""
        if self._language_override:
            return self._language_override
        if self._settings.language or self.model_language:
            return self._settings.language or self.model_language
        if not self._detected_language:
            text = self._settings.query.strip() or " ".join(
                m.group(1) or m.group(2) or "" for m in _STRING_LITERAL.finditer(self._source))
            self._detected_language = query_detector(self._modes)(text.strip())
        return self._detected_language

    @property
    def language_changed(self) -> bool:
        """Whether words were analyzed in a detected language before the first userInput set another."""
        return bool(self._detected_language and self.model_language and self._detected_language != self.model_language)

    def _user_query(self, annotations: dict[str, object], at: Token) -> QueryNode | None:
        settings = self._settings
        target_hits = self._annotation(params.annotation_int, annotations, "targetHits", settings.target_hits, at,
                                       minimum=1)
        tree = parse_user_query_or_empty(
            settings.query, type=settings.type, default_index=settings.default_index,
            target_hits=target_hits, known_indexes=settings.known_indexes, language=self._language,
            stem=self._stem, match_modes=self._modes, literal=self._literal,
        )
        tree = apply_filter(tree, settings.filter, settings.default_index, self._language, self._modes)
        self._user_text_emptied |= tree is None
        return tree

    def _user_input(self, annotations: dict[str, object], at: Token) -> QueryNode | None:
        self.expect_punct("(")
        token = self.advance()
        if token.kind == "string":
            text = token.text
        elif token.kind == "param":
            text = params.first_parameter(self._parameters, token.text[1:]) or ""
        else:
            self.expected("a string or @parameter", token)
        self.expect_punct(")")
        if self._annotation(params.annotation_str, annotations, "grammar", "", at) in ("raw", "segment"):
            tree = self._verbatim_input(text, annotations, at)
            if tree is None:
                return self._empty_input(text, annotations, at)
            return tree
        text, grammar = input_grammar(text, *(
            self._annotation(params.annotation_str, annotations, name, default, at, allowed=allowed)
            for name, default, allowed in INPUT_GRAMMAR))
        target_hits, total_target_hits = self._weak_and_hits(annotations, at)
        language = self._input_language(annotations, at)
        if not self.model_language:  # the first userInput sets the query's language, as Vespa's parseUserInput
            self.model_language = language or query_detector(self._modes)(text)
        tree = parse_user_query_or_empty(
            text,
            type=grammar,
            default_index=self._annotation(params.annotation_str, annotations, "defaultIndex", "default", at),
            target_hits=target_hits,
            known_indexes=self._settings.known_indexes,
            stem=self._annotation(params.annotation_bool, annotations, "stem", self._stem, at),
            language=language, match_modes=self._modes, literal=self._literal,
            fold_accents=self._annotation(params.annotation_bool, annotations, "accentDrop", True, at),
            lowercase=self._annotation(params.annotation_bool, {**self._inherited, **annotations}, "normalizeCase",
                                       True, at),
        )
        if tree is None:
            return self._empty_input(text, annotations, at)
        if isinstance(tree, WeakAnd):  # Vespa's buildTextInput: on a root weakAnd
            tree = replace(tree, total_target_hits=total_target_hits)
        flags = {**self._inherited, **annotations}
        tree = with_rank_flags(tree, *(self._annotation(params.annotation_bool, flags, name, False, at)
                                       if name in flags else None
                                       for name in ("ranked", "filter", "usePositionData")))
        return with_label(tree, self._annotation(params.annotation_str, annotations, "label", "", at))

    def _empty_input(self, text: str, annotations: dict[str, object], at: Token) -> None:
        """Vespa's NullItem: dropped from its parent with {allowEmpty: true}, else refused."""
        if self._annotation(params.annotation_bool, annotations, "allowEmpty", False, at):
            self._user_text_emptied = True
            return None
        self.fail(f"Parsing '{text[:40]}' only resulted in NullItem (userInput needs words, "
                  "or {allowEmpty: true})", at.start)

    def _verbatim_input(self, text: str, annotations: dict[str, object], at: Token) -> QueryNode | None:
        """{grammar: "raw"}: the whole text one word; {grammar: "segment"}: its words one phrase
        segment (a term if one) - no query syntax, as Vespa's buildTextInput makes one word item of
        the text (SegmentWhen.NEVER / ALWAYS) in the defaultIndex, with the annotations' weight,
        label, ranked, filter, significance, ... as on a `contains` string."""
        field = self._annotation(params.annotation_str, annotations, "defaultIndex", "default", at)
        own = {key: value for key, value in annotations.items() if key not in _INPUT_ONLY}
        if annotations["grammar"] == "raw":
            own["grammar"] = "raw"  # _words: the whole string
        outer = self._language_override
        if "language" in annotations:
            self._language_override = self._input_language(annotations, at)
        try:
            return self._text(field, [text], own, at)
        finally:
            self._language_override = outer

    def _input_language(self, annotations: dict[str, object], at: Token) -> str:
        """userInput's `{language:"de"}`, else the request's; "": this text's own, detected."""
        tag = self._annotation(params.annotation_str, annotations, "language", "", at)
        if not tag:
            return self._settings.language
        try:
            return language_code(tag)
        except ValueError as error:
            self.fail(f"Annotation 'language': {error}", at.start)
