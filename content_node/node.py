"""The content node's state: the application package, one DocumentDB per schema, and the rank
programs compiled once per profile. Process-independent, so tests can run it in-process."""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from content_node import docsums, matcher, term_statistics
from content_node.catch_up import ReplicaSync
from content_node.document_db import DEFAULT_SNAPSHOT_INTERVAL, DocumentDB
from content_node.global_documents import OwnedDocuments, OwnedView
from content_node.imported_fields import bind_parents, imported_in, open_database
from content_node.posting_cache import PostingCache
from content_node.ranking.rank_program import RankProgram
from content_node.store.memory import IdleTrimmer
from content_node.store.timestamps import DEFAULT_TOMBSTONE_MAX_AGE, DocumentTimestamps, Stamp, newest_wins
from content_node.store.durable_files import write_durably
from content_node.visiting import Visitor
from searchlib import exact_json
from searchlib.corpus_statistics import CorpusStatistics
from searchlib.distribution import node_in_group
from searchlib.docid import DocumentId, bucket_of, global_id
from searchlib.errors import DocumentError, InvalidParameterError, UnsyncedReplicaError, WrongDistributionError
from searchlib.schema.application import load_application
from searchlib.ranking_setup import hidden_match_features
from searchlib.schema.model import ApplicationPackage, Schema
from searchlib.selection import ConditionNotMet, Selection
from searchlib.snippets import SnippetConfig

log = logging.getLogger("content_node")

REBUILD_MARKER = "rebuild-from-replica"  # in the data dir while lost data awaits catch-up


