"""Lucene's language analyzers as Vespa's LuceneLinguistics picks them for a text field without a
linguistics profile (lucene-linguistics AnalyzersImporter / ProfileAnalyzersImporter): an analyzer
configured for the text's language (`<item key="de">`, or `key="language=de"`), else the
language's default Lucene analyzer (GermanAnalyzer, EnglishAnalyzer, …), else — for a language
Lucene has no analyzer for — StandardAnalyzer.

Each analyzer is a searchlib.lucene_analysis chain. Run exactly, from Lucene's createComponents:

- EnglishAnalyzer: StandardTokenizer, EnglishPossessiveFilter, LowerCaseFilter, StopFilter
  (ENGLISH_STOP_WORDS_SET), PorterStemFilter;
- DanishAnalyzer, FinnishAnalyzer, HungarianAnalyzer, NorwegianAnalyzer (Vespa: `nb`, and `no` as
  its alias), RussianAnalyzer, SwedishAnalyzer, BasqueAnalyzer, ArmenianAnalyzer,
  LithuanianAnalyzer, RomanianAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter (the
  language's list, searchlib.lucene_stop_words), SnowballFilter (the language's Snowball stemmer);
- CzechAnalyzer, BulgarianAnalyzer, LatvianAnalyzer, IndonesianAnalyzer: StandardTokenizer,
  LowerCaseFilter, StopFilter, CzechStemFilter / BulgarianStemFilter / LatvianStemFilter
  (searchlib.lucene_light_stemmers) / IndonesianStemFilter (searchlib.lucene_indonesian);
- ArabicAnalyzer: StandardTokenizer, LowerCaseFilter, DecimalDigitFilter, StopFilter,
  ArabicNormalizationFilter, ArabicStemFilter;
- PersianAnalyzer (9.12.3: without the PersianStemFilter Lucene 10 added): PersianCharFilter
  (ZWNJ as a space), StandardTokenizer, LowerCaseFilter, DecimalDigitFilter,
  ArabicNormalizationFilter, PersianNormalizationFilter, StopFilter;
- CJKAnalyzer (Chinese, Japanese, Korean): StandardTokenizer, CJKWidthFilter, LowerCaseFilter,
  CJKBigramFilter (searchlib.lucene_cjk), StopFilter (its English words);
- SerbianAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter (Cyrillic and Latin forms),
  SnowballFilter (Serbian), SerbianNormalizationFilter (to Latin without diacritics);
- SoraniAnalyzer (Vespa's Kurdish): StandardTokenizer, SoraniNormalizationFilter, LowerCaseFilter,
  DecimalDigitFilter, StopFilter, SoraniStemFilter (searchlib.lucene_sorani);
- TurkishAnalyzer: StandardTokenizer, ApostropheFilter (a suffix after ' or ’ cut: İstanbul'da),
  TurkishLowerCaseFilter (I → ı), StopFilter, SnowballFilter (Turkish);
- CatalanAnalyzer: StandardTokenizer, ElisionFilter (d', l', m', n', s', t'), LowerCaseFilter,
  StopFilter, SnowballFilter (Catalan);
- IrishAnalyzer: StandardTokenizer, StopFilter (h, n, t without case: what "t-athair" leaves),
  ElisionFilter (d', m', b'), IrishLowerCaseFilter (nAthair: n-athair), StopFilter (the Irish
  Snowball list), SnowballFilter (Irish);
- GermanAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter (the German Snowball list),
  GermanNormalizationFilter, GermanLightStemFilter (searchlib.lucene_analysis);
- SpanishAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter (the Spanish Snowball list),
  SpanishLightStemFilter (searchlib.lucene_analysis);
- ItalianAnalyzer: StandardTokenizer, ElisionFilter (its articles: l', dell', un', …), LowerCaseFilter,
  StopFilter (the Italian Snowball list), ItalianLightStemFilter;
- FrenchAnalyzer: StandardTokenizer, ElisionFilter (its articles: l', qu', jusqu', …), LowerCaseFilter,
  StopFilter (the French Snowball list), FrenchLightStemFilter (searchlib.lucene_light_stemmers);
- PortugueseAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter (the Portuguese Snowball list),
  PortugueseLightStemFilter;
- DutchAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter (the Dutch Snowball list),
  StemmerOverrideFilter with its default entries (fiets, bromfiets, ei → eier, kind → kinder: kept
  from the stemmer), SnowballFilter (Dutch);
- HindiAnalyzer, BengaliAnalyzer: StandardTokenizer, LowerCaseFilter, DecimalDigitFilter,
  IndicNormalizationFilter, HindiNormalizationFilter / BengaliNormalizationFilter, StopFilter,
  HindiStemFilter / BengaliStemFilter (searchlib.lucene_indic);
- NepaliAnalyzer, TamilAnalyzer: StandardTokenizer, LowerCaseFilter, DecimalDigitFilter,
  IndicNormalizationFilter, StopFilter, SnowballFilter (Nepali, Tamil);
- TeluguAnalyzer: StandardTokenizer, DecimalDigitFilter, IndicNormalizationFilter,
  TeluguNormalizationFilter, StopFilter, TeluguStemFilter (no LowerCaseFilter);
- GreekAnalyzer: StandardTokenizer, GreekLowerCaseFilter, StopFilter, GreekStemFilter
  (searchlib.lucene_greek);
- GalicianAnalyzer: StandardTokenizer, LowerCaseFilter, StopFilter, GalicianStemFilter (the RSLP
  steps of galician.rslp: searchlib.lucene_galician);
- StandardAnalyzer: StandardTokenizer, LowerCaseFilter (no stop words since Lucene 8).

The Lucene version is Vespa's (lucene.vespa.version 9.12.3). Its Snowball stemmers are generated from
Snowball commit d8cf01dd (2021) and tested against that commit's vocabularies; PyStemmer carries
Snowball 2.2.0, whose only behavioural change since is german2's `qu` (not used here).

The other default analyzers (UNSUPPORTED) need what this engine does not have. EstonianAnalyzer:
its stop list (et/stopwords.txt) was not available to transcribe — its stemmer, Snowball's 2021
Estonian as 9.12.3 generated it, is searchlib.lucene_estonian (Snowball 3, the only Estonian in
PyStemmer or snowballstemmer, revised it), run for a profile's snowballPorter language Estonian.
ThaiAnalyzer: ThaiTokenizer splits words with Java's BreakIterator, whose Thai breaks come from the
JDK's word dictionary (thai_dict in jdk.localedata: 308 KB in JDK 17, under the JDK's GPLv2 with
Classpath Exception) and its dictionary-based iterator; without that dictionary — varying with the
JDK Vespa runs on — no segmentation here would be Lucene's. Text in those languages is refused
("not supported") where it meets a field so analyzed — a fed document when it is validated (by the
container, and by the node before it is logged), a query when it is parsed — instead of being
approximated. (The SetKeywordMarkerFilter in Lucene's
chains only acts on a non-empty stem exclusion set, which the default analyzers do not have.)
"""
from __future__ import annotations

