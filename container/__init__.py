"""The stateless container process: HTTP APIs, dispatch to content nodes, global phase, rendering."""
