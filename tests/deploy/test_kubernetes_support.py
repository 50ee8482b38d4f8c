"""Application packages of a given topology: helpers the other test_kubernetes_* modules import."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[2]
DEFAULT_APP = REPO / "schemas"
# (groups, nodes per group) the issue asks for, plus a larger grouped one
TOPOLOGIES = [(1, 1), (1, 3), (2, 2), (3, 1)]


def _default_container() -> str:
    """The default package's <container> (its embedders: the default schema's `embed`s name them)."""
    text = (DEFAULT_APP / "services.xml").read_text()
    return text[text.index("<container"):text.index("</container>") + len("</container>")]


def write_app(root: Path, groups: Sequence[Sequence[int]], *, cluster_id: str = "content") -> Path:
    """A package with the default schema and a content cluster whose groups hold the given
    distribution keys (one group: flat `<nodes>`, as most packages write it)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DEFAULT_APP / "schemas", root / "schemas", dirs_exist_ok=True)
    if len(groups) == 1:
        nodes = "".join(f'<node hostalias="node{k}" distribution-key="{k}"/>' for k in groups[0])
        layout = f"<nodes>{nodes}</nodes>"
    else:
        members = "".join(
            f'<group name="row{g}" distribution-key="{g}">'
            + "".join(f'<node hostalias="node{k}" distribution-key="{k}"/>' for k in keys) + "</group>"
            for g, keys in enumerate(groups))
        layout = f'<group><distribution partitions="1|*"/>{members}</group>'
    (root / "services.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<services version="1.0">\n'
        f"  {_default_container()}\n"
        f'  <content id="{cluster_id}" version="1.0">\n'
        f"    <redundancy>{len(groups)}</redundancy>\n"
        '    <documents><document type="doc" mode="index"/></documents>\n'
        f"    {layout}\n  </content>\n</services>\n")
    return root


def uniform_app(root: Path, groups: int, nodes_per_group: int) -> Path:
    keys = list(range(groups * nodes_per_group))
    return write_app(root, [keys[g * nodes_per_group:(g + 1) * nodes_per_group] for g in range(groups)])


def test_the_packages_have_the_topology_asked_for(tmp_path: Path) -> None:
    from searchlib.schema.application import load_application

    grouped = load_application(uniform_app(tmp_path / "grouped", 2, 3)).content
    assert [(n.distribution_key, n.group) for n in grouped.nodes] == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1), (5, 1)]
    flat = load_application(write_app(tmp_path / "flat", [[4, 7]])).content
    assert [(n.distribution_key, n.group) for n in flat.nodes] == [(4, 0), (7, 0)]
