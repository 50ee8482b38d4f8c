"""`query-command: x` on a field or fieldset (Vespa's schema reference): a command the search
container's IndexFacts carries for the field. Vespa's own searchers act on a few built-in commands
(phrase-segmenting, and the ones its config model writes itself: stem, normalize, lowercase, exact,
...); any other name is only read by an application's custom Java searchers, so without one it does
nothing, in Vespa as here. A built-in command this engine does not carry out is refused.

`phrase-segmenting [true|false]` on a field or a fieldset is carried out: in user queries
(userQuery(), userInput()), a word the tokenizer splits ("a.b") becomes a phrase of its parts when
true and an AND of them when false (Vespa's default); a fieldset takes it from a member field that
sets it, else from its own (match_modes.fieldset_phrase_segmenting; the schema parser reads a
fieldset's). On a fieldset, `exact [terminator]` is Vespa's form of `match { exact  exact-terminator: ... }` (read by
the schema parser), and `dynteaser` has no effect."""
from __future__ import annotations

import logging

from searchlib.errors import SchemaError, SourceLocation

log = logging.getLogger(__name__)

# commands Vespa's container acts on (com.yahoo.prelude.Index.setCommand)
BUILT_IN = frozenset({"phrase-segmenting", "dynteaser", "highlight", "lowercase", "stem", "normalize", "exact",
                      "word", "numerical", "uri", "fullurl", "urlhost", "hostname", "plain-tokens", "predicate",
                      "attribute", "index", "default-position", "multivalue", "fieldset", "type", "literal-boost"})


PHRASE_SEGMENTING = "phrase-segmenting"
DYNTEASER = "dynteaser"  # marks an index for Vespa's JuniperSearcher, which reads summary fields only


def check_query_command(value: str, owner: str, location: SourceLocation, *, on_field: bool = False,
                        on_fieldset: bool = False) -> str:
    command = value.strip().strip('"')
    name = command.split()[0] if command.split() else ""
    if not name:
        raise SchemaError(f"missing value for 'query-command' in {owner}", location)
    if on_field and name.lower() == PHRASE_SEGMENTING:
        phrase_segmenting(command, owner, location)
        return command
    if on_fieldset and name.lower() == DYNTEASER:
        log.info("%s: query-command dynteaser in %s has no effect: a summary field's `summary: dynamic` "
                 "decides its snippet (a fieldset is no summary field, in Vespa either)", location, owner)
        return command
    if name.lower() in BUILT_IN:
        raise SchemaError(f"not supported: query-command '{name}' in {owner} (Vespa's container acts on it; "
                          "this engine does not)", location)
    log.info("%s: query-command '%s' in %s is for custom searchers; this engine runs none, so it has no "
             "effect (as in Vespa without such a searcher)", location, name, owner)
    return command


def phrase_segmenting(command: str, owner: str, location: SourceLocation) -> bool:
    """`phrase-segmenting` and `phrase-segmenting true` → True, `phrase-segmenting false` → False."""
    words = command.split()
    if len(words) == 1 or (len(words) == 2 and words[1].lower() in ("true", "false")):
        return len(words) == 1 or words[1].lower() == "true"
    raise SchemaError(f"query-command '{command}' in {owner}: write 'phrase-segmenting true' or "
                      f"'phrase-segmenting false'", location)
