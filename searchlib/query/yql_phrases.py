"""Words, terms and phrases of `contains`, a layer of the YQL parser (yql.py): a string becomes the
words the field indexed (tokenized, stemmed unless {stem: false}, or the field's match mode), one
word a Term, several a Phrase; `phrase(...)` flattens nested phrases and alternatives as Vespa does."""
from __future__ import annotations

from dataclasses import replace

from searchlib.errors import quote_input
from searchlib.linguistics import normalize, query_words
from searchlib.match_modes import query_terms
from searchlib.query import parameters as params
from searchlib.query.tree import Phrase, QueryNode, Term, equiv_key
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import MAX_DEPTH as _MAX_DEPTH, YqlValueCursor


# boolean word settings (name, default) Vespa's WordItem keeps and its serializer shows when not default
_WORD_SETTINGS = (("usePositionData", True), ("stem", True), ("normalizeCase", True), ("accentDrop", True),
                  ("andSegmenting", False), ("implicitTransforms", True))


_FORM_KEYS = frozenset({"origin", "language", "grammar", *(name for name, _ in _WORD_SETTINGS)})
_NO_MARKS = str.maketrans("", "", "\x1d\x1e\x1f")  # the marks of compound words (tree.equiv_key, phrase_key)


class YqlPhraseParser(YqlValueCursor):
    """Needs from the parser: `_inherited`, `_exact_fields`, `_modes`, `_language`, `_stem`,
    `_same_element_field`, `_annotations`, `_starts_annotations`, `_parameter` and `_alternatives`."""

    def _phrase_words(self, field: str, annotations: dict[str, object], depth: int,
                      segments: list[tuple[int, int]] | None = None,
                      items: list[QueryNode] | None = None) -> list[str]:
        """phrase(...)'s words: strings, @parameters and nested phrase(...) items, each may be
        parenthesised with its own annotations (`({stem: false}"a")`), and alternatives({...}) (any of
        its forms at that place); a nested phrase's words
        take its place, as Vespa's parser flattens them (`phrase("a", phrase("b", "c"))` is "a b c").
        A nested phrase with an `origin` annotation is Vespa's phrase segment (the words of one
        original string): the same words in the same places, its span added to `segments` (shown
        `"a b 'c d'"`). `items` gets the members as Vespa's phrase holds them, each with its own
        annotations (words, phrase segments, alternatives), for display (tree.Phrase.items)."""
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
            found: list[str]
            item: QueryNode | None = None
            if token.kind in ("string", "param"):
                text = token.text if token.kind == "string" else self._parameter(token)
                self._no_member_affix(field, own, token, "a phrase member")
                found = self._words(field, text, {**self._inherited, **own}, token)
                item = Term(field, found[0], written=text) if len(found) == 1 and not written else \
                    self._phrase(field, found, written, token, segment=True, text=text)
            elif token.kind == "ident" and token.text.lower() == "phrase" and self.is_punct("("):
                members: list[QueryNode] = []
                found = self._phrase_words(field, own, depth + 1, items=members)
                if segments is not None and "origin" in written and len(found) > 1:
                    segments.append((len(words), len(words) + len(found)))
                if "origin" in written:  # Vespa's phrase segment: one member
                    item = self._phrase(field, found, written, token, items=tuple(members))
                elif items is not None:  # flattened into this phrase, as Vespa does
                    items.extend(members)
            elif token.kind == "ident" and token.text.lower() == "alternatives" and self.is_punct("("):
                item = self._alternatives(field, {**self._inherited, **own}, token, written)
                forms = [] if item is None else [item.term] if isinstance(item, Term) else list(item.terms)
                found = forms if len(forms) < 2 else [equiv_key(tuple(forms), inner=True)]  # any form there
            else:
                self.expected("a string or phrase(...) in phrase()", token)
            words.extend(found)
            if items is not None and item is not None:
                items.append(item)
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
        words = [word for text in texts for word in self._words(field, text, merged, at)]
        if affixes and len(words) > 1 and not self._streaming(field):
            # Vespa keeps such a string one unsegmented affix item, which only an attribute (or
            # streaming) matches: never a silent phrase of whole words
            self.fail(f"{{{affixes[0]}: true}} needs one word, not the {len(words)} of "
                      f"'{quote_input(' '.join(texts), 60)}': an index is not searched by {affixes[0]}", at.start)
        return self._phrase(field, words, annotations, at, affixes[0] if affixes else "", segment=True,
                            text=" ".join(texts))

    def _streaming(self, field: str) -> bool:
        mode = self._modes.get(field)
        return mode is not None and mode.streaming

    def _no_member_affix(self, field: str, annotations: dict[str, object], at: Token, what: str) -> None:
        """A {prefix|substring|suffix: true} word inside a phrase, near or equiv: refused, as the
        composite matches its members as whole words (streaming search applies each field's own
        algorithm), rather than dropped."""
        merged = {**self._inherited, **annotations}
        affix = next((name for name in ("prefix", "substring", "suffix")
                      if self._annotation(params.annotation_bool, merged, name, False, at)), None)
        if affix is not None and not self._streaming(field):
            self.fail(f"{{{affix}: true}} is not supported on {what}: its words match as whole words", at.start)

    def _phrase(self, field: str, tokens: list[str], annotations: dict[str, object], at: Token,
                affix: str = "", *, segment: bool = False, segments: tuple[tuple[int, int], ...] = (),
                text: str | None = None, items: tuple[QueryNode, ...] = ()) -> QueryNode | None:
        """One word is a Term (with its {prefix|substring|suffix: true} affix), several a Phrase,
        none nothing. `text`: the string the words came from (a phrase segment's origin)."""
        annotations = {**self._inherited, **annotations}
        if not tokens:
            self._empty_words += 1  # Vespa's word of an empty string (what nonEmpty(...) refuses)
            return None
        weight = self._annotation(params.annotation_int, annotations, "weight", 100, at)
        label = self._annotation(params.annotation_str, annotations, "label", "", at)
        ranked = self._annotation(params.annotation_bool, annotations, "ranked", True, at)
        is_filter = self._annotation(params.annotation_bool, annotations, "filter", False, at)
        given = self._annotation(params.annotation_float, annotations, "significance", None, at)
        links = self._links(annotations, at)
        statistics = {"positions": self._annotation(params.annotation_bool, annotations, "usePositionData", True, at),
                      "document_frequency": self._document_frequency(annotations, at)}
        if len(tokens) == 1:
            form = self._word_form(annotations, at, text, tokens[0])
            return Term(field, tokens[0], weight, label, ranked, is_filter, affix, given, **links, form=form,
                        written=text or "", **statistics)
        form = self._word_form(annotations, at, text if segment else None, None)
        return Phrase(field, tuple(tokens), weight, label, segment, segments, ranked, is_filter, given, **links,
                      form=form, items=items, written=text or "", **statistics)

    def _word_form(self, annotations: dict[str, object], at: Token, text: str | None,
                   word: str | None) -> tuple[tuple[str, object], ...]:
        """The word settings Vespa's serializer shows (tree.Term.form), in its order: the origin
        (for a word, only where it differs from the word; a phrase segment's is its string), then
        the settings that are not at their defaults."""
        if (text is None or word is not None) and not _FORM_KEYS.intersection(annotations):
            return ()  # most words: nothing to keep
        form: list[tuple[str, object]] = []
        origin = self._origin(annotations, at)
        if origin is None and text is not None and word is None:
            origin = {"original": text, "offset": 0, "length": len(text)}
        if origin is not None:
            start = origin["offset"]
            if word is None or origin["original"][start:start + origin["length"]] != word:
                form.append(("origin", origin))
        for name, default in _WORD_SETTINGS:
            if self._annotation(params.annotation_bool, annotations, name, default, at) != default:
                form.append((name, not default))
        language = self._annotation(params.annotation_str, annotations, "language", "", at)
        if language:
            form.append(("language", language))
        if annotations.get("grammar") == "raw":  # the whole string as one word (_words)
            form.append(("grammar", "raw"))
        return tuple(form)

    def _origin(self, annotations: dict[str, object], at: Token) -> dict[str, object] | None:
        """{origin: {original: "...", offset: N, length: M}}: where the item's text came from."""
        origin = annotations.get("origin")
        if origin is None:
            return None
        if not isinstance(origin, dict):
            self.fail(f"Annotation 'origin' must be a map of original, offset and length, got {origin!r}", at.start)
        for key in ("original", "offset", "length"):  # all required: Vespa's YqlParser.getMapValue
            if key not in origin:
                self.fail(f"Map annotation 'origin' must contain an entry with key '{key}'", at.start)
        return {"original": self._annotation(params.annotation_str, origin, "original", "", at),
                "offset": self._annotation(params.annotation_int, origin, "offset", 0, at, minimum=0),
                "length": self._annotation(params.annotation_int, origin, "length", 0, at, minimum=0)}

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

    def _document_frequency(self, annotations: dict[str, object], at: Token) -> tuple[int, int] | None:
        """{documentFrequency: {frequency: f, count: c}}: (f, c), both whole numbers >= 0 (Vespa's
        DocumentFrequency of longs), None without it."""
        given = annotations.get("documentFrequency")
        if given is None:
            return None
        if not isinstance(given, dict):
            self.fail(f"Annotation 'documentFrequency' must be a map of frequency and count, got {given!r}", at.start)
        for key in ("frequency", "count"):  # both required, other keys ignored: Vespa's getLongMapValue
            if key not in given:
                self.fail(f"Map annotation 'documentFrequency' must contain an entry with key '{key}'", at.start)
        frequency, count = (self._annotation(params.annotation_int, given, name, 0, at, minimum=0,
                                             maximum=params.INT64_MAX) for name in ("frequency", "count"))
        return frequency, count

    def _words(self, field: str, text: str, annotations: dict[str, object], at: Token) -> list[str]:
        """The words of one string as the field indexed them: normalized whole values for
        exact-match fields or {implicitTransforms: false}, else tokenized (and stemmed unless {stem: false})."""
        if self._same_element_field is not None:  # fields inside sameElement are relative to its field
            field = f"{self._same_element_field}.{field}" if field else self._same_element_field
        verbatim = not self._annotation(params.annotation_bool, annotations, "implicitTransforms", True, at)
        accent_drop = self._annotation(params.annotation_bool, annotations, "accentDrop", True, at)
        # {normalizeCase: false}: the word is taken as already lowercased (Vespa's setLowercased):
        # kept as written, so it meets a lowercased index only if written in lowercase
        lowercase = self._fold_case and ("normalizeCase" not in annotations or self._annotation(
            params.annotation_bool, annotations, "normalizeCase", True, at))
        if annotations.get("grammar") == "raw":  # Vespa: one word of the whole string, not segmented
            value = normalize(text, accent_drop, lowercase).translate(_NO_MARKS)
            return [value] if value else []
        if field in self._exact_fields or verbatim:  # without U+001F: it marks the combined term of an equiv
            # {implicitTransforms: false}: the term as written (Vespa: no segmenting, stemming or
            # accent removal), only case-folded as every index here is
            value = normalize(text, accent_drop and not verbatim, lowercase).translate(_NO_MARKS)
            return [value] if value else []
        stem = self._annotation(params.annotation_bool, annotations, "stem", self._stem, at)
        if field in self._modes:
            self._literal.note(field, text, self._language)
            mode = self._modes[field] if accent_drop else replace(self._modes[field], normalizing=False)
            return query_terms(mode, text, self._language, stem)
        return query_words(text, self._language, stem, accent_drop, lowercase)
