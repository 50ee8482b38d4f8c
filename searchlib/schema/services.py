"""services.xml (Vespa layout): the content clusters (documents, redundancy, flat or grouped nodes,
dispatch tuning), the container's `<component>` declarations and its request `<limits>`.

Parsed with the stdlib expat parser into ElementTree elements, remembering each element's line
so errors can say file:line:column.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Mapping, Sequence
from xml.parsers import expat

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.clients import DataPlaneClient, parse_clients
from searchlib.schema.container_parts import unsupported_parts
from searchlib.schema.juniper import snippet_settings
from searchlib.schema.linguistics_profiles import AnalysisProfile, ReadFile, is_lucene_linguistics, parse_profiles
from searchlib.schema.model import (Component, ContainerLimits, ContentCluster, ContentNodeSpec, ResourceLimits,
                                   SignificanceModelFile)
from searchlib.schema.package_paths import reference_problem

_MODEL_ELEMENTS = ("model", "transformer-model", "tokenizer-model", "tokenizer-vocab")
_DISPATCH_POLICIES = ("adaptive", "best-of-random-2", "round-robin", "latency-amortized-over-requests",
                      "latency-amortized-over-time")


@dataclass(frozen=True, slots=True)
class Services:
    clusters: tuple[ContentCluster, ...]  # every <content>, in order
    components: dict[str, Component]
    limits: ContainerLimits = ContainerLimits()
    files: tuple[tuple[str, SourceLocation], ...] = ()  # package files the components name, where
    models: tuple[tuple[str, str, SourceLocation], ...] = ()  # (component id, config key, where) of url=/model-id=
    clients: tuple[DataPlaneClient, ...] = ()  # <clients>: none = the open local default
    unsupported: tuple[tuple[str, SourceLocation], ...] = ()  # container parts not run (container_parts.py)
    # the lucene-linguistics component's profiles (schema.linguistics_profiles); None without one
    profiles: Mapping[str, AnalysisProfile] | None = None
    significance: tuple[SignificanceModelFile, ...] = ()  # <search><significance><model .../>, in order


class _Located:
    """Element -> source location, for elements built by `_parse_xml`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[int, tuple[int, int]] = {}

    def of(self, element: ET.Element) -> SourceLocation:
        line, column = self.positions.get(id(element), (0, 0))
        return SourceLocation(self.file, line, column + 1)


def _parse_xml(text: str, file: str) -> tuple[ET.Element, _Located]:
    located = _Located(file)
    parser = expat.ParserCreate()
    stack: list[ET.Element] = []
    root: list[ET.Element] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = ET.Element(tag, attrs)
        located.positions[id(element)] = (parser.CurrentLineNumber, parser.CurrentColumnNumber)
        if stack:
            stack[-1].append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(tag: str) -> None:
        stack.pop()

    def data(chunk: str) -> None:
        if stack:
            stack[-1].text = (stack[-1].text or "") + chunk

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise SchemaError(f"services.xml is not well-formed: {expat.ErrorString(exc.code)}",
                          SourceLocation(file, exc.lineno, exc.offset + 1)) from None
    return root[0], located


