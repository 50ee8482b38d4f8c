"""Request parameters with the query profile applied (searchlib/schema/query_profiles.py): the
profile named by `queryProfile` (else `default`, when the package has one) gives values that
the request's own parameters override; then `%{name}` variables in every value are replaced by
the value of `name` (full or alias name; empty when unset). An unknown profile is a 400."""
from __future__ import annotations

import re
from typing import Mapping

from container.search import request_parameters as rp
from searchlib.errors import InvalidParameterError, quote_input
from searchlib.schema.model import ApplicationPackage

PROFILE_PARAMETER = "queryProfile"
_VARIABLE = re.compile(r"%\{([^{}]+)\}")


def with_query_profile(params: Mapping[str, str], application: ApplicationPackage) -> dict[str, str]:
    """`params` (canonical names) merged over the chosen profile's values, variables resolved."""
    name = params.get(PROFILE_PARAMETER, "")
    profiles = application.query_profiles
    if name and name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise InvalidParameterError(f"Could not resolve query profile '{quote_input(name, 60)}': "
                                    f"the application has {known}")
    profile = profiles.get(name or "default")
    merged = dict(rp.canonical_parameters(profile.values)) if profile is not None else {}
    merged.update(params)
    if not any("%{" in value for value in merged.values()):
        return merged
    return {key: _VARIABLE.sub(lambda found: _lookup(merged, found.group(1).strip()), value)
            for key, value in merged.items()}


def _lookup(params: Mapping[str, str], name: str) -> str:
    value = params.get(rp.ALIASES.get(name, name), params.get(name, ""))
    return "" if "%{" in value else value  # one level: a variable's value is not expanded again
