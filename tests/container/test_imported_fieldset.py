"""A fieldset mixing an index field with an imported attribute (Vespa's own `importedfields` test
package has one): a query on it answers, the imported field's hit estimate counted as Vespa's
(ImportedSearchContext::approximateHits: the child's document count), never an internal error."""
from __future__ import annotations

import shutil

import pytest

from tests.container.in_process import APPS, in_process_cluster

FIELDSET = """    fieldset default {
        fields: title, campaign_name
    }
    rank-profile text {
        first-phase { expression: bm25(title) + nativeRank }
    }
    document-summary with_parent"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("imported_fieldset")
    app = root / "app"
    shutil.copytree(APPS / "parent_child", app)
    schema = app / "schemas" / "ad.sd"
    schema.write_text(schema.read_text().replace("    document-summary with_parent", FIELDSET, 1))
    with in_process_cluster(app, root / "data") as running:
        running.feed("campaign", {"c1": {"name": "spring", "budget": 5}})
        running.feed("ad", {"a1": {"title": "spring shoes", "campaign_ref": "id:test:campaign::c1"},
                            "a2": {"title": "boots", "campaign_ref": "id:test:campaign::c1"},
                            "a3": {"title": "spring coats"}})
        yield running


@pytest.mark.parametrize("ranking", ["text", "default"])
def test_a_fieldset_with_an_imported_attribute_matches_both_fields(cluster, ranking) -> None:
    spring = cluster.search(yql='select * from ad where default contains "spring"', ranking=ranking)
    assert {hit["id"] for hit in spring["children"]} == {"id:test:ad::a1", "id:test:ad::a2", "id:test:ad::a3"}
    boots = cluster.search(yql='select * from ad where default contains "boots"', ranking=ranking)
    assert [hit["id"] for hit in boots["children"]] == ["id:test:ad::a2"]


def test_the_imported_fields_estimate_is_the_childs_document_count(cluster) -> None:
    for node in cluster.nodes:
        db = node.databases["ad"]
        assert db.document_frequency("campaign_name", "spring") == db.doc_count
        assert db.document_frequency("campaign_name", "absent") == db.doc_count
