"""grpc credentials of a content node with cluster TLS on: its server demands a client certificate
signed by the cluster CA (a client without one, or with one from another CA, fails the handshake
before any RPC runs), and its own calls to peers (catch-up) present its certificate."""
from __future__ import annotations

import grpc

from searchlib.tls import CLUSTER_SERVER_NAME, TlsMaterial


def server_credentials(tls: TlsMaterial) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials([(tls.private_key, tls.certificate)], root_certificates=tls.ca,
                                       require_client_auth=True)


def channel_credentials(tls: TlsMaterial) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=tls.ca, private_key=tls.private_key,
                                        certificate_chain=tls.certificate)


def channel_options(tls: TlsMaterial | None) -> list[tuple[str, str]]:
    """Peers are dialled by address but every cluster certificate names CLUSTER_SERVER_NAME."""
    return [("grpc.ssl_target_name_override", CLUSTER_SERVER_NAME)] if tls is not None else []


def secure_or_insecure_channel(address: str, tls: TlsMaterial | None, options: list) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(address, options=options)
    return grpc.secure_channel(address, channel_credentials(tls), options=options + channel_options(tls))
