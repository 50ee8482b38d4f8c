"""Lucene's FrenchAnalyzer, PortugueseAnalyzer and DutchAnalyzer as LuceneLinguistics runs them on a
text field without a profile. Every expected term is worked out by hand from the analyzers' rules
(the derivation in the comment beside it): StandardTokenizer words, ElisionFilter's articles,
LowerCaseFilter, the Snowball stop lists, then Savoy's light stemmers (French, Portuguese) or the
DutchAnalyzer's stem overrides and Snowball's Dutch stemmer."""
from __future__ import annotations

import pytest

from searchlib.lucene_analysis import analyze, analyze_spans, turkish_lower
from searchlib.lucene_indonesian import indonesian_stem
from searchlib.lucene_languages import language_chain
from searchlib.lucene_sorani import sorani_normalize
from searchlib.lucene_light_stemmers import (arabic_stem, bulgarian_stem, czech_stem, french_light_stem,
                                             latvian_stem, portuguese_light_stem)
from searchlib.match_modes import index_terms, match_mode, query_terms
from searchlib.snippets import bold
from tests.searchlib.test_lucene_languages import body_mode


def terms(language: str, text: str) -> list[str]:
    return analyze(language_chain(language), text)


def test_french_elision_stop_words_and_plurals() -> None:
    # "L'" and "qu'" are articles (any case) and go; "il", "des", "les" are stop words; "aujourd'" is
    # no article, so the token stays whole; -aux -> -al ("chevaux"), a final -s goes ("maisons");
    # "aime" has 4 units: norm leaves it
    assert terms("fr", "L'avion des chevaux. Qu'il aime les maisons aujourd'hui") == \
        ["avion", "cheval", "aime", "maison", "aujourd'hui"]
    # ’ elides too; "à" is a stop word, "été" is not (the list leaves it out); 3 units: unchanged
    assert terms("fr", "jusqu’à L’ÉTÉ") == ["été"]


@pytest.mark.parametrize(("word", "stem"), [
    ("rapidement", "rapid"),  # -ement -> -e, then norm drops the final e
    ("activement", "actif"),  # -ement -> -e, and an -ive left -> -if
    ("chanteuses", "chant"),  # -s off; -teuse -> -ter; norm: -r, -e off
    ("chanteur", "chant"),  # -teur -> -ter; norm: -r, -e off
    ("actrice", "acteu"),  # -trice -> -teur (then 6 units: too short for -teur's rule); norm: -r off
    ("heureux", "heureu"),  # -x off (not -aux)
    ("heureuse", "heureu"),  # -euse -> -eu
    ("nationalisation", "national"),  # -isation off (words longer than 9)
    ("belle", "bele"),  # norm: "ll" once first, which leaves 4 units: no final -e off
    ("été", "été"),  # 3 units: norm folds only words longer than 4
    ("créées", "cre"),  # -s off; norm: é -> e, "eee" once (3 units: nothing more)
    ("1234555", "1234555"),  # digits are no letters: no run collapsed
])
def test_french_light_stemmer(word: str, stem: str) -> None:
    assert french_light_stem(word) == stem


def test_french_through_the_field() -> None:
    mode = body_mode()
    assert index_terms(mode, "Les chanteurs heureux", "fr") == ["chant", "heureu"]
    assert query_terms(mode, "chanteuse", "fr") == ["chant"]
    assert bold("Les chanteurs heureux", frozenset({"chant"}), "fr", mode) == "Les <hi>chanteurs</hi> heureux"


def test_portuguese_stop_words_and_light_stemmer() -> None:
    # "as", "os", "e" stop words; -s off then a feminine/masculine final vowel off in words of 5+
    assert terms("pt", "As casas bonitas e os meninos") == ["casa", "bonit", "menin"]


@pytest.mark.parametrize(("word", "stem"), [
    ("meninas", "menin"),  # -s off; "menina" (6) too short for -na -> -no; final -a off
    ("canções", "canca"),  # -ões -> -ão; final -o off; ç, ã folded
    ("canção", "canca"),  # final -o off; folded
    ("animais", "animal"),  # -ais -> -al
    ("papéis", "papel"),  # -éis -> -el
    ("homens", "homem"),  # -ns -> -m
    ("felizmente", "feliz"),  # -mente off (words longer than 6)
    ("professores", "professor"),  # -es after r off
    ("famosa", "famos"),  # 6 units: -osa -> -oso needs 7; final -a off
    ("maravilhosa", "maravilhos"),  # -osa -> -oso; final -o off
    ("mesa", "mesa"),  # 4 units: feminine rules need more, final vowel needs 5
    ("pão", "pão"),  # under 4 units: left as it is, accent too
])
def test_portuguese_light_stemmer(word: str, stem: str) -> None:
    assert portuguese_light_stem(word) == stem


