"""The container's ASGI application: routes, and the lifespan that loads the application package
once and opens the channels to the content nodes."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from container.dispatch.content_client import ContentNodeClient, GrpcContentNodeClient, NodeAddress
from container.dispatch.search_cluster import SearchCluster
from container.http.document_handler import DocumentHandler
from container.http.limits import RequestGuard, http_error, unexpected_error
from container.http.search_handler import SearchHandler
from container.search.cluster_searcher import ClusterSearcher
from searchlib.schema.application import load_application
from searchlib.schema.model import ApplicationPackage

log = logging.getLogger("container")


def create_app(application: ApplicationPackage | str, nodes: Sequence[NodeAddress] = (),
               clients: Sequence[ContentNodeClient] | None = None) -> Starlette:
    """`clients` replaces the gRPC clients (tests use scripted or in-process ones)."""
    package = load_application(application) if isinstance(application, str) else application
    node_clients = list(clients) if clients is not None else [GrpcContentNodeClient(n) for n in nodes]
    cluster = SearchCluster(node_clients, package.generation)
    searcher = ClusterSearcher(package, cluster)
    search = SearchHandler(searcher)
    documents = DocumentHandler(package, cluster)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": {"code": "up"}})

    async def node_states(request: Request) -> JSONResponse:
        await cluster.ping_all()  # answer with fresh counts, not the last background ping
        nodes_view = []
        for key, client in sorted(cluster.clients.items()):
            state = cluster.health[key]
            nodes_view.append({"distribution_key": key, "group": client.node.group,
                               "address": client.node.address, "up": state.up,
                               "reachable": state.reachable, "state": state.state,
                               "catch_up_remaining": state.catch_up_remaining,
                               "documents": state.active_docs, "error": state.error})
        return JSONResponse({"nodes": nodes_view, "application": {"generation": package.generation}})

    async def metrics(request: Request) -> JSONResponse:
        from container.ranking.onnx_models import METRICS  # onnx sessions/batches/rows per provider

        return JSONResponse({"status": {"code": "up"}, "metrics": {"values": METRICS.snapshot()}})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        await cluster.ping_all()
        await asyncio.to_thread(searcher.global_phase.preload)  # ONNX sessions before the first query
        cluster.start()
        log.info("container ready: %d content nodes in %d groups", len(cluster.clients), len(cluster.groups))
        yield
        await cluster.close()

    routes = [
        Route("/search/", search.handle, methods=["GET", "POST"]),
        Route("/search", search.handle, methods=["GET", "POST"]),
        Route("/document/v1/{namespace}/{doctype}/docid/{docid:path}", documents.handle,
              methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/state/v1/health", health),
        Route("/state/v1/nodes", node_states),
        Route("/state/v1/metrics", metrics),
    ]
    handlers = {Exception: unexpected_error, HTTPException: http_error}  # errors in the API's JSON shape
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers,
                    middleware=[Middleware(RequestGuard, limits=package.limits)])
    app.state.cluster = cluster
    app.state.application = package
    return app