class ContentNode:
    def __init__(self, app_dir: str | Path, data_dir: str | Path, distribution_key: int,
                 group_keys: Sequence[int] | None = None, groups: int | None = None, cluster: str = "",
                 tombstone_max_age: float = DEFAULT_TOMBSTONE_MAX_AGE) -> None:
        """`groups`: how many groups the cluster has (default: as services.xml says). With more than
        one, a replica exists, so data lost to a damaged disk is rebuilt from it instead of the node
        refusing to start (StoreCorruption). `cluster`: the <content> cluster this node belongs to
        (default: the first); the node holds that cluster's document types only. `tombstone_max_age`:
        seconds a remove is remembered for replicas that missed it (store/timestamps.py)."""
        self.distribution_key = distribution_key
        # the distribution keys of this node's group: client writes for buckets another node of
        # the group owns are refused. None: no placement check (an in-process node owns everything)
        self.group_keys = tuple(sorted(group_keys)) if group_keys is not None else None
        self.application: ApplicationPackage = load_application(app_dir)
        if cluster or len(self.application.clusters) > 1 or self.application.unserved_schemas:
            self.application = self.application.cluster_view(cluster or self.application.content.id)
        self.data_dir = Path(data_dir)
        self.has_replica = (groups or len(self.application.content.groups) or 1) > 1
        self.databases: dict[str, DocumentDB] = {
            name: open_database(schema, self.data_dir / name, rebuild=self.has_replica,
                                timestamps=DocumentTimestamps(tombstone_max_age), snapshot_interval=int(
                                    os.environ.get("PHASEDSEARCH_SNAPSHOT_INTERVAL", DEFAULT_SNAPSHOT_INTERVAL)))
            for name, schema in self.application.schemas.items()}
        bind_parents(self.databases)  # imported fields read their parents' databases
        self._global_types = frozenset(self.application.content.global_types)
        self._owned = {name: OwnedDocuments(distribution_key, self.group_keys)
                       for name, schema in self.application.schemas.items()
                       if schema.document_name in self._global_types and self.group_keys is not None}
        self._programs: dict[tuple[str, str], RankProgram] = {}
        self._programs_lock = threading.Lock()
        self._posting_caches = {name: PostingCache() for name in self.databases}  # term reads between writes
        self.visitor = Visitor({name: OwnedView(db, self._owned[name]) if name in self._owned else db
                                for name, db in self.databases.items()})  # a global document once per group
        self.sync = ReplicaSync(self)  # not ready until caught up with a replica (or told there is none)
        self._require_replica_if_data_was_lost()
        self._searches = 0  # read without a lock: the idle trimmer only needs to see it move
        self._trimmer = IdleTrimmer(lambda: (self.last_sequence, self._searches))
        self._prepare_programs()
        log.info("content node %d ready with %d documents", distribution_key, self.active_documents)

    @property
    def generation(self) -> str:
        return self.application.generation

    @property
    def active_documents(self) -> int:
        return sum(db.doc_count for db in self.databases.values())

    @property
    def write_error(self) -> str:
        """Why this node refuses writes now ("" while it accepts them)."""
        return next((db.write_error for db in self.databases.values() if db.write_error), "")

    @property
    def last_sequence(self) -> int:
        return max((db.last_sequence for db in self.databases.values()), default=0)

    def schema(self, name: str) -> Schema:
        schema = self.application.schemas.get(name)
        if schema is None:
            raise InvalidParameterError(f"Unknown schema '{name}'")
        return schema

    def program(self, schema_name: str, profile: str) -> RankProgram:
        key = (schema_name, profile or "default")
        with self._programs_lock:
            program = self._programs.get(key)
            if program is None:
                schema = self.schema(schema_name)
                rank_profile = schema.rank_profiles.get(key[1])
                if rank_profile is None:
                    raise InvalidParameterError(
                        f"schema '{schema_name}' does not contain requested rank profile '{key[1]}'")
                program = self._programs[key] = RankProgram(
                    schema, rank_profile, hidden_match_features(rank_profile, self.application.path or None), package_path=self.application.path)
            return program

    def _prepare_programs(self) -> None:
        """Compile every rank profile now, reading its constants and opening its ONNX sessions, as
        Vespa does at deploy: the first query of a profile must not pay for a large constant or a
        model load (it would time out). A profile that does not compile is logged and left to its
        queries, which report the error as before; nothing here is evaluated per document."""
        for schema_name, schema in self.application.schemas.items():
            for profile_name in schema.rank_profiles:
                try:
                    self.program(schema_name, profile_name)
                except Exception as error:  # noqa: BLE001 - one bad profile must not stop the node
                    log.warning("rank profile %s/%s not prepared: %s", schema_name, profile_name, error)

    def search(self, schema_name: str, profile: str, params: matcher.SearchParams,
               view_seconds: float = 10.0) -> matcher.SearchOutcome:
        """Under one read view; its generation stays readable by the fill for `view_seconds`."""
        program = self.program(schema_name, profile)
        self._searches += 1
        with self.databases[schema_name].read_view() as view:
            index = self._posting_caches[schema_name].over(view)
            if schema_name in self._owned:  # a global type: this node answers for its own buckets only
                index = OwnedView(index, self._owned[schema_name], view)
            if params.distribution_key != self.distribution_key:  # the servicer sets it already
                params = replace(params, distribution_key=self.distribution_key)
            outcome = matcher.search(index, program, params)
            return replace(outcome, generation=view.open_view(view_seconds))

    def term_statistics(self, schema_name: str, query) -> CorpusStatistics:
        """This node's counts for the query (cluster-wide statistics, content_node/term_statistics.py)."""
        self.schema(schema_name)
        with self.databases[schema_name].read_view() as view:
            return term_statistics.collect(view, view.schema, query)

    def fill(self, schema_name: str, profile: str, summary_class: str, global_ids: Sequence[bytes],
             query, query_features, now: float, rank_properties=None, as_of: int = 0,
             corpus_statistics: CorpusStatistics | None = None, *, bolding: bool = True) -> list[docsums.Docsum]:
        """`as_of`: the generation of the search that found the hits (0: the current documents);
        bolding=False: presentation.bolding=false, no <hi> around query words."""
        schema = self.schema(schema_name)
        program = self.program(schema_name, profile) if profile else None
        with self.databases[schema_name].read_view() as view:
            return docsums.fill(view, program, schema, summary_class, global_ids, query, query_features,
                                now or time.time(), rank_properties, as_of, corpus_statistics,
                                SnippetConfig.from_settings(self.application.content.snippet_settings),
                                bolding=bolding, distribution_key=self.distribution_key)

    def database_for(self, document_id: str) -> DocumentDB:
        doctype = DocumentId.parse(document_id).doctype
        for db_name, schema in self.application.schemas.items():
            if schema.document_name == doctype or schema.name == doctype:
                return self.databases[db_name]
        raise DocumentError(f"Document type {doctype} does not exist")

    # Client writes: `timestamp` is the operation's, assigned by the container (0: none, the node's
    # clock assigns one). Newest wins (store/timestamps.py): a write older than the stored version,
    # or the same operation again, is acknowledged without being applied.

    def put(self, document_id: str, fields_json: str, condition: str = "", create: bool = False,
            timestamp: int = 0, origin: int = 0, tested_base: int | None = None,
            replica_copy: bool = False) -> int | None:
        """`origin`: a replica's copy of an update's result (store/timestamps.py); 0 from clients.
        `replica_copy`: a merge's copy of a version a replica acknowledged (DocumentDB.put).
        `tested_base`: the condition was tested already, on that version (`probe`); without a condition,
        the version the container read before deciding this write (a compare-and-set, `_condition`).
        Returns the stored timestamp a condition held against (None: no condition, or superseded)."""
        self._check_owner(document_id)
        fields = _json_object(fields_json, "fields")
        db = self.database_for(document_id)
        base: list[int] = []
        test = _condition(document_id, condition, create, db, base, tested_base)
        if condition:  # a compare-and-set reads only the stored timestamp: taken while catching up
            self._check_base(document_id)
        self.sync.live_write(document_id, True, lambda: newest_wins(
            db, document_id, timestamp or None,
            lambda check, ts: db.put(document_id, fields, condition=check, timestamp=ts, origin=origin,
                                     replica_copy=replica_copy), test,
            superseded=None, origin=origin))
        return base[0] if base else None

    def update(self, document_id: str, operations_json: str, create: bool, condition: str = "",
               timestamp: int = 0) -> bool:
        return self.update_on_base(document_id, operations_json, create, condition, timestamp)[0]

    def update_on_base(self, document_id: str, operations_json: str, create: bool, condition: str = "",
                       timestamp: int = 0, tested_base: int | None = None) -> tuple[bool, int | None]:
        """(found, base): `base` is the stored timestamp the update was evaluated against, read under
        the database lock (ABSENT: no document; None: superseded, not evaluated) — replicas that
        report different bases hold different results (container/http/update_repair.py)."""
        self._check_owner(document_id)
        operations = _json_object(operations_json, "fields")
        db = self.database_for(document_id)
        test = _condition(document_id, condition, create, db, tested_base=tested_base)
        self._check_base(document_id)  # a partial update reads the stored document, conditional or not
        base: list[int] = []

        def write(check, ts):
            def observe(stored):  # called under the lock, after the newest-wins check passed
                check(stored)
                base.append(db.timestamps.timestamp(global_id(document_id)))
            return db.update(document_id, operations, create=create, condition=observe, timestamp=ts)

        found = self.sync.live_write(document_id, False, lambda: newest_wins(
            db, document_id, timestamp or None, write, test))
        return found, base[0] if base else None

    def remove(self, document_id: str, condition: str = "", timestamp: int = 0) -> bool:
        return self.remove_on_base(document_id, condition, timestamp)[0]

    def remove_on_base(self, document_id: str, condition: str = "", timestamp: int = 0,
                       tested_base: int | None = None) -> tuple[bool, int | None]:
        """(found, the stored timestamp a condition held against: None without one). `tested_base`: as for `put`."""
        self._check_owner(document_id)
        db = self.database_for(document_id)
        base: list[int] = []
        test = _condition(document_id, condition, False, db, base, tested_base)
        if condition:
            self._check_base(document_id)
        found = self.sync.live_write(document_id, True, lambda: newest_wins(
            db, document_id, timestamp or None,
            lambda check, ts: db.remove(document_id, condition=check, timestamp=ts), test))
        return found, base[0] if base else None

    def probe(self, document_id: str, condition: str, create: bool) -> int:
        """Test-and-set's first step (container/http/condition_probe.py): test `condition` as the write
        would and write nothing. The stored timestamp it held on; ConditionNotMet (with it) when not."""
        self._check_owner(document_id)
        if not condition:
            raise DocumentError("A condition probe needs a condition")
        db = self.database_for(document_id)
        held: list[int] = []
        test = _condition(document_id, condition, create, db, held)
        self._check_base(document_id)
        db.get(document_id, test)
        return held[0]

    def _check_base(self, document_id: str) -> None:
        """A write that reads the stored document: refused while this copy may be stale (ReplicaSync.refuse)."""
        refusal = self.sync.refuse(document_id)
        if refusal is not None:
            raise UnsyncedReplicaError(refusal)

    def _check_owner(self, document_id: str) -> None:
        """Client writes only for the buckets this node owns (catch-up writes do not come here)."""
        if self.group_keys is None or DocumentId.parse(document_id).doctype in self._global_types:
            return  # a global document is written to every node
        gid = global_id(document_id)
        owner = node_in_group(gid, self.group_keys)
        if owner != self.distribution_key:
            raise WrongDistributionError(
                f"Wrong distribution: document {document_id} is in bucket 0x{bucket_of(gid):04x}, which "
                f"content node {owner} owns (this is content node {self.distribution_key} of the group "
                f"of nodes {list(self.group_keys)})")

    def get(self, document_id: str) -> dict | None:
        return self.database_for(document_id).get(document_id)

    def get_version(self, document_id: str) -> tuple[dict | None, Stamp | None]:
        """The stored fields and the entry of the document's newest operation (a remove's tombstone
        if removed), read together under the database lock: a get across inconsistent replicas
        returns the newest (container/http/document_handler.py)."""
        database, gid, entry = self.database_for(document_id), global_id(document_id), []
        fields = database.get(document_id, lambda _: entry.append(database.timestamps.get(gid)))
        return fields, entry[0]

    def _require_replica_if_data_was_lost(self) -> None:
        """A marker file keeps the requirement across restarts until a catch-up completes: a node
        restarted before that must not serve its partial data as whole when no replica is up."""
        marker = self.data_dir / REBUILD_MARKER
        reason = next((db.rebuild_reason for db in self.databases.values() if db.rebuild_reason), None)
        if reason:
            try:
                write_durably(marker, reason.encode())
            except OSError as error:
                log.error("cannot record that %s must be rebuilt: %s", self.data_dir, error)
        elif marker.exists():
            reason = marker.read_text(errors="replace").strip() or "an earlier rebuild did not complete"
        if reason:
            self.sync.require_replica(reason, marker)

    def close(self) -> None:
        self._trimmer.stop()
        for db in self.databases.values():
            db.close()


