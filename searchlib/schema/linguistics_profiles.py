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
chain through match_modes. What the engine cannot run exactly is refused where it is written.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Callable, Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.lucene_analysis import FILTERS, SNOWBALL_LANGUAGES, TOKENIZERS

LUCENE_LINGUISTICS = "com.yahoo.language.lucene.LuceneLinguistics"
ANALYSIS_CONFIG = "language.lucene.lucene-analysis"
_PROFILE_KEY = re.compile(r"profile=(\w+)")


@dataclass(frozen=True, slots=True)
class AnalysisProfile:
    name: str
    chain: tuple[str, ...]  # tokenizer, then filter steps (searchlib.lucene_analysis.analyze)
    location: SourceLocation


def is_lucene_linguistics(element: ET.Element) -> bool:
    return element.tag == "component" and element.get("class") == LUCENE_LINGUISTICS


def parse_profiles(component: ET.Element, located: Callable[[ET.Element], SourceLocation]) -> dict[str, AnalysisProfile]:
    """The `profile=<name>` analyzers of a LuceneLinguistics component."""
    def refuse(message: str, element: ET.Element) -> SchemaError:
        return SchemaError(f"not supported: {message} (this engine runs only whitespace or keyword tokenizers "
                           f"with lowercase, porterStem and snowballPorter filters)", located(element))

    profiles: dict[str, AnalysisProfile] = {}
    for config in component:
        if config.tag != "config" or config.get("name") != ANALYSIS_CONFIG:
            raise refuse(f"<{config.tag}{' ' + config.get('name', '') if config.tag == 'config' else ''}> in "
                         "the lucene-linguistics component", config)
        for part in config:
            if part.tag != "analysis":
                raise refuse(f"<{part.tag}> in {ANALYSIS_CONFIG}", part)
            for item in part:
                match = _PROFILE_KEY.fullmatch(item.get("key", ""))
                if item.tag != "item" or match is None:
                    # a language's analyzer replaces the default linguistics of every field
                    raise refuse(f"lucene-analysis '{item.get('key', item.tag)}': only profile=<name> analyzers", item)
                name = match.group(1)
                if name in profiles:
                    raise SchemaError(f"duplicate linguistics profile '{name}'", located(item))
                profiles[name] = AnalysisProfile(name, _chain(item, refuse), located(item))
    return profiles


def _chain(item: ET.Element, refuse) -> tuple[str, ...]:
    tokenizer = None
    steps: list[str] = []
    for part in item:
        if part.tag == "tokenizer":
            name = _name(part)
            if name.lower() not in TOKENIZERS or part.find("conf") is not None:
                raise refuse(f"tokenizer '{name}'{' with conf' if part.find('conf') is not None else ''}", part)
            tokenizer = name.lower()
        elif part.tag == "tokenFilters":
            for entry in part:
                steps.append(_filter(entry, refuse))
        else:  # charFilters
            raise refuse(f"<{part.tag}> in profile '{item.get('key')}'", part)
    if tokenizer is None:  # Lucene's default is the standard (UAX#29) tokenizer
        raise refuse(f"profile '{item.get('key')}' without a tokenizer (Lucene's default: standard)", item)
    return (tokenizer, *steps)


def _filter(entry: ET.Element, refuse) -> str:
    name = _name(entry)
    step = FILTERS.get(name.lower())
    conf = {c.get("key", c.tag): (c.text or "").strip() for c in entry.find("conf") or ()}
    if step is None:
        raise refuse(f"token filter '{name}'", entry)
    if step == "stem:english" and set(conf) <= {"language"}:
        language = conf.get("language", "English")
        if language not in SNOWBALL_LANGUAGES:
            raise refuse(f"snowballPorter language '{language}'", entry)
        return f"stem:{language.lower()}"
    if conf:
        raise refuse(f"token filter '{name}' with conf {', '.join(sorted(conf))}", entry)
    return step


def _name(element: ET.Element) -> str:
    name = element.find("name")
    return (name.text or "").strip() if name is not None else ""


def apply_profiles(schemas: Mapping, profiles: Mapping[str, AnalysisProfile] | None, services_file: str) -> dict:
    """Schemas whose fields' named profiles are resolved into `analysis.index` / `analysis.search`
    settings. With LuceneLinguistics, Vespa analyzes every other text field with Lucene's language
    analyzer, which this engine does not run: such a field is refused. `profiles` is None without
    that component."""
    out = {}
    for schema_name, schema in schemas.items():
        fields = dict(schema.fields)
        for name, field in schema.fields.items():
            if not field.linguistics:
                if profiles is not None and field.is_index and field.match == "text" and field.type.kind in ("string", "array", "weightedset"):
                    raise SchemaError(f"not supported: field '{name}' without a linguistics profile next to "
                                      f"{LUCENE_LINGUISTICS} in {services_file} (Vespa analyzes it with Lucene's "
                                      "language analyzer, which this engine does not run)", field.location)
                continue
            roles = {role for role, _, _ in field.linguistics}
            if roles != {"index", "search"} or not field.is_index or field.match != "text":
                why = ("needs both index and search profiles" if roles != {"index", "search"} else
                       "is supported on text-matched index fields only")
                raise SchemaError(f"not supported: linguistics profile of field '{name}': it {why}",
                                  field.linguistics[0][2])
            settings = dict(field.settings)
            for role, profile, where in field.linguistics:
                if profile not in (profiles or {}):
                    defined = f"defines {', '.join(sorted(profiles))}" if profiles else "defines none"
                    if profiles is None:
                        defined = f"has no {LUCENE_LINGUISTICS} component"
                    raise SchemaError(f"unknown linguistics profile '{profile}' ({role} of field '{name}'): "
                                      f"{services_file} {defined}", where)
                settings[f"analysis.{role}"] = " ".join(profiles[profile].chain)
            fields[name] = replace(field, settings=MappingProxyType(settings))
        out[schema_name] = replace(schema, fields=MappingProxyType(fields))
    return out
