"""Lucene's StandardTokenizer (searchlib.lucene_standard): the expected tokens are those of
apache/lucene's TestStandardAnalyzer (lucene/core/src/test/.../standard/TestStandardAnalyzer.java),
each case named after the Lucene test it comes from."""
from __future__ import annotations

import pytest

from searchlib.lucene_standard import standard_tokens


def texts(text: str, limit: int = 255) -> list[str]:
    return [token.text for token in standard_tokens(text, limit)]


LUCENE_CASES = [
    # testEmpty
    ("", []), (".", []), (" ", []),
    # testHugeDoc
    (" " * 4094 + "testing 1234", ["testing", "1234"]),
    # testLUCENE1545: a combining mark stays in its word
    ("mo\u0364chte", ["mo\u0364chte"]),
    # testAlphanumericSA
    ("B2B", ["B2B"]), ("2B", ["2B"]),
    # testDelimitersSA
    ("some-dashed-phrase", ["some", "dashed", "phrase"]), ("dogs,chase,cats", ["dogs", "chase", "cats"]),
    ("ac/dc", ["ac", "dc"]),
    # testApostrophesSA
    ("O'Reilly", ["O'Reilly"]), ("you're", ["you're"]), ("she's", ["she's"]), ("Jim's", ["Jim's"]),
    ("don't", ["don't"]), ("O'Reilly's", ["O'Reilly's"]),
    # testNumericSA
    ("21.35", ["21.35"]), ("R2D2 C3PO", ["R2D2", "C3PO"]), ("216.239.63.104", ["216.239.63.104"]),
    # testTextWithNumbersSA
    ("David has 5000 bones", ["David", "has", "5000", "bones"]),
    # testVariousTextSA
    ("C embedded developers wanted", ["C", "embedded", "developers", "wanted"]),
    ("foo      bar .  FOO <> BAR", ["foo", "bar", "FOO", "BAR"]), ('"QUOTED" word', ["QUOTED", "word"]),
    # testKoreanSA
    ("안녕하세요 한글입니다", ["안녕하세요", "한글입니다"]),
    # testThai, testLao: South-East Asian runs are one token each
    ("การที่ได้ต้องแสดงว่างานดี. แล้วเธอจะไปไหน? ๑๒๓๔", ["การที่ได้ต้องแสดงว่างานดี", "แล้วเธอจะไปไหน", "๑๒๓๔"]),
    ("ສາທາລະນະລັດ ປະຊາທິປະໄຕ ປະຊາຊົນລາວ", ["ສາທາລະນະລັດ", "ປະຊາທິປະໄຕ", "ປະຊາຊົນລາວ"]),
    # testChinese: one token per ideograph; fullwidth digits and letters are words
    ("我是中国人。 １２３４ Ｔｅｓｔｓ ", ["我", "是", "中", "国", "人", "１２３４", "Ｔｅｓｔｓ"]),
    # testSupplementary
    ("𩬅艱鍟䇹愯瀛", ["𩬅", "艱", "鍟", "䇹", "愯", "瀛"]),
    # testCombiningMarks
    ("ざ", ["ざ"]), ("ザ", ["ザ"]), ("壹゙", ["壹゙"]), ("아゙", ["아゙"]),
    # testMid: runs of mid-word punctuation split
    ("A:B", ["A:B"]), ("A::B", ["A", "B"]), ("1.2", ["1.2"]), ("A.B", ["A.B"]), ("1..2", ["1", "2"]),
    ("A..B", ["A", "B"]), ("1,2", ["1,2"]), ("1,,2", ["1", "2"]), ("A.:B", ["A", "B"]), ("A:.B", ["A", "B"]),
    ("1,.2", ["1", "2"]), ("1.,2", ["1", "2"]), ("A:B_A:B", ["A:B_A:B"]), ("A:B_A::B", ["A:B_A", "B"]),
    ("1.2_1.2", ["1.2_1.2"]), ("A.B_A.B", ["A.B_A.B"]), ("1.2_1..2", ["1.2_1", "2"]), ("A.B_A..B", ["A.B_A", "B"]),
    ("1,2_1,2", ["1,2_1,2"]), ("1,2_1,,2", ["1,2_1", "2"]), ("C_A.:B", ["C_A", "B"]), ("C_A:.B", ["C_A", "B"]),
    ("3_1,.2", ["3_1", "2"]), ("3_1.,2", ["3_1", "2"]),
    # testEmoji, testEmojiSequence, testEmojiSequenceWithModifier, testEmojiRegionalIndicator
    ("💩 💩💩", ["💩", "💩", "💩"]), ("👩‍❤️‍👩", ["👩‍❤️‍👩"]), ("👨🏼‍⚕️", ["👨🏼‍⚕️"]), ("🇺🇸🇺🇸", ["🇺🇸", "🇺🇸"]),
    # testEmojiVariationSequence: U+FE0E (text presentation) ends an emoji and is left out
    ("#️⃣", ["#️⃣"]), ("3️⃣", ["3️⃣"]), ("#\ufe0e", []), ("3\ufe0e", ["3\ufe0e"]), ("\u2b55\ufe0e", ["\u2b55"]),
    ("\u2b55\ufe0e\u200d\u2b55\ufe0e", ["\u2b55", "\u200d\u2b55"]),
    # testEmojiTagSequence, testEmojiTokenization
    ("🏴󠁧󠁢󠁥󠁮󠁧󠁿", ["🏴󠁧󠁢󠁥󠁮󠁧󠁿"]), ("poo💩poo", ["poo", "💩", "poo"]), ("💩中國💩", ["💩", "中", "國", "💩"]),
    # testFarsi
    ("ویکی پدیای انگلیسی در تاریخ ۲۵ دی ۱۳۷۹ به صورت مکملی برای دانشنامهٔ تخصصی نوپدیا نوشته شد.",
     ["ویکی", "پدیای", "انگلیسی", "در", "تاریخ", "۲۵", "دی", "۱۳۷۹", "به", "صورت", "مکملی", "برای", "دانشنامهٔ",
      "تخصصی", "نوپدیا", "نوشته", "شد"]),
    # testTibetan (its start)
    ("སྣོན་མཛོད་དང་ལས་འདིས་", ["སྣོན", "མཛོད", "དང", "ལས", "འདིས"]),
    # testGreek (its start)
    ("Γράφεται σε συνεργασία από εθελοντές με το λογισμικό wiki, κάτι", ["Γράφεται", "σε", "συνεργασία", "από",
                                                                       "εθελοντές", "με", "το", "λογισμικό",
                                                                       "wiki", "κάτι"]),
    # testArmenian (its start): "(4,600`" is the number 4,600
    ("Վիքիպեդիայի 13 միլիոն հոդվածները (4,600` հայերեն", ["Վիքիպեդիայի", "13", "միլիոն", "հոդվածները", "4,600",
                                                           "հայերեն"]),
]


