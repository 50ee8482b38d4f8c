"""`query=` without `yql`: Vespa parses the text in the simple query language over every source
(the splade and colbert sample apps document queries like `vespa query 'query=stars'`)."""
from __future__ import annotations

import pytest

from container.search.query import QueryError, build_query
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
    }
    fieldset default { fields: title }
}
"""


def test_query_alone_is_user_query_over_all_sources() -> None:
    app = application_from_text(SD, name="doc.sd")
    alone = build_query({"query": "stars", "type": "all"}, app)
    spelled = build_query({"yql": "select * from sources * where userQuery()", "query": "stars", "type": "all"}, app)
    assert alone.yql.where == spelled.yql.where and alone.schemas == spelled.schemas == ("doc",)
    assert (alone.yql.where.field, alone.yql.where.term) == ("default", "star")  # stemmed as userQuery() is


@pytest.mark.parametrize("params", [{}, {"query": "  "}, {"yql": "", "query": ""}])
def test_no_yql_and_no_query_text_is_still_an_illegal_query(params) -> None:
    with pytest.raises(QueryError, match="No query"):
        build_query(params, application_from_text(SD, name="doc.sd"))
