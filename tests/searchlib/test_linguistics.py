"""Linguistics: normalization, tokenization and Snowball stemming (English here; other languages,
CJK and detection in test_languages.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

import re

from searchlib.linguistics import WORD_RUN, normalize, stem, tokenize, tokenize_unstemmed, words

# Expected stems from the Porter2 algorithm description's worked examples and its sample vocabulary.
PORTER2_EXAMPLES = {
    "consign": "consign", "consigned": "consign", "consigning": "consign",
    "consignment": "consign", "consistency": "consist", "consistently": "consist",
    "consolation": "consol", "consolatory": "consolatori", "consolidated": "consolid",
    "consolingly": "consol", "consonant": "conson", "conspicuously": "conspicu",
    "conspiracy": "conspiraci", "conspirators": "conspir", "constable": "constabl",
    "constancy": "constanc", "knackeries": "knackeri", "kneaded": "knead", "kneeled": "kneel",
    "knees": "knee", "knightly": "knight", "knitting": "knit", "knives": "knive",
    "generously": "generous", "generate": "generat", "communication": "communic",
    "arsenal": "arsenal", "running": "run", "happily": "happili", "hopping": "hop",
    "hoped": "hope", "caresses": "caress", "ponies": "poni", "ties": "tie", "cats": "cat",
    "agreed": "agre", "feed": "feed", "plastered": "plaster", "troubled": "troubl",
    "sized": "size", "relational": "relat", "conditional": "condit", "rational": "ration",
    "digitizer": "digit", "operator": "oper", "triplicate": "triplic", "formative": "format",
    "electrical": "electr", "hopeful": "hope", "goodness": "good", "revival": "reviv",
    "allowance": "allow", "inference": "infer", "airliner": "airlin", "adjustable": "adjust",
    "defensible": "defens", "irritant": "irrit", "replacement": "replac", "dependent": "depend",
    "adoption": "adopt", "communism": "communism", "activate": "activ",
    "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler", "probate": "probat",
    "rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll", "crying": "cri",
    "cried": "cri", "playing": "play", "abeyance": "abey", "by": "by", "say": "say",
}

EXCEPTIONS = {
    "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "idly": "idl",
    "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
    "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos",
    "bias": "bias", "andes": "andes", "inning": "inning", "innings": "inning",
    "proceed": "proceed", "succeeded": "succeed", "exceeds": "exceed",
}


@pytest.mark.parametrize(("word", "expected"), sorted(PORTER2_EXAMPLES.items()))
def test_porter2_examples(word: str, expected: str) -> None:
    assert stem(word) == expected


@pytest.mark.parametrize(("word", "expected"), sorted(EXCEPTIONS.items()))
def test_porter2_exceptional_forms(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_short_words_and_numbers_are_left_alone() -> None:
    assert stem("is") == "is"
    assert stem("a") == "a"
    assert stem("2015") == "2015"


def test_consonant_y_is_restored_to_lowercase() -> None:
    assert stem("yelling") == "yell"
    assert stem("enjoying") == "enjoy"
    assert "Y" not in stem("sayyid")


def test_normalize_lowercases_and_strips_accents() -> None:
    assert normalize("Café DÉJÀ Vu") == "cafe deja vu"
    assert normalize("ﬁnal") == "final"  # compatibility decomposition of the ligature
    assert normalize("𝐀𝐁") == "ab"  # decomposes to uppercase, so lowercasing comes after
    assert normalize("İstanbul") == "istanbul"


def test_tokenize_stems_in_order_and_keeps_stopwords() -> None:
    assert tokenize("The Running dogs, and the cats!") == ["the", "run", "dog", "and", "the", "cat"]


def test_tokenize_unstemmed_keeps_surface_forms() -> None:
    assert tokenize_unstemmed("The Running dogs") == ["the", "running", "dogs"]


def test_tokenize_splits_on_punctuation() -> None:
    assert tokenize("IL-6 levels (p<0.05)") == ["il", "6", "level", "p", "0", "05"]


def test_words_are_runs_of_what_vespa_indexes_letters_digits_and_combining_marks() -> None:
    # Devanagari vowel signs and the virama are marks: the word stays whole for the Hindi stemmer
    assert tokenize_unstemmed("हिन्दी भाषाओं का") == ["हिन्दी", "भाषाओं", "का"]
    assert tokenize("भाषाओं", "hi") == tokenize("भाषा", "hi") == ["भाष"]
    assert tokenize_unstemmed("ภาษาไทย ที่") == ["ภาษาไทย", "ที่"]  # Thai vowel and tone marks
    assert tokenize_unstemmed("がぎ") == ["がぎ"]  # the kana voicing mark inside its bigram
    # `_` is connector punctuation to Vespa: it separates, as `-` does
    assert tokenize_unstemmed("merge_hits snake_case_") == ["merge", "hits", "snake", "case"]
    assert tokenize_unstemmed("Straße_X über_alles") == ["straße", "x", "uber", "alles"]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_words_are_the_maximal_runs_of_letters_and_digits(text: str) -> None:
    """The ASCII path (translate to spaces, split) finds what the regular expression does."""
    assert words(text) == re.findall(r"[A-Za-z0-9]+", text)


def test_every_ascii_character_splits_or_joins_as_the_regular_expression_says() -> None:
    text = "".join(f"a{chr(c)}b" for c in range(128))
    assert words(text) == re.findall(r"[A-Za-z0-9]+", text)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60), st.booleans())
def test_ascii_tokens_are_the_lowercased_runs_of_letters_and_digits(text: str, lowercase: bool) -> None:
    """The ASCII path (one bytes table lowercases and separates) gives normalize, then words."""
    expected = re.findall(r"[A-Za-z0-9]+", text.lower() if lowercase else text)
    assert tokenize_unstemmed(text, lowercase=lowercase) == expected


def test_every_ascii_character_lowercases_splits_or_joins_as_the_rule_says() -> None:
    text = "".join(f"a{chr(c)}B" for c in range(128))
    assert tokenize_unstemmed(text) == re.findall(r"[a-z0-9]+", text.lower())
    assert tokenize_unstemmed(text, lowercase=False) == re.findall(r"[A-Za-z0-9]+", text)


def _words_by_the_rule(text: str) -> list[str]:
    return [piece for word in WORD_RUN.findall(text) for piece in word.split("_") if piece]


@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from("a_-\u0301\u0903\u00a0\u2028\ud800é β–")),
               max_size=60))
def test_words_are_the_runs_the_regular_expression_finds_split_at_underscores(text: str) -> None:
    """The fast path (ASCII separators to spaces in the UTF-8 bytes, split, isalnum chunks whole)
    gives the rule's words for any text: marks, Unicode spaces, lone surrogates, `_`."""
    assert words(text) == _words_by_the_rule(text)


