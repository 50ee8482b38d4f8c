"""Lucene's GalicianStemmer (9.12.3): the RSLP-style steps of searchlib.lucene_galician_rules
(RSLPStemmerBase's format) applied as GalicianStemmer orders them, written from their rules.

Each step: a word shorter than the step's minimum (given, or the least suffix + stem size of its
rules) or not ending in one of its conditions is passed by; otherwise its first rule that matches
fires — the word ends with the rule's suffix, keeps at least the rule's stem size before it, and is
none of its exceptions (whole words, or endings, by the step's flag) — and the suffix is replaced.
Sizes are Java's UTF-16 units.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from searchlib.lucene_galician_rules import GALICIAN_RSLP
from searchlib.utf16 import join_utf16, utf16_units


@dataclass(frozen=True)
class Rule:
    suffix: str
    min_stem: int
    replacement: str
    exceptions: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    name: str
    min_size: int
    whole_word_exceptions: bool
    conditions: tuple[str, ...]
    rules: tuple[Rule, ...]

    def apply(self, word: str) -> str:
        if len(word) < self.min_size or (self.conditions and not word.endswith(self.conditions)):
            return word
        for rule in self.rules:
            if len(word) - len(rule.suffix) >= rule.min_stem and word.endswith(rule.suffix):
                excepted = word in rule.exceptions if self.whole_word_exceptions else \
                    bool(rule.exceptions) and word.endswith(rule.exceptions)
                if not excepted:
                    return word[:len(word) - len(rule.suffix)] + rule.replacement
        return word


_HEADER = re.compile(r'^\{\s*"([^"]*)",\s*([0-9]+),\s*(0|1),\s*\{(.*)\},\s*$')
_RULE = re.compile(r'^\{\s*"([^"]*)",\s*([0-9]+)(?:,\s*"([^"]*)")?(?:,\s*\{(.*)\}\s*)?\}\s*(,|\}\s*;)$')


def _strings(listed: str | None) -> tuple[str, ...]:
    return tuple(item.strip()[1:-1] for item in listed.split(",")) if listed else ()


def parse_steps(text: str) -> dict[str, Step]:
    """The steps of an RSLP description (lines trimmed; blank and `#` lines skipped)."""
    lines = iter(line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))
    steps = {}
    for header in lines:
        found = _HEADER.match(header)
        if found is None:
            raise ValueError(f"bad RSLP step header: {header}")
        name, min_size, flag, conditions = found.groups()
        rules = []
        for line in lines:
            rule = _RULE.match(line)
            if rule is None:
                raise ValueError(f"bad RSLP rule: {line}")
            suffix, min_stem, replacement, exceptions = rule.groups()[:4]
            rules.append(Rule(suffix, int(min_stem), replacement or "", _strings(exceptions)))
            if line.endswith(";"):
                break
        size = int(min_size) or min(rule.min_stem + len(rule.suffix) for rule in rules)
        steps[name] = Step(name, size, flag == "1", _strings(conditions), tuple(rules))
    return steps


_STEPS = parse_steps(GALICIAN_RSLP)
_ACCENTS = str.maketrans("áéêíóú", "aeeiou")  # RSLG's accent removal, the stemmer's last step


def galician_stem(word: str) -> str:
    """GalicianStemmer: plural, unification and adverb steps; the augmentative step until it
    changes nothing; the noun step, or the verb step when the noun step removed nothing; the vowel
    step; then the accents á é ê í ó ú off."""
    units = utf16_units(word)
    for name in ("Plural", "Unification", "Adverb"):
        units = _STEPS[name].apply(units)
    while len(shorter := _STEPS["Augmentative"].apply(units)) != len(units):  # Lucene compares lengths
        units = shorter
    nouned = _STEPS["Noun"].apply(units)
    units = _STEPS["Verb"].apply(units) if len(nouned) == len(units) else nouned
    units = _STEPS["Vowel"].apply(units).translate(_ACCENTS)
    return join_utf16(units)
