"""The local cluster's TLS material (`phasedsearch up --tls`): a CA and one certificate per process,
created once under `<data-dir>/tls/` with the `cryptography` package and reused on every start.

    <data-dir>/tls/ca.key, ca.crt                     the cluster CA (its key never leaves this folder)
    <data-dir>/tls/<process>/tls.crt, tls.key, ca.crt  cert-manager's layout, one folder per process

Every certificate is both a server and a client certificate (nodes call each other) and names
`phasedsearch-cluster` (searchlib.tls.CLUSTER_SERVER_NAME), localhost and 127.0.0.1.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from searchlib.tls import CA_FILE, CERT_FILE, CLUSTER_SERVER_NAME, KEY_FILE

VALID_DAYS = 3650  # a local development cluster; Kubernetes certificates come from a Secret
_PEM = serialization.Encoding.PEM


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "phasedsearch"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as f:
        f.write(data)


def create_ca(directory: Path, common_name: str = "phasedsearch cluster CA") -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .sign(key, hashes.SHA256()))
    _write_private(directory / "ca.key", _key_pem(key))
    (directory / CA_FILE).write_bytes(certificate.public_bytes(_PEM))
    return certificate, key


def issue(ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, directory: Path, common_name: str,
          dns_names: tuple[str, ...] = (CLUSTER_SERVER_NAME, "localhost"),
          addresses: tuple[str, ...] = ("127.0.0.1",)) -> Path:
    """A certificate for `common_name` signed by the CA, written as tls.crt/tls.key/ca.crt in `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    certificate = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(ca.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                         ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    _write_private(directory / KEY_FILE, _key_pem(key))
    (directory / CERT_FILE).write_bytes(certificate.public_bytes(_PEM))
    (directory / CA_FILE).write_bytes(ca.public_bytes(_PEM))
    return directory


def load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    certificate = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
    key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    return certificate, key  # type: ignore[return-value]


def ensure_cluster_certificates(tls_root: Path, processes: list[str]) -> dict[str, Path]:
    """process name -> its TLS directory; the CA and each certificate are created only when missing."""
    tls_root.mkdir(parents=True, exist_ok=True)
    os.chmod(tls_root, 0o700)
    if (tls_root / CA_FILE).is_file() and (tls_root / "ca.key").is_file():
        ca, ca_key = load_ca(tls_root)
    else:
        ca, ca_key = create_ca(tls_root)
    folders = {}
    for name in processes:
        folder = tls_root / name
        if not all((folder / f).is_file() for f in (CERT_FILE, KEY_FILE, CA_FILE)):
            issue(ca, ca_key, folder, name)
        folders[name] = folder
    return folders
