"""`from <name>` where a content cluster has the id of one of its document types searches that
type only, as Vespa's ClusterSearcher.resolveSourceSubset does (workshop-ecommerce: cluster 'product'
holds product, order and user; `select * from product` with ranking=product_search must not search
order, which has no such profile)."""
from __future__ import annotations

import pytest

from tests.container.in_process import APPS, in_process_cluster


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "cluster_named_like_type", tmp_path_factory.mktemp("sources"), nodes=1) as cluster:
        cluster.feed("product", {"p1": {"name": "red shoes"}})
        cluster.feed("order", {"o1": {"note": "red shoes ordered"}})
        yield cluster


def types(root: dict) -> list[str]:
    assert "errors" not in root, root["errors"]
    return sorted(hit["fields"]["sddocname"] for hit in root.get("children", ()))


def test_the_schema_named_like_its_cluster_is_searched_alone(shop) -> None:
    assert types(shop.search(yql='select * from product where true')) == ["product"]
    assert types(shop.search(yql='select * from product where name contains "red"', ranking="product_search")) == ["product"]
    assert types(shop.search(yql="select * from order where true")) == ["order"]


def test_every_schema_of_the_cluster_by_sources_star_or_restrict(shop) -> None:
    assert types(shop.search(yql="select * from sources * where true")) == ["order", "product"]
    assert types(shop.search(yql="select * from sources * where true", restrict="order")) == ["order"]
