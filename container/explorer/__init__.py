"""The ranking explorer: a page served from the package's static files at /explorer/ (no build
step, nothing from the network) that reads only the public HTTP API (/search/ with
ranking.explain=true) plus one small description of the application package here."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from searchlib.schema.model import ApplicationPackage, RankPhase, RankProfile, Schema

STATIC = Path(__file__).resolve().parent / "static"
TEXT_FIELDS = ("title", "text", "body", "content", "abstract", "description")


def describe(package: ApplicationPackage) -> dict:
    """Schemas, their rank profiles with declared inputs and phases, and the query profiles."""
    return {"schemas": [_schema(s) for s in package.schemas.values()],
            "queryProfiles": [{"id": p.id, "values": dict(p.values)} for p in package.query_profiles.values()]}


def _schema(schema: Schema) -> dict:
    strings = [f.name for f in schema.fields.values()
               if f.is_summary and f.in_document and f.type.kind == "string"]
    known = [name for name in TEXT_FIELDS if name in strings]
    title = known[0] if known else (strings[0] if strings else "")
    text = next((name for name in known + strings if name != title), "")
    return {"name": schema.name, "titleField": title, "textField": text, "summaryFields": strings,
            "profiles": [_profile(p) for p in schema.rank_profiles.values()]}


def _phase(phase: RankPhase | None) -> dict | None:
    if phase is None:
        return None
    return {"expression": phase.expression.text, "rerankCount": phase.rerank_count}


def _profile(profile: RankProfile) -> dict:
    return {"name": profile.name,
            "inputs": [{"name": i.name, "type": i.type_spec, "default": i.default} for i in profile.inputs.values()],
            "firstPhase": _phase(profile.first_phase), "secondPhase": _phase(profile.second_phase),
            "globalPhase": _phase(profile.global_phase), "matchFeatures": list(profile.match_features)}


def wants_page(request: Request) -> bool:
    """A browser asks for HTML; Vespa's clients (the vespa CLI reads the handler listing at /) do not."""
    return "text/html" in request.headers.get("accept", "")


def routes(package: ApplicationPackage) -> list[BaseRoute]:
    description = describe(package)

    async def schemas(request: Request) -> JSONResponse:
        return JSONResponse(description)

    async def to_page(request: Request) -> Response:
        return RedirectResponse("/explorer/", status_code=302)

    return [Route("/explorer/api/schemas", schemas), Route("/explorer", to_page),
            Mount("/explorer", app=StaticFiles(directory=STATIC, html=True), name="explorer")]
