"""Lucene's HindiAnalyzer, BengaliAnalyzer, NepaliAnalyzer, TamilAnalyzer and TeluguAnalyzer
(searchlib.lucene_indic) as LuceneLinguistics runs them on a text field without a profile. Expected
terms worked out by hand from Lucene's rules (the derivation beside each); the Bengali stemmer's nouns
and verbs and the analyzer's "বাড়ী" are the cases of Lucene's own TestBengaliStemmer and
TestBengaliAnalyzer, and the tables at the end those of its other Indic filter and analyzer tests."""
from __future__ import annotations

import pytest

from searchlib.lucene_analysis import analyze
from searchlib.lucene_indic import (bengali_normalize, bengali_stem, hindi_normalize, hindi_stem, indic_normalize,
                                   telugu_normalize, telugu_stem)
from searchlib.lucene_languages import language_chain

NUKTA, VIRAMA, ZWJ = "\u093c", "\u094d", "\u200d"


def terms(language: str, text: str) -> list[str]:
    return analyze(language_chain(language), text)


@pytest.mark.parametrize(("text", "normalized"), [
    ("\u0905\u093e", "\u0906"),  # devanagari A + sign AA: letter AA
    ("\u0905\u093e\u0947", "\u0913"),  # A + AA + E (a three-character row first): letter O
    ("\u0905\u0945", "\u0972"),  # A + candra E: candra A (devanagari only)
    ("\u0915\u093c", "\u0958"),  # KA + nukta: QA
    ("\u0985\u09be", "\u0986"),  # bengali A + sign AA: AA
    ("\u09a1\u09bc", "\u09dc"),  # bengali DDA + nukta: RRA
    ("\u09a4\u09cd\u200d", "\u09ce"),  # TA + hasanta + ZWJ: khanda ta
    ("\u09c7\u09be", "\u09cb"),  # signs E + AA: sign O
    ("\u0905\u09be", "\u0905\u09be"),  # devanagari A, bengali AA: not one script, kept
    ("\u0a85\u0abe\u0ac5", "\u0a91"),  # gujarati A + AA + candra E: candra O
    ("\u0c12\u0c55", "\u0c13"),  # telugu O + length mark: OO
    ("abc", "abc"),
])
def test_indic_normalizer_composes(text: str, normalized: str) -> None:
    assert indic_normalize(text) == normalized


@pytest.mark.parametrize(("text", "normalized"), [
    ("\u0915\u093c\u093f\u0924\u093e\u092c", "\u0915\u093f\u0924\u093e\u092c"),  # nukta off: किताब
    ("\u0958", "\u0915"),  # precomposed QA: KA
    ("हिन्दी", "हिंदि"),  # NA + virama: anusvara; II: I
    ("माँ", "मां"),  # candrabindu: anusvara
    ("आई", "अइ"),  # long independent vowels: short
    ("क" + VIRAMA + ZWJ + "ष", "कष"),  # virama and ZWJ go
    ("\u0929" + VIRAMA, "\u0928"),  # NNNA: NA, which is not looked at again: its virama just goes
    ("\u0928" + NUKTA + VIRAMA, "\u0928"),  # the nukta goes first, then NA is looked at no more
    ("कौन", "कोन"),  # AU sign: O sign
])
def test_hindi_normalizer(text: str, normalized: str) -> None:
    assert hindi_normalize(text) == normalized


@pytest.mark.parametrize(("word", "stem"), [
    ("खाएंगे", "खा"),  # 6 units: -एंगे (4) off, the 5-suffixes need more than 6
    ("लडकियों", "लडक"),  # -ियों (4)
    ("खिलाकर", "खिल"),  # -ाकर (3), 6 units > 4
    ("किताबें", "किताब"),  # -ें (2)
    ("खाता", "खा"),  # -ता (2): 4 units > 3
    ("ता", "ता"),  # 2 units: too short for -ा
    ("लडके", "लडक"),  # -े (1)
    ("घर", "घर"),
])
def test_hindi_stemmer(word: str, stem: str) -> None:
    assert hindi_stem(word) == stem


