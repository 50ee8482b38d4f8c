"""The container's SignificanceSearcher: when the rank profile says `significance { use-model: true }`
(or the request `ranking.significance.useModel=true`), each word item of the query gets its document
frequency from the significance model of the query's language (searchlib.significance) before the
query is dispatched. The models are the package's `<search><significance>` files, read once."""
from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from container.search.request_parameters import read_bool
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.languages import detect_language, model_language, query_language
from searchlib.schema.model import ApplicationPackage, Schema
from searchlib.significance import (SignificanceModelError, SignificanceModels, query_words, read_model,
                                    with_document_frequencies)

USE_MODEL = "ranking.significance.useModel"
_PROFILE_SETTING = "significance.use-model"


def models_of(application: ApplicationPackage) -> SignificanceModels:
    """The package's models, read once per version of their files (a file that is no model: a
    located error). Keyed by each file's (mtime, size) as well, so that a model rewritten in place
    under the same reference is read again."""
    return _load(application.significance_models, tuple(map(_version, application.significance_models)))


def _version(model) -> tuple[int, int]:
    try:
        stat = Path(model.path).stat()
    except OSError:
        return (0, -1)  # _read reports it
    return (stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load(models: tuple, _versions: tuple) -> SignificanceModels:
    return SignificanceModels.merged(_read(model) for model in models)


def _read(model) -> dict:
    try:
        return read_model(Path(model.path))
    except (OSError, SignificanceModelError) as error:
        raise SchemaError(f"<significance> <model>: {error}", model.location) from None


def uses_model(query, schemas: Sequence[Schema]) -> bool:
    """The request's useModel, else the profile's setting, which every schema searched must share."""
    if query.parameters.get(USE_MODEL, "") != "":
        return read_bool(query.parameters, USE_MODEL)
    setups = {schema.name: schema.rank_profiles[query.profile].settings.get(_PROFILE_SETTING, "false")
              .strip().lower() == "true" for schema in schemas}
    if len(set(setups.values())) > 1:
        raise InvalidParameterError(f"Inconsistent 'significance' configuration for the rank profile "
                                    f"'{query.profile}' in the schemas {sorted(setups)}. Use 'restrict' to limit "
                                    "the query to a subset of schemas. Specify same 'significance' "
                                    "configuration for all selected schemas")
    return any(setups.values())


def with_significance(application: ApplicationPackage, query, schemas: Sequence[Schema]):
    """`query` with the model's document frequencies on its words, when its profile uses a model."""
    if not uses_model(query, schemas):
        return query
    explicit = query_language(query.parameters, model_language)  # zh-Hant stays itself, as in the models
    where, models = query.yql.where, models_of(application)
    # Vespa's getParsingLanguage(): the language the query was parsed in, detected only if none was
    parsed = query.yql.language
    detected = "" if explicit or not models.detects else parsed or detect_language(" ".join(query_words(where)))
    model = models.for_query(explicit, detected)
    return replace(query, yql=replace(query.yql, where=with_document_frequencies(where, model, explicit or parsed)))