def test_dutch_stop_words_overrides_and_snowball() -> None:
    # "de", "en", "naar" stop words; the override dictionary: kind -> kinder, ei -> eier, fiets
    # stays (Snowball would undouble nothing but drop the -s: "fiet"); Snowball Dutch: "katten" has
    # R1 "ten", -en off after a consonant -> "katt", undoubled -> "kat"; "kinderen" -> "kinder";
    # "gaan" ends consonant, double vowel, consonant: one vowel off -> "gan"; "huis" has no R1
    assert terms("nl", "De katten en de kinderen gaan naar huis") == ["kat", "kinder", "gan", "huis"]
    assert terms("nl", "kind ei fiets bromfiets") == ["kinder", "eier", "fiets", "bromfiets"]


def test_snowball_porter_dutch_in_a_profile_has_no_overrides() -> None:
    # the snowballPorter filter (language Dutch) is the stemmer alone, without DutchAnalyzer's dictionary
    assert analyze(("standard", "lowercase", "stem:dutch"), "fiets kind") == ["fiet", "kind"]


def test_catalan_elision_stop_words_and_snowball() -> None:
    # ElisionFilter with d', l', m', n', s', t' (any case); "i", "la", "les", "dels" and "una" (left of
    # "d'una") are stop words; Snowball Catalan: "llengües" and "llengua" both lose their ending (-es
    # after the ü is folded to u, -a) to "llengu", "home" its final -e
    assert terms("ca", "L'home i la dona d'una llengua. Les llengües dels pobles") == \
        ["hom", "don", "llengu", "llengu", "pob"]


def test_basque_armenian_lithuanian_romanian_snowball_analyzers() -> None:
    # each: lowercase, the language's stop list, its Snowball stemmer
    assert terms("eu", "Zaldiak eta zaldi bat") == ["zaldi", "zaldi"]  # -ak (plural) off; eta, bat: stop words
    assert terms("hy", "Արծիվներ է և արծիվ") == ["արծ", "արծ"]  # -իվ, -իվներ off; է, և: stop words
    assert terms("lt", "Vaikai ir vaikas") == ["vaik", "vaik"]  # R1 "ai"/"as": the noun ending off; ir: stop
    # ş and ţ with a cedilla, as the 9.12.3 stop list and stemmer write them: "şi", "în" are stop words
    assert terms("ro", "Absenţa şi absenţi în casele") == ["absenţ", "absenţ", "cas"]
    assert terms("ro", "Şi Și") == ["și"]  # the stop list has the cedilla form only


def test_irish_hyphenation_elision_lowercase_and_snowball() -> None:
    # "t-athair" is split by the tokenizer and its "t" dropped (the hyphenation stop set, any case);
    # "tAthair" and "nAthair" are written apart by IrishLowerCaseFilter (t-athair, n-athair), whose
    # prefix the Snowball stemmer removes; "d'" is elided; "Na" and "agus" are stop words;
    # "siopadóireacht" loses -eacht
    assert terms("ga", "t-athair tAthair nAthair Na d'fhear siopadóireacht agus") == \
        ["athair", "athair", "athair", "fear", "siopadóir"]
    assert terms("ga", "NAthair") == ["nathair"]  # only a lowercase n/t before the capital vowel


def test_czech_stop_words_and_light_stemmer() -> None:
    # "a", "v" stop words; "děti": -i off (4 units: longer than 3); "ženy": -y off, then the e before
    # the last letter dropped (normalize); "městech", "hradech": -ech (longer than 5); "pánové": -ové
    assert terms("cs", "Děti a ženy v městech, pánové a hradech") == ["dět", "žn", "měst", "pán", "hrad"]


@pytest.mark.parametrize(("word", "stem"), [
    ("matkou", "matk"),  # -ou (longer than 4)
    ("ruce", "ruk"),  # -e off, then c -> k
    ("otcův", "otcov"),  # 5 units: the possessive -ův needs 6; normalize: ů before the last letter -> o
    ("bratrovi", "bratr"),  # -ovi
    ("kočka", "kočk"),  # -a off
    ("domů", "dom"),  # -ů off (longer than 3)
])
def test_czech_stemmer(word: str, stem: str) -> None:
    assert czech_stem(word) == stem


def test_bulgarian_stop_words_and_light_stemmer() -> None:
    # "и" a stop word; "градовете": the article -те, then the plural -ове; "градът": the article -ът;
    # "книги": the plural -и; "момчетата": the article -та, the plural -та, the final -е
    assert terms("bg", "Градовете и градът, книги и момчетата") == ["град", "град", "книг", "момч"]