def test_hindi_analyzer() -> None:
    # लड़कियों: nukta off, -ियों off; ने, और: stop words; पढ़ीं: nukta off, ी -> ि, no suffix (िं is none);
    # खाएंगे: -एंगे off; Devanagari digits as ASCII ones
    assert terms("hi", "लड़कियों ने किताबें पढ़ीं और खाएंगे १२३") == ["लडक", "किताब", "पढिं", "खा", "123"]
    assert terms("hi", "हिन्दी") == ["हिंद"]  # normalized to हिंदि, then -ि off


@pytest.mark.parametrize(("text", "normalized"), [
    ("চাঁদ", "চাদ"),  # chandrabindu goes
    ("শিক্ষা", "সিক্সা"),  # SHA, SSA: SA; KA + hasanta + SSA is no khio (Lucene looks for sign I)
    ("ক্িত", "খত"),  # KA + hasanta + sign I at the start: KHA
    ("তক্িত", "তকখত"),  # …after it, the hasanta and the sign become KHA
    ("ব্যাংক", "বেংক"),  # ya-phala after the first letter: sign E, the AA after it goes too
    ("সত্য", "সত"),  # ya-phala later: it and its hasanta go
    ("দ্বার", "দার"),  # ba-phala after the first letter: it and its hasanta go
    ("বিশ্ব", "বিসস"),  # ba-phala later, no conjunct before: the letter before it doubled
    ("দুঃখ", "দুখখ"),  # visarga inside: the next letter doubled
    ("নঃ", "নহ"),  # visarga ending a word of up to three units: HA
    ("পুনঃ", "পুন"),  # …of more: it goes
    ("কারণ", "কারন"),  # NNA: NA
    ("হঠাৎ", "হঠাত"),  # khanda ta: TA
    ("রঙ", "রং"),  # NGA: anusvara
    ("নীল", "নিল"),  # long I sign: short
])
def test_bengali_normalizer(text: str, normalized: str) -> None:
    assert bengali_normalize(text) == normalized


@pytest.mark.parametrize(("word", "stem"), [
    ("করেছিলাম", "কর"), ("করিতেছিলে", "কর"), ("খাইতাম", "খাই"), ("যাইবে", "যা"),  # Lucene's verbs
    ("করছিলাম", "কর"), ("করছিলে", "কর"), ("করতাম", "কর"), ("যাব", "যা"), ("যাবে", "যা"), ("করি", "কর"),
    ("করো", "কর"),
    ("মে\u09df\u09c7\u09b0\u09be", "মে"), ("মে\u09df\u09c7\u09a6\u09c7\u09b0\u0995\u09c7", "মে"),  # Lucene's nouns
    ("মে\u09df\u09c7\u09a6\u09c7\u09b0", "মে"), ("একটি", "এক"), ("মানুষগুলি", "মানুষ"),
    ("কে", "কে"),  # 2 units: too short for -ে
])
def test_bengali_stemmer(word: str, stem: str) -> None:
    assert bengali_stem(word) == stem


BOLD_A = "\U0001d400"  # two UTF-16 units


@pytest.mark.parametrize(("text", "normalized"), [
    ("দুঃ" + BOLD_A, "দু\ufffd" + BOLD_A),  # visarga copies the high surrogate after it: left unpaired
    ("ক" + BOLD_A + "্ব", "ক" + BOLD_A + "\ufffd"),  # ba-phala doubles the low surrogate before it
])
def test_bengali_normalizer_unpairing_a_surrogate_gives_u_fffd(text: str, normalized: str) -> None:
    # Lucene keeps the unpaired surrogate in the term; its UTF-8 term bytes have U+FFFD in its place
    assert bengali_normalize(text) == normalized
    assert terms("bn", text) == [normalized]


def test_bengali_analyzer() -> None:
    # বাড়ী (Lucene's own case): DDA + nukta composed to RRA, RRA -> RA, long I -> short, then -ি off
    assert terms("bn", "বাড়ী বারী ১২৩৪৫৬৭৮৯০") == ["বার", "বার", "1234567890"]
    # এই: a stop word; মেয়েরা (ya + nukta composed): -য়েরা off; করেছিলাম: -েছিলাম off
    assert terms("bn", "এই মেয়েরা করেছিলাম") == ["মে", "কর"]
    assert terms("bn", "নিয়ে") == []  # a stop word once its য় is composed


