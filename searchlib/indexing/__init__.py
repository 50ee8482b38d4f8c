"""The indexing language: parse scripts, evaluate them over a document (pure; embedding is a seam)."""
from searchlib.indexing.check import EMBEDDER_TYPES, check_embedders, check_indexing
from searchlib.indexing.evaluator import run_script, script_inputs, selectable_inputs
from searchlib.indexing.parser import Script, parse_indexing

__all__ = ["EMBEDDER_TYPES", "Script", "check_embedders", "check_indexing", "parse_indexing", "run_script", "script_inputs",
           "selectable_inputs"]
