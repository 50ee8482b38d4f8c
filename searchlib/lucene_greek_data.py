"""The word lists of Lucene's GreekStemmer (lucene/analysis/common, org.apache.lucene.analysis.el;
Lucene 9.12.3, Apache License 2.0), after Georgios Ntais, "Development of a Stemmer for the Greek
Language" (2006), for searchlib.lucene_greek. All forms are as GreekLowerCaseFilter leaves them:
lower case, no accents, every sigma σ. Each name is the rule that uses it; EXC sets are whole
stems (compared with the whole word left), ENDS lists are endings of the word left.
"""
from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# rule 0: irregular nouns, (ending, characters removed, the word must be longer than) in Lucene's order
RULE0 = (
    (_words("καθεστωτοσ καθεστωτων"), 4, 9), (_words("γεγονοτοσ γεγονοτων"), 4, 8), (_words("καθεστωτα"), 3, 8),
    (_words("τατογιου τατογιων"), 4, 7), (_words("γεγονοτα"), 3, 7), (_words("καθεστωσ"), 2, 7),
    (_words("σκαγιου σκαγιων ολογιου ολογιων κρεατοσ κρεατων περατοσ περατων τερατοσ τερατων"), 4, 6),
    (_words("τατογια"), 3, 6), (_words("γεγονοσ"), 2, 6), (_words("φαγιου φαγιων σογιου σογιων"), 4, 5),
    (_words("σκαγια ολογια κρεατα περατα τερατα"), 3, 5), (_words("φαγια σογια φωτοσ φωτων"), 3, 4),
    (_words("κρεασ περασ τερασ"), 2, 4), (_words("φωτα"), 2, 3), (_words("φωσ"), 1, 2))
RULE1_KEEP_AD = _words("οκ μαμ μαν μπαμπ πατερ γιαγι νταντ κυρ θει πεθερ")  # these lose -αδ too
RULE2_ENDS = _words("οπ ιπ εμπ υπ γηπ δαπ κρασπ μιλ")
RULE3_ENDS = _words("αρκ καλιακ πεταλ λιχ πλεξ σκ σ φλ φρ βελ λουλ χν σπ τραγ φε")
RULE4_EXC = frozenset(_words("θ δ ελ γαλ ν π ιδ παρ"))
RULE6_EXC = frozenset(_words("""αλ αδ ενδ αμαν αμμοχαλ ηθ ανηθ αντιδ φυσ βρωμ γερ εξωδ καλπ καλλιν καταδ μουλ μπαν
    μπαγιατ μπολ μποσ νιτ ξικ συνομηλ πετσ πιτσ πικαντ πλιατσ ποστελν πρωτοδ σερτ συναδ τσαμ υποδ φιλον φυλοδ χασ"""))
RULE7_EXC = frozenset(_words("αναπ αποθ αποκ αποστ βουβ ξεθ ουλ πεθ πικρ ποτ σιχ χ"))
RULE8_EXC_A = frozenset(_words("τρ τσ"))
RULE8_EXC_B = frozenset(_words("""βετερ βουλκ βραχμ γ δραδουμ θ καλπουζ καστελ κορμορ λαοπλ μωαμεθ μ μουσουλμ ν ουλ π
    πελεκ πλ πολισ πορτολ σαρακατσ σουλτ τσαρλατ ορφ τσιγγ τσοπ φωτοστεφ χ ψυχοπλ αγ ορφ γαλ γερ δεκ διπλ αμερικαν ουρ
    πιθ πουριτ σ ζωντ ικ καστ κοπ λιχ λουθηρ μαιντ μελ σιγ σπ στεγ τραγ τσαγ φ ερ αδαπ αθιγγ αμηχ ανικ ανοργ απηγ απιθ
    ατσιγγ βασ βασκ βαθυγαλ βιομηχ βραχυκ διατ διαφ ενοργ θυσ καπνοβιομηχ καταγαλ κλιβ κοιλαρφ λιβ μεγλοβιομηχ
    μικροβιομηχ νταβ ξηροκλιβ ολιγοδαμ ολογαλ πενταρφ περηφ περιτρ πλατ πολυδαπ πολυμηχ στεφ ταβ τετ υπερηφ υποκοπ
    χαμηλοδαπ ψηλοταβ"""))
