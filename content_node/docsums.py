"""Summaries (the fill phase): the fields of a document-summary class for chosen hits, plus
summary-features recomputed for exactly those documents."""
from __future__ import annotations

import threading
from typing import Mapping, Sequence

import numpy as np

from content_node import mutation
from content_node.matching.rank_features import FeatureCalculator
from content_node.ranking.rank_program import RankProgram
from content_node.streaming import is_streaming
from content_node.term_statistics import ranking_index
from searchlib import exact_json
from searchlib.corpus_statistics import CorpusStatistics
from searchlib.errors import InvalidParameterError
from searchlib.geo import zcurve_value
from searchlib.languages import field_language, language_sources
from searchlib.query import tree as q
from searchlib.struct_values import summary_source_value
from searchlib.schema.geo_fields import zcurve_source
from searchlib.schema.model import Schema
from searchlib.snippets import DEFAULT_SNIPPETS, SnippetConfig, summary_transforms
from searchlib.wire.search_codec import DocsumValue


RENDERED_BY_CONTAINER = frozenset({"sddocname", "documentid"})


# A summary is the value the Search reply carries (its `fields_json`: `fields` as exact_json.dumps
# writes them, when the stored text already is that and is an object of strings; see fill): one
# type, so the reply takes the fill's summaries without a copy of each
Docsum = DocsumValue


_PARSED_LIMIT = 2048
_PARSED_TEXT_LIMIT = 16 << 10  # a longer document is parsed each time: it would crowd out many short ones
_PARSED_BYTES = 4 << 20  # the kept texts' bytes (about 3x that in memory: the text, its fields and its dumps)


class _ParseCache:
    """The parsed stored texts, bounded by count and by bytes, emptied whole when either is full.
    A read is one dict operation (atomic under the search threads); a write takes the lock so the
    byte count stays true."""

    def __init__(self) -> None:
        self._found: dict[bytes, tuple[dict, str | None]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, text: bytes) -> tuple[dict, str | None] | None:
        return self._found.get(text)

    def put(self, text: bytes, parsed: tuple[dict, str | None]) -> None:
        if len(text) > _PARSED_TEXT_LIMIT:
            return
        with self._lock:
            if len(self._found) >= _PARSED_LIMIT or self._bytes + len(text) > _PARSED_BYTES:
                self.clear_locked()
            if text not in self._found:
                self._found[text] = parsed
                self._bytes += len(text)

    def clear(self) -> None:
        with self._lock:
            self.clear_locked()

    def clear_locked(self) -> None:
        self._found.clear()
        self._bytes = 0

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._found)


_parsed = _ParseCache()


def _stored_summary(text: bytes) -> tuple[dict, str | None]:
    """(a stored document's fields, `text` as exact_json.dumps would write them or None): a pure
    function of the text, kept for the next summaries of the same document (a node's best hits
    come back query after query; the store hands out the same inflated bytes, whose hash Python
    keeps). Reading and checking the ~1.5 kB of a scifact document cost ~12 us a summary. Kept
    only for an object of strings (fill hands out a shallow copy: nothing nested is shared) and a
    text of at most _PARSED_TEXT_LIMIT bytes (_ParseCache)."""
    found = _parsed.get(text)
    if found is None:
        stored = exact_json.loads(text)
        found = (stored, exact_json.stored_text_as_dumps(stored, text) if isinstance(stored, dict) else None)
        if found[1] is not None:
            _parsed.put(text, found)
    return found


def summary_field_names(schema: Schema, summary_class: str) -> list[tuple[str, tuple[str, ...]]]:
    name = summary_class or "default"
    summary = schema.summaries.get(name)
    if summary is None:
        raise InvalidParameterError(
            f"invalid presentation.summary={name}: unknown summary class for schema '{schema.name}'")
    return [(f.name, f.sources) for f in summary.fields]


