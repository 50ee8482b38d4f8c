"""Operator tooling: the `phasedsearch` CLI and the local multi-process cluster launcher.

Talks to the cluster only over HTTP and starts the processes with `python -m`; it imports
nothing from `content_node` or `container`.
"""
