"""Vespa's linguistics profiles: a field's `linguistics { profile … }` names analyzers that a
lucene-linguistics component defines in services.xml:

    <component id="linguistics" class="com.yahoo.language.lucene.LuceneLinguistics">
      <config name="language.lucene.lucene-analysis">
        <analysis>
          <item key="profile=whitespaceLowercase">
            <tokenizer><name>whitespace</name></tokenizer>
            <tokenFilters><item><name>lowercase</name></item></tokenFilters>
          </item>

Each profile becomes a chain of searchlib.lucene_analysis steps, written into the field's settings
(`analysis.index`, `analysis.search`) so the index at feed and the query parser read the same
chain through match_modes; a stop filter's words (read here from the files under the config's
`<configDir>`) travel inside its step, so both processes filter the same words. What the engine
cannot run exactly is refused where it is written.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Callable, Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.languages import language_code
from searchlib.lucene_analysis import FILTERS, SNOWBALL_LANGUAGES, TOKENIZERS, stop_step
from searchlib.lucene_languages import LANGUAGE_ANALYSIS, VESPA_LANGUAGE_ALIASES, encode

LUCENE_LINGUISTICS = "com.yahoo.language.lucene.LuceneLinguistics"
ANALYSIS_CONFIG = "language.lucene.lucene-analysis"
# the config's full name (the definition's package is com.yahoo.language.lucene), as packages write it
_CONFIG_NAMES = (ANALYSIS_CONFIG, "com.yahoo.language.lucene.lucene-analysis")
_PROFILE_KEY = re.compile(r"profile=(\w+)")
_JAVA_TRIM = "".join(map(chr, range(33)))  # String.trim: code points up to U+0020
_MAX_TOKEN_LENGTH_LIMIT = 1024 * 1024  # StandardTokenizer.MAX_TOKEN_LENGTH_LIMIT
ReadFile = Callable[[str, SourceLocation], str]  # a package file's text, or a located SchemaError


@dataclass(frozen=True, slots=True)
class AnalysisProfile:
    name: str  # "" for a language's analyzer
    chain: tuple[str, ...]  # tokenizer, then filter steps (searchlib.lucene_analysis.analyze)
    location: SourceLocation
    language: str = ""  # the language code of a language-keyed analyzer (`key="de"`)


def is_lucene_linguistics(element: ET.Element) -> bool:
    """A `<component>` of that class: by `class`, or by its id when it has none (Vespa's rule)."""
    return element.tag == "component" and (element.get("class") or element.get("id")) == LUCENE_LINGUISTICS


def parse_profiles(component: ET.Element, located: Callable[[ET.Element], SourceLocation],
                   read_file: ReadFile | None = None) -> dict[str, AnalysisProfile]:
    """The analyzers of a LuceneLinguistics component: `profile=<name>` ones by name, and those
    keyed by a language (`de`, `language=de`) under `language=<code>` (which no profile name can
    be); `read_file` reads the package files (stop words) one names under the config's `configDir`."""
    refuse = _Refuse(located)
    profiles: dict[str, AnalysisProfile] = {}
    for config in component:
        if config.tag != "config" or config.get("name") not in _CONFIG_NAMES:
            raise refuse(f"<{config.tag}{' ' + config.get('name', '') if config.tag == 'config' else ''}> in "
                         "the lucene-linguistics component", config)
        files = _Files(config.find("configDir"), read_file, located)
        for part in config:
            if part.tag == "configDir":
                continue
            if part.tag != "analysis":
                raise refuse(f"<{part.tag}> in {ANALYSIS_CONFIG}", part)
            for item in part:
                key = _analyzer_key(item, refuse)
                if key in profiles:
                    raise SchemaError(f"duplicate lucene-analysis analyzer '{item.get('key')}'", located(item))
                name, _, language = key.partition("language=")
                profiles[key] = AnalysisProfile(name, _chain(item, refuse, files), located(item), language)
    return profiles


class _Refuse:
    """Located errors: `refuse(what, element)` for what the engine does not run, `refuse.bad(...)`
    for a value the filter itself would reject."""

    def __init__(self, located: Callable[[ET.Element], SourceLocation]) -> None:
        self.located = located

    def __call__(self, message: str, element: ET.Element) -> SchemaError:
        return SchemaError(f"not supported: {message} (this engine runs the standard, whitespace and keyword "
                           f"tokenizers with the lowercase, uppercase, asciiFolding, stop, trim, length, "
                           f"reverseString, edgeNGram, nGram, englishPossessive, englishMinimalStem, "
                           f"germanNormalization, germanLightStem, spanishLightStem, porterStem and snowballPorter "
                           f"filters)", self.located(element))

    def bad(self, message: str, element: ET.Element) -> SchemaError:
        return SchemaError(message, self.located(element))


class _Files:
    """The words files of a config: relative to its `configDir` (itself relative to the package
    root); Vespa reads them from the class path without one, which a package without Java has not."""

    def __init__(self, config_dir: ET.Element | None, read_file: ReadFile | None, located) -> None:
        self.dir = (config_dir.text or "").strip().strip("/") if config_dir is not None else None
        self.read_file, self.located = read_file, located

    def read(self, name: str, element: ET.Element) -> str:
        where = self.located(element)
        if self.dir is None:
            raise SchemaError(f"not supported: words file '{name}' without a <configDir> (Vespa reads it from "
                              "the class path, which only Java bundles fill)", where)
        if self.read_file is None:
            raise SchemaError(f"words file '{name}': no application package files to read it from", where)
        return self.read_file(f"{self.dir}/{name}" if self.dir else name, where)


def _analyzer_key(item: ET.Element, refuse: "_Refuse") -> str:
    """The analyzer's key as Vespa's AnalyzerKey reads it: `language`, `language/STEM_MODE`, or
    `;`-separated `profile=`, `language=` and `stemMode=` parts; run here: a profile alone or a
    language alone ("language=<code>", the code as queries and documents name languages)."""
    raw = item.get("key", "")
    parts = dict(part.strip().partition("=")[::2] for part in raw.split(";")) if "=" in raw else {"language": raw}
    profile, language = _PROFILE_KEY.fullmatch(raw), parts.get("language", "")
    if item.tag == "item" and profile is not None:
        return profile.group(1)
    if item.tag != "item" or set(parts) != {"language"} or "/" in language or not language:
        # a stem mode picks an analyzer by the field's stemming, and a profile's language variants
        # apply to that profile only: neither is run here
        raise refuse(f"lucene-analysis '{raw or item.tag}': only profile=<name> and language analyzers "
                     "(no stem-mode or profile-and-language keys)", item)
    try:
        code = language_code(language)
    except ValueError as error:
        raise refuse.bad(f"lucene-analysis key '{raw}': {error}", item) from None
    return f"language={VESPA_LANGUAGE_ALIASES.get(code, code)}"


def _conf(element: ET.Element, refuse: "_Refuse") -> dict[str, str]:
    for child in element:  # lucene-analysis.def has only these (Vespa refuses other config fields)
        if child.tag not in ("name", "conf"):
            raise refuse.bad(f"unknown config field <{child.tag}> in <{element.tag}> (expected <name> and <conf>)",
                             child)
    conf = element.find("conf")
    return {c.get("key", c.tag): (c.text or "").strip() for c in (conf if conf is not None else ())}


def _chain(item: ET.Element, refuse, files: _Files) -> tuple[str, ...]:
    tokenizer = "standard"  # lucene-analysis.def: tokenizer.name default=standard
    steps: list[str] = []
    for part in item:
        if part.tag == "tokenizer":
            tokenizer = _tokenizer(part, refuse)
        elif part.tag == "tokenFilters":
            for entry in part:
                steps.append(_filter(entry, refuse, files))
        else:  # charFilters
            raise refuse(f"<{part.tag}> in profile '{item.get('key')}'", part)
    return (tokenizer, *steps)


def _tokenizer(part: ET.Element, refuse) -> str:
    name, conf = _name(part), _conf(part, refuse)
    if name.lower() not in TOKENIZERS or (conf and (name.lower() != "standard" or set(conf) != {"maxTokenLength"})):
        raise refuse(f"tokenizer '{name}'{' with conf ' + ', '.join(sorted(conf)) if conf else ''}", part)
    if not conf:
        return name.lower()
    length = conf["maxTokenLength"]
    if not (length.isascii() and length.isdigit()) or not 0 < int(length) <= _MAX_TOKEN_LENGTH_LIMIT:
        raise refuse.bad(f"maxTokenLength must be between 1 and {_MAX_TOKEN_LENGTH_LIMIT}, not '{length}'", part)
    return f"standard:{int(length)}"


def _filter(entry: ET.Element, refuse, files: _Files) -> str:
    name, conf = _name(entry), _conf(entry, refuse)
    step = FILTERS.get(name.lower())
    if step is None:
        raise refuse(f"token filter '{name}'", entry)
    if step == "stem:english" and set(conf) <= {"language"}:
        language = conf.get("language", "English")
        if language not in SNOWBALL_LANGUAGES:
            raise refuse(f"snowballPorter language '{language}'", entry)
        return f"stem:{language.lower()}"
    if step == "asciifolding" and set(conf) <= {"preserveOriginal"}:
        return "asciifolding:preserve" if _boolean(conf, "preserveOriginal", entry, refuse) else step
    if step == "stop" and set(conf) <= {"words", "format", "ignoreCase"}:
        return _stop(conf, entry, refuse, files)
    if step in ("edgengram", "ngram"):  # (Edge)NGramFilterFactory: minGramSize and maxGramSize required
        low, high = conf.get("minGramSize", ""), conf.get("maxGramSize", "")
        if not set(conf) <= {"minGramSize", "maxGramSize", "preserveOriginal"} or not (low.isascii() and low.isdigit()) or \
                not (high.isascii() and high.isdigit()) or not 0 < int(low) <= int(high):
            raise refuse.bad(f"the {name} filter needs minGramSize and maxGramSize, whole numbers with "
                             "0 < minGramSize <= maxGramSize", entry)
        preserve = _boolean(conf, "preserveOriginal", entry, refuse)
        return f"{step}:{int(low)}:{int(high)}:{int(preserve)}"
    if step == "length":  # LengthFilterFactory: both bounds required
        low, high = conf.get("min", ""), conf.get("max", "")
        if set(conf) != {"min", "max"} or not (low.isascii() and low.isdigit()) or not (high.isascii() and high.isdigit()) or int(low) > int(high):
            raise refuse.bad("the length filter needs min and max, whole numbers with min <= max", entry)
        return f"length:{int(low)}:{int(high)}"
    if conf:
        raise refuse(f"token filter '{name}' with conf {', '.join(sorted(conf))}", entry)
    return step


def _boolean(conf: dict[str, str], key: str, entry: ET.Element, refuse) -> bool:
    value = conf.get(key, "false")
    if value not in ("true", "false"):
        raise refuse.bad(f"{key} must be true or false, not '{value}'", entry)
    return value == "true"


def _stop(conf: dict[str, str], entry: ET.Element, refuse, files: _Files) -> str:
    """StopFilterFactory: `words` (comma-separated files; none: EnglishAnalyzer's set), `format`
    wordset (a word a line, `#` comment lines) or snowball (words apart by spaces, `|` comments)."""
    ignore_case = _boolean(conf, "ignoreCase", entry, refuse)
    if "words" not in conf:
        if "format" in conf:
            raise refuse.bad("the stop filter's format needs words", entry)
        return stop_step(None, ignore_case)
    format_ = conf.get("format", "wordset").lower()  # Lucene compares it without case
    if format_ not in ("wordset", "snowball"):
        raise refuse(f"stop words format '{format_}'", entry)
    words: set[str] = set()
    for name in (n.strip() for n in conf["words"].split(",") if n.strip()):
        for line in files.read(name, entry).removeprefix("\ufeff").splitlines():
            if format_ == "snowball":  # Java's \\s: ASCII white space only
                words.update(w for w in re.split(r"[ \t\n\x0b\f\r]+", line.split("|", 1)[0]) if w)
            elif not line.startswith("#") and line.strip(_JAVA_TRIM):  # WordlistLoader.getLines: comment, then trim
                words.add(line.strip(_JAVA_TRIM))
    return stop_step(frozenset(words), ignore_case)


def _name(element: ET.Element) -> str:
    name = element.find("name")
    return (name.text or "").strip() if name is not None else ""


def apply_profiles(schemas: Mapping, profiles: Mapping[str, AnalysisProfile] | None, services_file: str) -> dict:
    """Schemas whose fields' named profiles are resolved into `analysis.index` / `analysis.search`
    settings. With LuceneLinguistics, Vespa analyzes every other text field by the text's language
    (searchlib.lucene_languages): such a field gets the component's language analyzers in its
    `analysis.languages` setting. `profiles` is None without that component."""
    languages = encode({p.language: p.chain for p in (profiles or {}).values() if p.language})
    named = sorted(name for name, p in (profiles or {}).items() if not p.language)
    out = {}
    for schema_name, schema in schemas.items():
        fields = dict(schema.fields)
        for name, field in schema.fields.items():
            if not field.linguistics:
                if profiles is not None and field.is_index and field.match == "text" and \
                        field.type.kind in ("string", "array", "weightedset"):
                    fields[name] = replace(field, settings=MappingProxyType({**field.settings,
                                                                             LANGUAGE_ANALYSIS: languages}))
                continue
            roles = {role for role, _, _ in field.linguistics}
            if roles != {"index", "search"} or not field.is_index or field.match != "text":
                why = ("needs both index and search profiles" if roles != {"index", "search"} else
                       "is supported on text-matched index fields only")
                raise SchemaError(f"not supported: linguistics profile of field '{name}': it {why}",
                                  field.linguistics[0][2])
            settings = dict(field.settings)
            for role, profile, where in field.linguistics:
                if profile not in named:
                    defined = f"defines {', '.join(named)}" if named else "defines none"
                    if profiles is None:
                        defined = f"has no {LUCENE_LINGUISTICS} component"
                    raise SchemaError(f"unknown linguistics profile '{profile}' ({role} of field '{name}'): "
                                      f"{services_file} {defined}", where)
                settings[f"analysis.{role}"] = " ".join(profiles[profile].chain)
            fields[name] = replace(field, settings=MappingProxyType(settings))
        out[schema_name] = replace(schema, fields=MappingProxyType(fields))
    return out
