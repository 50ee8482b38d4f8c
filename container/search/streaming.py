"""Streaming mode (services.xml `mode="streaming"`): a query names the group of documents it
searches — `streaming.groupname` (ids `id:ns:type:g=NAME:...`), `streaming.userid` (`n=NUMBER`)
or any `streaming.selection` — and the nodes search exactly those documents
(content_node/streaming.py). They travel as one document selection; none given searches all."""
from __future__ import annotations

from typing import Mapping

from searchlib.errors import InvalidParameterError, quote_input
from searchlib.java_numbers import parse_long
from searchlib.schema.model import ApplicationPackage
from searchlib.selection import Selection
from searchlib.selection.parser import SelectionError


def streaming_selection(params: Mapping[str, str], application: ApplicationPackage) -> str:
    parts = []
    group = params.get("streaming.groupname", "")
    if group:
        if '"' in group or "\\" in group:
            raise InvalidParameterError(f"Invalid streaming.groupname {quote_input(group, 60)}: a group name "
                                        "cannot hold '\"' or '\\'")
        parts.append(f'id.group == "{group}"')
    user = params.get("streaming.userid", "").strip()
    if user:
        try:  # ASCII digits as a long (str.isdigit() also took '²', which int() refused: a 500)
            number = parse_long(user) if user[0] not in "+-" else -1
        except ValueError:
            number = -1
        if number < 0:
            raise InvalidParameterError(f"Invalid streaming.userid {quote_input(user, 60)}: expected a number")
        parts.append(f"id.user == {number}")
    selection = params.get("streaming.selection", "").strip()
    if selection:
        try:
            Selection.parse(selection).check(application.schemas.values())
        except SelectionError as error:
            raise InvalidParameterError(f"Invalid streaming.selection: {error.message}") from None
        parts.append(f"({selection})")
    return " and ".join(parts)


def selection_for(application: ApplicationPackage, schema: str, selection: str) -> str:
    """The selection a schema's nodes get: only a streaming document type is searched per group."""
    streaming = {t for cluster in application.clusters for t in cluster.streaming_types}
    return selection if application.schemas[schema].document_name in streaming else ""
