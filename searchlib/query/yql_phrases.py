"""Words, terms and phrases of `contains`, a layer of the YQL parser (yql.py): a string becomes the
words the field indexed (tokenized, stemmed unless {stem: false}, or the field's match mode), one
word a Term, several a Phrase; `phrase(...)` flattens nested phrases and alternatives as Vespa does."""
from __future__ import annotations

from dataclasses import replace

from searchlib.linguistics import normalize, query_words
from searchlib.match_modes import query_terms
from searchlib.query import parameters as params
from searchlib.query.tree import Phrase, QueryNode, Term, equiv_key
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import MAX_DEPTH as _MAX_DEPTH, YqlValueCursor


class YqlPhraseParser(YqlValueCursor):
    """Needs from the parser: `_inherited`, `_exact_fields`, `_modes`, `_language`, `_stem`,
    `_same_element_field`, `_annotations`, `_starts_annotations`, `_parameter` and `_alternative_words`."""

    def _phrase_words(self, field: str, annotations: dict[str, object], depth: int,
                      segments: list[tuple[int, int]] | None = None) -> list[str]:
        """phrase(...)'s words: strings, @parameters and nested phrase(...) items, each may be
        parenthesised with its own annotations (`({stem: false}"a")`), and alternatives({...}) (any of
        its forms at that place); a nested phrase's words
        take its place, as Vespa's parser flattens them (`phrase("a", phrase("b", "c"))` is "a b c").
        A nested phrase with an `origin` annotation is Vespa's phrase segment (the words of one
        original string): the same words in the same places, its span added to `segments` (shown
        `"a b 'c d'"`)."""
        if depth > _MAX_DEPTH:
            self.fail(f"The query nests deeper than {_MAX_DEPTH} levels", self.peek().start)
        self.expect_punct("(")
        words: list[str] = []
        pieces = 0
        while not self.is_punct(")"):
            if pieces:
                self.expect_punct(",")
            wrapped = self.is_punct("(")
            if wrapped:
                self.advance()
            written = self._annotations(depth + 1) if self._starts_annotations() else {}
            own = {**annotations, **written}
            token = self.advance()
            if token.kind in ("string", "param"):
                text = token.text if token.kind == "string" else self._parameter(token)
                words.extend(self._words(field, text, {**self._inherited, **own}, token))
            elif token.kind == "ident" and token.text.lower() == "phrase" and self.is_punct("("):
                nested = self._phrase_words(field, own, depth + 1)
                if segments is not None and "origin" in written and len(nested) > 1:
                    segments.append((len(words), len(words) + len(nested)))
                words.extend(nested)
            elif token.kind == "ident" and token.text.lower() == "alternatives" and self.is_punct("("):
                forms = self._alternative_words(field, {**self._inherited, **own}, token)
                words.extend(forms if len(forms) < 2 else [equiv_key(forms)])  # any form at that position
            else:
                self.expected("a string or phrase(...) in phrase()", token)
            if wrapped:
                self.expect_punct(")")
            pieces += 1
        self.advance()
        if not pieces:
            self.expected("at least one string")
        return words

    def _text(
        self, field: str, texts: list[str], annotations: dict[str, object], at: Token
    ) -> QueryNode | None:
        merged = {**self._inherited, **annotations}
        affixes = [name for name in ("prefix", "substring", "suffix")
                   if self._annotation(params.annotation_bool, merged, name, False, at)]
        if len(affixes) > 1:
            self.fail("Only one of prefix, substring and suffix can be set", at.start)
        if affixes:  # an affix is matched as written, never stemmed
            merged = {**merged, "stem": False}
        return self._phrase(field, [word for text in texts for word in self._words(field, text, merged, at)],
                            annotations, at, affixes[0] if affixes else "", segment=True)

    def _phrase(self, field: str, tokens: list[str], annotations: dict[str, object], at: Token,
                affix: str = "", *, segment: bool = False,
                segments: tuple[tuple[int, int], ...] = ()) -> QueryNode | None:
        """One word is a Term (with its {prefix|substring|suffix: true} affix), several a Phrase,
        none nothing."""
        annotations = {**self._inherited, **annotations}
        if not tokens:
            return None
        weight = self._annotation(params.annotation_int, annotations, "weight", 100, at)
        label = self._annotation(params.annotation_str, annotations, "label", "", at)
        ranked = self._annotation(params.annotation_bool, annotations, "ranked", True, at)
        is_filter = self._annotation(params.annotation_bool, annotations, "filter", False, at)
        given = self._annotation(params.annotation_float, annotations, "significance", None, at)
        links = self._links(annotations, at)
        if len(tokens) == 1:
            return Term(field, tokens[0], weight, label, ranked, is_filter, affix, given, **links)
        return Phrase(field, tuple(tokens), weight, label, segment, segments, ranked, is_filter, given, **links)

    def _links(self, annotations: dict[str, object], at: Token) -> dict[str, object]:
        """{id: N} and {connectivity: {id: M, weight: w}} of an item: term(n).connectedness reads w
        where item M is term n-1 (Vespa's vespa.term.N.connexity, util::lookupConnectedness)."""
        item_id = self._annotation(params.annotation_int, annotations, "id", 0, at)
        connection = annotations.get("connectivity")
        if connection is None:
            return {"item_id": item_id, "connectivity": None}
        if not isinstance(connection, dict):
            self.fail(f"Annotation 'connectivity' must be a map of id and weight, got {connection!r}", at.start)
        to = self._annotation(params.annotation_int, connection, "id", 0, at)
        weight = self._annotation(params.annotation_float, connection, "weight", 1.0, at)
        return {"item_id": item_id, "connectivity": (to, weight)}

    def _words(self, field: str, text: str, annotations: dict[str, object], at: Token) -> list[str]:
        """The words of one string as the field indexed them: normalized whole values for
        exact-match fields or {implicitTransforms: false}, else tokenized (and stemmed unless {stem: false})."""
        if self._same_element_field is not None:  # fields inside sameElement are relative to its field
            field = f"{self._same_element_field}.{field}" if field else self._same_element_field
        verbatim = not self._annotation(params.annotation_bool, annotations, "implicitTransforms", True, at)
        accent_drop = self._annotation(params.annotation_bool, annotations, "accentDrop", True, at)
        if field in self._exact_fields or verbatim:  # without U+001F: it marks the combined term of an equiv
            # {implicitTransforms: false}: the term as written (Vespa: no segmenting, stemming or
            # accent removal), only case-folded as every index here is
            value = normalize(text, fold_accents=accent_drop and not verbatim).replace("\x1f", "")
            return [value] if value else []
        stem = self._annotation(params.annotation_bool, annotations, "stem", self._stem, at)
        if field in self._modes:
            self._literal.note(field, text, self._language)
            mode = self._modes[field] if accent_drop else replace(self._modes[field], normalizing=False)
            return query_terms(mode, text, self._language, stem)
        return query_words(text, self._language, stem, accent_drop)
