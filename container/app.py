"""The container's ASGI application: routes, and the lifespan that loads the application package
once and opens the channels to the content nodes."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Callable, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from container import explorer
from container.content_clusters import ContentClusters
from container.dispatch.content_client import ContentNodeClient, GrpcContentNodeClient, NodeAddress
from container.embedding.registry import embedder_ids, get_embedder
from container.http.auth import ClientAuth, ClientAuthMiddleware
from container.http.compression import GzipRequestMiddleware
from container.http.limits import RequestGuard, http_error, unexpected_error
from container.http.document_front import DocumentFront
from container.http.search_front import SearchFront
from container.http.search_handler import SearchHandler
from container.metrics import ContainerMetrics, MetricsMiddleware, onnx_samples, prometheus_text, v2_values
from searchlib.errors import InvalidParameterError
from searchlib.schema.application import load_application
from searchlib.schema.model import ApplicationPackage
from searchlib.tls import TlsMaterial

log = logging.getLogger("container")
ENGINE_VERSION = "8.0.0"  # the Vespa major whose APIs this container speaks


def create_app(application: ApplicationPackage | str, nodes: Sequence[NodeAddress] = (),
               clients: Sequence[ContentNodeClient] | None = None, *, tls: TlsMaterial | None = None,
               auth: ClientAuth | None = None) -> Starlette:
    """`clients` replaces the gRPC clients (tests use scripted or in-process ones); `tls`: mutual
    TLS to the content nodes; `auth`: the data-plane clients of services.xml <clients>."""
    package = load_application(application) if isinstance(application, str) else application
    node_clients = list(clients) if clients is not None else [GrpcContentNodeClient(n, tls) for n in nodes]
    clusters = ContentClusters(package, node_clients)
    cluster = clusters.first.cluster  # app.state.cluster: the first (often only) content cluster
    search = SearchHandler(clusters.searcher)
    container_metrics = ContainerMetrics()

    async def health(request: Request) -> JSONResponse:
        # not ready for traffic until every group has had all its nodes in rotation (a write sent
        # earlier could find its owner still starting); "up" from then on, as Vespa
        if not all(c.cluster.initialized for c in clusters.each):
            waiting = [key for c in clusters.each for key in c.cluster.not_yet_in_rotation()]
            return JSONResponse({"status": {"code": "initializing",
                                            "message": f"content nodes {waiting} are not in rotation yet"}}, 503)
        return JSONResponse({"status": {"code": "up"}})

    async def status_page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("OK")  # Vespa's /status.html: what `vespa status` polls

    async def application_status(request: Request) -> JSONResponse:
        # the part of Vespa's /ApplicationStatus that clients read (pyvespa polls for a 200)
        return JSONResponse({"application": {"vespa": {"version": ENGINE_VERSION},
                                             "meta": {"name": "phasedsearch", "generation": package.generation}},
                             "abstractComponents": [], "handlers": [], "searchChains": {}})

    async def node_states(request: Request) -> JSONResponse:
        await clusters.ping_all()  # answer with fresh counts, not the last background ping
        nodes_view = []
        for content_id, cluster, key, client in clusters.nodes():
            state = cluster.health[key]
            nodes_view.append({"distribution_key": key, "group": client.node.group, "cluster": content_id,
                               "address": client.node.address, "up": state.up,
                               "reachable": state.reachable, "state": state.state,
                               "catch_up_remaining": state.catch_up_remaining,
                               "accepting_writes": not state.write_error, "write_error": state.write_error,
                               "disk_usage": state.disk_usage, "memory_usage": state.memory_usage,
                               "documents": state.active_docs, "error": state.error})
        return JSONResponse({"nodes": nodes_view, "application": {"generation": package.generation}})

    async def metrics(request: Request) -> JSONResponse:
        from container.ranking.onnx_models import METRICS  # onnx sessions/batches/rows per provider

        return JSONResponse({"status": {"code": "up"}, "metrics": {"values": METRICS.snapshot()}})

    def metric_samples() -> list:
        from container.ranking.onnx_models import METRICS

        nodes = [("content.proton.documentdb.documents.active.last",
                  (("clusterId", content_id), ("distributionKey", str(key)),
                   ("group", str(client.node.group))), float(cluster.health[key].active_docs))
                 for content_id, cluster, key, client in clusters.nodes()]
        nodes += [("content.node.up.last", (("distributionKey", str(key)),), float(cluster.health[key].up))
                  for _, cluster, key, _ in clusters.nodes()]
        nodes += [(f"content.proton.resource_usage.{resource}.last",  # the feed block's inputs (Vespa's names)
                   (("clusterId", content_id), ("distributionKey", str(key))),
                   getattr(cluster.health[key], f"{resource}_usage"))
                  for content_id, cluster, key, _ in clusters.nodes() for resource in ("disk", "memory")]
        nodes += [("cluster-controller.resource_usage.nodes_above_limit.last", (("clusterId", c.id),),
                   float(len({e.key for e in c.cluster.feed_block.exhausted}))) for c in clusters.each]
        return container_metrics.samples(nodes + onnx_samples(METRICS.snapshot()))

    async def metrics_v2(request: Request) -> JSONResponse:
        await clusters.ping_all()  # current document counts, not the last background ping's
        return JSONResponse(v2_values(metric_samples()))

    async def prometheus(request: Request) -> PlainTextResponse:
        await clusters.ping_all()
        return PlainTextResponse(prometheus_text(metric_samples()), media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await clusters.ping_all()
        for each in clusters.each:  # ONNX sessions before the first query
            await asyncio.to_thread(each.searcher.global_phase.preload)
        await asyncio.to_thread(_preload_embedders, package)  # so the first embed() query is not the slow one
        for each in clusters.each:
            each.cluster.start()
            log.info("container ready: content cluster '%s' with %d nodes in %d groups", each.id,
                     len(each.cluster.clients), len(each.cluster.groups))
        yield
        for each in clusters.each:
            await each.cluster.close()

    routes = [
        Route("/search/", search.handle, methods=["GET", "POST"]),
        Route("/search", search.handle, methods=["GET", "POST"]),
        Route("/", root),
        Route("/document/v1/", clusters.visit, methods=["GET", "PUT", "DELETE"]),
        Route("/document/v1/{namespace}/{doctype}/docid", clusters.visit, methods=["GET", "PUT", "DELETE"]),
        Route("/document/v1/{namespace}/{doctype}/docid/", clusters.visit, methods=["GET", "PUT", "DELETE"]),
        Route("/document/v1/{namespace}/{doctype}/docid/{docid:path}", clusters.document,
              methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/document/v1/{namespace}/{doctype}/group/{group}/{docid:path}", clusters.document,
              methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/document/v1/{namespace}/{doctype}/number/{number}/{docid:path}", clusters.document,
              methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/state/v1/health", health),
        Route("/status.html", status_page),
        Route("/ApplicationStatus", application_status),
        Route("/state/v1/nodes", node_states),
        Route("/state/v1/metrics", metrics),
        Route("/metrics/v2/values", metrics_v2),
        Route("/prometheus/v1/values", prometheus),
        *explorer.routes(package),
    ]
    handlers = {Exception: unexpected_error, HTTPException: http_error}  # errors in the API's JSON shape
    # outermost first: metrics time everything; gzip bodies are inflated before the guard counts
    # them against the limits (a small compressed body cannot expand past them)

    def front(stack: ASGIApp) -> ASGIApp:
        documents = DocumentFront(stack, routes, clusters.document, clusters.documents_for, container_metrics,
                                  auth, package.limits)
        return SearchFront(documents, search, container_metrics, auth, package.limits)

    app = _ContainerApp(front, routes=routes, lifespan=lifespan, exception_handlers=handlers,
                        middleware=[Middleware(MetricsMiddleware, metrics=container_metrics),
                                    *([Middleware(ClientAuthMiddleware, auth=auth)] if auth is not None else []),
                                    Middleware(GzipRequestMiddleware), Middleware(RequestGuard, limits=package.limits)])
    app.state.cluster = cluster
    app.state.clusters = clusters
    app.state.application = package
    return app


class _ContainerApp(Starlette):
    """Starlette with the lean /search/ and /document/v1/ fronts (container/http/search_front.py,
    document_front.py) outside its stack."""

    def __init__(self, front: Callable[[ASGIApp], ASGIApp], **kwargs) -> None:
        super().__init__(**kwargs)
        self._front = front

    def build_middleware_stack(self) -> ASGIApp:
        return self._front(super().build_middleware_stack())


def _preload_embedders(package: ApplicationPackage) -> None:
    for component_id in embedder_ids(package):
        try:
            get_embedder(package, component_id)
        except InvalidParameterError as error:  # a missing model file: queries that need it answer 400
            log.error("embedder %s not loaded: %s", component_id, error.message)


async def root(request: Request) -> Response:
    """A browser goes to the ranking explorer; clients get Vespa's handler listing."""
    if explorer.wants_page(request):
        return RedirectResponse("/explorer/", status_code=302)
    return await handler_listing(request)


async def handler_listing(request: Request) -> JSONResponse:
    """Vespa's root handler listing: the vespa CLI checks for the document API here before visiting."""
    def handler(name: str, binding: str) -> dict:
        return {"id": name, "class": name, "bundle": "phasedsearch", "serverBindings": [binding]}
    return JSONResponse({"handlers": [
        handler("com.yahoo.search.handler.SearchHandler", "http://*/search/*"),
        handler("com.yahoo.document.restapi.resource.DocumentV1ApiHandler", "http://*/document/v1/*"),
        handler("com.yahoo.container.handler.observability.ApplicationStatusHandler", "http://*/ApplicationStatus")]})

