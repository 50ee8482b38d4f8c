"""Container-side ranking: the global phase (cross-hit normalizers, ONNX models, rescaling)."""
