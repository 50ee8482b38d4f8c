"""The parts of a services.xml `<container>` this engine does not run: Java components (any
`<component>` whose type is not one of the embedders, or that names a class or bundle), search
chains and searchers, document-processing chains and processors, request handlers, processing
chains and the model-evaluation API. Each is refused at load with "not supported: ..." at its
file:line:column: a package that loaded without them would answer as if they were not there."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Callable, Iterator, Sequence

from searchlib.errors import SchemaError, SourceLocation
from searchlib.indexing.check import EMBEDDER_TYPES
from searchlib.schema.linguistics_profiles import is_lucene_linguistics

_JAVA = "they run Java in Vespa's container"
_SEARCH_PARTS = {"chain": "search chain", "searcher": "searcher", "provider": "search provider",
                 "federation": "federation", "renderer": "result renderer"}
_DOCPROC_PARTS = {"chain": "document-processing chain", "documentprocessor": "document processor"}
_CONTAINER_PARTS = {"handler": "request handler", "processing": "processing chain",
                    "model-evaluation": "the model-evaluation API"}


def unsupported_parts(container: ET.Element,
                      located: Callable[[ET.Element], SourceLocation]) -> Iterator[tuple[str, SourceLocation]]:
    """(message, where) for each part of the container this engine would otherwise ignore."""
    for element in container:
        if element.tag == "component":
            kind = element.get("type") or element.get("class") or element.get("id", "")  # the id names a class
            if is_lucene_linguistics(element):  # read: schema.linguistics_profiles
                continue
            if element.get("class") or element.get("bundle") or kind not in EMBEDDER_TYPES:
                yield (f"not supported: component '{element.get('id', '')}' ({kind}): "
                       f"this engine runs only the component types {', '.join(EMBEDDER_TYPES)}", located(element))
        elif element.tag in _CONTAINER_PARTS:
            yield _part(element, _CONTAINER_PARTS[element.tag], located)
        elif element.tag in ("search", "document-processing"):
            parts = _SEARCH_PARTS if element.tag == "search" else _DOCPROC_PARTS
            yield from (_part(child, parts[child.tag], located) for child in element if child.tag in parts)


def _part(element: ET.Element, what: str, located: Callable[[ET.Element], SourceLocation]) -> tuple[str, SourceLocation]:
    name = element.get("id") or element.get("class") or ""
    return f"not supported: {what}{f' {name!r}' if name else ''} ({_JAVA})", located(element)


def refuse_unsupported(parts: Sequence[tuple[str, SourceLocation]]) -> None:
    if parts:
        message, location = parts[0]
        raise SchemaError(message, location)
