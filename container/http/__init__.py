"""HTTP edge: Vespa-compatible /search/, /document/v1/ and /state/v1/ APIs."""
