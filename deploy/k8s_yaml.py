"""Kubernetes manifests as YAML, written by PyYAML's safe dumper: block style, keys in insertion
order, sequences indented under their key (as kubectl writes them), lines never folded, and
multi-line text as literal blocks so an application package's files stay readable in a ConfigMap
(PyYAML falls back to a quoted string when a block cannot carry the text exactly).

PyYAML quotes every string a YAML 1.1 reader would take for something else; `y` and `n` are quoted
too, because the Go YAML that kubectl uses reads them as booleans.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

import yaml

_GO_BOOLEANS = frozenset({"y", "Y", "n", "N"})
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")  # YAML 1.1 line breaks: escaped, never raw


class _ManifestDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # `key:\n  - item`, not `key:\n- item`

    def ignore_aliases(self, data: Any) -> bool:
        return True  # an object used twice (a probe) is written out twice, never as &id001/*id001


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if value in _GO_BOOLEANS or _LINE_BREAKS.search(value):
        style = '"'
    else:
        style = "|" if "\n" in value.rstrip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _string)
_ManifestDumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def dump(value: Any) -> str:
    """One YAML document (no `---`), ending in a newline."""
    return yaml.dump(value, Dumper=_ManifestDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1 << 30)


def dump_all(documents: Iterable[Any]) -> str:
    """Several documents separated by `---`, as `kubectl apply -f` reads them."""
    return "---\n".join(dump(document) for document in documents)
