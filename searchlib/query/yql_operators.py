"""The YQL operators after `contains` (near, onear, fuzzy) and `matches`: each builds one
query item from its arguments and annotations. A layer of the YQL parser (yql.py)."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from searchlib.linguistics import normalize
from searchlib.query import parameters as params
from searchlib.query.string_match import PatternError, compile_regex
from searchlib.query.tree import (
    Equiv, Fuzzy, In, Near, QueryNode, Range, Regex, SameElement, Term, WeightedTokens,
    equiv_key, phrase_key,
)
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor


_INTEGER = re.compile(r"-?[0-9]+[lL]?")
_LIST_ITEM = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^,]*?))\s*(?:,|$)""")


MAX_EDIT_DISTANCE = 16  # the DP costs value length x (2k + 1) per distinct value: bound k
_OPERATOR_NAMES = {"weightedset": "weightedSet", "dotproduct": "dotProduct", "wand": "wand"}


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

    def _same_element(self, field: str, annotations: dict[str, object], at: Token, depth: int) -> QueryNode | None:
        """`f contains sameElement(c1, c2)`: its conditions name fields relative to f."""
        element_filter = _element_filter(annotations.get("elementFilter"), self, at)
        label = self._annotation(params.annotation_str, annotations, "label", "", at)
        outer, self._same_element_field = self._same_element_field, field
        try:
            children = self._expression_arguments(depth)
        finally:
            self._same_element_field = outer
        kept = tuple(child for child in children if child is not None)
        return SameElement(field, kept, element_filter, label) if kept else None

    def _indexed_access(self, field: str, annotations: dict[str, object], at: Token) -> QueryNode | None:
        """`strings[1] = "foo"`, `ints[1] = 2`, `bools[0] = true`: element 1 (0, ...) of the array
        equals the value, i.e. `field contains ({elementFilter: [1]}sameElement(value))`."""
        self.expect_punct("[")
        index = self.advance()
        if index.kind != "number" or not index.text.isdigit():
            self.expected("an element index (a non-negative integer)", index)
        self.expect_punct("]")
        self.expect_punct("=")
        token = self.peek()
        if token.kind == "string":
            self.advance()
            outer, self._same_element_field = self._same_element_field, field  # words as the field has them
            try:
                child = self._text("", [token.text], {}, token)
            finally:
                self._same_element_field = outer
        elif self.is_keyword("true") or self.is_keyword("false"):
            flag = self.advance().text.lower() == "true"  # a bool: 1/0, printed true/false
            child = Range("", flag, flag)
        else:
            number = self._number("a string, number or true/false after '='", exact=True)
            child = Range("", number, number)
        if child is None:
            return None
        label = self._annotation(params.annotation_str, annotations, "label", "", at)
        return SameElement(field, (child,), (int(index.text),), label)

    def _near(self, field: str, annotations: dict[str, object], at: Token, *, ordered: bool) -> QueryNode:
        """near("a", "b", !"c") / onear(...): single words, the negative ones last (as Vespa)."""
        name = "onear" if ordered else "near"
        self._positions_needed(annotations, at, f"{name}()")
        self.expect_punct("(")
        positive: list[str] = []
        negative: list[str] = []
        items: list[QueryNode] = []
        while not self.is_punct(")"):
            if positive or negative:
                self.expect_punct(",")
            is_negative = self.is_punct("!")
            if is_negative:
                self.advance()
            token = self.peek()
            if positive and not is_negative and negative:
                self.fail(f"Positive terms must come before negative terms in {name.upper()}", token.start)
            found = self._item_word(field, annotations, f"a string, phrase(...) or equiv(...) in {name}()",
                                    inside_equiv=False)
            if found is not None:
                (negative if is_negative else positive).append(found[0])
                items.append(found[1])
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
            items=tuple(items),
        )

    def _item_word(self, field: str, annotations: dict[str, object], what: str, *,
                   inside_equiv: bool) -> tuple[str, QueryNode] | None:
        """One word of near/onear/equiv: a string (several words: a phrase segment), phrase(...),
        or (in near) equiv(...); a phrase or equiv stands as one compound word (tree.phrase_key,
        tree.equiv_key); None when the string has no words. With the word, its item as Vespa holds
        it (shown by tree.Near.items, tree.Equiv.items)."""
        if self.is_punct("(") and (self._starts_annotations_at(1)):  # `({origin: ...}phrase("a", "b"))`
            self.advance()
            written = self._annotations(1)
            own = {**annotations, **written}
            at = self.peek()
            self._positions_needed(own, at, "near(), onear() and equiv()")
            found = self._item_word(field, own, what, inside_equiv=inside_equiv)
            self.expect_punct(")")
            given = self._document_frequency(written, at)  # the member's own (a near's words rank each)
            if found is not None and given is not None and hasattr(found[1], "document_frequency"):
                found = found[0], replace(found[1], document_frequency=given)
            return found
        token = self.peek()
        nested = token.kind == "ident" and self.is_punct("(", 1) and token.text.lower() in ("phrase", "equiv")
        if nested and token.text.lower() == "equiv" and not inside_equiv:
            self.advance()
            item = self._equiv(field, annotations, token)
            if item is None:
                return None
            return (item.term if isinstance(item, Term) else equiv_key(item.terms)), item
        members: list[QueryNode] = []
        if nested and token.text.lower() == "phrase":
            self.advance()
            words = self._phrase_words(field, annotations, 1, items=members)
            item = self._phrase(field, words, {}, token, items=tuple(members))
        else:
            text, token = self._single_string(what)
            self._no_member_affix(field, annotations, token, f"a member of {what.rsplit(' ', 1)[-1]}")
            words = self._words(field, text, annotations, token)
            item = Term(field, words[0], written=text) if len(words) == 1 else \
                self._phrase(field, words, {}, token, segment=True, text=text)
        if item is None:
            return None
        return (words[0] if len(words) == 1 else phrase_key(tuple(words))), item

    def _equiv(self, field: str, annotations: dict[str, object], at: Token) -> QueryNode | None:
        """equiv("a", "b"): alternatives of one word (phrase alternatives are not supported)."""
        self._positions_needed(annotations, at, "equiv()")
        self.expect_punct("(")
        words: dict[str, QueryNode] = {}
        arguments = 0
        while not self.is_punct(")"):
            if arguments:
                self.expect_punct(",")
            arguments += 1
            found = self._item_word(field, annotations, "a string or phrase(...) in equiv()", inside_equiv=True)
            if found is not None:
                words.setdefault(*found)
        if arguments < 2:
            self.fail(f"equiv() takes 2 or more arguments, got {arguments}", at.start)
        self.advance()
        return self._equiv_of(field, tuple(words), annotations, at, items=tuple(words.values()))

    def _positions_needed(self, annotations: dict[str, object], at: Token, name: str) -> None:
        """{usePositionData: false} is run on words and phrases (tree.Term.positions); near/onear read
        their words' positions and an equiv merges its words' match data, where this engine carries
        no such flag: refused there, never accepted and ignored."""
        merged = {**self._inherited, **annotations}
        if "usePositionData" in merged and not self._annotation(params.annotation_bool, merged, "usePositionData",
                                                                True, at):
            self.fail(f"{{usePositionData: false}} is not supported in {name}: only on words and phrases",
                      at.start)

    def _equiv_of(self, field: str, unique: tuple[str, ...], annotations: dict[str, object],
                  at: Token, **shown: object) -> QueryNode | None:
        """One word is a Term, several an Equiv (one query term for ranking), none nothing.
        `shown`: the Equiv's display-only fields (items, exactness, form)."""
        weight = self._annotation(params.annotation_int, annotations, "weight", 100, at)
        label = self._annotation(params.annotation_str, annotations, "label", "", at)
        if not unique:
            self._empty_words += 1
            return None
        links = self._links(annotations, at)
        given = self._document_frequency(annotations, at)  # {documentFrequency: ...}, as on a word
        if len(unique) == 1:
            return Term(field, unique[0], weight, label, **links, document_frequency=given)
        return Equiv(field, unique, weight, label, **links, **shown, document_frequency=given)

    def _alternatives(self, field: str, annotations: dict[str, object], at: Token,
                      own: dict[str, object] | None = None) -> QueryNode | None:
        """alternatives({trees: 1.0, "tree": 0.7}): forms of one word with their exactness. They
        match as equiv() does (any form, one query term for ranking); the exactness (a number in
        [0, 1]) is checked and shown but not used in ranking. `own`: the annotations written on
        it (inside a phrase, those of the phrase are not its own)."""
        self._positions_needed(annotations if own is None else own, at, "alternatives()")
        self.expect_punct("(")
        self.expect_punct("{")
        forms: dict[str, float] = {}
        count = 0
        while not self.is_punct("}"):
            if count:
                self.expect_punct(",")
            key = self.advance()
            if key.kind not in ("string", "ident"):
                self.expected("a word in alternatives()", key)
            self.expect_punct(":")
            token = self.peek()
            exactness = self._number("a number (the exactness of the word)")
            if not 0.0 <= exactness <= 1.0:
                self.fail(f"The exactness of '{key.text[:40]}' must be in [0, 1], not {exactness!r}", token.start)
            found = self._words(field, key.text, annotations, key)
            if len(found) > 1:
                self.fail(f"alternatives() takes single words, got {len(found)} in '{key.text[:40]}'", key.start)
            for word in found:
                forms.setdefault(word, float(exactness))
            count += 1
        self.advance()
        self.expect_punct(")")
        if not count:
            self.fail("alternatives() needs at least one word", at.start)
        own = annotations if own is None else own
        return self._equiv_of(field, tuple(forms), own, at, exactness=tuple(forms.values()),
                              form=self._word_form(own, at, None, None))

    def _weighted_tokens(self, annotations: dict[str, object], at: Token) -> QueryNode:
        """weightedSet/dotProduct/wand(field, {"a": 1, "b": 2}) or (field, [[11, 1], [37, 2]])."""
        operator = _OPERATOR_NAMES[at.text.lower()]
        self.expect_punct("(")
        field = self.expect_ident("a field name")
        self.expect_punct(",")
        tokens: dict[str, int] = {}
        fold = self._value_fold(field)
        if self.is_punct("{"):
            self.advance()
            while not self.is_punct("}"):
                if tokens:
                    self.expect_punct(",")
                key = self.advance()
                if key.kind not in ("string", "number", "ident"):
                    self.expected("a token", key)
                self.expect_punct(":")
                tokens[fold(key.text.rstrip("lL") if key.kind == "number" else key.text)] = self._weight()
            self.advance()
        elif self.is_punct("["):
            self.advance()
            while not self.is_punct("]"):
                if tokens:
                    self.expect_punct(",")
                self.expect_punct("[")
                token = self.peek()
                key = self._number("an integer token", exact=True)
                if not (isinstance(key, int) or key.is_integer()):
                    self.fail("Tokens in [[token, weight], ...] must be integers", token.start)
                self.expect_punct(",")
                tokens[str(int(key))] = self._weight()
                self.expect_punct("]")
            self.advance()
        else:
            self.expected(f"a map {{\"token\": weight, ...}} or a list [[token, weight], ...] in {operator}()")
        self.expect_punct(")")
        if not tokens:
            self.fail(f"{operator}() needs at least one token", at.start)
        is_wand = operator == "wand"
        return WeightedTokens(
            operator, field, tuple(tokens.items()),
            target_hits=self._annotation(params.annotation_int, annotations, "targetHits", None, at, minimum=1)
            if is_wand else None,
            score_threshold=self._annotation(params.annotation_float, annotations, "scoreThreshold", None, at)
            if is_wand else None,
            threshold_boost_factor=self._annotation(
                params.annotation_float, annotations, "thresholdBoostFactor", None, at) if is_wand else None,
            label=self._annotation(params.annotation_str, annotations, "label", "", at),
        )

    def _weight(self) -> int:
        token = self.peek()
        weight = self._number("an integer weight")
        if not weight.is_integer() or abs(weight) > 2**63:
            self.fail(f"Weights must be integers, not {weight!r}", token.start)
        return int(weight)

    def _fuzzy(self, field: str, annotations: dict[str, object], at: Token) -> QueryNode:
        self.expect_punct("(")
        text, token = self._single_string("a string in fuzzy()")
        self.expect_punct(")")
        term = self._value_fold(field)(text)
        if not term:
            self.fail("fuzzy() needs a non-empty string", token.start)
        return Fuzzy(
            field, term,
            self._annotation(params.annotation_int, annotations, "maxEditDistance", 2, at, minimum=0,
                             maximum=MAX_EDIT_DISTANCE),
            self._annotation(params.annotation_int, annotations, "prefixLength", 0, at, minimum=0),
            self._annotation(params.annotation_bool, annotations, "prefix", False, at),
            self._annotation(params.annotation_str, annotations, "label", "", at),
            self._annotation(params.annotation_int, annotations, "weight", 100, at),
        )

    def _regex(self, field: str, annotations: dict[str, object]) -> QueryNode:
        pattern, token = self._single_string("a string pattern after 'matches'")
        try:
            compile_regex(pattern)
        except PatternError as error:
            self.fail(str(error), token.start)
        return Regex(field, pattern, self._annotation(params.annotation_str, annotations, "label", "", token),
                     self._annotation(params.annotation_int, annotations, "weight", 100, token))

    def _value_fold(self, field: str) -> Callable[[str], str]:
        """How a string value for `field` is normalized: kept as written on a `match: cased` field
        (its match mode, from the parser's `_modes`)."""
        mode = getattr(self, "_modes", {}).get(field)
        return str if mode is not None and mode.cased else normalize

    def _in(self, field: str, annotations: dict[str, object], at: Token) -> QueryNode:
        """`field in (42, -7, @list)` or `field in ("a", 'b', @list)`: integers or strings, not
        both; an @parameter holds a comma-separated list of either."""
        self.expect_punct("(")
        fold = self._value_fold(field)
        values: list[tuple[str, bool, Token]] = []  # (value, is a number, where)
        while not self.is_punct(")"):
            if values:
                self.expect_punct(",")
            token = self.peek()
            if token.kind == "string":
                values.append((fold(self.advance().text), False, token))
            elif token.kind == "param":
                self.advance()
                values.extend((text, number, token) for text, number in _list_parameter(self._parameter(token), fold))
            else:
                number = self._number("an integer or a string in in()", exact=True)
                if not (isinstance(number, int) or number.is_integer()):
                    self.fail(f"in() takes integers or strings, not {number!r}", token.start)
                values.append((str(int(number)), True, token))
        self.advance()
        if not values:
            self.fail("in() needs at least one value", at.start)
        numeric = values[0][1]
        mixed = next((token for _, number, token in values if number != numeric), None)
        if mixed is not None:
            self.fail("in() takes either integers or strings, not both", mixed.start)
        unique = set(value for value, _, _ in values)  # a set, as Vespa's in-items hold them
        return In(field, tuple(sorted(unique, key=int) if numeric else sorted(unique)), numeric,
                  self._annotation(params.annotation_str, annotations, "label", "", at))


def _list_parameter(text: str, fold: Callable[[str], str]) -> list[tuple[str, bool]]:
    """'26, 25, -11' or `'this', "might", work`: quoted items are strings, bare integers numbers."""
    items = []
    for match in _LIST_ITEM.finditer(text.strip()):
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        bare = (match.group(3) or "").strip()
        if quoted is not None:
            items.append((fold(quoted), False))
        elif _INTEGER.fullmatch(bare):
            items.append((str(int(bare.rstrip("lL"))), True))
        elif bare:
            items.append((fold(bare), False))
        if match.end() >= len(text.strip()):
            break
    return items


def _element_filter(value: object, parser: YqlOperatorParser, at: Token) -> tuple[int, ...]:
    """{elementFilter: 3} or {elementFilter: [5, 2, 5]}: element ids, sorted and unique (Vespa)."""
    if value is None:
        return ()
    ids = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            parser.fail(f"element id must be an integer, got: {item!r}", at.start)
        if isinstance(item, float):
            parser.fail(f"element id must be integer, not floating point number. Got: {item}", at.start)
        if item < 0:
            parser.fail(f"element id must be non-negative, got: {item}", at.start)
        ids.append(int(item))
    return tuple(sorted(set(ids)))
