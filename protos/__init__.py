"""Generated gRPC code for the content-node service (see content_node.proto)."""