def fill(index, program: RankProgram | None, schema: Schema, summary_class: str,
         global_ids: Sequence[bytes], query: q.QueryNode | None,
         query_features: Mapping[str, object], now: float,
         rank_properties: Mapping[str, str] | None = None, as_of: int = 0,
         corpus_statistics: CorpusStatistics | None = None,
         snippets: SnippetConfig = DEFAULT_SNIPPETS, *, bolding: bool = True,
         distribution_key: int = 0) -> list[Docsum]:
    """`as_of`: the generation of the search that found the hits; a document replaced or removed
    since comes back as it was then (store/read_views.py). Its summary-features are left out: they
    would be computed on the current attributes."""
    fields_wanted = summary_field_names(schema, summary_class)
    found = []  # (gid, current local id or None, superseded version or None)
    for gid in global_ids:
        version = index.version_at(gid, as_of) if as_of else None
        local_id = index.local_id(gid)
        if version is not None or local_id is not None:
            found.append((gid, local_id, version))
    rows = np.array([lid for _, lid, version in found if version is None], dtype=np.int32)
    if program is not None and mutation.has_summary_mutation(program.profile):
        mutation.apply_phase(index, program.profile, mutation.ON_SUMMARY, rows)
    features = iter(_summary_features(ranking_index(index, corpus_statistics, is_streaming(schema)), program,
                                      schema, query, query_features, now, rows, rank_properties or {},
                                      distribution_key))
    mutable = _mutable_columns(index, schema, fields_wanted)
    zcurves = {source: zcurve_source(schema.fields, source) for name, sources in fields_wanted
               for source in sources or (name,)}  # `pos_zcurve`: the z-curve of position field `pos`
    zcurves = {source: position for source, position in zcurves.items() if position is not None}
    stored_sources = {zcurves.get(source, source).split(".")[0] for name, sources in fields_wanted
                      for source in sources or (name,)}
    transforms = summary_transforms(schema, summary_class, query, snippets,  # snippets, bolding, tokens, ...
                                    bolding=bolding)
    # a transformed field's text is matched in its document's language, as it was indexed
    set_by = language_sources(schema) if transforms else {}
    languages = {name: set_by[source] for name, sources in fields_wanted
                 if name in transforms and (source := (sources or (name,))[0]) in set_by}
    stored_sources |= set(languages.values())
    # a summary of ids only (a vector-only document's default) reads nothing from the store
    reads_store = any(name not in RENDERED_BY_CONTAINER for name, _ in fields_wanted)
    names = [name for name, _ in fields_wanted if name not in RENDERED_BY_CONTAINER]
    # a class of stored fields under their own names, as stored: a document holding exactly those
    # (in that order, none empty) is its own summary, and its stored text may be the summary's JSON
    as_stored = (reads_store and not mutable and not zcurves and not transforms and hasattr(index, "stored_json")
                 and all(sources in ((), (name,)) and "." not in name for name, sources in fields_wanted
                         if name not in RENDERED_BY_CONTAINER))
    docsums = []
    for gid, local_id, version in found:
        if version is None:
            text = index.stored_json(local_id, stored_sources) if as_stored else None
            stored, as_dumps = _stored_summary(text) if text is not None else (None, None)
            document_id, summary_features = index.document_id(local_id), next(features)
            if stored is not None and list(stored) == names and all(stored.values()):
                docsums.append(Docsum(gid, document_id, dict(stored), summary_features, as_dumps))
                continue
            # otherwise what `document` gives: it adds attribute-held and imported (parent) fields
            stored = (index.document(local_id, stored_sources) or {}) if reads_store else {}
        else:
            stored, document_id, summary_features = version.fields(), version.document_id, {}
        fields: dict[str, object] = {}
        for name, sources in fields_wanted:
            if name in RENDERED_BY_CONTAINER:
                continue
            value = None
            for source in sources or (name,):  # `source: a, b`: the first that has a value
                if source in mutable:
                    value = mutable[source](local_id) if local_id is not None else None
                elif source in zcurves:
                    value = zcurve_value(stored.get(zcurves[source]))
                else:
                    value = summary_source_value(stored, source)
                if value is not None and value != "":
                    break
            if name in transforms and value is not None:
                value = transforms[name](value, language=field_language(stored, languages.get(name, "")))
            if value is not None and value != "":
                fields[name] = value
        docsums.append(Docsum(gid, document_id, fields, summary_features))
    return docsums


def _mutable_columns(index, schema: Schema, fields_wanted) -> dict:
    """Readers for mutable attributes (they live outside the stored document), as JSON numbers."""
    readers = {}
    for _, sources in fields_wanted:
        for source in sources:
            field = schema.fields.get(source)
            if field is not None and field.is_mutable:
                column = index.attribute(source)
                integral = field.type.kind in ("int", "long", "byte")
                readers[source] = (lambda lid, c=column, i=integral: int(c[lid]) if i else float(c[lid]))
    return readers


def _summary_features(index, program, schema, query, query_features, now, rows, rank_properties, distribution_key):
    per_hit: list[dict[str, object]] = [{} for _ in range(len(rows))]
    if program is None or not program.summary_features or not len(rows):
        return per_hit
    calculator = FeatureCalculator(schema, index, query or q.TrueItem(),
                                   program.query_features(query_features), now,
                                   program.rank_properties(rank_properties), settings=program.feature_settings,
                                   distribution_key=distribution_key)
    for named in program.summary_features:
        values = program.evaluate(named.expression, calculator, rows)
        for i in range(len(rows)):
            per_hit[i][named.name] = _row_value(values, i)
    return per_hit


def _row_value(values: object, row: int) -> object:
    """A float per hit for columns; one tensor per hit for per-row tensors; shared tensors as is."""
    if isinstance(values, np.ndarray):
        return float(values[row])
    rows_of = getattr(values, "row", None)
    return rows_of(row) if rows_of else values