def test_nepali_analyzer() -> None:
    # Snowball Nepali: नेपालका loses -का (category 1: not after ए or े); किसानहरूले loses -ले (category
    # 1), then -हरू (category 3, repeated until nothing matches); रोपे has no listed ending; र, पनि:
    # stop words; Devanagari digits as ASCII; "कम से कम" is one entry of the list: its words stay
    assert terms("ne", "नेपालका किसानहरूले धान रोपे र पनि १२ कम से कम") == \
        ["नेपाल", "किसान", "धान", "रोपे", "12", "कम", "से", "कम"]


def test_tamil_analyzer() -> None:
    # ஒரு: a stop word; Tamil digits as ASCII; the stems are Snowball Tamil's (-கள் plural and -ஐ
    # accusative off, -ங்கள் back to -ம்), as Lucene's generated TamilStemmer
    assert terms("ta", "ஒரு புத்தகங்களை புத்தகம் ௧௨") == ["புத்தகம்", "புத்தகம்", "12"]


@pytest.mark.parametrize(("text", "normalized"), [
    ("ఆట", "అట"),  # long independent vowel: short
    ("కోట", "కొట"),  # long vowel sign: short
    ("రాముఃడు", "రాముడు"),  # visarga goes
    ("క\u0c46\u0c56", "కై"),  # sign E + AI length mark: sign AI
    ("\u0c12\u0c4c", "\u0c14"),  # O + sign AU: AU
    ("కం\u200dప", "కంప"),  # ZWJ goes
])
def test_telugu_normalizer(text: str, normalized: str) -> None:
    assert telugu_normalize(text) == normalized


@pytest.mark.parametrize(("word", "stem"), [
    ("పిల్లలు", "పిల్ల"),  # -లు (2), 6 units > 3
    ("పుస్తకాలను", "పుస్తకాల"),  # -ను
    ("చదివారు", "చదివార"),  # no two-letter ending: the vowel sign ు (1)
    ("అమ్మాయిళ్ళు", "అమ్మాయి"),  # -ళ్ళు (4)
    ("లు", "లు"),  # 2 units: too short
])
def test_telugu_stemmer(word: str, stem: str) -> None:
    assert telugu_stem(word) == stem


def test_telugu_analyzer_keeps_case() -> None:
    # TeluguAnalyzer has no LowerCaseFilter; పై: a stop word; చదివారు: -ు off
    assert terms("te", "పిల్లలు పై ABC చదివారు") == ["పిల్ల", "ABC", "చదివార"]


# Lucene's own cases (TestHindiStemmer, TestHindiNormalizer, TestIndicNormalizer, TestBengaliNormalizer,
# TestTeluguNormalizer, TestTeluguStemmer and the analyzers' tests), each filter alone as there
LUCENE_HINDI_STEMS = [
    ("लडका", "लडक"), ("लडके", "लडक"), ("लडकों", "लडक"), ("गुरु", "गुर"), ("गुरुओं", "गुर"), ("दोस्त", "दोस्त"),
    ("दोस्तों", "दोस्त"), ("लडकी", "लडक"), ("लडकियों", "लडक"), ("किताब", "किताब"), ("किताबें", "किताब"),
    ("किताबों", "किताब"), ("आध्यापीका", "आध्यापीक"), ("आध्यापीकाएं", "आध्यापीक"), ("आध्यापीकाओं", "आध्यापीक"),
    ("खाना", "खा"), ("खाता", "खा"), ("खाती", "खा"), ("खा", "खा"), ("कठिनाइयां", "कठिन"), ("कठिन", "कठिन"), ("", "")]
LUCENE_HINDI_NORMALIZED = [
    *((word, "अंगरेजि") for word in ("अँगरेज़ी", "अँगरेजी", "अँग्रेज़ी", "अँग्रेजी", "अंगरेज़ी", "अंगरेजी", "अंग्रेज़ी",
                                   "अंग्रेजी")),
    ("क़िताब", "किताब"), ("फ़र्ज़", "फरज"), ("क़र्ज़", "करज"), ("ऱऴख़ग़ड़ढ़य़", "रळखगडढय"),
    ("शार्\u200dमा", "शारमा"), ("शार्\u200cमा", "शारमा"), ("ॅॆॉॊऍऎऑऒ\u0972", "ेेोोएएओओअ"),
    ("आईऊॠॡऐऔीूॄॣैौ", "अइउऋऌएओिुृॢेो"), ("", "")]
