"""Global significance models (Vespa's `<search><significance><model .../>` in services.xml, used
by rank profiles with `significance { use-model: true }`): per language, a document count and each
word's document frequency, shared by every node so a term ranks the same wherever it is searched.

The file is Vespa's JSON (optionally zstandard-compressed, `.zst`):

    {"version": 1, "id": "...", "description": "...",
     "languages": {"en": {"description": "...", "document-count": 1000,
                          "document-frequencies": {"and": 500, "car": 100}}}}

As Vespa's SignificanceSearcher, the container sets each word item's document frequency
(frequency, count) from the model of the query's language before the query is dispatched; a word the
model lacks gets frequency 1 (DefaultSignificanceModel.documentFrequency), and an item whose
significance the query gives keeps it. The content nodes then read (frequency, count) where they
would read their own document frequency and document count: bm25's idf, term(n).significance and
nativeRank's and fieldMatch's significance.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

from searchlib.errors import QueryError
from searchlib.languages import is_known_language, model_language, vespa_language_name
from searchlib.linguistics import tokenize_unstemmed
from searchlib.query import tree as q

UNKNOWN_LANGUAGE, ENGLISH = "un", "en"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_MAX_MODEL_BYTES = 4 * 1024 * 1024 * 1024  # a decompressed model past this is refused, not read
_MAX_COUNT = 2**63 - 1  # Vespa reads counts as Java longs: a larger one is no model


class SignificanceModelError(ValueError):
    """A model file that is not Vespa's significance model format."""


@dataclass(frozen=True, slots=True)
class LanguageModel:
    """One language of a model: its corpus's document count and each word's document frequency."""

    document_count: int
    frequencies: Mapping[str, int]
    source: str = ""  # the model's id (or file), for traces

    def document_frequency(self, word: str) -> tuple[int, int]:
        """(frequency, count) of `word`; a word the model lacks counts as in one document."""
        return self.frequencies.get(word, 1), self.document_count


def read_model(path: Path) -> dict[str, LanguageModel]:
    """The languages of one model file (JSON, or zstandard-compressed JSON)."""
    data = Path(path).read_bytes()
    if data[:4] == _ZSTD_MAGIC:
        import zstandard  # only compressed models need it

        try:
            data = zstandard.ZstdDecompressor().decompress(data, max_output_size=_MAX_MODEL_BYTES)
        except zstandard.ZstdError as error:
            raise SignificanceModelError(f"significance model '{path}' is not valid zstandard: {error}") from None
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise SignificanceModelError(f"significance model '{path}' is not JSON: {error}") from None
    except RecursionError:  # nesting deeper than the parser's stack: no model either
        raise SignificanceModelError(f"significance model '{path}' is not JSON: nested too deeply") from None
    return parse_model(parsed, str(path))


def parse_model(parsed: object, name: str) -> dict[str, LanguageModel]:
    languages = parsed.get("languages") if isinstance(parsed, dict) else None
    if not isinstance(languages, dict) or not languages:
        raise SignificanceModelError(f"significance model '{name}' has no \"languages\" object")
    source = str(parsed.get("id") or name)
    models = {}
    for tag, model in languages.items():
        try:  # "en,no": one model for several languages (DefaultSignificanceModelRegistry splits on ',')
            codes = [model_language(part) for part in tag.split(",")]
        except ValueError as error:
            raise SignificanceModelError(f"significance model '{name}': {error}") from None
        count = model.get("document-count") if isinstance(model, dict) else None
        frequencies = model.get("document-frequencies") if isinstance(model, dict) else None
        if not _count(count) or count < 1 or not isinstance(frequencies, dict):
            raise SignificanceModelError(f"significance model '{name}', language '{tag}': expected a positive "
                                         "\"document-count\" and a \"document-frequencies\" object")
        bad = next((word for word, n in frequencies.items() if not _count(n)), None)
        if bad is not None:
            raise SignificanceModelError(f"significance model '{name}', language '{tag}': the document frequency "
                                         f"of '{bad}' is not a non-negative integer")
        language = LanguageModel(count, MappingProxyType(dict(frequencies)), source)
        models.update(dict.fromkeys(codes, language))
    return models


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_COUNT


@dataclass(frozen=True, slots=True)
class SignificanceModels:
    """The models of services.xml by language: a later model's language overrides an earlier's."""

    languages: Mapping[str, LanguageModel]

    @classmethod
    def load(cls, paths: Iterable[Path]) -> "SignificanceModels":
        return cls.merged(read_model(path) for path in paths)

    @classmethod
    def merged(cls, files: Iterable[Mapping[str, LanguageModel]]) -> "SignificanceModels":
        """The languages of model files in services.xml's order: a later file's language wins."""
        languages: dict[str, LanguageModel] = {}
        for file in files:
            languages.update(file)
        return cls(MappingProxyType(languages))

    @property
    def detects(self) -> bool:
        """Whether the query's detected language can change the model: not with one model for
        "un" or "en", which every detected language falls back to (detection costs ~25 us)."""
        return not (len(self.languages) == 1 and next(iter(self.languages)) in (UNKNOWN_LANGUAGE, ENGLISH))

    def for_query(self, explicit: str, detected: str) -> LanguageModel:
        """Vespa's model resolution: an explicitly tagged language must have a model ("un", or a
        tag of no language Vespa knows, which it takes as UNKNOWN: "un", else "en"); a detected one
        falls back to "un", then "en". Else a 400 (Vespa's code 3, illegal query)."""
        if explicit:
            if explicit != UNKNOWN_LANGUAGE and is_known_language(explicit):
                found = self.languages.get(explicit)
                if found is None:
                    raise QueryError("No significance model available for set language "
                                     f"{vespa_language_name(explicit)}")
                return found
        elif detected in self.languages:
            return self.languages[detected]
        found = self.languages.get(UNKNOWN_LANGUAGE) or self.languages.get(ENGLISH)
        if found is None:
            raise QueryError("No significance model available for unknown or english language")
        return found


