"""Rank programs: a compiled rank profile bound to the features a content node can compute."""