# rule 8's endings removed before -ανε, each group (its first ending, which alone needs a word longer
# than the group's size, as Lucene's && binds; the others, matched at any length)
RULE8_GROUPS = ((8, _words("ιουντανε"), ()), (7, _words("ιοντανε"), _words("ουντανε ηθηκανε")),
                (6, _words("ιοτανε"), _words("οντανε ουσανε")), (5, _words("αγανε"), _words("ησανε οτανε ηκανε")))
RULE9_EXC = frozenset(_words("αβαρ βεν εναρ αβρ αδ αθ αν απλ βαρον ντρ σκ κοπ μπορ νιφ παγ παρακαλ σερπ σκελ συρφ τοκ "
                             "υ δ εμ θαρρ θ"))
RULE9_ENDS = _words("""οδ αιρ φορ ταθ διαθ σχ ενδ ευρ τιθ υπερθ ραθ ενθ ροθ σθ πυρ αιν συνδ συν συνθ χωρ πον βρ καθ
    ευθ εκθ νετ ρον αρκ βαρ βολ ωφελ""")
RULE12_EXC_A = frozenset(_words("π απ συμπ ασυμπ ακαταπ αμεταμφ"))
RULE12_EXC_B = frozenset(_words("αλ αρ εκτελ ζ μ ξ παρακαλ αρ προ νισ"))
RULE13_EXC = frozenset(_words("διαθ θ παρακαταθ προσθ συνθ"))
RULE13_ENDS = _words("σκωλ σκουλ ναρθ σφ οθ πιθ")
RULE14_EXC = frozenset(_words("φαρμακ χαδ αγκ αναρρ βρομ εκλιπ λαμπιδ λεχ μ πατ ρ λ μεδ μεσαζ υποτειν αμ αιθ ανηκ "
                              "δεσποζ ενδιαφερ δε δευτερευ καθαρευ πλε τσα"))
RULE14_ENDS = _words("ποδαρ βλεπ πανταχ φρυδ μαντιλ μαλλ κυματ λαχ ληγ φαγ ομ πρωτ")
RULE15_EXC_A = frozenset(_words("""αβαστ πολυφ αδηφ παμφ ρ ασπ αφ αμαλ αμαλλι ανυστ απερ ασπαρ αχαρ δερβεν δροσοπ ξεφ
    νεοπ νομοτ ολοπ ομοτ προστ προσωποπ συμπ συντ τ υποτ χαρ αειπ αιμοστ ανυπ αποτ αρτιπ διατ εν επιτ κροκαλοπ σιδηροπ
    λ ναυ ουλαμ ουρ π τρ μ"""))
RULE15_ENDS_A = _words("οφ πελ χορτ λλ σφ ρπ φρ πρ λοχ σμην")
RULE15_EXC_B = frozenset(_words("ψοφ ναυλοχ"))
RULE16_EXC = frozenset(_words("ν χερσον δωδεκαν ερημον μεγαλον επταν"))
RULE17_EXC = frozenset(_words("ασβ σβ αχρ χρ απλ αειμν δυσχρ ευχρ κοινοχρ παλιμψ"))
RULE18_EXC = frozenset(_words("ν ρ σπι στραβομουτσ κακομουτσ εξων"))
RULE19_EXC = frozenset(_words("παρασουσ φ χ ωριοπλ αζ αλλοσουσ ασουσ"))
# rule 21, the long list (tried only when rules 0-20 changed nothing): endings by their length, each
# removed from a word longer than it
RULE21 = (
    (9, _words("ιοντουσαν")), (8, _words("ιομασταν ιοσασταν ιουμαστε οντουσαν")),
    (7, _words("ιεμαστε ιεσαστε ιομουνα ιοσαστε ιοσουνα ιουνται ιουνταν ηθηκατε ομασταν οσασταν ουμαστε")),
    (6, _words("ιομουν ιονταν ιοσουν ηθειτε ηθηκαν ομουνα οσαστε οσουνα ουνται ουνταν ουσατε")),
    (5, _words("αγατε ιεμαι ιεται ιεσαι ιοταν ιουμα ηθεισ ηθουν ηκατε ησατε ησουν ομουν ονται ονταν οσουν ουμαι "
               "ουσαν")),
    (4, _words("αγαν αμαι ασαι αται ειτε εσαι εται ηδεσ ηδων ηθει ηκαν ησαν ησει ησεσ ομαι οταν")),
    (3, _words("αει εισ ηθω ησω ουν ουσ")),
    (2, _words("αν ασ αω ει εσ ησ οι οσ ου υσ ων")))
VOWELS = frozenset("αεηιουω")
VOWELS_NO_Y = frozenset("αεηιοω")
