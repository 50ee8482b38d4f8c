"""Value functions of the indexing language's codecs and annotators, as Vespa's expressions
(indexinglanguage/.../expressions) compute them: base64encode/decode and hexencode/decode of a
long, zcurve of a position, and the term annotations `exact` and `ngram N` put on a string,
which `flatten` writes out as `text[term]`."""
from __future__ import annotations

import base64
import binascii
import re
import socket

from searchlib.errors import DocumentError
from searchlib.geo import GeoError, zcurve_value
from searchlib.linguistics import MARKS, drop_accents, stem

LONG_MIN = -(1 << 63)
_HEX = re.compile(r"[+-]?[0-9a-fA-F]+")
_BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?", re.ASCII)
_WORD = re.compile(r"[^\W_]+")  # GramSplitter grams within runs of letters and digits
_TOKEN = re.compile(f"(?:[^\\W_]|[{MARKS}])+")  # the words the tokenizer indexes (linguistics.words)


def _signed64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _long(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(f"{what} expects a long, got {type(value).__name__}")
    if not LONG_MIN <= value < 1 << 63:
        raise DocumentError(f"{what}: {value} is not a long")
    return value


def base64_encode(value: object) -> str:
    """The long's 8 bytes, least significant first, in standard base64 (12 characters)."""
    return base64.b64encode((_long(value, "base64encode") & ((1 << 64) - 1)).to_bytes(8, "little")).decode()


def base64_decode(value: object) -> int:
    """The inverse: bytes least significant first; "" is Long.MIN_VALUE; over 12 characters is out
    of range. java.util.Base64's basic decoder: padding optional, but a last unit that has some
    must have all of it ("QQ==", "QQ", not "QQ="), and nothing may follow it."""
    text = str(value)
    if text == "":
        return LONG_MIN
    if len(text) > 12:
        raise DocumentError(f"Base64 value '{text}' is out of range")
    if not _BASE64.fullmatch(text):
        raise DocumentError(f"Illegal base64 value '{text}'")
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError(f"Illegal base64 value '{text}'") from None
    if not decoded:
        raise DocumentError(f"Illegal base64 value '{text}'")
    return _signed64(int.from_bytes(decoded, "little"))


def hex_encode(value: object) -> str:
    """Long.toHexString: the 64-bit two's complement in lowercase hex, no leading zeros."""
    return format(_long(value, "hexencode") & ((1 << 64) - 1), "x")


def hex_decode(value: object) -> int:
    """new BigInteger(text, 16): "" is Long.MIN_VALUE; more than 64 bits is out of range; a
    positive value of exactly 64 bits is taken as the two's complement (ffffffffffffffff is -1)."""
    text = str(value)
    if text == "":
        return LONG_MIN
    if not _HEX.fullmatch(text):
        raise DocumentError(f"Illegal hex value '{text}'")
    number = int(text, 16)
    bits = number.bit_length() if number >= 0 else (~number).bit_length()  # BigInteger.bitLength
    if bits > 64:
        raise DocumentError(f"Hex value '{text}' is out of range")
    return _signed64(number)


def zcurve(value: object) -> int:
    """ZCurve.encode(x, y) of a position (x bits at even, y bits at odd positions)."""
    try:
        return zcurve_value(value)
    except GeoError as error:
        raise DocumentError(f"zcurve: {error}") from None


def hostname() -> str:
    """The local host name up to its first dot (HostNameExpression.normalizeHostName)."""
    return socket.gethostname().split(".", 1)[0]


class Annotated(str):
    """A string with Vespa's term annotations: (start, end, term) spans; term None = the span's
    text. Outputs store the plain string; `flatten` writes the terms out."""
    terms: tuple[tuple[int, int, str | None], ...]

    def __new__(cls, text: str, terms: tuple[tuple[int, int, str | None], ...]) -> "Annotated":
        made = super().__new__(cls, text)
        made.terms = terms
        return made


def exact(text: str) -> str:
    """ExactExpression: the whole string one term, lowercased ("" stays as it is)."""
    if text == "":
        return text
    lowered = text.lower()
    return Annotated(text, ((0, len(text), None if lowered == text else lowered),))


def tokenized(text: str, normalize: bool, stemmed: bool, language: str) -> str:
    """TokenizeExpression: each word a term, lowercased, accents dropped with `normalize`, stemmed
    with `stem` (term None where that is the word as written)."""
    terms = []
    for word in _TOKEN.finditer(text):
        term = word.group().lower()
        term = drop_accents(term) if normalize else term
        term = stem(term, language) if stemmed else term
        terms.append((word.start(), word.end(), None if term == word.group() else term))
    return Annotated(text, tuple(terms))


def ngram(text: str, size: int) -> str:
    """NGramExpression: each word's grams of `size` characters (a shorter word is one gram),
    each a lowercased term. An already annotated string is left as it is (as Vespa does)."""
    if isinstance(text, Annotated):
        return text
    terms = []
    for word in _WORD.finditer(text):
        start, end = word.span()
        starts = [start] if end - start <= size else range(start, end - size + 1)
        for at in starts:
            stop = min(at + size, end)
            gram = text[at:stop]
            terms.append((at, stop, None if gram.lower() == gram else gram.lower()))
    return Annotated(text, tuple(terms))


def flatten(value: object) -> str:
    """FlattenExpression: after each annotated span, its terms sorted, as Java prints a list
    (`[a]`, `[a, b]`)."""
    if not isinstance(value, Annotated):
        raise DocumentError("flatten needs a string annotated by tokenize, exact or ngram before it")
    at_end: dict[int, list[str]] = {}
    for start, end, term in value.terms:
        at_end.setdefault(end, []).append(value[start:end] if term is None else term)
    text = str(value)
    out = []
    for i in range(len(text) + 1):
        if i in at_end:
            out.append("[" + ", ".join(sorted(at_end[i])) + "]")
        if i < len(text):
            out.append(text[i])
    return "".join(out)
