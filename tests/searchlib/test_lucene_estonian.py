"""Lucene 9.12.3's Snowball Estonian stemmer (searchlib.lucene_estonian), for a profile's
snowballPorter with language Estonian. The "teadaole" forms are the cases of Lucene's own
TestEstonianAnalyzer; the others are worked out through the stemmer's steps (beside each)."""
from __future__ import annotations

import pytest

from searchlib.lucene_estonian import estonian_stem
from searchlib.lucene_languages import UnsupportedLanguageError, language_chain
from searchlib.match_modes import index_terms, match_mode
from tests.searchlib.test_linguistics_profiles import load, profile

TEADAOLE = ("teadaolevalt teadaolevaid teadaolevatest teadaolevail teadaolevatele teadaolevatel teadaolevateks "
            "teadaolevate teadaolevaks teadaoleval teadaolevates teadaolevat teadaolevast teadaoleva teadaolevais "
            "teadaolevas teadaolevad teadaolevale teadaolevatesse").split()


@pytest.mark.parametrize("word", TEADAOLE)
def test_lucenes_own_cases(word: str) -> None:
    assert estonian_stem(word) == "teadaole"


@pytest.mark.parametrize(("word", "stem"), [
    ("saaksime", "saa"),  # a form of an irregular verb, whole: its stem, nothing more
    ("tegemata", "tegi"),
    ("lugesime", "luge"),  # verb ending -sime (longest of -sime, -me): the noun steps are skipped
    ("majades", "maja"),  # case -s after a vowel; plural -de after a vowel
    ("raamatutes", "raama"),  # case -s; plural -te (stem of 4 or more: off); participle -tu
    ("kirjutanud", "kirjuta"),  # plural -d after a vowel; participle -nu
    ("koerakski", "koera"),  # emphatic -ki after s (4 letters before it); case -ks after a vowel
    ("emagi", "emagi"),  # -gi needs 4 letters before it; -i plural needs a vowel before it
    ("sukka", "suka"),  # kk before a final vowel undoubled (outside R1 too)
])
def test_estonian_stemmer_steps(word: str, stem: str) -> None:
    assert estonian_stem(word) == stem


def test_a_profile_runs_snowball_estonian_while_the_default_analyzer_stays_refused() -> None:
    app = load(profile("p", "standard", "<name>lowercase</name>",
                       '<name>snowballPorter</name><conf><item key="language">Estonian</item></conf>'))
    mode = match_mode(app.schemas["s"].fields["a"])
    assert mode.index_analysis == ("standard", "lowercase", "stem:estonian")
    assert index_terms(mode, "Teadaolevatesse majades", "et") == ["teadaole", "maja"]
    with pytest.raises(UnsupportedLanguageError, match="EstonianAnalyzer"):  # its stop list is not at hand
        language_chain("et")
