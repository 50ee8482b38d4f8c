"""Vespa's rank feature formulas, one definition each, for every feature and matcher that uses them."""