LUCENE_INDIC_NORMALIZED = [
    ("अाॅअाॅ", "ऑऑ"), ("अाॆअाॆ", "ऒऒ"), ("अाेअाे", "ओओ"), ("अाैअाै", "औऔ"), ("अाअा", "आआ"), ("अाैर", "और"),
    ("ত্\u200d", "ৎ"), ("", "")]
LUCENE_BENGALI_NORMALIZED = [
    ("চাঁদ", "চাদ"), ("বা\u09dcী", "বারি"), ("তীর", "তির"), ("ভূল", "ভুল"), ("অনূপ", "অনুপ"), ("বাঙলা", "বাংলা"),
    ("ব্যাক্তি", "বেক্তি"), ("সন্ধ্যা", "সন্ধা"), ("স্বদেশ", "সদেস"), ("তত্ত্ব", "তত্ত"), ("বিশ্ব", "বিসস"),
    ("দুঃখ", "দুখখ"), ("উঃ", "উহ"), ("পুনঃ", "পুন"), ("কণা", "কনা"), ("শরীর", "সরির"), ("বা\u09dcি", "বারি"), ("", "")]
LUCENE_TELUGU_NORMALIZED = [
    ("పదాలూ", "పదాలు"), ("అబ్బాయీ", "అబ్బాయి"), ("ఃౌైాిు", "ౌైాిు"), ("ఔఐఆఈఊ", "ఓఏఅఇఉ"),
    ("వు", "వు"), ("మ", "మ"), ("వెంకటరావు", "వెంకటరావు"), ("వెంకటరామ", "వెంకటరామ"), ("", "")]
LUCENE_TELUGU_STEMS = [
    ("వస్తువులు", "వస్తువు"), ("పన్నులు", "పన్ను"), ("చేపిస్తున్నది", "చేపిస్తున్న"), ("చేపిస్తున్నడు", "చేపిస్తున్న"),
    ("", "")]


@pytest.mark.parametrize(("function", "word", "expected"), [
    *((hindi_stem, word, stem) for word, stem in LUCENE_HINDI_STEMS),
    *((hindi_normalize, word, normalized) for word, normalized in LUCENE_HINDI_NORMALIZED),
    *((indic_normalize, word, normalized) for word, normalized in LUCENE_INDIC_NORMALIZED),
    *((bengali_normalize, word, normalized) for word, normalized in LUCENE_BENGALI_NORMALIZED),
    *((telugu_normalize, word, normalized) for word, normalized in LUCENE_TELUGU_NORMALIZED),
    *((telugu_stem, word, stem) for word, stem in LUCENE_TELUGU_STEMS)])
def test_lucenes_own_filter_cases(function, word: str, expected: str) -> None:
    assert function(word) == expected


@pytest.mark.parametrize(("language", "text", "expected"), [
    ("hi", "हिन्दी", ["हिंद"]), ("hi", "हिंदी", ["हिंद"]), ("hi", "१२३४", ["1234"]),
    ("ne", "मित्र", ["मित्र"]), ("ne", "मित्रहरु", ["मित्र"]), ("ne", "FIFA", ["fifa"]), ("ne", "१२३४", ["1234"]),
    ("ne", "सबै व्यक्तिहरू जन्मजात स्वतन्त्र हुन् ती सबैको समान अधिकार र महत्व",
     ["व्यक्ति", "जन्मजात", "स्वतन्त्र", "सबै", "समान", "अधिकार", "महत्व"]),
    ("ta", "நண்பன்", ["நண்"]), ("ta", "நண்பர்கள்", ["நண்"]), ("ta", "௧௨௩௪", ["1234"]), ("ta", "FIFA", ["fifa"]),
    ("te", "ఒౕనమాల", ["ఓనమాల"]), ("te", "౧౨౩౪", ["1234"]), ("te", "अाॅअाॅ", ["ऑऑ"]),
])
def test_lucenes_own_analyzer_cases(language: str, text: str, expected: list[str]) -> None:
    assert terms(language, text) == expected