@pytest.mark.parametrize(("word", "stem"), [
    ("учителят", "учител"),  # the article -ят (longer than 4)
    ("езици", "езиц"),  # 5 units: -ци -> -к needs 6, so only the plural -и goes
    ("столове", "стол"),  # -ове (longer than 6)
    ("кон", "кон"),  # under 4 units: left
])
def test_bulgarian_stemmer(word: str, stem: str) -> None:
    assert bulgarian_stem(word) == stem


def test_arabic_digits_stop_words_normalization_and_light_stemmer() -> None:
    # "في" a stop word; "والكتاب": the prefix وال off; "المكتبات": ال off, then the suffix ات;
    # "الكبيرة": teh marbuta normalized to heh, ال off, then ه; "١٢٣": Arabic-Indic digits as ASCII;
    # "أحمد": the hamza seat normalized to a bare alef, nothing to stem; "كتابها": the suffix ها
    assert terms("ar", "والكتاب في المكتبات الكبيرة ١٢٣ أحمد كتابها") == \
        ["كتاب", "مكتب", "كبير", "123", "احمد", "كتاب"]
    # the stop list is matched before normalization, so it lists both spellings: أو and او
    assert terms("ar", "أو او") == []


@pytest.mark.parametrize(("word", "stem"), [
    ("وحسن", "حسن"),  # wa- off a word of 4
    ("وحس", "وحس"),  # 3 letters: wa- stays
    ("الو", "الو"),  # ال needs 2 letters after it
    ("كتبين", "كتب"),  # ين off, 3 letters left
    ("كتابات", "كتاب"),  # ات off
])
def test_arabic_stemmer(word: str, stem: str) -> None:
    assert arabic_stem(word) == stem


def test_persian_char_filter_normalization_and_stop_words() -> None:
    # PersianCharFilter: the zero-width non-joiner in "می‌خواهم" and "کتاب‌ها" is a space, so each is
    # two tokens; "می" normalizes (farsi yeh -> yeh) to the stop word "مي", "ها", "را", "در", "و", "او"
    # are stop words; keheh -> kaf in "کتاب"; Extended Arabic-Indic digits as ASCII; no stemmer in 9.x
    text = "می\u200cخواهم کتاب\u200cها را در ۱۴۰۲ بخوانم و او"
    assert terms("fa", text) == ["خواهم", "كتاب", "1402", "بخوانم"]
    spans = analyze_spans(language_chain("fa"), text)
    assert [text[start:end] for _, start, end in spans] == ["خواهم", "کتاب", "۱۴۰۲", "بخوانم"]  # offsets kept


def test_cjk_bigrams_runs_and_lone_characters() -> None:
    # adjacent ideographs (one token each) form one run: its overlapping bigrams; a space ends a run,
    # so 中 and 文 are lone characters (unigrams); fullwidth Ｔｈｅ is folded to ASCII, lowercased and
    # dropped (a CJKAnalyzer stop word); "ABC" passes as it is, lowercased; 是 follows it: alone
    spans = analyze_spans(language_chain("zh"), "东京都 中 文 Ｔｈｅ ABC是")
    assert spans == [("东京", 0, 2), ("京都", 1, 3), ("中", 4, 5), ("文", 6, 7), ("abc", 12, 15), ("是", 15, 16)]


def test_cjk_width_folding_and_runs_across_scripts() -> None:
    # halfwidth ｶ and ﾞ join into ガ (the token's characters then all carry its whole offsets);
    # katakana, ideographs and hiragana that touch form one run
    assert terms("ja", "ｶﾞｷﾞ東京タワーへ") == ["ガギ", "ギ東", "東京", "京タ", "タワ", "ワー", "ーへ"]
    assert analyze_spans(language_chain("ja"), "ｶﾞｷﾞ")[0] == ("ガギ", 0, 4)
    assert terms("ko", "한국어 사전") == ["한국", "국어", "사전"]  # a Hangul run is one token: its bigrams


def test_serbian_stop_words_snowball_then_bald_latin() -> None:
    # "и" and "su" are stop words (Cyrillic and Latin both listed); Snowball Serbian reads Cyrillic as
    # Latin and drops the -i of "đaci" and "školi"; SerbianNormalizationFilter, after the stemmer, makes
    # the result bald Latin: đ -> dj, č -> c, š -> s; so Cyrillic and Latin spellings meet
    assert terms("sr", "Ђаци и учитељи su u školi, đaci") == ["djac", "ucitelj", "u", "skol", "djac"]


def test_indonesian_stop_words_and_tala_stemmer() -> None:
    # the tokenizer splits "Anak-anak" (two syllables each: left); "itu", "sedang", "di" stop words;
    # "membaca": the first-order prefix mem-; "bukunya": the possessive -nya; "perpustakaan": no
    # first-order prefix, so the second-order per- and then the suffix -an
    assert terms("id", "Anak-anak itu sedang membaca bukunya di perpustakaan") == \
        ["anak", "anak", "baca", "buku", "pustaka"]


