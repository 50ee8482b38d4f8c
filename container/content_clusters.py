"""The content clusters of services.xml as the container serves them: one SearchCluster, searcher,
document and visit handler per <content>, each over that cluster's view of the package (its document
types only). Documents go to the cluster that holds their type; queries to the clusters holding the
schemas they ask for (container/search/federation.py). One cluster is served exactly as before."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from container.dispatch.content_client import ContentNodeClient
from container.dispatch.feed_block import limits_in_effect
from container.dispatch.search_cluster import SearchCluster
from container.http.document_handler import DocumentHandler, path_id_of
from container.http.visit_handler import VisitHandler
from container.search.cluster_searcher import ClusterSearcher
from container.search.federation import FederatedSearcher
from searchlib.errors import quote_input
from searchlib.schema.model import ApplicationPackage


@dataclass(frozen=True, slots=True)
class ServedCluster:
    id: str
    cluster: SearchCluster
    searcher: ClusterSearcher
    documents: DocumentHandler
    visits: VisitHandler


class UnservedType:
    """Every document request on a type whose schema is in the package but in no cluster's
    <documents>: a 400 saying why. Vespa acknowledges such a write and drops it
    (DocumentRouteSelectorPolicy: no route selects it, DocumentIgnoredReply); here an acknowledged
    write is always stored, so it is refused."""

    def __init__(self, message: str) -> None:
        self.message = message

    async def handle(self, request: Request) -> JSONResponse:
        return await self.answer(request.method, path_id_of(request.scope), request.path_params,
                                 request.query_params, b"")

    async def answer(self, method: str, path_id: str, path_params: Mapping[str, str],
                     query_params: Mapping[str, str], body: bytes) -> JSONResponse:
        return JSONResponse({"pathId": path_id, "message": self.message}, 400)


class ContentClusters:
    def __init__(self, package: ApplicationPackage, clients: Sequence[ContentNodeClient]) -> None:
        self.package = package
        several = len(package.clusters) > 1
        known = {c.id for c in package.clusters}
        strays = sorted({c.node.cluster for c in clients if c.node.cluster and c.node.cluster not in known})
        if strays:
            raise ValueError(f"content nodes name content cluster '{strays[0]}', which services.xml does not "
                             f"have (clusters: {', '.join(sorted(known))})")
        self.each: list[ServedCluster] = []
        for content in package.clusters:
            view = package.cluster_view(content.id) if several else package
            # documents and visits see the listed types only; a lone cluster's searcher keeps the whole
            # package, so a query naming an unlisted schema is told why (container/search/query.py)
            held = package.cluster_view(content.id) if package.unserved_schemas else view
            mine = [c for c in clients if (c.node.cluster or package.content.id) == content.id]
            cluster = SearchCluster(mine, package.generation, content.id, limits_in_effect(content.resource_limits))
            self.each.append(ServedCluster(content.id, cluster, ClusterSearcher(view, cluster),
                                           DocumentHandler(held, cluster), VisitHandler(held, cluster)))
        self.first = self.each[0]
        self.searcher = (FederatedSearcher(package, {c.id: c.searcher for c in self.each}) if several
                         else self.first.searcher)
        self._by_type = {t: served for served, content in zip(self.each, package.clusters)
                         for t in content.document_types}
        self._by_id = {served.id: served for served in self.each}
        listed = ", ".join(f"'{t}' in '{c.id}'" for c in package.clusters for t in c.document_types)
        self._unserved = {
            doctype: UnservedType(f"Document type '{doctype}' is in no content cluster: services.xml's <documents> "
                                  f"list only {listed}, so its documents are neither stored nor searched")
            for doctype in (package.schemas[name].document_name for name in package.unserved_schemas)}

    def nodes(self) -> Iterator[tuple[str, SearchCluster, int, ContentNodeClient]]:
        """(cluster id, its SearchCluster, distribution key, client) of every node."""
        for served in self.each:
            for key, client in sorted(served.cluster.clients.items()):
                yield served.id, served.cluster, key, client

    async def ping_all(self) -> None:
        for served in self.each:
            await served.cluster.ping_all()

    def _holding(self, doctype: str) -> ServedCluster:
        """The cluster of a document type (a type no cluster holds: the first, whose handler says so)."""
        return self._by_type.get(doctype, self.first)

    async def document(self, request: Request) -> Response:
        return await self.documents_for(request.path_params.get("doctype", "")).handle(request)

    def documents_for(self, doctype: str) -> DocumentHandler | UnservedType:
        """The document handler of the cluster holding `doctype` (the lean front's and the route's)."""
        return self._unserved.get(doctype) or self._holding(doctype).documents

    async def visit(self, request: Request) -> Response:
        """Visits go to the cluster the `cluster` parameter names, else the one holding the type."""
        name = request.query_params.get("cluster")
        if unserved := self._unserved.get(request.path_params.get("doctype", "")):
            return await unserved.handle(request)
        if name is None or len(self.each) == 1:
            return await self._holding(request.path_params.get("doctype", "")).visits.handle(request)
        if name not in self._by_id:
            return JSONResponse({"pathId": request.url.path,
                                 "message": f"Your Vespa deployment has no content cluster '{quote_input(name)}', "
                                            f"only {', '.join(repr(s.id) for s in self.each)}"}, 400)
        return await self._by_id[name].visits.handle(request)
