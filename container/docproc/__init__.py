"""The container's document path: indexing scripts of synthetic fields run here, once per write."""