def test_every_code_point_between_letters_splits_or_joins_as_the_rule_says() -> None:
    for plane_start in range(0, 0x30000, 0x1000):
        text = "".join(f"a{chr(c)}\u0301b " for c in range(plane_start, plane_start + 0x1000))
        assert words(text) == _words_by_the_rule(text), hex(plane_start)


def test_the_written_out_marks_are_unicodedatas() -> None:
    from searchlib.unicode_marks import MARKS, generated

    assert MARKS == generated()


def test_query_and_document_forms_agree() -> None:
    # the reason stemming exists: inflections meet on one index term
    assert tokenize("vaccination")[0] == tokenize("vaccinations")[0]
    assert tokenize("infected")[0] == tokenize("infection")[0] == tokenize("infect")[0]


@given(st.text(max_size=40))
def test_tokenize_never_fails_and_returns_lowercase_words(text: str) -> None:
    tokens = tokenize(text)
    assert all(token and token == normalize(token) for token in tokens)
    assert len(tokens) == len(tokenize_unstemmed(text))


@given(st.from_regex(r"[a-z]{1,15}", fullmatch=True))
def test_stem_is_never_longer_than_word_plus_one_and_is_lowercase(word: str) -> None:
    stemmed = stem(word)
    assert stemmed.islower()
    assert len(stemmed) <= len(word) + 1  # only step 1b ever adds a letter ('e' or 'ee')


@given(st.text(max_size=30))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


def test_the_stem_cache_stays_bounded_and_keeps_words_in_use(monkeypatch) -> None:
    from searchlib import linguistics

    cache = linguistics._StemCache("english")
    monkeypatch.setattr(linguistics._StemCache, "GENERATION", 8)
    monkeypatch.setitem(linguistics._CACHES, "english", cache)
    calls = []
    real = linguistics._thread_stemmer("english")
    monkeypatch.setattr(linguistics, "_thread_stemmer", lambda algorithm: type("Spy", (), {
        "stemWord": staticmethod(lambda word: calls.append(word) or real.stemWord(word))}))
    for i in range(100):  # a stream of new words with one word in constant use
        assert tokenize(f"running word{i}") == ["run", f"word{i}"]
    assert len(cache.young) + len(cache.old) <= 16
    assert calls.count("running") == 1  # promoted from the old generation, never stemmed again
    assert len(calls) == 101
    assert tokenize("running", "xx-unknown") == ["run"] and "xx-unknown" not in linguistics._CACHES


def test_a_word_snowball_stems_to_nothing_stays_itself() -> None:
    """PyStemmer's Greek stems "ους" to ""; an empty term would match nothing (found by
    test_user_query's property test)."""
    from searchlib.linguistics import stems, stems_uncached
    assert stems(["ους", "και"], "el") == ["ους", "κα"]
    assert stems_uncached(["ους"], "el") == ["ους"]


def test_the_one_class_check_for_cjk_finds_exactly_the_characters_of_a_cjk_run():
    """tokenize_unstemmed asks `_CJK_CHAR` whether text holds a run `_CJK_RUN` segments."""
    from searchlib.linguistics import _CJK_CHAR, _CJK_RUN
    characters = [chr(c) for c in [*range(0xD800), *range(0xE000, 0x10000), *range(0x10000, 0x110000, 97),
                                   0x20000, 0x2FA1F, 0x2FA20]]
    text = "".join(characters)  # in order: the runs' characters, concatenated, are the ones found one by one
    found = _CJK_CHAR.findall(text)
    assert "".join(found) == "".join(_CJK_RUN.findall(text)) and len(found) > 20000
