"""The indexing language: parse scripts, evaluate them over a document (pure; embedding is a seam)."""
from searchlib.indexing.evaluator import run_script, script_inputs
from searchlib.indexing.parser import Script, parse_indexing

__all__ = ["Script", "parse_indexing", "run_script", "script_inputs"]
