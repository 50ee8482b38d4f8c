"""weakand { stopword-limit adjust-target allow-drop-all } (content_node/matching/weakand_stopwords.py),
worked by hand for 10 documents and terms in 9, 5, 2 and 1 of them."""
from __future__ import annotations

from content_node.matching.weakand_stopwords import DISABLED, StopWords, stop_words

HITS = [9, 5, 2, 1]


def test_without_settings_every_term_matches() -> None:
    assert stop_words(HITS, 10, {}) == StopWords((True, True, True, True), DISABLED)
    assert stop_words(HITS, 10, {"weakand.stopword-limit": "1.0"}).keep == (True, True, True, True)


def test_terms_in_more_documents_than_the_limit_are_dropped() -> None:
    assert stop_words(HITS, 10, {"weakand.stopword-limit": "0.5"}).keep == (False, True, True, True)  # 9 > 5
    assert stop_words(HITS, 10, {"weakand.stopword-limit": "0.2"}).keep == (False, False, True, True)


def test_the_rarest_term_stays_unless_every_term_may_go() -> None:
    assert stop_words(HITS, 10, {"weakand.stopword-limit": "0.0"}).keep == (False, False, False, True)
    every = {"weakand.stopword-limit": "0.0", "weakand.allow-drop-all": "true"}
    assert stop_words(HITS, 10, every).keep == (False, False, False, False)


def test_adjust_target_picks_the_term_closest_to_it() -> None:
    assert stop_words(HITS, 10, {"weakand.adjust-target": "0.3"}).rare_enough == 2  # 3 documents: 2 is closest
    assert stop_words(HITS, 10, {"weakand.adjust-target": "0.5"}).rare_enough == 5
    both = {"weakand.adjust-target": "0.9", "weakand.stopword-limit": "0.6"}  # 9 is dropped first
    assert stop_words(HITS, 10, both).rare_enough == 5
