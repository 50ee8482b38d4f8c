"""services.xml `<clients>` (Vespa's data-plane access control), parsed into values:

    <container id="default" version="1.0">
      <clients>
        <client id="feeder" permissions="write"><certificate file="security/feeder.pem"/></client>
        <client id="reader" permissions="read"><token id="reader-token"/></client>
      </clients>
    </container>

`read` covers search, get and visit; `write` covers put, update and remove. Certificate files are
package files (the sandbox rule of package_paths); token secrets are not in the package: the
container reads them from its `--token-file` (lines `token-id:secret`).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.package_paths import reference_problem

READ, WRITE = "read", "write"
PERMISSIONS = (READ, WRITE)


@dataclass(frozen=True, slots=True)
class DataPlaneClient:
    id: str
    permissions: frozenset[str]
    certificates: tuple[str, ...] = ()  # package-relative PEM files (a certificate or the CA that issues them)
    tokens: tuple[str, ...] = ()  # token ids; the secrets come from the container's token file
    location: SourceLocation | None = None


def parse_clients(element: ET.Element, where: Callable[[ET.Element], SourceLocation]) -> tuple[DataPlaneClient, ...]:
    clients: list[DataPlaneClient] = []
    for child in element:
        if child.tag != "client":
            raise SchemaError(f"unknown element <{child.tag}> in <clients> (expected <client>)", where(child))
        client_id = (child.get("id") or "").strip()
        if not client_id:
            raise SchemaError("<client> needs an id attribute", where(child))
        if any(c.id == client_id for c in clients):
            raise SchemaError(f"duplicate client id '{client_id}'", where(child))
        given = [p.strip() for p in (child.get("permissions") or "").split(",") if p.strip()]
        if not given or any(p not in PERMISSIONS for p in given):
            raise SchemaError(f"client '{client_id}': permissions must be read, write or read,write, "
                              f"not '{child.get('permissions') or ''}'", where(child))
        certificates, tokens = [], []
        for credential in child:
            if credential.tag == "certificate":
                file = credential.get("file") or ""
                problem = reference_problem(file)
                if problem is not None:
                    raise SchemaError(f"client '{client_id}' <certificate>: {problem}", where(credential))
                certificates.append(file.strip())
            elif credential.tag == "token":
                token_id = (credential.get("id") or "").strip()
                if not token_id or ":" in token_id:
                    raise SchemaError(f"client '{client_id}' <token> needs an id without ':'", where(credential))
                tokens.append(token_id)
            else:
                raise SchemaError(f"unknown element <{credential.tag}> in client '{client_id}' "
                                  "(expected <certificate> or <token>)", where(credential))
        if not certificates and not tokens:
            raise SchemaError(f"client '{client_id}' needs a <certificate file=...> or a <token id=...>",
                              where(child))
        clients.append(DataPlaneClient(client_id, frozenset(given), tuple(certificates), tuple(tokens),
                                       where(child)))
    if not clients:
        raise SchemaError("<clients> lists no <client>", where(element))
    return tuple(clients)
