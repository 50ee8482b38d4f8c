"""Data-plane access control (issue 16) as units: token files, permissions per endpoint, token and
certificate matching, and the middleware's 401/403 bodies on a real Starlette app."""
from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from container.http import auth as auth_module
from container.http.auth import ClientAuthMiddleware, load_client_auth, parse_token_file, required_permission
from deploy.certificates import create_ca, issue
from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text
from searchlib.schema.clients import DataPlaneClient

DOC = "schema doc { document doc { field title type string { indexing: index | summary } } }"


def _services(clients: str) -> str:
    return f"""<services version="1.0"><container id="default" version="1.0"><clients>{clients}</clients></container>
  <content id="c" version="1.0"><documents><document type="doc" mode="index"/></documents><nodes count="1"/></content>
</services>"""


def test_token_file_lines() -> None:
    assert parse_token_file("# comment\n\nreader:abc\n writer : x:y \n") == {"reader": b"abc", "writer": b"x:y"}
    with pytest.raises(ValueError, match=r"tokens:2: expected 'token-id:secret'") as raised:
        parse_token_file("a:1\nno-colon-secret-here\n", "tokens")
    assert "no-colon-secret-here" not in str(raised.value)  # never echo what may be a secret
    with pytest.raises(ValueError, match="defined twice"):
        parse_token_file("a:1\na:2\n")
    with pytest.raises(ValueError, match="expected"):
        parse_token_file("a:\n")


@pytest.mark.parametrize(("method", "path", "needed"), [
    ("GET", "/search/", "read"), ("POST", "/search/", "read"),
    ("GET", "/document/v1/ns/doc/docid/1", "read"), ("GET", "/document/v1/ns/doc/docid", "read"),
    ("POST", "/document/v1/ns/doc/docid/1", "write"), ("PUT", "/document/v1/ns/doc/docid/1", "write"),
    ("DELETE", "/document/v1/ns/doc/docid/1", "write"), ("DELETE", "/document/v1/", "write"),
    ("GET", "/metrics/v2/values", "read"), ("GET", "/state/v1/health", None), ("GET", "/status.html", None),
])
def test_permission_per_endpoint(method: str, path: str, needed: str | None) -> None:
    assert required_permission(method, path) == needed


def test_clients_in_services_xml() -> None:
    app = application_from_text(DOC, name="doc.sd", services_xml=_services(
        '<client id="r" permissions="read"><token id="t1"/></client>'
        '<client id="rw" permissions="read, write"><token id="t2"/><certificate file="security/c.pem"/></client>'))
    assert app.clients[0] == DataPlaneClient("r", frozenset({"read"}), (), ("t1",), app.clients[0].location)
    assert app.clients[1].permissions == {"read", "write"} and app.clients[1].certificates == ("security/c.pem",)
    for bad, message in [('<client id="x" permissions="admin"><token id="t"/></client>', "permissions must be"),
                         ('<client id="x" permissions="read"/>', "needs a <certificate"),
                         ('<client id="x" permissions="read"><certificate file="../c.pem"/></client>', r"'\.\.'"),
                         ('<client id="x" permissions="read"><certificate file="/etc/c.pem"/></client>', "absolute")]:
        with pytest.raises(SchemaError, match=message) as raised:
            application_from_text(DOC, name="doc.sd", services_xml=_services(bad))
        assert raised.value.location.line == 1


def _auth(tmp_path: Path, clients: str, tokens: str = ""):
    app = application_from_text(DOC, name="doc.sd", services_xml=_services(clients))
    (tmp_path / "tokens").write_text(tokens)
    return load_client_auth(app.clients, tmp_path, tmp_path / "tokens" if tokens else None)


def test_tokens_are_compared_in_constant_time_against_every_token(tmp_path: Path, monkeypatch) -> None:
    auth = _auth(tmp_path, '<client id="r" permissions="read"><token id="a"/></client>'
                           '<client id="w" permissions="write"><token id="b"/></client>', "a:alpha\nb:beta\n")
    compared = []
    real = auth_module.hmac.compare_digest
    monkeypatch.setattr(auth_module.hmac, "compare_digest", lambda x, y: compared.append(y) or real(x, y))
    assert auth.by_token(b"alpha").id == "r"
    assert compared == [b"alpha", b"alpha"]  # no early exit after the match
    assert auth.by_token(b"beta").id == "w" and auth.by_token(b"alph") is None and auth.by_token(b"") is None


def test_a_token_without_a_secret_stops_the_container(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="token 'b' has no secret"):
        _auth(tmp_path, '<client id="w" permissions="write"><token id="b"/></client>', "a:alpha\n")


def test_certificates_match_the_client_that_issued_or_is_them(tmp_path: Path) -> None:
    ca, ca_key = create_ca(tmp_path / "ca")
    issue(ca, ca_key, tmp_path / "issued", "client")
    other, other_key = create_ca(tmp_path / "other")
    issue(other, other_key, tmp_path / "stranger", "stranger")
    (tmp_path / "security").mkdir()
    (tmp_path / "security" / "ca.pem").write_bytes((tmp_path / "ca" / "ca.crt").read_bytes())
    auth = _auth(tmp_path, '<client id="c" permissions="read"><certificate file="security/ca.pem"/></client>')
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    def der(folder: str) -> bytes:
        return x509.load_pem_x509_certificate((tmp_path / folder / "tls.crt").read_bytes()).public_bytes(Encoding.DER)

    assert auth.by_certificate(der("issued")).id == "c"
    assert auth.by_certificate(der("stranger")) is None
    assert auth.by_certificate(b"not a certificate") is None
    assert "BEGIN CERTIFICATE" in auth.certificate_bundle()


def test_middleware_answers_401_and_403_in_the_api_shapes(tmp_path: Path) -> None:
    auth = _auth(tmp_path, '<client id="r" permissions="read"><token id="a"/></client>', "a:alpha\n")

    async def ok(request):
        return PlainTextResponse(request.scope["state"].get("client_id", "-"))

    routes = [Route("/search/", ok), Route("/state/v1/health", ok),
              Route("/document/v1/{rest:path}", ok, methods=["GET", "POST"])]
    app = Starlette(routes=routes)
    app.add_middleware(ClientAuthMiddleware, auth=auth)
    client = TestClient(app)
    assert client.get("/state/v1/health").status_code == 200
    missing = client.get("/search/")
    assert missing.status_code == 401 and missing.json()["root"]["errors"][0]["code"] == 14
    assert client.get("/search/", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/search/", headers={"Authorization": "Bearer alpha"}).text == "r"
    forbidden = client.post("/document/v1/ns/doc/docid/1", headers={"Authorization": "Bearer alpha"}, json={})
    assert forbidden.status_code == 403
    assert forbidden.json() == {"pathId": "/document/v1/ns/doc/docid/1",
                                "message": "client 'r' does not have the 'write' permission"}


def test_only_loopback_hosts_count_as_local() -> None:
    """Without <clients> the container warns when bound beyond loopback (container/__main__.py)."""
    from container.__main__ import _is_loopback

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and _is_loopback("localhost")
    assert not _is_loopback("0.0.0.0") and not _is_loopback("10.0.0.5") and not _is_loopback("example.org")