from typing import Mapping

from searchlib.errors import InvalidParameterError

_SNOWBALL_ANALYZED = {"da": "danish", "fi": "finnish", "hu": "hungarian", "nb": "norwegian", "ru": "russian",
                      "sv": "swedish", "eu": "basque", "hy": "armenian", "lt": "lithuanian", "ro": "romanian"}
VESPA_LANGUAGE_ALIASES = {"no": "nb"}  # Vespa's Language.fromLocale: "no" is Norwegian bokmål
DEFAULT_CHAINS: dict[str, tuple[str, ...]] = {
    "en": ("standard", "possessive", "lowercase", "stop:-:@english", "stem:porter"),
    "de": ("standard", "lowercase", "stop:-:@german", "germannormalization", "stem:germanlight"),
    "es": ("standard", "lowercase", "stop:-:@spanish", "stem:spanishlight"),
    "it": ("standard", "elision:italian", "lowercase", "stop:-:@italian", "stem:italianlight"),
    "fr": ("standard", "elision:french", "lowercase", "stop:-:@french", "stem:frenchlight"),
    "pt": ("standard", "lowercase", "stop:-:@portuguese", "stem:portugueselight"),
    "nl": ("standard", "lowercase", "stop:-:@dutch", "stem:dutchoverride"),
    "ca": ("standard", "elision:catalan", "lowercase", "stop:-:@catalan", "stem:catalan"),
    **dict.fromkeys(("zh", "ja", "ko"), ("cjk", "stop:-:@cjk")),  # CJKAnalyzer (searchlib.lucene_cjk)
    # SerbianAnalyzer normalizes after stemming: Snowball Serbian stems Cyrillic and Latin alike
    "sr": ("standard", "lowercase", "stop:-:@serbian", "stem:serbian", "serbiannormalization"),
    "cs": ("standard", "lowercase", "stop:-:@czech", "stem:czechlight"),
    # ArabicAnalyzer stops before it normalizes: its list holds the unnormalized forms
    "ar": ("standard", "lowercase", "decimaldigit", "stop:-:@arabic", "arabicnormalization", "stem:arabic"),
    # PersianAnalyzer (9.x: no stemmer): its char filter reads a zero-width non-joiner as a space
    "fa": ("persian", "lowercase", "decimaldigit", "arabicnormalization", "persiannormalization", "stop:-:@persian"),
    "bg": ("standard", "lowercase", "stop:-:@bulgarian", "stem:bulgarianlight"),
    "id": ("standard", "lowercase", "stop:-:@indonesian", "stem:indonesiantala"),
    "lv": ("standard", "lowercase", "stop:-:@latvian", "stem:latvian"),
    "tr": ("standard", "apostrophe", "turkishlowercase", "stop:-:@turkish", "stem:turkish"),
    # SoraniAnalyzer normalizes before it lowercases and stops (its list is normalized)
    "ku": ("standard", "soraninormalization", "lowercase", "decimaldigit", "stop:-:@sorani", "stem:sorani"),
    # IrishAnalyzer: the hyphenation stop set (t, n, h split off by "t-athair") first, without case
    "ga": ("standard", "stop:i:h,n,t", "elision:irish", "irishlowercase", "stop:-:@irish", "stem:irish"),
    # HindiAnalyzer and BengaliAnalyzer stop after normalizing (searchlib.lucene_indic)
    "hi": ("standard", "lowercase", "decimaldigit", "indicnormalization", "hindinormalization", "stop:-:@hindi",
           "stem:hindilight"),
    "bn": ("standard", "lowercase", "decimaldigit", "indicnormalization", "bengalinormalization", "stop:-:@bengali",
           "stem:bengali"),
    # NepaliAnalyzer, TamilAnalyzer: Snowball's Nepali and Tamil behind IndicNormalizer
    "ne": ("standard", "lowercase", "decimaldigit", "indicnormalization", "stop:-:@nepali", "stem:nepali"),
    "ta": ("standard", "lowercase", "decimaldigit", "indicnormalization", "stop:-:@tamil", "stem:tamil"),
    # TeluguAnalyzer lowercases nothing (Telugu has no case; Latin letters in it keep theirs)
    "te": ("standard", "decimaldigit", "indicnormalization", "telugunormalization", "stop:-:@telugu", "stem:telugu"),
    # GreekAnalyzer: its lowercase filter also drops accents and final sigma, as its stop list expects
    "el": ("standard", "greeklowercase", "stop:-:@greek", "stem:greekntais"),
    "gl": ("standard", "lowercase", "stop:-:@galician", "stem:galicianrslp"),
    **{code: ("standard", "lowercase", f"stop:-:@{name}", f"stem:{name}") for code, name in _SNOWBALL_ANALYZED.items()},
}
STANDARD_ANALYZER = ("standard", "lowercase")
# Vespa's default analyzers this engine cannot run exactly, by language code (Vespa's Language codes)
UNSUPPORTED = {
    "et": "EstonianAnalyzer",
    "th": "ThaiAnalyzer",
}
LANGUAGE_ANALYSIS = "analysis.languages"  # the field setting: encode()d configured language analyzers
LanguageChains = tuple[tuple[str, tuple[str, ...]], ...]  # configured (language code, chain) pairs


