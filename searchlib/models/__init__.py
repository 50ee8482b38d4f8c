"""Models evaluated inside ranking expressions (pure: numpy only)."""
from searchlib.models.trees import TreeModel, load_tree_model, parse_lightgbm, parse_xgboost

__all__ = ["TreeModel", "load_tree_model", "parse_lightgbm", "parse_xgboost"]