def parse_services(text: str, file: str, document_types: Sequence[str], read_file: ReadFile | None = None) -> Services:
    """Parse services.xml; `document_types` are the package's schemas' document names; `read_file`
    reads other package files it names (a linguistics profile's stop words)."""
    root, located = _parse_xml(text, file)
    if root.tag not in ("services", "content"):
        raise SchemaError(f"expected <services> as the root element, found <{root.tag}>", located.of(root))
    contents = [root] if root.tag == "content" else root.findall("content")
    if not contents:
        raise SchemaError("services.xml has no <content> cluster", located.of(root))
    clusters: list[ContentCluster] = []
    for element in contents:
        cluster = _content_cluster(element, located, document_types)
        for other in clusters:
            if other.id == cluster.id:
                raise SchemaError(f"duplicate content cluster id '{cluster.id}'", located.of(element))
            if shared := set(other.document_types) & set(cluster.document_types):
                # documents are routed by type: a type in two clusters would have no one home
                raise SchemaError(f"document type '{sorted(shared)[0]}' is in content clusters '{other.id}' and "
                                  f"'{cluster.id}': a type may be in only one", located.of(element))
        clusters.append(cluster)
    components: dict[str, Component] = {}
    limits = ContainerLimits()
    files: list[tuple[str, SourceLocation]] = []
    models: list[tuple[str, str, SourceLocation]] = []
    clients: tuple[DataPlaneClient, ...] = ()
    unsupported: list[tuple[str, SourceLocation]] = []
    profiles: dict[str, AnalysisProfile] | None = None
    significance: list[SignificanceModelFile] = []
    for container in root.findall("container") if root.tag == "services" else []:
        unsupported.extend(unsupported_parts(container, located.of))
        for element in container.findall("component"):
            if is_lucene_linguistics(element):
                if profiles is not None:
                    raise SchemaError("a second lucene-linguistics component", located.of(element))
                profiles = parse_profiles(element, located.of, read_file)
                continue
            component = _component(element, located, files, models)
            if component.id in components:
                raise SchemaError(f"duplicate component id '{component.id}'", located.of(element))
            components[component.id] = component
        for element in container.findall("search/significance"):
            significance.extend(_significance_models(element, located))
        for element in container.findall("limits"):
            limits = _limits(element, located, limits)
        for element in container.findall("clients"):
            clients = parse_clients(element, located.of)
            files.extend((file, client.location) for client in clients for file in client.certificates)
    return Services(tuple(clusters), components, limits, tuple(files), models=tuple(models), clients=clients,
                    unsupported=tuple(unsupported), profiles=profiles, significance=tuple(significance))


def _significance_models(element: ET.Element, located: _Located) -> list[SignificanceModelFile]:
    """`<significance><model model-id="..."/>` (or url=, path=): one reference each, as Vespa."""
    models = []
    for child in element:
        if child.tag != "model":
            raise SchemaError(f"unknown element <{child.tag}> in <significance> (expected <model>)", located.of(child))
        given = [kind for kind in ("path", "url", "model-id") if child.get(kind)]
        if len(given) != 1:
            raise SchemaError("a significance <model> needs exactly one of path, url or model-id", located.of(child))
        models.append(SignificanceModelFile(given[0], child.get(given[0]).strip(), located.of(child)))
    return models


def _limits(element: ET.Element, located: _Located, limits: ContainerLimits) -> ContainerLimits:
    """`<limits><request-body-bytes>1048576</request-body-bytes>...`: positive numbers; the
    timeouts are seconds and may be fractional, everything else is a whole count."""
    known = {f.name.replace("_", "-"): f for f in fields(ContainerLimits)}
    given: dict[str, int | float] = {}
    for child in element:
        spec = known.get(child.tag)
        if spec is None:
            raise SchemaError(f"unknown limit <{child.tag}> (known: {', '.join(sorted(known))})", located.of(child))
        text = (child.text or "").strip()
        if spec.type == "float":
            try:
                value: int | float = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise SchemaError(f"<{child.tag}> must be a positive number of seconds, not '{text}'",
                                  located.of(child))
        else:
            value = _int(child, text, f"<{child.tag}>", located, minimum=1)
        given[spec.name] = value
    return replace(limits, **given)


def default_content_cluster(document_types: Sequence[str]) -> ContentCluster:
    """What a package without services.xml gets: one node, one group, redundancy 1."""
    return ContentCluster("content", tuple(document_types), (ContentNodeSpec(0),))


def _int(element: ET.Element, value: str | None, what: str, located: _Located, minimum: int = 0) -> int:
    try:
        number = int((value or "").strip())
    except ValueError:
        raise SchemaError(f"{what} must be an integer, not '{value}'", located.of(element)) from None
    if number < minimum:
        raise SchemaError(f"{what} must be at least {minimum}, not {number}", located.of(element))
    return number


