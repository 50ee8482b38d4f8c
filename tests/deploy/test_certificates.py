"""The local cluster's certificates (`phasedsearch up --tls`): a CA and one certificate per process,
created once, usable by Python's ssl stack as server and client certificates of that CA only."""
from __future__ import annotations

import ssl
import stat

from cryptography import x509

from deploy.certificates import create_ca, ensure_cluster_certificates
from searchlib.tls import CLUSTER_SERVER_NAME, read_tls_dir


def test_created_once_in_cert_manager_layout(tmp_path) -> None:
    folders = ensure_cluster_certificates(tmp_path / "tls", ["content-node-0", "container"])
    assert set(folders) == {"content-node-0", "container"}
    node = read_tls_dir(folders["content-node-0"])
    assert stat.S_IMODE((folders["content-node-0"] / "tls.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls" / "ca.key").stat().st_mode) == 0o600
    again = ensure_cluster_certificates(tmp_path / "tls", ["content-node-0", "container", "content-node-1"])
    assert read_tls_dir(again["content-node-0"]) == node  # reused, not regenerated
    assert read_tls_dir(again["content-node-1"]).ca == node.ca  # a new process joins the same CA


def test_certificates_verify_against_their_ca_only(tmp_path) -> None:
    folders = ensure_cluster_certificates(tmp_path / "tls", ["container"])
    certificate = x509.load_pem_x509_certificate((folders["container"] / "tls.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((tmp_path / "tls" / "ca.crt").read_bytes())
    certificate.verify_directly_issued_by(ca)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert CLUSTER_SERVER_NAME in names.get_values_for_type(x509.DNSName)
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert {u._name for u in usages} == {"serverAuth", "clientAuth"}
    context = ssl.create_default_context(cafile=str(tmp_path / "tls" / "ca.crt"))
    context.load_cert_chain(folders["container"] / "tls.crt", folders["container"] / "tls.key")  # key matches
    other, _ = create_ca(tmp_path / "other")
    try:
        certificate.verify_directly_issued_by(other)
        raise AssertionError("verified against an unrelated CA")
    except Exception as error:  # noqa: BLE001 - cryptography's InvalidSignature or ValueError
        assert "AssertionError" not in type(error).__name__
