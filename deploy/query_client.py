"""`phasedsearch query`: build /search/ parameters and print a Vespa result readably."""
from __future__ import annotations

import html
import re
from typing import Any, Mapping, Sequence

USER_QUERY_YQL = "select * from sources * where userQuery()"
SNIPPET_FIELDS = ("text", "body", "content", "abstract", "description", "snippet")
TITLE_FIELDS = ("title", "name", "headline")
_BOLDING = re.compile(r"</?hi>")
_SPACE = re.compile(r"\s+")


def is_yql(text: str) -> bool:
    return text.lstrip().lower().startswith("select")


def query_parameters(text: str, *, ranking: str | None = None, hits: int | None = None,
                     extra: Sequence[str] = (), query_profile: str | None = None) -> dict[str, str]:
    """YQL as given when it starts with `select`; otherwise simple-language text for userQuery(),
    or, with a query profile, the text for the profile's YQL and inputs.

    `extra` holds `name=value` pairs passed through unchanged (e.g. `input.query(q)=[1,2]`).
    """
    if is_yql(text):
        params = {"yql": text}
    elif query_profile:
        params = {"query": text}
    else:
        params = {"yql": USER_QUERY_YQL, "query": text}
    if query_profile:
        params["queryProfile"] = query_profile
    if ranking:
        params["ranking"] = ranking
    if hits is not None:
        params["hits"] = str(hits)
    for pair in extra:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise ValueError(f"parameter '{pair}' is not of the form name=value")
        params[name] = value
    return params


def _plain(value: Any) -> str:
    text = value if isinstance(value, str) else ""
    return _SPACE.sub(" ", html.unescape(_BOLDING.sub("", text))).strip()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_text(fields: Mapping[str, Any], names: Sequence[str]) -> str:
    for name in names:
        text = _plain(fields.get(name))
        if text:
            return text
    return ""


def format_relevance(relevance: Any) -> str:
    if isinstance(relevance, (int, float)):
        return f"{relevance:.4f}"
    return str(relevance)  # "-Infinity" arrives as a string


def format_coverage(coverage: Mapping[str, Any] | None) -> str:
    if not coverage:
        return ""
    text = f"coverage {coverage.get('coverage', '?')}% of {coverage.get('documents', '?')} documents" \
           f" on {coverage.get('nodes', '?')} node(s)"
    degraded = [reason for reason, flag in (coverage.get("degraded") or {}).items() if flag]
    if degraded:
        text += f", degraded: {', '.join(degraded)}"
    return text


def format_result(result: Mapping[str, Any], *, snippet_chars: int = 200) -> str:
    """Rank, relevance, id, title and a snippet per hit; errors last."""
    root = result.get("root", {}) if isinstance(result, Mapping) else {}
    lines = []
    total = root.get("fields", {}).get("totalCount", 0)
    header = f"{total} hit(s)"
    coverage = format_coverage(root.get("coverage"))
    lines.append(f"{header}, {coverage}" if coverage else header)
    for rank, hit in enumerate(root.get("children", []) or [], start=1):
        fields = hit.get("fields", {}) or {}
        lines.append(f"{rank:>3}. {format_relevance(hit.get('relevance'))}  {hit.get('id', '')}")
        title = _first_text(fields, TITLE_FIELDS)
        if title:
            lines.append(f"     {_shorten(title, snippet_chars)}")
        snippet = _first_text(fields, SNIPPET_FIELDS)
        if snippet:
            lines.append(f"     {_shorten(snippet, snippet_chars)}")
    for error in root.get("errors", []) or []:
        lines.append(f"error {error.get('code')} ({error.get('summary', '')}): {error.get('message', '')}")
    return "\n".join(lines)


def result_failed(status_code: int, result: Any) -> bool:
    """A query failed when the HTTP status is not 200 or it returned errors without hits."""
    if status_code != 200 or not isinstance(result, Mapping):
        return True
    root = result.get("root", {})
    return bool(root.get("errors")) and not root.get("children")
