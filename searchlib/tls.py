"""Where a process finds its cluster TLS material: one directory in cert-manager's Secret layout
(`tls.crt`, `tls.key`, `ca.crt`), as `phasedsearch up --tls` writes it under the data directory and
a Kubernetes Secret of type kubernetes.io/tls mounts it. Every internal gRPC call is mutual TLS with
these files; the edges (content_node/tls.py, container/dispatch/content_client.py) build grpc's
credentials from them."""
from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

# every process certificate carries this DNS name, and every client checks it (instead of the
# address it dialled): nodes are reached by IP locally and by per-pod DNS names on Kubernetes
CLUSTER_SERVER_NAME = "phasedsearch-cluster"
CERT_FILE, KEY_FILE, CA_FILE = "tls.crt", "tls.key", "ca.crt"


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    certificate: bytes  # PEM: this process's certificate (chain)
    private_key: bytes  # PEM
    ca: bytes  # PEM: the cluster CA every peer's certificate must chain to


def read_tls_dir(directory: str | Path) -> TlsMaterial:
    """The three files, or ValueError naming the one that is missing or not PEM."""
    folder = Path(directory)
    parts = []
    for name in (CERT_FILE, KEY_FILE, CA_FILE):
        try:
            data = (folder / name).read_bytes()
        except OSError as error:
            raise ValueError(f"TLS directory {folder}: cannot read {name}: {error.strerror}") from None
        if b"-----BEGIN " not in data:
            raise ValueError(f"TLS directory {folder}: {name} is not PEM")
        parts.append(data)
    return TlsMaterial(*parts)


def ssl_context(tls: TlsMaterial, server_side: bool) -> ssl.SSLContext:
    """The standard library's context for the same mutual TLS as the gRPC channels (the lean Search
    transport, searchlib/wire/frames.py): the peer must present a certificate from the cluster CA,
    and a client checks the name CLUSTER_SERVER_NAME. `load_cert_chain` reads only files, so the
    PEM material passes through a private temporary directory, removed at once."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=tls.ca.decode("ascii"))
    with tempfile.TemporaryDirectory(prefix="phasedsearch-tls-") as folder:  # mode 0700
        certificate, key = Path(folder) / CERT_FILE, Path(folder) / KEY_FILE
        certificate.write_bytes(tls.certificate)
        key.touch(mode=0o600)
        key.write_bytes(tls.private_key)
        context.load_cert_chain(certificate, key)
    return context
