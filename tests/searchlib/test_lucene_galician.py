"""Lucene's GalicianAnalyzer (searchlib.lucene_galician) as LuceneLinguistics runs it on a text field
without a profile: StandardTokenizer, LowerCaseFilter, the Galician stop list, GalicianStemmer (the
RSLP steps of galician.rslp). Each stem is worked out through the steps by hand (beside it);
"correspondente" and "corresponderá" are the cases of Lucene's own TestGalicianAnalyzer."""
from __future__ import annotations

import pytest

from searchlib.lucene_analysis import analyze
from searchlib.lucene_galician import galician_stem, parse_steps
from searchlib.lucene_languages import language_chain


@pytest.mark.parametrize(("word", "stem"), [
    ("casas", "cas"),  # plural -s; vowel -a (cas keeps 3)
    ("bons", "bon"),  # plural -ns -> -n
    ("luces", "luz"),  # plural -ces -> -z
    ("mares", "mar"),  # plural -res needs a stem of 3 (ma): -s instead; vowel -e
    ("lápis", "lap"),  # plural -is -> -il comes before -s (whose exception lápis is never reached);
                       # noun -il; accents off
    ("melhor", "mellor"),  # unification -lhor -> -llor; noun -or: mellor is its exception
    ("felizmente", "feliz"),  # adverb -mente
    ("cansadísimo", "cans"),  # augmentative -dísimo (stem of 5), once more: nothing; vowel -a
    ("pequeniño", "pequen"),  # augmentative -iño -> -o; vowel -o
    ("traballo", "traball"),  # augmentative -allo: traballo is its whole-word exception; vowel -o
    ("práctica", "pract"),  # augmentative -ica; accents off
    ("física", "fisic"),  # -ica's exception física: vowel -a instead; accents off
    ("administración", "administr"),  # noun -ación
    ("correspondente", "correspond"),  # noun -nte; vowel -e
    ("corresponderá", "correspond"),  # no noun ending: verb -erá
    ("cantando", "cant"),  # verb -ando
])
def test_galician_stemmer_steps(word: str, stem: str) -> None:
    assert galician_stem(word) == stem


def test_the_rules_file_is_read_as_lucene_reads_it() -> None:
    steps = parse_steps('''
        # a comment
        { "Test", 0, 1, {"s"},
          {"ns",1,"n",{"luns", "bens"}},
          {"s",2}};
    ''')
    step = steps["Test"]
    assert step.min_size == 3 and step.whole_word_exceptions and step.conditions == ("s",)  # 0: 1 + len("ns")
    assert [rule.exceptions for rule in step.rules] == [("luns", "bens"), ()]
    assert step.apply("bons") == "bon" and step.apply("bens") == "ben"  # bens: an exception of -ns only
    assert step.apply("os") == "os"  # shorter than the step's minimum


def test_galician_analyzer() -> None:
    # e, As (lowercased), dos: stop words; mariñeiros: plural -s, noun -eiro
    assert analyze(language_chain("gl"), "As casas e os mariñeiros dos portos") == ["cas", "mariñ", "port"]
