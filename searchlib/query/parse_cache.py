"""A bounded LRU of parsed YQL: a statement seen again with the same request parameters parses to
the same tree (parsing reads nothing else: @references, userQuery() and its settings are all
parameters, and the trees are frozen values), so it is parsed once. Thread-safe: the container
parses in worker threads."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Hashable, Mapping


class ParseCache:
    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str, parameters: Mapping[str, object], *context: Collection[str]) -> Hashable | None:
        """Every parameter is part of the key (a superset of what the parse reads, so a hit is
        always right); None when a value is not hashable (not cached)."""
        try:
            key = (text, frozenset(parameters.items()), *(frozenset(c) for c in context))
            hash(key)
        except TypeError:
            return None
        return key

    def get(self, key: Hashable | None):
        if key is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable | None, value: object) -> None:
        if key is None:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
