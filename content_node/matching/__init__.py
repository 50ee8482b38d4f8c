"""Matching: the query tree → the sorted local ids of matching documents (vectorized)."""
