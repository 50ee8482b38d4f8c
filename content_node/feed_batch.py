"""The operations of one Feed call on a ContentNode: each checked on its own (a bad one gets its
own error and the others go on), applied in order per database under one write batch
(content_node/write_batch.py), and acknowledged together once the batch's sync made them durable."""
from __future__ import annotations

from typing import Any, Callable, Sequence

Write = tuple[str, Callable[[], Any]]  # (document id, the node's put/update/remove of it)


def apply_batch(node, writes: Sequence[Write]) -> list[Any]:
    """Per write, what it returned or the exception it raised. A write counts as done only if the
    sync that ended its database's batch succeeded; otherwise it gets that sync's error."""
    results: list[Any] = [None] * len(writes)
    by_database: dict[int, tuple[Any, list[int]]] = {}
    for index, (document_id, _) in enumerate(writes):
        try:
            database = node.database_for(document_id)
        except Exception as error:  # noqa: BLE001 - this write's own error
            results[index] = error
            continue
        by_database.setdefault(id(database), (database, []))[1].append(index)
    for database, indexes in by_database.values():
        try:
            with node.sync.write_order(), database.write_batch() as end:  # lock order: as catch-up's
                for index in indexes:
                    try:
                        results[index] = writes[index][1]()
                    except Exception as error:  # noqa: BLE001 - this write's own error
                        results[index] = error
            end.make_durable()  # outside the locks: the next batch is applied during this fsync
        except Exception as error:  # noqa: BLE001 - the batch could not be made durable
            for index in indexes:
                if not isinstance(results[index], BaseException):
                    results[index] = error
    return results
