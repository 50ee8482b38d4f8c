"""Query-time `embed(...)` in query feature values (vespa-reference §7.2):

    input.query(q_tokens)=embed(tokenizer, "semantic search")
    input.query(q)=embed(e5, @query)        # the value of request parameter `query`
    input.query(q)=embed(@query)            # the id may be left out with a single embedder
    input.query(q)=embed(some text)         # ... and then the quotes too

The target type is the rank profile's declared input type.
"""
from __future__ import annotations

import asyncio
import re
from typing import Mapping

from container.embedding.registry import embedder_ids, get_embedder
from searchlib.errors import InvalidParameterError
from searchlib.query.tree import NearestNeighbor
from searchlib.rank_values import parse_query_features
from searchlib.schema.model import ApplicationPackage, RankProfile
from searchlib.tensor import Tensor, TensorType

_PARAMETER_ALIASES = {"query": "model.queryString"}  # request parameters arrive under their full names
_EMBED = re.compile(r"^\s*embed\s*\((?P<args>.*)\)\s*$", re.DOTALL)
_QUOTED = re.compile(r"""^\s*(?P<q>["'])(?P<text>.*)(?P=q)\s*$""", re.DOTALL)


def is_embed(text: object) -> bool:
    return isinstance(text, str) and _EMBED.match(text) is not None


def split_embed_arguments(text: str, known_ids: list[str]) -> tuple[str | None, str]:
    """`embed(...)` -> (embedder id or None, argument text as written)."""
    args = _EMBED.match(text).group("args").strip()
    head, comma, tail = args.partition(",")
    if comma and head.strip() in known_ids:
        return head.strip(), tail.strip()
    if comma and re.fullmatch(r"[A-Za-z_][\w-]*", head.strip()) and _QUOTED.match(tail) or \
            comma and tail.strip().startswith("@"):
        return head.strip(), tail.strip()  # an unknown id: get_embedder reports it
    return None, args


def resolve_argument(argument: str, parameters: Mapping[str, str]) -> str:
    quoted = _QUOTED.match(argument)
    if quoted:
        return quoted.group("text")
    if argument.startswith("@"):
        name = argument[1:]
        name = name if name in parameters else _PARAMETER_ALIASES.get(name, name)
        if name not in parameters:
            raise InvalidParameterError(f"Could not resolve query parameter reference '{name}' in embed()")
        return str(parameters[name])
    return argument


def embed_query_features(application: ApplicationPackage, profile: RankProfile,
                         feature_texts: Mapping[str, str], parameters: Mapping[str, str]) -> dict[str, object]:
    """The `embed(...)` values among the query features, embedded: canonical name -> Tensor."""
    declared = {(i.name if "(" in i.name else f"query({i.name})"): i for i in profile.inputs.values()}
    known = embedder_ids(application)
    embedded: dict[str, object] = {}
    for name, text in feature_texts.items():
        if not is_embed(text):
            continue
        key = name if "(" in name else f"query({name})"
        spec = declared.get(key)
        if spec is None or not spec.type_spec.startswith("tensor"):
            raise InvalidParameterError(f"Can't embed into '{key}': the rank profile '{profile.name}' "
                                        "must declare it as a tensor input")
        component_id, argument = split_embed_arguments(text, known)
        embedder = get_embedder(application, component_id)
        embedded[key] = embedder.embed(resolve_argument(argument, parameters), TensorType.parse(spec.type_spec),
                                       "query")
    return embedded


_OFF_LOOP_CHARACTERS = 64 * 1024  # feature texts longer than this are parsed in a thread


async def query_features(application: ApplicationPackage, profile: RankProfile, query) -> dict[str, object]:
    """The query's features for this profile: parsed values, with `embed(...)` values embedded
    in a thread executor (an embedder runs a model: never on the event loop). Long tensor texts
    are parsed in a thread too, and no query tensor may have more than `query-tensor-cells`."""
    texts = query.feature_texts
    plain = {name: text for name, text in texts.items() if not is_embed(text)}
    limit = application.limits.query_tensor_cells
    for name, text in plain.items():
        if str(text).count(",") >= limit:  # every form writes at least one comma between cells
            raise _too_many_cells(name, limit)
    loop = asyncio.get_running_loop()
    if sum(len(str(text)) for text in plain.values()) > _OFF_LOOP_CHARACTERS:
        features = await loop.run_in_executor(None, parse_query_features, profile, plain)
    else:
        features = parse_query_features(profile, plain)
    for name, value in features.items():
        if isinstance(value, Tensor) and sum(b.size for b in value.blocks.values()) > limit:  # e.g. hex
            raise _too_many_cells(name, limit)
    if len(plain) != len(texts):
        features.update(await loop.run_in_executor(
            None, embed_query_features, application, profile, texts, query.parameters))
    check_nearest_neighbor_tensors(features, nearest_neighbors(query.yql.where))
    return features


def check_nearest_neighbor_tensors(features: Mapping[str, object], nearest: list[NearestNeighbor]) -> None:
    """The query tensor of a nearestNeighbor that the query does not give is a 400 naming it."""
    for tensor in (item.query_tensor for item in nearest):
        if f"query({tensor})" not in features:
            raise InvalidParameterError(
                f"nearestNeighbor needs the query tensor 'query({tensor})', which the query does not give: "
                f"set it, e.g. input.query({tensor})=embed(@query)")


def nearest_neighbors(node) -> list[NearestNeighbor]:
    """The tree's nearestNeighbor items, depth first in query order."""
    found, stack = [], [node]
    while stack:  # a loop, not a list built per node of the tree
        item = stack.pop()
        if isinstance(item, NearestNeighbor):
            found.append(item)
            continue
        child = getattr(item, "child", None)
        if child is not None:
            stack.append(child)
        children = getattr(item, "children", None)
        if children:
            stack.extend(reversed(children))
    return found


def _too_many_cells(name: str, limit: int) -> InvalidParameterError:
    return InvalidParameterError(f"Query tensor '{name}' has more than {limit} cells: the limit is "
                                 "query-tensor-cells in services.xml")