def _content_cluster(content: ET.Element, located: _Located, document_types: Sequence[str]) -> ContentCluster:
    cluster_id = content.get("id")
    if not cluster_id:
        raise SchemaError("<content> needs an id attribute", located.of(content))
    documents = content.find("documents")
    types: list[str] = []
    streaming: list[str] = []
    global_types: list[str] = []
    for document in documents.findall("document") if documents is not None else []:
        doc_type = document.get("type")
        if not doc_type:
            raise SchemaError("<document> needs a type attribute", located.of(document))
        if doc_type not in document_types:
            raise SchemaError(f"content cluster '{cluster_id}' names document type '{doc_type}', but no schema "
                              f"defines it (schemas: {', '.join(document_types) or 'none'})", located.of(document))
        mode = document.get("mode", "index")
        if mode not in ("index", "store-only", "streaming"):
            raise SchemaError(f"document type '{doc_type}': unknown mode '{mode}' (index, streaming, store-only)",
                              located.of(document))
        is_global = document.get("global", "false").strip().lower()
        if is_global not in ("true", "false"):
            raise SchemaError(f"document type '{doc_type}': global must be true or false, not '{is_global}'",
                              located.of(document))
        if is_global == "true":  # parent documents of reference fields: on every node (schema/references.py)
            if mode == "streaming":
                raise SchemaError(f"document type '{doc_type}': a global document type cannot be in "
                                  f"mode=\"streaming\"", located.of(document))
            global_types.append(doc_type)
        if mode == "streaming":
            streaming.append(doc_type)
        types.append(doc_type)
    if not types:
        raise SchemaError(f"content cluster '{cluster_id}' has no <documents><document type=.../>",
                          located.of(content))
    redundancy = 1
    for tag in ("redundancy", "min-redundancy"):
        element = content.find(tag)
        if element is not None:
            redundancy = _int(element, element.text, f"<{tag}>", located, minimum=1)
    nodes, group_names = _nodes(content, located, cluster_id)
    persearch = content.find("engine/proton/tuning/searchnode/requestthreads/persearch")
    dispatch = content.find("tuning/dispatch")
    extra: dict = {}
    if persearch is not None:
        extra["threads_per_search"] = _int(persearch, persearch.text, "<persearch>", located, minimum=1)
    if dispatch is not None:
        policy = dispatch.find("dispatch-policy")
        if policy is not None:
            value = (policy.text or "").strip()
            if value not in _DISPATCH_POLICIES:
                raise SchemaError(f"unknown dispatch-policy '{value}'", located.of(policy))
            extra["dispatch_policy"] = value
        for tag, key in (("top-k-probability", "top_k_probability"),
                         ("min-active-docs-coverage", "min_active_docs_coverage")):
            element = dispatch.find(tag)
            if element is not None:
                try:
                    extra[key] = float((element.text or "").strip())
                except ValueError:
                    raise SchemaError(f"<{tag}> must be a number", located.of(element)) from None
    extra["snippet_settings"] = snippet_settings(content, located.of)
    limits = content.find("tuning/resource-limits")
    if limits is not None:
        extra["resource_limits"] = _resource_limits(limits, located)
    return ContentCluster(cluster_id, tuple(types), nodes, redundancy, group_names=group_names,
                          streaming_types=tuple(streaming), global_types=tuple(global_types), **extra)


def _resource_limits(element: ET.Element, located: _Located) -> ResourceLimits:
    """<disk> and <memory>: fractions in [0, 1]; an unknown child is refused, not ignored."""
    values: dict[str, float] = {}
    for child in element:
        if child.tag not in ("disk", "memory"):
            raise SchemaError(f"unknown element <{child.tag}> in <resource-limits> (disk, memory)", located.of(child))
        text = (child.text or "").strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:  # NaN fails too
            raise SchemaError(f"<resource-limits><{child.tag}> must be a number in [0, 1], not '{text}'",
                              located.of(child))
        values[child.tag] = value
    return ResourceLimits(**values, configured=True)