class UnsupportedLanguageError(InvalidParameterError):
    """Text in a language whose Lucene analyzer this engine does not run."""


def language_chain(language: str, configured: LanguageChains = ()) -> tuple[str, ...]:
    """The analyzer chain LuceneLinguistics applies to text in `language` (a language code) on a
    field without a profile; raises UnsupportedLanguageError for an analyzer not run here."""
    language = VESPA_LANGUAGE_ALIASES.get(language, language)
    for code, chain in configured:
        if code == language:
            return chain
    if language in DEFAULT_CHAINS:
        return DEFAULT_CHAINS[language]
    if language in UNSUPPORTED:
        raise UnsupportedLanguageError(
            f"not supported: language '{language}' on a field analyzed by LuceneLinguistics without a profile "
            f"(Vespa uses Lucene's {UNSUPPORTED[language]}, which this engine does not run; it runs "
            f"{', '.join(sorted(set(DEFAULT_CHAINS)))} and StandardAnalyzer for languages Lucene has no "
            "analyzer for; configure an analyzer for the language, or give the field a linguistics profile)")
    return STANDARD_ANALYZER


def encode(configured: Mapping[str, tuple[str, ...]]) -> str:
    """Configured language chains as one field setting (steps never hold ' ', '|' or '=': stop
    words travel percent-encoded)."""
    return "|".join(f"{code}={' '.join(chain)}" for code, chain in sorted(configured.items()))


def decode(setting: str) -> LanguageChains:
    pairs = []
    for part in filter(None, setting.split("|")):
        code, _, chain = part.partition("=")
        pairs.append((code, tuple(chain.split())))
    return tuple(pairs)
