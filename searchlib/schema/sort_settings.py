"""An attribute's `sorting` settings in a .sd (Vespa's schema reference, attribute → sorting):

    attribute {                         field f type string {
        sorting: descending                 sorting {
        sorting: function: uca                  descending
        sorting: strength: primary              function: lowercase
        sorting: locale: en_US                  strength: secondary
    }                                       }

into searchlib.sort_functions.SortSettings (defaults: ascending, uca, primary, no locale)."""
from __future__ import annotations

from dataclasses import replace

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.blocks import Setting, read_settings_block
from searchlib.schema.lexer import Scanner
from searchlib.sort_functions import FUNCTIONS, STRENGTHS, SortSettings

_ITEMS = {"ascending": "flag", "descending": "flag", "function": "value", "strength": "value", "locale": "value"}


def read_sorting(sc: Scanner, what: str, location: SourceLocation) -> Setting:
    """After the keyword `sorting`: one `: setting` line or a `{ ... }` block."""
    where = f"sorting of {what}"
    if sc.try_inline_char(":"):
        value, value_location = sc.line_value(where)
        key, _, argument = value.partition(":")
        key, argument = key.strip(), argument.strip()
        if _ITEMS.get(key) is None or (_ITEMS[key] == "value") != bool(argument):
            raise SchemaError(f"unknown sorting setting '{value}' in {what} (expected ascending, descending, "
                              "function: f, strength: s or locale: l)", value_location)
        children = (Setting(key, argument or None, value_location),)
    else:
        sc.expect("{", f"after 'sorting' in {what}")
        children = tuple(read_settings_block(sc, where, _ITEMS))
    return Setting("sorting", None, location, children)


def apply_sorting(settings: SortSettings, setting: Setting, what: str) -> SortSettings:
    for item in setting.children:
        value = (item.value or "").strip().strip('"')
        if item.key in ("ascending", "descending"):
            settings = replace(settings, ascending=item.key == "ascending")
        elif item.key == "function":
            if value.lower() not in FUNCTIONS:
                raise SchemaError(f"unknown sort function '{value}' in {what} (expected one of "
                                  f"{', '.join(FUNCTIONS)})", item.location)
            settings = replace(settings, function=value.lower())
        elif item.key == "strength":
            if value.lower() not in STRENGTHS:
                raise SchemaError(f"unknown sort strength '{value}' in {what} (expected one of "
                                  f"{', '.join(STRENGTHS)})", item.location)
            settings = replace(settings, strength=value.lower())
        else:
            settings = replace(settings, locale=value)
    return settings
