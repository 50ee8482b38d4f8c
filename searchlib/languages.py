"""Languages as Vespa handles them: language tags (`language=de`, `model.locale=de_DE`,
`set_language`), detection when none is given, and the default for text too short to tell.

Detection follows Vespa's OpenNlpDetector: the script decides first (Hangul → Korean, kana →
Japanese, other CJK ideographs → Chinese, Thai → Thai, as Vespa's SimpleDetector), then a
statistical detector — here CLD2 (pycld2: Google's compact detector, its tables compiled into the
wheel, nothing downloaded) — whose guess is used only when it calls it reliable. Anything else is
the default language, English: a one- or two-word query is stemmed as English unless the request
names its language.
"""
from __future__ import annotations

import re
from typing import Mapping

import pycld2

from searchlib.errors import InvalidParameterError

DEFAULT_LANGUAGE = "en"

# ISO 639-1 code → Snowball algorithm (PyStemmer). Languages without one are not stemmed.
SNOWBALL_ALGORITHMS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "zh_cn": "zh", "zh_tw": "zh"}  # legacy codes
CHINESE_TRADITIONAL = "zh-hant"
_TRADITIONAL = re.compile(r"-(hant|tw|hk|mo)(-|$)")
# Vespa's Language names by code: CLD2's (whose names are Vespa's for most), a few corrected
_VESPA_NAMES = {**{code: name.upper() for name, code in pycld2.LANGUAGES if len(code) == 2},
                "he": "HEBREW", "jv": "JAVANESE", "ja": "JAPANESE", "ko": "KOREAN", "zh": "CHINESE_SIMPLIFIED",
                CHINESE_TRADITIONAL: "CHINESE_TRADITIONAL", "nb": "NORWEGIAN_BOKMAL", "no": "NORWEGIAN_BOKMAL", "nn": "NORWEGIAN_NYNORSK",
                "un": "UNKNOWN"}
_TAG = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")
_DETECTION_PREFIX = 256  # characters: enough to be reliable, and detection cost stays flat
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # CLD2 rejects C1 controls

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\u3200-\u321f\u3260-\u327f\uac00-\ud7af\uffa0-\uffdf]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3190-\u319f]")
_HAN = re.compile(r"[\u2e80-\u2fdf\u3300-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
                  r"\U00020000-\U0002fa1f]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


def language_code(tag: str) -> str:
    """A language tag or locale (`de`, `de-DE`, `de_DE`, `zh-Hans`, `pt-BR`) → its language code
    (`de`, `zh`, `pt`). Raises ValueError for text that is not a tag."""
    tag = tag.strip()
    if not _TAG.match(tag):
        raise ValueError(f"'{tag}' is not a language tag (like 'en', 'de-DE' or 'zh-Hans')")
    lowered = tag.lower().replace("-", "_")
    primary = _ALIASES.get(lowered) or lowered.split("_", 1)[0]
    return _ALIASES.get(primary, primary)


def model_language(tag: str) -> str:
    """`language_code`, but Chinese stays two languages as Vespa's Language has them: "zh-hant"
    for Traditional (zh-Hant, zh-TW, zh-HK, zh-MO), "zh" for Simplified; "un" stays "un" (for the
    significance models, which Vespa keys by its Language)."""
    code = language_code(tag)
    if code == "zh" and _TRADITIONAL.search(tag.lower().replace("_", "-")):
        return CHINESE_TRADITIONAL
    return code


def is_known_language(code: str) -> bool:
    """Whether Vespa's Language has `code` (Language.fromLanguageTag gives UNKNOWN for any other)."""
    return code in _VESPA_NAMES


def vespa_language_name(code: str) -> str:
    """Vespa's name of the language (its Language enum: FRENCH, CHINESE_TRADITIONAL), as its messages show it."""
    return _VESPA_NAMES.get(code, "UNKNOWN")


def detect_language(text: str) -> str:
    """The language of `text` as a code; DEFAULT_LANGUAGE when it cannot be told reliably."""
    sample = text[:_DETECTION_PREFIX]
    if not sample.isascii():
        if _HANGUL.search(sample):
            return "ko"
        if _KANA.search(sample):
            return "ja"
        if _HAN.search(sample):
            return "zh"
        if _THAI.search(sample):
            return "th"
    try:
        reliable, _, details = pycld2.detect(_CONTROL.sub(" ", sample))
    except pycld2.error:  # text CLD2 cannot read is text it cannot tell
        return DEFAULT_LANGUAGE
    code = details[0][1]
    if not reliable or code in ("un", "xxx"):
        return DEFAULT_LANGUAGE
    return language_code(code) if _TAG.match(code) else DEFAULT_LANGUAGE


# Vespa's SimpleDetector looks at each UTF-16 unit's Unicode block (so never at a character beyond the BMP)
_SIMPLE_SCRIPTS = re.compile(
    r"(?P<ko>[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\u3200-\u321f\u3260-\u327f\uffa0-\uffdf\u302e\u302f])"
    r"|(?P<ja>[\u3040-\u30ff\u3190-\u319f\u31f0-\u31ff])"
    r"|(?P<han>[\u2e80-\u2eff\u3000-\u303f\u3300-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f])"
    r"|(?P<zh>[\u3100-\u312f\u31a0-\u31bf])|(?P<th>[\u0e00-\u0e7f])")


def script_language(text: str) -> str:
    """The language Vespa's SimpleDetector — the detector of LuceneLinguistics, which extends
    SimpleLinguistics — gives `text`, read to its end: the first Hangul letter makes it Korean, kana
    Japanese, Thai Thai, Bopomofo Chinese; CJK ideographs make it Chinese unless one of those
    follows. Anything else is unknown, which Vespa's indexing and query parsing take as English."""
    so_far = DEFAULT_LANGUAGE
    for found in _SIMPLE_SCRIPTS.finditer(text):
        if found.lastgroup != "han":
            return found.lastgroup
        so_far = "zh"
    return so_far


def text_language(text: str, explicit: str = "") -> str:
    """The language `text` is processed in: the explicit one if given, else detected."""
    return explicit or detect_language(text)


def query_language(parameters: Mapping[str, object], code=language_code) -> str:
    """The explicit language of a query request: `model.language` (`language`, `lang`) or
    `model.locale` (`locale`) as `code` reads its tag; "" when none is given (then the query
    text's language is detected). A value that is not a language tag is an InvalidParameterError."""
    for name in ("model.language", "language", "lang", "model.locale", "locale"):
        value = parameters.get(name)
        if value is not None and str(value).strip():
            try:
                return code(str(value))
            except ValueError as error:
                raise InvalidParameterError(f"Invalid query parameter: {name}: {error}") from None
    return ""


def language_sources(schema) -> dict[str, str]:
    """Field → the earlier field whose value (`indexing: set_language`) sets its language, as
    Vespa does: `set_language` affects only the fields after it in the schema."""
    sources: dict[str, str] = {}
    current = ""
    for name, field in schema.fields.items():
        if current:
            sources[name] = current
        if "set_language" in re.findall(r"[A-Za-z_]+", field.indexing or ""):
            current = name
    return sources


def field_language(fields: Mapping[str, object], source: str) -> str:
    """The language a `set_language` field's value names; "" (detect) when it is missing or not a
    language tag (Vespa ignores a language it cannot parse)."""
    value = fields.get(source) if source else None
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        return language_code(value)
    except ValueError:
        return ""
