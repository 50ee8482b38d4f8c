"""The tables of Lucene 9.12.3's Snowball Estonian stemmer (org.tartarus.snowball.ext.EstonianStemmer,
generated from Snowball's estonian.sbl, BSD licence; shipped in Lucene under the Apache License 2.0),
for searchlib.lucene_estonian. Each maps an ending to what its rule does."""
from __future__ import annotations

LONG_VOWELS = ("aa", "ee", "ii", "oo", "uu", "ää", "õõ", "öö", "üü")
# verb endings: "del" deletes, "a" replaces with a, "vowel" deletes after a vowel only
VERB_ENDINGS = {
    **dict.fromkeys(("mata", "ksid", "nuksid", "sime", "ksime", "nuksime", "dakse", "takse", "site", "ksite",
                     "nuksite", "sin", "ksin", "nuksin", "daks", "taks"), "del"),
    **dict.fromkeys(("da", "b", "me", "n"), "vowel"), "akse": "a"}
SPECIAL_NOUN_ENDINGS = {
    **dict.fromkeys(("lane", "lasse", "lasi", "last"), "lase"), **dict.fromkeys(("mine", "misse", "misi", "mist"), "mise"),
    **dict.fromkeys(("line", "lisse", "lisi", "list"), "lise")}
CASE_ENDINGS = ("ga", "ta", "le", "sse", "l", "s", "ks", "t", "lt", "st")
# plural endings of the first three cases: -iku back, -sid off (not after a long vowel), -d/-de off
# after a vowel, -te by its own rule
PLURAL_ENDINGS = {"ikkude": "iku", "ike": "iku", "ikke": "iku", "sid": "sid", "d": "d", "de": "d", "te": "te"}
DEGREES = ("ma", "mai", "m")  # -ma off; -mai and -m after a vowel of a, e, i, o, u
NU_ENDINGS = ("va", "du", "nu", "tu")


def _forms(stem: str, forms: str) -> dict[str, str]:
    return dict.fromkeys(forms.split(), stem)


# whole words that are forms of irregular verbs, each to its stem
VERB_EXCEPTIONS = {
    **_forms("joo", "joob jood joodakse jooma joomata joome joon joote joovad juua juuakse"),
    **_forms("jääma", "jäi jäid jäime jäin jäite jääb jääd jääda jäädakse jäädi jääks jääksid jääksime jääksin "
                      "jääksite jääma jäämata jääme jään jääte jäävad"),
    **_forms("joo", "jõi jõid jõime jõin jõite"),
    **_forms("keesi", "keeb keed keedakse keeks keeksid keeksime keeksin keeksite keema keemata keeme keen kees "
                      "keeta keete keevad"),
    **_forms("käisi", "käia käiakse käib käid käidi käiks käiksid käiksime käiksin käiksite käima käimata käime "
                      "käin käis käite käivad"),
    **_forms("ladu", "laob laod laoks laoksid laoksime laoksin laoksite laome laon laote laovad"),
    **_forms("luge", "loeb loed loeks loeksid loeksime loeksin loeksite loeme loen loete loevad"),
    **_forms("loo", "loob lood loodi looks looksid looksime looksin looksite looma loomata loome loon loote "
                    "loovad luua luuakse"),
    **_forms("löi", "lõi lõid lõime lõin lõite"),
    **_forms("löö", "lööb lööd löödakse löödi lööks lööksid lööksime lööksin lööksite lööma löömata lööme löön "
                    "lööte löövad lüüa lüüakse"),
    **_forms("müüsi", "müüa müüakse müüb müüd müüdi müüks müüksid müüksime müüksin müüksite müüma müümata "
                      "müüme müün müüs müüte müüvad"),
    **_forms("nägi", "näeb näed näeks näeksid näeksime näeksin näeksite näeme näen näete näevad nägema "
                     "nägemata näha nähakse nähti"),
    **_forms("põde", "põeb põed põeks põeksid põeksime põeksin põeksite põeme põen põete põevad"),
    **_forms("saa", "saab saad saada saadakse saadi saaks saaksid saaksime saaksin saaksite saama saamata "
                    "saame saan saate saavad sai said saime sain saite"),
    **_forms("söö", "sõi sõid sõime sõin sõite sööb sööd söödakse söödi sööks sööksid sööksime sööksin "
                    "sööksite sööma söömata sööme söön sööte söövad süüa süüakse"),
    **_forms("tegi", "teeb teed teeks teeksid teeksime teeksin teeksite teeme teen teete teevad tegema "
                     "tegemata teha tehakse tehti"),
    **_forms("too", "toob tood toodi tooks tooksid tooksime tooksin tooksite tooma toomata toome toon toote "
                    "toovad tuua tuuakse tõi tõid tõime tõin tõite"),
    **_forms("viima", "viia viiakse viib viid viidi viiks viiksid viiksime viiksin viiksite viima viimata "
                      "viime viin viisime viisin viisite viite viivad"),
    **_forms("võisi", "võib võid võida võidakse võidi võiks võiksid võiksime võiksin võiksite võima võimata "
                      "võime võin võis võite võivad"),
}