def with_document_frequencies(node: q.QueryNode, model: LanguageModel, language: str = "") -> q.QueryNode:
    """`node` with each word item's document frequency from `model` (SignificanceSearcher.setIDF):
    items whose significance or document frequency the query gives keep theirs.

    setIDF walks into every composite, so the words of a phrase, an equiv or a near get the model's
    frequencies too; a near's words rank each. A phrase or an equiv is one rank term, so its words'
    frequencies are combined as the node combines its own estimates of them
    (core_features.document_frequency, Vespa's blueprints): a phrase is as frequent as its rarest
    word, an equiv as its likeliest."""
    if isinstance(node, q.Term):
        if node.significance is not None or node.document_frequency is not None:
            return node
        return replace(node, document_frequency=model.document_frequency(model_word(node, language)))
    if isinstance(node, q.Phrase):
        if node.significance is not None or node.document_frequency is not None:
            return node
        return replace(node, document_frequency=(_phrase_frequency(model, node.terms, node, language),
                                                 model.document_count))
    if isinstance(node, q.Equiv):
        if node.document_frequency is not None:
            return node
        frequency = max(_frequency(model, key, item, language) for key, item in _members(node, node.terms, language))
        return replace(node, document_frequency=(frequency, model.document_count))
    if isinstance(node, q.Near):  # each positive word is a rank term of its own
        members = node.items[:len(node.terms)] if len(node.items) == len(node.terms) + len(node.negative) else ()
        keyed = zip(node.terms, members) if members else ((key, None) for key in node.terms)
        return replace(node, document_frequencies=tuple(  # a word the query gives one keeps it
            getattr(item, "document_frequency", None) or (_frequency(model, key, item, language),
                                                          model.document_count) for key, item in keyed))
    return q.map_children(node, lambda child: with_document_frequencies(child, model, language))


def _members(item: q.Phrase | q.Equiv | None, keys: tuple[str, ...],
             language: str) -> list[tuple[str, q.QueryNode | None]]:
    """Each word (or compound key) of a phrase or equiv with the item it was parsed as, whose
    written text the model is read by: the words of the phrase's own text when they are its words
    one for one, else its members as parsed when they are (a phrase's member phrase, flattened into
    it, each of its words through its own text), else none (the words as they stand)."""
    written = getattr(item, "written", "")
    if written:
        words = tokenize_unstemmed(written, language or "en", fold_accents=False)
        if len(words) == len(keys):
            return [(key, q.Term(item.field, key, written=word)) for key, word in zip(keys, words)]
    if item is not None:
        members = list(item.items) if isinstance(item, q.Equiv) else \
            [flat for member in item.items for flat in _flattened(member, language)]
        if len(members) == len(keys):
            return list(zip(keys, members))
    return [(key, None) for key in keys]


def _flattened(member: q.QueryNode, language: str) -> list[q.QueryNode | None]:
    """A phrase member as the items of its words in the phrase (Vespa's parser flattens a member
    phrase into it): a member phrase's words, else the member itself."""
    if isinstance(member, q.Phrase):
        return [item for _, item in _members(member, member.terms, language)]
    return [member]


def _phrase_frequency(model: LanguageModel, keys: tuple[str, ...], phrase: q.Phrase | None, language: str) -> int:
    return min(_frequency(model, key, item, language) for key, item in _members(phrase, keys, language))


def _frequency(model: LanguageModel, key: str, item: q.QueryNode | None, language: str) -> int:
    """The model's frequency of one member: a word, alternatives' key (the likeliest form) or a
    phrase's key (its rarest word)."""
    alternatives = q.equiv_alternatives(key)
    if alternatives is not None:
        return max(_frequency(model, word, None, language) for word in alternatives)
    words = q.phrase_words(key)
    if words is not None:
        return _phrase_frequency(model, words, item if isinstance(item, q.Phrase) else None, language)
    word = model_word(item, language) if isinstance(item, q.Term) else key.lower()
    return model.document_frequency(word)[0]


def model_word(term: q.Term, language: str = "") -> str:
    """The word a model holds for `term`: as written, lowercased, unstemmed and with its accents
    (Vespa's SignificanceSearcher runs before stemming and looks up the word lowercased; its
    model generator writes words so). The term itself when the written text is not one word."""
    if term.written:
        words = tokenize_unstemmed(term.written, language or "en", fold_accents=False)
        if len(words) == 1:
            return words[0]
    return term.term.lower()


def query_words(node: q.QueryNode) -> list[str]:
    """The words of the query's word items, in order: the text its language is detected from."""
    return [item.term for item in q.terms_of(node) if isinstance(item, q.Term)]
