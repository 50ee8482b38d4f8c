"""`model.type.syntax=none`: user text whose characters are never query syntax. The simple query
language gives `" ' + - : ( ) [ ] { } ! ^ * ~ \\ / | & < > = @ #` meanings (phrases, +/-, field:term,
grouping, weights); as plain text they are only separators, which the tokenizer drops anyway."""
from __future__ import annotations

import re

SYNTAX_PARAMETER = "model.type.syntax"
_QUERY_SYNTAX = re.compile(r"[\"'+\-:()\[\]{}!^*~\\/|&<>=@#]")
_SPACE = re.compile(r"\s+")


def without_query_syntax(text: str) -> str:
    return _SPACE.sub(" ", _QUERY_SYNTAX.sub(" ", text)).strip()
