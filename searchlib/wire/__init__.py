"""Codecs between searchlib values and the generated protobuf messages (the only users of protos)."""