@pytest.mark.parametrize("text, expected", LUCENE_CASES)
def test_tokens_as_lucenes_standard_analyzer_tests(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_emails_urls_and_acronyms_split_at_uax29_boundaries() -> None:
    # StandardTokenizer (unlike UAX29URLEmailTokenizer) cuts e-mails and URLs at '@', '/', ':'
    assert texts("mail test@example.com") == ["mail", "test", "example.com"]
    assert texts("http://www.example.com/path?x=1") == ["http", "www.example.com", "path", "x", "1"]
    assert texts("U.S.A. and I.B.M.") == ["U.S.A", "and", "I.B.M"]
    assert texts("1.5 1,000 $3.50 -7") == ["1.5", "1,000", "3.50", "7"]
    assert texts("snake_case __init__ ___") == ["snake_case", "__init__"]


def test_types_and_offsets() -> None:  # testTypes, testOffsets, testKorean, testJapanese
    tokens = standard_tokens("David has 5000 bones 훈민정음 仮名遣い カタカナ ภาษาไทย 💩")
    assert [(t.text, t.type) for t in tokens] == [
        ("David", "<ALPHANUM>"), ("has", "<ALPHANUM>"), ("5000", "<NUM>"), ("bones", "<ALPHANUM>"),
        ("훈민정음", "<HANGUL>"), ("仮", "<IDEOGRAPHIC>"), ("名", "<IDEOGRAPHIC>"), ("遣", "<IDEOGRAPHIC>"),
        ("い", "<HIRAGANA>"), ("カタカナ", "<KATAKANA>"), ("ภาษาไทย", "<SOUTHEAST_ASIAN>"), ("💩", "<EMOJI>")]
    assert [(t.start, t.end) for t in tokens[:4]] == [(0, 5), (6, 9), (10, 14), (15, 20)]


def test_max_token_length() -> None:
    b = "b" * 255  # testMaxTokenLengthDefault: one more than 255 starts a new token
    assert texts(f"x {b} {b}b") == ["x", b, b, "b"]
    # testMaxTokenLengthNonDefault
    assert texts("ab cd toolong xy z", 5) == ["ab", "cd", "toolo", "ng", "xy", "z"]
    # the rest of a cut token is tokenized anew: a leading '.' is no longer inside a word
    assert texts("abcde.fg", 5) == ["abcde", "fg"]
