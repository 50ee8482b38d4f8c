"""Lucene's ASCIIFoldingFilter (searchlib.lucene_folding): expected foldings from apache/lucene's
TestASCIIFoldingFilter (lucene/analysis/common/src/test/.../miscellaneous/TestASCIIFoldingFilter.java)."""
from __future__ import annotations

from searchlib.lucene_analysis import analyze
from searchlib.lucene_folding import fold


def test_latin1_accents() -> None:  # testLatin1Accents
    text = ("Des mot clés À LA CHAÎNE À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï Ĳ Ð Ñ Ò Ó Ô Õ Ö Ø Œ Þ Ù Ú Û Ü Ý Ÿ à á â ã ä å "
            "æ ç è é ê ë ì í î ï ĳ ð ñ ò ó ô õ ö ø œ ß þ ù ú û ü ý ÿ ﬁ ﬂ")
    folded = ("Des mot cles A LA CHAINE A A A A A A AE C E E E E I I I I IJ D N O O O O O O OE TH U U U U Y Y a a a a "
              "a a ae c e e e e i i i i ij d n o o o o o o oe ss th u u u u y y fi fl")
    assert [fold(word) for word in text.split()] == folded.split()


def test_unmodified_letters_and_preserve_original() -> None:  # testUnmodifiedLetters
    assert analyze(("whitespace", "asciifolding:preserve"), "§ ¦ ¤ END") == ["§", "¦", "¤", "END"]
    # with preserveOriginal a folded token is followed by the original (assertNextTerms)
    assert analyze(("whitespace", "asciifolding:preserve"), "clés LA") == ["cles", "clés", "LA"]
    assert analyze(("whitespace", "asciifolding"), "clés LA") == ["cles", "LA"]


def test_all_foldings_samples() -> None:  # testAllFoldings: the A, a and two-letter groups
    assert {fold(c) for c in "ÀÁÂÃÄÅĀĂĄƏǍǞǠǺȀȂȦȺᴀḀẠẢẤẦẨẪẬẮẰẲẴẶⒶＡ"} == {"A"}
    assert {fold(c) for c in "àáâãäåāăąǎǟǡǻȁȃȧɐəɚᶏḁᶕẚạảấầẩẫậắằẳẵặₐₔⓐⱥａ"} == {"a"}
    assert [fold(c) for c in "ꜲǢǼᴁꜴꜶꜸꜺꜼ⒜ꜳæǣǽᴂꜵꜷꜹꜻꜽ"] == ["AA", "AE", "AE", "AE", "AO", "AU", "AV", "AV", "AY",
                                                          "(a)", "aa", "ae", "ae", "ae", "ae", "ao", "au", "av",
                                                          "av", "ay"]
    assert [fold(c) for c in "ƁƂɃʙᴃḂḄḆ"] == ["B"] * 8
    assert [fold(c) for c in "đĐłŁøØħŀŉſ"] == ["d", "D", "l", "L", "o", "O", "h", "l", "n", "s"]


def test_outside_lucenes_blocks_nothing_is_folded() -> None:
    # Greek and Cyrillic have no ASCII equivalent; a combining mark written apart is kept, as
    # Lucene folds one UTF-16 character at a time and has no entry for U+0301
    assert fold("Ωμέγα Жук") == "Ωμέγα Жук"
    assert fold("e\u0301") == "e\u0301"
    assert fold("“quoted” – dash") == '"quoted" - dash'
