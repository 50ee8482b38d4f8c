"""`uri` fields as Vespa indexes them: the whole URI in the field's own index, and each component in
an index of its own -- `f.scheme`, `f.host`, `f.port`, `f.path`, `f.query`, `f.fragment` -- plus
`f.hostname`: the host between the anchor tokens Vespa uses (StArThOsT ... EnDhOsT), so that
`f.hostname contains uri("google.com")` (end-anchored by default, as Vespa) matches hosts that end
with google.com and `{startAnchor: true}` only the host itself.

Words are made by the engine's linguistics on both sides (the index and the query), so a URI
matches the way its text would; Vespa's own URI tokenizer differs only in keeping `-` and `_`
inside words.
"""
from __future__ import annotations

from urllib.parse import urlsplit

COMPONENTS = ("scheme", "host", "port", "path", "query", "fragment", "hostname")
START_HOST, END_HOST = "starthost", "endhost"  # Vespa's StArThOsT / EnDhOsT, as normalized words
_SYMBOLS = {START_HOST: "^", END_HOST: "$"}  # how Vespa's query tree prints the anchors


def component_field(field: str, component: str) -> str:
    return f"{field}.{component}"


def split_field(index_name: str) -> tuple[str, str] | None:
    """('f', 'host') for 'f.host' when the suffix names a URI component."""
    field, _, component = index_name.rpartition(".")
    return (field, component) if field and component in COMPONENTS else None


def components(uri: str) -> dict[str, str]:
    """The texts each component index holds for one URI ('' where the URI has no such part)."""
    try:
        parts = urlsplit(uri.strip())
        port = parts.port
    except ValueError:  # an unparsable authority (bad port, stray brackets): the whole text only
        return {name: "" for name in COMPONENTS}
    host = parts.hostname or ""
    return {
        "scheme": parts.scheme, "host": host, "port": "" if port is None else str(port),
        "path": parts.path, "query": parts.query, "fragment": parts.fragment,
        "hostname": f"{START_HOST} {host} {END_HOST}" if host else "",
    }


def component_value(value: object, component: str) -> object:
    """A fed uri (or array or weighted set of uris) as the component field's value (None when empty)."""
    if isinstance(value, dict):  # a weighted set: the keys are the uris
        value = list(value)
    if isinstance(value, list):
        parts = [components(item)[component] for item in value if isinstance(item, str)]
        return [part for part in parts if part] or None
    if isinstance(value, str):
        return components(value)[component] or None
    return None


def anchored(words: list[str], *, start: bool, end: bool) -> list[str]:
    return ([START_HOST] if start else []) + words + ([END_HOST] if end else [])


def anchor_symbol(word: str) -> str:
    return _SYMBOLS.get(word, word)