def _condition(document_id: str, text: str, create: bool, db: DocumentDB, held: list[int] | None = None,
               tested_base: int | None = None):
    """The test-and-set check the DocumentDB runs under its lock, or None without a condition. The
    stored document is tested with the imported fields the condition reads (read through its references).
    The stored timestamp it was tested against goes to `held` when it holds, on the ConditionNotMet
    (`base`) when not: replicas that judged different versions are reconciled (document_handler.py).
    `tested_base`: the probe found the condition held on that version, the newest of any replica's
    (container/http/condition_probe.py); it holds here unless the stored version is newer. Without a
    condition, the same rule makes a compare-and-set: a container that read that version and wrote
    again what it decided from it (container/http/update_repair.py) never replaces a newer version,
    which another container's acknowledged write may be."""
    if tested_base is not None:
        return _tested(document_id, tested_base, db, held)
    if not text:
        return None
    selection = Selection.parse(text)
    names = imported_in(selection, db)
    imported = db.values_for_condition(document_id, names) if names else None  # type: ignore[attr-defined]

    def test(fields) -> None:
        base = db.timestamps.timestamp(global_id(document_id))
        try:
            with_imported = fields if fields is None or imported is None else {**fields, **imported(fields)}
            selection.test(document_id, with_imported, create)
        except ConditionNotMet as error:
            error.base = base
            raise
        if held is not None:
            held.append(base)
    return test


def _tested(document_id: str, tested_base: int, db: DocumentDB, held: list[int] | None):
    def test(fields) -> None:
        base = db.timestamps.timestamp(global_id(document_id))
        if base > tested_base:  # written since the probe or read: its verdict is about an older version
            error = ConditionNotMet(f"ReturnCode(TEST_AND_SET_CONDITION_FAILED, Document {document_id} "
                                    "changed after its condition was tested or its version was read)")
            error.base = base
            raise error
        if held is not None:
            held.append(base)
    return test


def _json_object(text: str, what: str) -> dict:
    try:
        value = exact_json.loads(text) if text else {}
    except json.JSONDecodeError as error:
        raise DocumentError(f"Malformed JSON in '{what}': {error}") from None
    if not isinstance(value, dict):
        raise DocumentError(f"'{what}' must be a JSON object")
    return value

