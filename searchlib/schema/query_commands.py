"""`query-command: x` on a field or fieldset (Vespa's schema reference): a command the search
container's IndexFacts carries for the field. Vespa's own searchers act on a few built-in commands
(phrase-segmenting, and the ones its config model writes itself: stem, normalize, lowercase, exact,
...); any other name is only read by an application's custom Java searchers, so without one it does
nothing, in Vespa as here. A built-in command this engine does not carry out is refused."""
from __future__ import annotations

import logging

from searchlib.errors import SchemaError, SourceLocation

log = logging.getLogger(__name__)

# commands Vespa's container acts on (com.yahoo.prelude.Index.setCommand)
BUILT_IN = frozenset({"phrase-segmenting", "dynteaser", "highlight", "lowercase", "stem", "normalize", "exact",
                      "word", "numerical", "uri", "fullurl", "urlhost", "hostname", "plain-tokens", "predicate",
                      "attribute", "index", "default-position", "multivalue", "fieldset", "type", "literal-boost"})


def check_query_command(value: str, owner: str, location: SourceLocation) -> str:
    command = value.strip().strip('"')
    name = command.split()[0] if command.split() else ""
    if not name:
        raise SchemaError(f"missing value for 'query-command' in {owner}", location)
    if name.lower() in BUILT_IN:
        raise SchemaError(f"not supported: query-command '{name}' in {owner} (Vespa's container acts on it; "
                          "this engine does not)", location)
    log.info("%s: query-command '%s' in %s is for custom searchers; this engine runs none, so it has no "
             "effect (as in Vespa without such a searcher)", location, name, owner)
    return command
