"""The grouping language (basic forms) and its per-node partial results, merged in the container.

    all(group(year) max(10) order(-count()) each(output(count(), avg(price)) max(3) each(output(summary()))))

parser.py: text → GroupingRequest; result.py: partial group trees and how they merge and are
ordered/trimmed. Pure: the content node computes partials (content_node/grouping.py), the
container merges and renders them (container/search/grouping.py).
"""
from searchlib.grouping.model import Aggregate, GroupingOperation, OrderKey
from searchlib.grouping.parser import parse_grouping

__all__ = ["Aggregate", "GroupingOperation", "OrderKey", "parse_grouping"]
