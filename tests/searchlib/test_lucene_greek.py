"""Lucene's GreekAnalyzer (searchlib.lucene_greek) as LuceneLinguistics runs it on a text field
without a profile: StandardTokenizer, GreekLowerCaseFilter, the Greek stop list, GreekStemmer.
Each stem is worked out from the stemmer's rules (the rule beside it); most words are among those
of Lucene's own TestGreekStemmer, whose full list (fixtures/lucene_greek_stemmer.tsv) is run too."""
from __future__ import annotations

from pathlib import Path

import pytest

from searchlib.lucene_analysis import analyze, java_lower
from searchlib.lucene_greek import greek_lower, greek_stem
from searchlib.lucene_languages import language_chain


def test_greek_lowercase_drops_accents_and_final_sigma() -> None:
    assert greek_lower("ΆΈΉΊΪΌΎΫΏ άέήίϊΐόύϋΰώ", java_lower) == "αεηιιουυω αεηιιιουυυω"
    assert greek_lower("ΟΔΟΣ οδός", java_lower) == "οδοσ οδοσ"  # capital and final sigma: σ
    assert greek_lower("\u03a2", java_lower) == "\u03c2"  # the reserved code point, as Lucene's old indexes
    assert greek_lower("Straße", java_lower) == "straße"  # the rest: Character.toLowerCase


@pytest.mark.parametrize(("word", "stem"), [
    ("καθεστωτα", "καθεστ"),  # rule 0: irregular -ωτα, 3 off
    ("κρεατοσ", "κρε"),  # rule 0: -ατοσ of κρεασ, 4 off
    ("μπαμπαδεσ", "μπαμπ"),  # rule 1: -αδεσ off, and -αδ too after a kinship stem
    ("αγελαδεσ", "αγελαδ"),  # rule 1: -αδ back for any other stem
    ("καφεδων", "καφ"),  # rule 2: -εδων off (καφ is none of the -εδ keepers)
    ("παππουδεσ", "παππ"),  # rule 3: -ουδεσ off
    ("γραμματεων", "γραμματ"),  # rule 4: -εων off
    ("βαθια", "βαθ"),  # rule 5: -ια off after a consonant
    ("πουλιων", "πουλ"),  # rule 5: -ιων off
    ("αγαμε", "αγαμ"),  # rule 7: the five-letter αγαμε loses its ε only
    ("πεταμε", "πετ"),  # rule 7: -αμε off
    ("εμετε", "εμετ"),  # rule 9: -ετε off, -ετ back after εμ (an exception)
    ("αρχοντασ", "αρχοντ"),  # rule 10: -οντασ off, -οντ back after αρχ
    ("χουμε", "χουμ"),  # rule 19: -ουμε off, -ουμ written back after χ
    ("υποταγεσ", "υποταγ"),  # rule 15: -αγεσ off, -αγ back after υποτ
    ("προβληματα", "προβλημα"),  # rule 20: -ματα loses -τα
    ("βιβλιο", "βιβλι"),  # rule 21: a final vowel (nothing before changed the word)
    ("ανθρωπουσ", "ανθρωπ"),  # rule 21: -ουσ
    ("κρατουμουν", "κρατουμ"),  # rule 21: it ends in -υμουν, not -ομουν: -ουν off
    ("ψηλοτεροσ", "ψηλ"),  # rule 21 -οσ, then rule 22 -οτερ
    ("επιεικεστατοσ", "επιεικ"),  # rule 21 -οσ, then rule 22 -εστατ
    ("γοη", "γοη"),  # fewer than 4 characters: kept
])
def test_greek_stemmer_rules(word: str, stem: str) -> None:
    assert greek_stem(word) == stem


_FIXTURE = Path(__file__).parent / "fixtures" / "lucene_greek_stemmer.tsv"
LUCENE_CASES = [tuple(line.split("\t")) for line in _FIXTURE.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]


@pytest.mark.parametrize(("word", "stem"), LUCENE_CASES)
def test_lucenes_own_stemmer_cases(word: str, stem: str) -> None:
    # TestGreekStemmer runs the whole GreekAnalyzer (lowercasing drops the accents) on each word
    assert analyze(language_chain("el"), word) == [stem]


def test_greek_stemmer_keeps_its_buffer_semantics() -> None:
    # rule 8 on "ουντανε" alone (7 letters): Lucene's && binds to the first ending only, so this
    # second ending is cut from a word no longer than it, leaving nothing
    assert greek_stem("ουντανε") == ""
    assert greek_stem("τρουντανε") == "τραγαν"  # -ουντανε off, τρ is an exception: -αγαν written


def test_greek_analyzer() -> None:
    # Τα, του: stop words (after lowercasing: τα, του); σπίτια: -ια off; μεγαλύτερου: -ου (rule 21) then
    # -υτερ (rule 22); ανθρώπων: -ων
    assert analyze(language_chain("el"), "Τα σπίτια του μεγαλύτερου ανθρώπων") == ["σπιτ", "μεγαλ", "ανθρωπ"]
    assert analyze(language_chain("el"), "ΚΑΙ ΟΤΙ") == []  # stop words in any case and accent
