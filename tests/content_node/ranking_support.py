"""An in-process DocumentDB plus RankProgram for ranking tests (no processes, no network)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text, load_application


class RankingBed:
    def __init__(self, sd_text: str, docs: Sequence[Mapping[str, Any]], tmp_path: Path,
                 package_path: Path | None = None) -> None:
        if package_path is not None:
            (package_path / "schemas").mkdir(parents=True, exist_ok=True)
            (package_path / "schemas" / "doc.sd").write_text(sd_text)
            self.app = load_application(package_path)
        else:
            self.app = application_from_text(sd_text, name="doc.sd")
        self.package_path = package_path
        self.schema = self.app.schemas["doc"]
        self.db = DocumentDB(self.schema, tmp_path / "db")
        self.ids: dict[bytes, str] = {}
        for i, fields in enumerate(docs):
            self.db.put(f"id:test:doc::{i}", dict(fields))
        for gid in self.db.global_ids:
            local = self.db.local_id(gid)
            self.ids[gid] = self.db.document_id(local)

    def program(self, profile: str, extra_match_features: Sequence[str] = ()) -> RankProgram:
        return RankProgram(self.schema, self.schema.rank_profiles[profile], extra_match_features,
                           package_path=self.package_path)

    def search(self, profile: str, query: q.QueryNode | None = None, hits: int = 10,
               extra_match_features: Sequence[str] = (), **params: Any) -> matcher.SearchOutcome:
        search_params = matcher.SearchParams(query=query or q.TrueItem(), hits=hits, **params)
        return matcher.search(self.db, self.program(profile, extra_match_features), search_params)

    def ranked(self, profile: str, **kwargs: Any) -> list[tuple[str, float]]:
        """(document number, relevance) in result order."""
        outcome = self.search(profile, **kwargs)
        return [(self.ids[h.global_id].rsplit(":", 1)[1], round(h.relevance, 9)) for h in outcome.hits]

    def close(self) -> None:
        self.db.close()