@pytest.mark.parametrize(("word", "stem"), [
    ("menyapu", "sapu"),  # meny- before a vowel -> s-
    ("penari", "tari"),  # pen- before a vowel -> t-
    ("kebersamaan", "sama"),  # ke-, then -an (allowed after ke-), then ber-
    ("makanlah", "makan"),  # the particle -lah; then 2 syllables: nothing more
    ("dimakan", "makan"),  # di-: 2 syllables left, so no suffix
    ("gigi", "gigi"),  # 2 syllables: never stemmed
])
def test_indonesian_stemmer(word: str, stem: str) -> None:
    assert indonesian_stem(word) == stem


def test_latvian_stop_words_and_light_stemmer() -> None:
    # "un", "ir" stop words; "lāči": the palatalizing -i off, then č -> c; "vilki": -i off, k stays;
    # "mežā", "krastā": -ā off; "viļņu": the genitive plural -u off, then ļņ -> ln
    assert terms("lv", "Lāči un vilki ir mežā, viļņu krastā") == ["lāc", "vilk", "mež", "viln", "krast"]


@pytest.mark.parametrize(("word", "stem"), [
    ("zilajiem", "zil"),  # -ajiem (3 vowels in it: the word has 4)
    ("rīkšu", "rīkst"),  # -u off after kš: kš -> kst
    ("kurmji", "kurm"),  # -i off, then the j after a labial
    ("usa", "usa"),  # an ending must leave 3 units: -a would leave 2
    ("60ms", "60ms"),  # no vowel to spare: -s stays
])
def test_latvian_stemmer(word: str, stem: str) -> None:
    assert latvian_stem(word) == stem


def test_sorani_normalization_stop_words_and_light_stemmer() -> None:
    # "و" a stop word; "پیاوەكە": kaf -> keheh, then the definite -ەکە; "دەرگاکان": the definite
    # plural -کان; "رەنگ": a first reh -> rreh (normalized), nothing to stem
    assert terms("ku", "پیاوەكە و دەرگاکان رەنگ") == ["پیاو", "دەرگا", "ڕەنگ"]


@pytest.mark.parametrize(("word", "normal"), [
    ("ره", "ڕە"),  # a first reh -> rreh, a last heh -> ae
    ("ھ\u200c", "ە"),  # heh doachashmee -> heh; the ZWNJ after it goes and makes it ae
    ("\u0640ركي", "ڕکی"),  # tatweel removed, so the reh is first; kaf -> keheh, yeh -> farsi yeh
    ("هَ\u200f", "ه"),  # fatha and the RLM mark removed; the heh was not last when it was read
])
def test_sorani_normalizer(word: str, normal: str) -> None:
    assert sorani_normalize(word) == normal


def test_turkish_apostrophe_lowercase_stop_words_and_snowball() -> None:
    # ApostropheFilter cuts the suffix after ' or ’ (İstanbul'da, Ankara’ya); TurkishLowerCaseFilter
    # makes İ -> i and I -> dotless ı (KITAPLAR -> kıtaplar); "ve" is a stop word; Snowball Turkish
    # drops the plural -lar ("kıtap", "ağaç") and the dative -a
    assert terms("tr", "İstanbul'da KITAPLAR ve ağaçlar Ankara’ya") == ["istanbul", "kıtap", "ağaç", "ankar"]


@pytest.mark.parametrize(("term", "lower"), [
    ("ISIK", "ısık"),  # every I dotless
    ("I\u0307SI", "isı"),  # I with a combining dot above: i, the dot removed
    ("I\u0301\u0307x", "i\u0301x"),  # the dot found past another non-spacing mark
    ("I\u0301a", "ı\u0301a"),  # no dot: dotless, the acute kept
])
def test_turkish_lowercase(term: str, lower: str) -> None:
    assert turkish_lower(term) == lower


def test_the_language_filters_are_usable_in_profiles() -> None:
    # Lucene's factory names, any case: the same steps as the language analyzers use
    from tests.searchlib.test_linguistics_profiles import load, profile
    app = load(profile("p", "standard", "<name>apostrophe</name>", "<name>turkishLowerCase</name>",
                       "<name>frenchLightStem</name>"))
    mode = match_mode(app.schemas["s"].fields["a"])
    assert mode.index_analysis == ("standard", "apostrophe", "turkishlowercase", "stem:frenchlight")
    # 'ın cut, I -> ı, then the French rules: a final -r off "kıtaplar"; -aux -> -al
    assert index_terms(mode, "KITAPLAR'ın chevaux", "en") == ["kıtapla", "cheval"]
