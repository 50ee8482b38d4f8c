"""Data-plane access control, as Vespa's `<clients>` in services.xml: every request names a client,
by a bearer token (`Authorization: Bearer <secret>`) or by the TLS client certificate it presented,
and the client's permissions decide what it may do: `read` (search, get, visit, metrics, node
state), `write` (put, update, remove). No or unknown credentials: 401; a known client without the
permission: 403; both with the API's error body. Probes stay open (`/state/v1/health`,
`/state/v1/nodes`, `/status.html`, `/ApplicationStatus`).

Token secrets come from a file outside the application package (`--token-file`, lines
`token-id:secret`); they are compared with hmac.compare_digest against every configured token
(no early exit, so the time does not tell which one nearly matched) and never logged.
"""
from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

from searchlib.errors import ErrorCode
from searchlib.schema.clients import READ, WRITE, DataPlaneClient
from searchlib.schema.package_paths import confined_path

if TYPE_CHECKING:  # cryptography (~25 ms of a container's start) is imported only for certificate clients
    from cryptography import x509

# probes and node state (the launcher and operators watch it; no document content in it)
OPEN_PATHS = frozenset({"/state/v1/health", "/state/v1/nodes", "/status.html", "/ApplicationStatus"})
_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def parse_token_file(text: str, source: str = "token file") -> dict[str, bytes]:
    """`token-id:secret` lines (blank lines and `#` comments skipped) -> {token id: secret}. Errors
    name the line, never the secret."""
    tokens: dict[str, bytes] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        token_id, colon, secret = line.partition(":")
        token_id, secret = token_id.strip(), secret.strip()
        if not colon or not token_id or not secret:
            raise ValueError(f"{source}:{number}: expected 'token-id:secret'")
        if token_id in tokens:
            raise ValueError(f"{source}:{number}: token '{token_id}' is defined twice")
        tokens[token_id] = secret.encode("utf-8")
    return tokens


def required_permission(method: str, path: str) -> str | None:
    """None for the open probe paths; `write` for document changes; `read` for everything else."""
    if path in OPEN_PATHS:
        return None
    if path.startswith("/document/v1") and method.upper() in _WRITE_METHODS:
        return WRITE
    return READ


@dataclass(frozen=True, slots=True)
class ClientAuth:
    clients: tuple[DataPlaneClient, ...]
    secrets: tuple[tuple[DataPlaneClient, bytes], ...]  # (client, token secret), every token of every client
    certificates: tuple[tuple[DataPlaneClient, x509.Certificate], ...]

    @property
    def wants_certificates(self) -> bool:
        return bool(self.certificates)

    def certificate_bundle(self) -> str:
        """The PEM trust anchors the HTTPS server verifies presented client certificates against."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return "".join(cert.public_bytes(Encoding.PEM).decode("ascii") for _, cert in self.certificates)

    def by_token(self, presented: bytes) -> DataPlaneClient | None:
        found = None
        for client, secret in self.secrets:  # every comparison runs: no early exit
            if hmac.compare_digest(secret, presented):
                found = client
        return found

    def by_certificate(self, der: bytes) -> DataPlaneClient | None:
        """The client whose `<certificate>` is the presented certificate or directly issued it."""
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature

        try:
            presented = x509.load_der_x509_certificate(der)
        except ValueError:
            return None
        for client, trusted in self.certificates:
            if presented == trusted:
                return client
            try:
                presented.verify_directly_issued_by(trusted)
                return client
            except (ValueError, TypeError, InvalidSignature):  # not issued by this one
                continue
        return None


def load_client_auth(clients: Sequence[DataPlaneClient], package_path: str | Path,
                     token_file: str | Path | None) -> ClientAuth:
    """The container's view of `<clients>`: ValueError when a token has no secret in the token file
    or a certificate file is unreadable (the container then refuses to start)."""
    from cryptography import x509

    tokens: Mapping[str, bytes] = {}
    if token_file:
        tokens = parse_token_file(Path(token_file).read_text(encoding="utf-8"), str(token_file))
    secrets, certificates = [], []
    for client in clients:
        for token_id in client.tokens:
            if token_id not in tokens:
                raise ValueError(f"client '{client.id}': token '{token_id}' has no secret"
                                 + (f" in {token_file}" if token_file else " (start with --token-file FILE)"))
            secrets.append((client, tokens[token_id]))
        for file in client.certificates:
            path = confined_path(package_path, file, client.location, f"client '{client.id}' certificate")
            try:
                certificates.extend((client, cert) for cert in x509.load_pem_x509_certificates(path.read_bytes()))
            except (OSError, ValueError) as error:
                raise ValueError(f"client '{client.id}': cannot read certificate '{file}': {error}") from None
    return ClientAuth(tuple(clients), tuple(secrets), tuple(certificates))


class ClientAuthMiddleware:
    """Pure ASGI: decides before the request body is read or any handler runs."""

    def __init__(self, app, auth: ClientAuth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.refusal(scope)
        if refused is not None:
            await send_refusal(send, scope.get("path", ""), *refused)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope) -> tuple[int, ErrorCode, str] | None:
        """None when the request may go on (its client id then in scope["state"]); else the
        status, code and message of its refusal."""
        needed = required_permission(scope.get("method", "GET"), scope.get("path", ""))
        if needed is None:
            return None
        client, problem = self._identify(scope)
        if client is None:
            return 401, ErrorCode.UNAUTHORIZED, problem
        if needed not in client.permissions:
            return 403, ErrorCode.FORBIDDEN, f"client '{client.id}' does not have the '{needed}' permission"
        scope.setdefault("state", {})["client_id"] = client.id
        return None

    def _identify(self, scope) -> tuple[DataPlaneClient | None, str]:
        authorization = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), None)
        if authorization is not None:
            scheme, _, token = authorization.partition(b" ")
            if scheme.lower() != b"bearer" or not token.strip():
                return None, "the Authorization header must be 'Bearer <token>'"
            client = self.auth.by_token(token.strip())
            return (client, "") if client is not None else (None, "unknown token")
        chain = scope.get("extensions", {}).get("tls", {}).get("client_cert_der")
        if chain:
            client = self.auth.by_certificate(chain)
            return (client, "") if client is not None else (None, "the client certificate names no known client")
        return None, "this endpoint requires a token (Authorization: Bearer <token>) or a client certificate"


async def send_refusal(send, path: str, status: int, code: ErrorCode, message: str) -> None:
    if path.startswith("/document/v1"):
        body = {"pathId": path, "message": message}
    else:
        body = {"root": {"errors": [{"code": int(code), "summary": code.summary, "message": message}]}}
    data = json.dumps(body).encode("utf-8")
    headers = [(b"content-type", b"application/json;charset=utf-8"), (b"content-length", str(len(data)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="phasedsearch"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
