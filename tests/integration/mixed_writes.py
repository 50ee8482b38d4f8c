"""A feeder of puts, removes, updates with create=true and conditional updates of the same
documents, and the model of what they may have left (tests of removes and updates under faults).

Each feeder thread owns its documents, so the order of their writes is known: the model keeps, per
document, the set of states it may be in (one after an acknowledged write; an unanswered or
refused write adds the state it would leave), and a node must hold one of them."""
from __future__ import annotations

import contextlib
import random
import threading
import time

import httpx

from tests.integration.storage_faults import NodeReader, wait_until

WORKERS, DOCUMENTS_EACH = 3, 12
State = frozenset | None  # the document's (title, text) items, or None: absent


def document_path(name: str) -> str:
    return f"/document/v1/test/doc/docid/{name}"


def document_id(name: str) -> str:
    return f"id:test:doc::{name}"


def assigned(state: State, title: str) -> State:
    """An update with create=true assigning `title`: the base's other fields kept."""
    return frozenset({**dict(state or ()), "title": title}.items())


class MixedFeeder:
    """Writes from `WORKERS` threads until stopped; `possible[n]`: the states document n may be in."""

    def __init__(self, url: str, round_: str) -> None:
        self.url, self.round = url, round_
        self.possible: dict[str, set[State]] = {f"mixed-{round_}{n}": {None} for n in range(WORKERS * DOCUMENTS_EACH)}
        self.acked = {"put": 0, "remove": 0, "update": 0, "conditional": 0}
        self.statuses: dict[int, int] = {}  # 0: no answer
        # 503s for a replica serving what it holds while one that may hold newer versions is away
        # (SearchCluster.unsynced_replicas): nothing was written, so the model keeps the states before
        self.stale_refused = {"put": 0, "remove": 0, "update": 0, "conditional": 0}
        self.kinds: tuple[str, ...] = ("put", "remove", "update", "conditional")
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._writing = threading.Semaphore(WORKERS)  # one a worker while it writes: `paused` takes them all
        self._go = threading.Event()
        self._go.set()
        self._threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WORKERS)]

    def __enter__(self) -> "MixedFeeder":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(90)

    def settle(self, acknowledgements: int, seconds: float = 60.0) -> None:
        """Wait until `acknowledgements` more writes were acknowledged."""
        target = sum(self.acked.values()) + acknowledgements
        wait_until(lambda: sum(self.acked.values()) >= target, seconds)

    @contextlib.contextmanager
    def paused(self):
        """No write is in flight or sent in the block (the last ones then stay on what took them)."""
        self._go.clear()
        for _ in range(WORKERS):
            self._writing.acquire()
        try:
            yield
        finally:
            for _ in range(WORKERS):
                self._writing.release()
            self._go.set()

    def _run(self, worker: int) -> None:
        rng, step = random.Random(f"{self.round}-{worker}"), 0
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            while not self._stop.is_set():
                self._go.wait()
                step += 1
                n = f"mixed-{self.round}{worker * DOCUMENTS_EACH + rng.randrange(DOCUMENTS_EACH)}"
                kind = rng.choice(self.kinds)
                text = f"{self.round}-{worker}-{step}"
                with self._writing:  # the model too: `paused` reads it
                    message = ""
                    try:
                        response = self._send(client, kind, n, text)
                        status = response.status_code
                        message = response.text if status == 503 else ""
                    except httpx.HTTPError:
                        status = 0  # no answer: the write may or may not have been applied
                    with self._lock:
                        self.statuses[status] = self.statuses.get(status, 0) + 1
                        before = self.possible[n]
                        after = {self._result(kind, state, text) for state in before}
                        if status == 200:
                            self.possible[n] = after
                            self.acked[kind] += 1
                        elif status == 412 and kind == "conditional":
                            self.possible[n] = {s for s in before if not _holds(s)}
                            self.acked[kind] += 1
                        elif "may hold a newer version" in message:
                            self.stale_refused[kind] += 1  # applied nowhere: the states stay
                        else:
                            self.possible[n] = before | after
                if status != 200:
                    time.sleep(0.05)

    @staticmethod
    def _send(client: httpx.Client, kind: str, n: str, text: str) -> httpx.Response:
        if kind == "put":
            return client.post(document_path(n), json={"fields": {"title": f"put {text}", "text": f"body {text}"}})
        if kind == "remove":
            return client.delete(document_path(n))
        if kind == "update":
            return client.put(document_path(n), params={"create": "true"},
                              json={"fields": {"title": {"assign": f"update {text}"}}})
        return client.put(document_path(n), params={"condition": 'doc.title = "put*"'},
                          json={"fields": {"title": {"assign": f"conditional {text}"}}})

    @staticmethod
    def _result(kind: str, state: State, text: str) -> State:
        if kind == "put":
            return frozenset({"title": f"put {text}", "text": f"body {text}"}.items())
        if kind == "remove":
            return None
        if kind == "update":
            return assigned(state, f"update {text}")
        return assigned(state, f"conditional {text}") if _holds(state) else state


def _holds(state: State) -> bool:
    return state is not None and dict(state)["title"].startswith("put")


def answers_ready(reader: NodeReader) -> bool:
    try:
        return reader.ping().state == "ready"
    except Exception:  # noqa: BLE001 - not listening yet
        return False


def stored_state(reader: NodeReader, n: str) -> State:
    stored = reader.get(document_id(n))
    return None if stored is None else frozenset((k, v) for k, v in stored.items() if k in ("title", "text"))


def assert_as_modelled(readers, feeder: MixedFeeder) -> None:
    """The replicas converge, and each document is in a state the writes can have left."""
    wait_until(lambda: len({tuple(sorted(reader.checksums().items())) for reader in readers}) == 1, 40)
    wrong = []
    for n, possible in feeder.possible.items():
        held = [stored_state(reader, n) for reader in readers]
        if len(set(held)) != 1 or held[0] not in possible:
            wrong.append((document_id(n), held, possible))
    assert not wrong, f"{len(wrong)} documents lost a write or came back: {wrong[:2]}"
    assert all(feeder.acked.values()), f"every kind of write was acknowledged: {feeder.acked}"