def _nodes(content: ET.Element, located: _Located, cluster_id: str):
    nodes_element = content.find("nodes")
    group_element = content.find("group")
    if nodes_element is not None and group_element is not None:
        raise SchemaError(f"content cluster '{cluster_id}' has both <nodes> and <group>", located.of(group_element))
    nodes: list[ContentNodeSpec] = []
    group_names: dict[int, str] = {}
    seen: set[int] = set()
    if group_element is not None:
        groups = group_element.findall("group")
        if not groups:  # a single top-level group holding nodes directly
            nodes = [_node(n, 0, located, seen) for n in group_element.findall("node")]
        for group in groups:
            key = _int(group, group.get("distribution-key"), "group distribution-key", located)
            if key in group_names:
                raise SchemaError(f"duplicate group distribution-key {key}", located.of(group))
            group_names[key] = group.get("name") or f"group{key}"
            members = [_node(n, key, located, seen) for n in group.findall("node")]
            if not members:
                raise SchemaError(f"group '{group_names[key]}' has no <node>", located.of(group))
            nodes.extend(members)
    elif nodes_element is not None:
        listed = nodes_element.findall("node")
        if listed:
            nodes = [_node(n, 0, located, seen) for n in listed]
        else:
            count = _int(nodes_element, nodes_element.get("count", "1"), "<nodes count>", located, minimum=1)
            group_count = _int(nodes_element, nodes_element.get("groups", "1"), "<nodes groups>", located, minimum=1)
            if count % group_count:
                raise SchemaError(f"<nodes count=\"{count}\" groups=\"{group_count}\">: count must be a multiple "
                                  "of groups", located.of(nodes_element))
            per_group = count // group_count
            nodes = [ContentNodeSpec(i, i // per_group) for i in range(count)]
            if group_count > 1:
                group_names = {g: f"group{g}" for g in range(group_count)}
    else:
        nodes = [ContentNodeSpec(0)]
    if not nodes:
        where = group_element if group_element is not None else nodes_element
        raise SchemaError(f"content cluster '{cluster_id}' has no nodes", located.of(where))
    return tuple(nodes), MappingProxyType(group_names)


def _node(element: ET.Element, group: int, located: _Located, seen: set[int]) -> ContentNodeSpec:
    key = _int(element, element.get("distribution-key"), "node distribution-key", located)
    if key in seen:
        raise SchemaError(f"duplicate node distribution-key {key}", located.of(element))
    seen.add(key)
    return ContentNodeSpec(key, group, element.get("hostalias", ""))


def _component(element: ET.Element, located: _Located, files: list[tuple[str, SourceLocation]],
               models: list[tuple[str, str, SourceLocation]]) -> Component:
    component_id = element.get("id")
    if not component_id:
        raise SchemaError("<component> needs an id attribute", located.of(element))
    component_type = element.get("type") or element.get("class") or component_id  # Vespa: the id names the class
    config: dict[str, str] = {}
    stored: dict[str, str] = {}
    _flatten(element, "", config, located, files, stored=stored)
    models.extend((component_id, key, location) for key, location in stored.items())
    return Component(component_id, component_type, MappingProxyType(config),
                     MappingProxyType({key: config[key] for key in stored}))


def _flatten(element: ET.Element, prefix: str, config: dict[str, str], located: _Located,
             files: list[tuple[str, SourceLocation]], in_config: bool = False,
             stored: dict | None = None) -> None:
    """Children into a flat map: `<normalize>true</normalize>` -> normalize=true, `<prepend><query>q`
    -> prepend.query=q, `<model path=...>` -> model=path (url when no path; `model.<lang>` per language).
    Inside `<config>`, a `<model>` without path, url or model-id is a value (`<model>gpt-4o</model>`).
    A url or model-id without a path goes into `stored` (key -> location): the model store resolves it."""
    for child in element:
        key = prefix + child.tag
        referenced = {"path", "url", "model-id"} & set(child.keys())
        if referenced or (child.tag in _MODEL_ELEMENTS and not in_config):
            reference = child.get("path") or child.get("url") or child.get("model-id")
            if not reference:
                raise SchemaError(f"<{child.tag}> needs a path, url or model-id attribute", located.of(child))
            if child.get("path"):  # a package file (url and model-id name remote ones)
                problem = reference_problem(reference)
                if problem is not None:
                    raise SchemaError(f"<{child.tag}>: {problem}", located.of(child))
                files.append((reference, located.of(child)))
            language = child.get("language")
            if language and language != "unknown":
                key = f"{key}.{language}"
            if key in config:
                raise SchemaError(f"duplicate <{child.tag}> in component", located.of(child))
            config[key] = reference
            if not child.get("path") and stored is not None:
                stored[key] = located.of(child)
        elif len(child):
            _flatten(child, key + ".", config, located, files, in_config or child.tag == "config", stored)
        else:
            config[key] = (child.text or "").strip()
