"""The content-node process: holds documents and indexes, matches and ranks next to the data."""
