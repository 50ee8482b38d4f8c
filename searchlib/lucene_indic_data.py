"""Data tables of Lucene's Indic analysis (lucene/analysis/common, org.apache.lucene.analysis.in, .hi, .bn
and .te; Lucene 9.12.3, Apache License 2.0), for searchlib.lucene_indic.

IndicNormalizer's composition table (Unicode 5.2 chapter 6 and the LDC's Indian scripts table): a
line is ch1 ch2 ch3 result and the scripts it applies to, the characters as offsets into each
script's 128-character block, `-` for no third character and `FF` for a zero-width joiner. Order
matters: the first line that matches wins.
"""
from __future__ import annotations

# the Unicode blocks IndicNormalizer knows, by the name used below, and where each starts
INDIC_BLOCKS = {"deva": 0x0900, "beng": 0x0980, "guru": 0x0A00, "gujr": 0x0A80, "orya": 0x0B00,
                "taml": 0x0B80, "telu": 0x0C00, "knda": 0x0C80, "mlym": 0x0D00}

_COMPOSITIONS = """
05 3E 45 11 deva gujr
05 3E 46 12 deva
05 3E 47 13 deva gujr
05 3E 48 14 deva gujr
05 3E -  06 deva beng guru gujr orya
05 45 -  72 deva
05 45 -  0D gujr
05 46 -  04 deva
05 47 -  0F gujr
05 48 -  10 guru gujr
05 49 -  11 deva gujr
05 4A -  12 deva
05 4B -  13 deva gujr
05 4C -  14 deva guru gujr
06 45 -  11 deva gujr
06 46 -  12 deva
06 47 -  13 deva gujr
06 48 -  14 deva gujr
07 57 -  08 mlym
09 41 -  0A deva
09 57 -  0A taml mlym
0E 46 -  10 mlym
0F 45 -  0D deva
0F 46 -  0E deva
0F 47 -  10 deva
0F 57 -  10 orya
12 3E -  13 mlym
12 4C -  14 telu knda
12 55 -  13 telu
12 57 -  14 taml mlym
13 57 -  14 orya
15 3C -  58 deva
16 3C -  59 deva guru
17 3C -  5A deva guru
1C 3C -  5B deva guru
21 3C -  5C deva beng orya
22 3C -  5D deva beng orya
23 4D FF 7A mlym
24 4D FF 4E beng
28 3C -  29 deva
28 4D FF 7B mlym
2B 3C -  5E deva guru
2F 3C -  5F deva beng
2C 41 41 0B telu
30 3C -  31 deva
30 4D FF 7C mlym
32 4D FF 7D mlym
33 3C -  34 deva
33 4D FF 7E mlym
35 41 -  2E telu
3E 45 -  49 deva gujr
3E 46 -  4A deva
3E 47 -  4B deva gujr
3E 48 -  4C deva gujr
3F 55 -  40 knda
41 41 -  42 guru
46 3E -  4A taml mlym
46 42 55 4B knda
46 42 -  4A knda
46 46 -  48 mlym
46 55 -  47 telu knda
46 56 -  48 telu knda
46 57 -  4C taml mlym
47 3E -  4B beng orya taml mlym
47 57 -  4C beng orya
4A 55 -  4B knda
72 3F -  07 guru
72 40 -  08 guru
72 47 -  0F guru
73 41 -  09 guru
73 42 -  0A guru
73 4B -  13 guru
"""


def _compositions() -> dict[str, tuple[tuple[int, int, int, int], ...]]:
    """Per script: its (ch1, ch2, ch3 or -1, result) rows in the table's order."""
    rows: dict[str, list[tuple[int, int, int, int]]] = {script: [] for script in INDIC_BLOCKS}
    for line in _COMPOSITIONS.split("\n"):
        if line:
            first, second, third, result, *scripts = line.split()
            row = (int(first, 16), int(second, 16), -1 if third == "-" else int(third, 16), int(result, 16))
            for script in scripts:
                rows[script].append(row)
    return {script: tuple(found) for script, found in rows.items()}


COMPOSITIONS = _compositions()

# HindiStemmer's, BengaliStemmer's and TeluguStemmer's suffixes by the number of characters each removes: a suffix of
# n is taken off a word longer than n + 1; the longest group that matches wins
HINDI_SUFFIXES = {
    5: "ाएंगी ाएंगे ाऊंगी ाऊंगा ाइयाँ ाइयों ाइयां",
    4: "ाएगी ाएगा ाओगी ाओगे एंगी ेंगी एंगे ेंगे ूंगी ूंगा ातीं नाओं नाएं ताओं ताएं ियाँ ियों ियां",
    3: "ाकर ाइए ाईं ाया ेगी ेगा ोगी ोगे ाने ाना ाते ाती ाता तीं ाओं ाएं ुओं ुएं ुआं",
    2: "कर ाओ िए ाई ाए ने नी ना ते ीं ती ता ाँ ां ों ें",
    1: "ो े ू ु ी ि ा",
}
# (য় is the single character U+09DF here, as IndicNormalizer leaves it)
BENGALI_SUFFIXES = {
    8: "িয়াছিলাম িতেছিলাম িতেছিলেন ইতেছিলেন িয়াছিলেন ইয়াছিলেন",
    7: "িতেছিলি িতেছিলে িয়াছিলা িয়াছিলে িতেছিলা িয়াছিলি য়েদেরকে",
    6: "িতেছিস িতেছেন িয়াছিস িয়াছেন েছিলাম েছিলেন েদেরকে",
    5: "িতেছি িতেছা িতেছে ছিলাম ছিলেন িয়াছি িয়াছা িয়াছে েছিলে েছিলা য়েদের দেরকে",
    4: "িলাম িলেন িতাম িতেন িবেন ছিলি ছিলে ছিলা তেছে িতেছ খানা খানি গুলো গুলি য়েরা েদের",
    3: "লাম িলি ইলি িলে ইলে লেন িলা ইলা তাম িতি ইতি িতে ইতে তেন িতা িবা ইবা িবি ইবি বেন িবে ইবে ছেন "
       "য়োন য়ের েরা দের",
    2: "িস েন লি লে লা তি তে তা বি বে বা ছি ছা ছে ুন ুক টা টি নি ের তে রা কে",
    1: "ি ী া ো ে ব ত",
}

TELUGU_SUFFIXES = {
    4: "ళ్ళు డ్లు",
    2: "డు ము వు లు ని ను చే కై లో డు ది కి సు వై పై",
    1: "ి ీ ు ూ ె ే ొ ో ా",
}


def suffix_groups(table: dict[int, str]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    groups = []
    for size, words in table.items():
        suffixes = tuple(word.replace("\u09af\u09bc", "\u09df") for word in words.split())
        assert all(len(suffix) == size for suffix in suffixes), (size, suffixes)
        groups.append((size, suffixes))
    return tuple(groups)
