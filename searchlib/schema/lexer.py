"""Character scanner for the .sd language, tracking line and column.

The schema language mixes structured elements (`field x type t { ... }`) with free-form values that
belong to other languages (ranking expressions, indexing scripts, tensor literals). So instead of a
fixed token stream the parser pulls what it needs: words, punctuation, a one-line value, or the raw
text of a balanced block. Free-form values end at a newline or at an unbalanced `}` and may span
lines while a bracket is open; `#` starts a comment outside quotes.
"""
from __future__ import annotations

import bisect
import re

from searchlib.errors import SchemaError, SourceLocation

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*")
_CLOSING = {"(": ")", "[": "]", "{": "}", "<": ">"}


class Scanner:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.pos = 0
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    # -- positions ------------------------------------------------------------------------------
    def location(self, pos: int | None = None) -> SourceLocation:
        pos = self.pos if pos is None else pos
        line = bisect.bisect_right(self._line_starts, pos) - 1
        return SourceLocation(self.file, line + 1, pos - self._line_starts[line] + 1)

    def error(self, message: str, pos: int | None = None) -> SchemaError:
        return SchemaError(message, self.location(pos))

    # -- whitespace and comments -----------------------------------------------------------------
    def skip_space(self) -> None:
        """Skip whitespace, newlines and comments."""
        text, pos = self.text, self.pos
        while pos < len(text):
            ch = text[pos]
            if ch.isspace():
                pos += 1
            elif ch == "#":
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end
            else:
                break
        self.pos = pos

    def skip_inline_space(self) -> None:
        """Skip blanks and a trailing comment, stopping at a newline."""
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r":
            pos += 1
        if pos < len(text) and text[pos] == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        self.pos = pos

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def at_line_end(self) -> bool:
        self.skip_inline_space()
        return self.peek() in ("", "\n", "}")

    # -- tokens ---------------------------------------------------------------------------------
    def try_char(self, ch: str) -> bool:
        self.skip_space()
        if self.text.startswith(ch, self.pos):
            self.pos += len(ch)
            return True
        return False

    def try_inline_char(self, ch: str) -> bool:
        self.skip_inline_space()
        if self.text.startswith(ch, self.pos):
            self.pos += len(ch)
            return True
        return False

    def expect(self, ch: str, context: str) -> None:
        self.skip_space()
        if not self.text.startswith(ch, self.pos):
            found = self.peek() or "end of file"
            raise self.error(f"expected '{ch}' {context}, found '{found}'")
        self.pos += len(ch)

    def peek_word(self) -> str | None:
        self.skip_space()
        match = _WORD.match(self.text, self.pos)
        return match.group(0) if match else None

    def word(self, what: str) -> str:
        """A name or keyword: letters, digits and `_`, with inner `-` and `.` (first-phase, a.b)."""
        self.skip_space()
        match = _WORD.match(self.text, self.pos)
        if not match:
            found = self.peek() or "end of file"
            raise self.error(f"expected {what}, found '{found}'")
        self.pos = match.end()
        return match.group(0)

    def try_word(self, keyword: str) -> bool:
        start = self.pos
        if self.peek_word() == keyword:
            self.pos += len(keyword)
            return True
        self.pos = start
        return False

    def inline_word(self) -> str | None:
        """A word on the current line, or None when the line (or block) ends first."""
        self.skip_inline_space()
        match = _WORD.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group(0)

    def name_or_string(self, what: str) -> str:
        """A word or a quoted string (ONNX input/output names may need quotes)."""
        self.skip_space()
        if self.peek() in ("'", '"'):
            start = self.pos
            end = self._skip_string(start)
            self.pos = end
            return self.text[start + 1 : end - 1]
        match = re.compile(r"[^\s:{}]+").match(self.text, self.pos)
        if not match:
            raise self.error(f"expected {what}, found '{self.peek() or 'end of file'}'")
        self.pos = match.end()
        return match.group(0)

    # -- free-form values -------------------------------------------------------------------------
    def line_value(self, what: str, *, stop_at_space: bool = False) -> tuple[str, SourceLocation]:
        """The value after `key:` up to the end of the line (or of the block), brackets balanced.

        With stop_at_space, the value also ends at a blank outside brackets (one of several values
        on a line, as in `inputs { a: 1  b: 2 }`); a trailing `:` keeps it going (`tensor(x[2]): [1,2]`).
        """
        self.skip_inline_space()
        start = self.pos
        text = self.text
        stack: list[tuple[str, int]] = []  # (expected closer, position of its opener)
        pos = start
        while pos < len(text):
            ch = text[pos]
            if ch in "\"'":
                pos = self._skip_string(pos)
                continue
            if ch == "#" and not stack:
                break
            if ch in "([{":
                stack.append((_CLOSING[ch], pos))
            elif ch in ")]}":
                if not stack:
                    if ch == "}":
                        break
                    raise self.error(f"unbalanced '{ch}' in {what}", pos)
                expected, opened = stack.pop()
                if ch != expected:
                    raise self.error(f"unclosed '{text[opened]}' in {what}: found '{ch}' at "
                                     f"{self.location(pos)}", opened)
            elif ch == "\n" and not stack:
                break
            elif ch in " \t" and not stack and stop_at_space and pos > start:
                # `a, b` and `type: value` continue past the blank; anything else starts a new item
                before = text[start:pos].rstrip()[-1:]
                after = text[pos:].lstrip(" \t")[:1]
                if before not in (":", ",") and after != ",":
                    break
            elif ch == "#":
                # a comment inside an open bracket: blank it out up to the newline
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end
                continue
            pos += 1
        if stack:
            raise self.error(f"unclosed '{text[stack[-1][1]]}' in {what}", stack[-1][1])
        self.pos = pos
        raw = _blank_comments(text[start:pos])
        stripped = raw.strip()
        leading = len(raw) - len(raw.lstrip())
        return stripped, self.location(start + leading)

    def block_text(self, what: str) -> tuple[str, SourceLocation]:
        """After an opening `{` has been consumed: the raw text up to its matching `}` (consumed).

        Comments are blanked out with spaces so offsets in the text still map to source positions.
        """
        start = self.pos
        text = self.text
        depth = 0
        pos = start
        while pos < len(text):
            ch = text[pos]
            if ch in "\"'":
                pos = self._skip_string(pos)
                continue
            if ch == "#":
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0:
                    raw = _blank_comments(text[start:pos])
                    self.pos = pos + 1
                    leading = len(raw) - len(raw.lstrip())
                    return raw.strip(), self.location(start + leading)
                depth -= 1
            pos += 1
        raise self.error(f"unclosed '{{' in {what}", start - 1)

    def balanced(self, opener: str, what: str) -> str:
        """At `opener`: the text up to and including its matching closer (`<...>`, `(...)`)."""
        if self.peek() != opener:
            raise self.error(f"expected '{opener}' in {what}")
        closer = _CLOSING[opener]
        depth = 0
        pos = self.pos
        while pos < len(self.text):
            ch = self.text[pos]
            if ch == opener:
                depth += 1
            elif ch == closer:
                depth -= 1
                if depth == 0:
                    value = self.text[self.pos : pos + 1]
                    self.pos = pos + 1
                    return value
            elif ch == "\n" and opener == "<":
                break
            pos += 1
        raise self.error(f"unclosed '{opener}' in {what}")

    def _skip_string(self, pos: int) -> int:
        quote = self.text[pos]
        end = pos + 1
        while end < len(self.text):
            ch = self.text[end]
            if ch == "\\":
                end += 2
                continue
            if ch == quote:
                return end + 1
            if ch == "\n":
                break
            end += 1
        raise self.error("unterminated string", pos)


def _blank_comments(raw: str) -> str:
    """Replace `# ...` comments (outside quotes) by spaces, keeping every offset in place."""
    if "#" not in raw:
        return raw
    out = list(raw)
    quote = ""
    i = 0
    while i < len(out):
        ch = out[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            while i < len(out) and out[i] != "\n":
                out[i] = " "
                i += 1
            continue
        i += 1
    return "".join(out)


def split_features(text: str) -> tuple[str, ...]:
    """`bm25(title) closeness(field, e)  my_fn` -> the features, split at blanks outside brackets."""
    features: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch.isspace() and depth == 0:
            if current:
                features.append("".join(current))
                current = []
            continue
        if ch.isspace():
            continue  # `closeness(field, e)` is written without the blank in its canonical name
        current.append(ch)
    if current:
        features.append("".join(current))
    return tuple(features)
