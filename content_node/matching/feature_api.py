"""What a rank-feature family sees: the parsed feature name, and the calculator's interface
(content_node.matching.rank_features.FeatureCalculator implements it). A family module imports this
and never the calculator, so the registry (feature_setup.py) has no import circle."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol

import numpy as np

from content_node.matching.match_sets import MatchableIndex
from content_node.matching.nearest_neighbor import FoundNeighbors
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.model import Schema

_FEATURE = re.compile(r"^(?P<base>[A-Za-z_][\w.]*?)(?:\((?P<args>[^()]*)\))?(?:\.(?P<output>[\w.]+))?$")


@dataclass(frozen=True, slots=True)
class FeatureName:
    base: str
    args: tuple[str, ...]
    output: str

    @classmethod
    def parse(cls, name: str) -> "FeatureName":
        found = _PARSED.get(name)
        if found is None:  # a profile names few features, and every query computes them again
            found = cls._parse(name)
            if len(_PARSED) < 4096:
                _PARSED[name] = found
        return found

    @classmethod
    def _parse(cls, name: str) -> "FeatureName":
        text = name.replace(" ", "")
        found = _FEATURE.match(text)
        if found:
            args = tuple(a.strip().strip('"') for a in found["args"].split(",")) if found["args"] else ()
            return cls(found["base"], args, found["output"] or "")
        return cls._parse_nested(name, text)

    @classmethod
    def _parse_nested(cls, name: str, text: str) -> "FeatureName":
        """Arguments that are features themselves: `foreach(terms,N,term(N).significance,">0",sum)`."""
        base_end = text.find("(")
        if base_end <= 0 or not _FEATURE.match(text[:base_end]):
            raise InvalidParameterError(f"'{name}' is not a rank feature")
        args, depth, quoted, start = [], 0, False, base_end + 1
        for i in range(base_end, len(text)):
            char = text[i]
            if char == '"':
                quoted = not quoted
            elif quoted:
                continue
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    args.append(text[start:i])
                    rest = text[i + 1:]
                    if rest and not re.fullmatch(r"\.[\w.]+", rest):
                        break
                    return cls(text[:base_end], tuple(a.strip('"') for a in args), rest[1:])
            elif char == "," and depth == 1:
                args.append(text[start:i])
                start = i + 1
        raise InvalidParameterError(f"'{name}' is not a rank feature")


_PARSED: dict[str, FeatureName] = {}  # by feature text; values are immutable


class RankIndex(MatchableIndex, Protocol):
    @property
    def doc_count(self) -> int: ...

    def document_frequency(self, field: str, term: str) -> int: ...

    def field_lengths(self, field: str) -> np.ndarray: ...

    def average_field_length(self, field: str, per_element: bool = False) -> float: ...

    def document(self, local_id: int, wanted=None) -> dict | None: ...


class Calculator(Protocol):
    """One query on one node: the index, the query and its features, and per-term helpers."""

    @property
    def schema(self) -> Schema: ...

    @property
    def index(self) -> RankIndex: ...

    @property
    def query(self) -> q.QueryNode: ...

    @property
    def query_features(self) -> Mapping[str, object]: ...

    @property
    def rank_properties(self) -> Mapping[str, str]: ...

    @property
    def now(self) -> float: ...

    @property
    def settings(self) -> Mapping[str, str]: ...

    @property
    def distribution_key(self) -> int: ...

    @property
    def ranked_items(self) -> list: ...

    # the (field, word)s of {usePositionData: false} terms, which postings() returns as filters
    no_position_words: frozenset[tuple[str, str]]

    def in_scope(self, item: object, candidates: np.ndarray) -> np.ndarray: ...

    @property
    def neighbors(self) -> FoundNeighbors: ...

    def postings(self, field: str, term: str): ...

    def position_remap(self, field: str) -> Callable[[int, np.ndarray], np.ndarray] | None: ...

    # (local id, stored positions) -> (element ordinal, position within it, element length) each
    def elements(self, field: str) -> Callable[[int, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]: ...

    def field_arg(self, feature: FeatureName, index_required: bool) -> str: ...

    def terms_for_field(self, field: str) -> list[str]: ...

    def term_frequencies(self, field: str, term: str, candidates: np.ndarray) -> np.ndarray: ...

    def term_hits(self, field: str, term: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def compute(self, name: str, candidates: np.ndarray) -> object: ...

    def is_dense(self, candidates: np.ndarray) -> bool: ...

    def memo(self, key: tuple, make: Callable[[], object] | None) -> object: ...


FeatureFunction = Callable[[Calculator, FeatureName, np.ndarray], object]
FeatureFamily = Mapping[str, FeatureFunction]
