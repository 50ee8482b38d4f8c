"""Sorting (`order by`, `sorting=`) and grouping on a 1-node and a 3-node cluster: both give the same
answer, and that answer equals one computed here from the fed documents."""
from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from searchlib.docid import global_id

CATALOG_APP = Path(__file__).resolve().parents[1] / "apps" / "catalog"
BRANDS = ("acme", "Zeta", "bolt", "cora", "acme2", "émile")
DOC_COUNT = 48


def _doc(i: int) -> dict:
    fields = {"title": f"item {i} {'red' if i % 3 else 'blue'}", "year": 2000 + (i * 7) % 11,
              "rating": float((i * 5) % 9) / 2}
    if i % 8 != 3:  # some documents have no brand
        fields["brand"] = BRANDS[(i * 5) % len(BRANDS)]
    if i % 10 != 7:  # and some no price
        fields["price"] = round(10 + (i * 37) % 53 + 0.25 * (i % 4), 2)
    return fields


DOCS = {f"id:test:item::{i}": _doc(i) for i in range(DOC_COUNT)}


def _start(tmp_path_factory, name: str, nodes: int):
    cluster = LocalCluster(CATALOG_APP, tmp_path_factory.mktemp(name), nodes=nodes).start()
    client = httpx.Client(base_url=cluster.url, timeout=30.0)
    for doc_id, fields in DOCS.items():
        response = client.post(f"/document/v1/test/item/docid/{doc_id.rsplit(':', 1)[1]}", json={"fields": fields})
        assert response.status_code == 200, response.text
    return cluster, client


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    one, one_client = _start(tmp_path_factory, "one", 1)
    try:
        three, three_client = _start(tmp_path_factory, "three", 3)
        try:
            yield one_client, three_client
        finally:
            three_client.close()
            three.stop()
    finally:
        one_client.close()
        one.stop()


def _search(client: httpx.Client, **params) -> dict:
    response = client.get("/search/", params=params)
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    root.pop("coverage", None)
    return root


def _both(clusters, **params) -> dict:
    one, three = (_search(client, **params) for client in clusters)
    assert one == three
    return one


def _ids(root: dict) -> list[str]:
    return [h["id"] for h in root.get("children", []) if not h["id"].startswith("group:")]


def _expected_order(keys: list[tuple[str, bool]], where=lambda f: True, strings=str.lower) -> list[str]:
    """Missing values last in either direction; ties by global id. Strings sort by `strings`: by
    default lowercased (Vespa: an attribute's default uca without any locale falls back to lowercase)."""
    def key(doc_id: str):
        parts = []
        for name, ascending in keys:
            value = DOCS[doc_id].get(name)
            if value is None:
                parts.append((1, 0))
            elif isinstance(value, str):
                value = strings(value)
                parts.append((0, _Reversed(value) if not ascending else value))
            else:
                parts.append((0, value if ascending else -value))
        return (*parts, global_id(doc_id))
    return sorted((d for d in DOCS if where(DOCS[d])), key=key)


class _Reversed:
    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: "_Reversed") -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


@pytest.mark.parametrize("order, keys", [
    ("brand asc, price desc", [("brand", True), ("price", False)]),
    ("price desc, year asc", [("price", False), ("year", True)]),
    ("brand desc, year desc, rating asc", [("brand", False), ("year", False), ("rating", True)]),
    ("year", [("year", True)]),
])
def test_order_by_several_keys_is_the_same_on_one_and_three_nodes(clusters, order, keys):
    root = _both(clusters, yql=f"select * from item where true order by {order}", hits=25, offset=4)
    assert _ids(root) == _expected_order(keys)[4:29]


def test_string_sort_functions(clusters):
    """raw: code points ("Zeta" before "acme"); lowercase ("Zeta" after "cora", "émile" last); uca with a
    locale: "émile" sorts as "emile", between "cora" and "Zeta"."""
    raw = _both(clusters, yql='select * from item where true order by {function: "raw"}brand', hits=DOC_COUNT)
    assert _ids(raw) == _expected_order([("brand", True)], strings=lambda v: v)
    lowercase = _both(clusters, yql="select * from item where true", sorting="+lowercase(brand)", hits=DOC_COUNT)
    assert _ids(lowercase) == _expected_order([("brand", True)])
    uca = _both(clusters, yql="select * from item where true", sorting="+uca(brand,en_US)", hits=DOC_COUNT)
    uca_brands = list(dict.fromkeys(DOCS[i].get("brand") for i in _ids(uca)))
    assert uca_brands == ["acme", "acme2", "bolt", "cora", "émile", "Zeta", None]
    located = _both(clusters, yql="select * from item where true order by brand", hits=DOC_COUNT, **{"model.locale": "en_US"})
    assert _ids(located) == _ids(uca)  # the attribute's default uca, with the query's locale


def test_sorting_parameter_and_filter(clusters):
    root = _both(clusters, yql="select * from item where title contains 'red'", sorting="-year +brand", hits=40)
    expected = _expected_order([("year", False), ("brand", True)], where=lambda f: "red" in f["title"])
    assert _ids(root) == expected


@pytest.mark.parametrize("params", [
    {"yql": "select * from item where true order by [relevance]"},  # YQL's default direction: ascending
    {"yql": "select * from item where true", "sorting": "+[relevance]"},
])
def test_relevance_ascending_merges_ascending_across_nodes(clusters, params):
    root = _both(clusters, ranking="by_year", hits=30, **params)
    assert _ids(root) == _expected_order([("year", True)])[:30]
    yql = "select * from item where true"
    descending = _both(clusters, ranking="by_year", hits=30, yql=yql + " order by [relevance] desc")
    assert _ids(descending) == _ids(_both(clusters, ranking="by_year", hits=30, yql=yql))


def test_sorting_on_an_index_field_is_rejected(clusters):
    response = clusters[0].get("/search/", params={"yql": "select * from item where true order by title"})
    assert response.status_code == 400


def _groups(root: dict) -> list[dict]:
    group_root = next(h for h in root["children"] if h["id"] == "group:root:0")
    return group_root["children"][0]["children"]


def test_group_by_brand_counts_and_aggregates(clusters):
    root = _both(clusters, yql="select * from item where true limit 0 | all(group(brand) max(4) order(-count()) "
                                "each(output(count(), sum(year), avg(price), min(price), max(rating)) "
                                "max(2) each(output(summary()))))")
    by_brand: dict[str, list[dict]] = {}
    for fields in DOCS.values():
        if "brand" in fields:
            by_brand.setdefault(fields["brand"], []).append(fields)
    expected_order = sorted(by_brand, key=lambda b: (-len(by_brand[b]), b))[:4]
    groups = _groups(root)
    assert [g["value"] for g in groups] == expected_order
    for group in groups:
        members = by_brand[group["value"]]
        prices = [m["price"] for m in members if "price" in m]
        assert group["id"] == f"group:string:{group['value']}"
        assert group["fields"]["count()"] == len(members)
        assert group["fields"]["sum(year)"] == sum(m["year"] for m in members)
        assert math.isclose(group["fields"]["avg(price)"], sum(prices) / len(prices))
        assert group["fields"]["min(price)"] == min(prices)
        assert group["fields"]["max(rating)"] == max(m["rating"] for m in members)
        hits = group["children"][0]
        assert hits["id"] == "hitlist:hits" and len(hits["children"]) == 2
        assert all(h["fields"]["brand"] == group["value"] for h in hits["children"])


def test_root_outputs_nested_groups_and_default_order(clusters):
    root = _both(clusters, yql="select * from item where title contains 'blue' limit 0 | "
                                "all(output(count(), sum(year)) group(year) max(3) order(-count(), -max(year)) "
                                "each(output(count()) all(group(brand) max(2) order(brand) each(output(count())))))")
    blue = [f for f in DOCS.values() if "blue" in f["title"]]
    group_root = next(h for h in root["children"] if h["id"] == "group:root:0")
    assert group_root["fields"] == {"count()": len(blue), "sum(year)": sum(f["year"] for f in blue)}
    years = sorted({f["year"] for f in blue}, key=lambda y: (-sum(f["year"] == y for f in blue), -y))[:3]
    groups = _groups(root)
    assert [g["id"] for g in groups] == [f"group:long:{y}" for y in years]
    for group in groups:
        in_year = [f for f in blue if f["year"] == int(group["value"])]
        brands = sorted({f["brand"] for f in in_year if "brand" in f})[:2]
        sub = group["children"][0]
        assert sub["id"] == "grouplist:brand"
        assert [(g["value"], g["fields"]["count()"]) for g in sub["children"]] == \
            [(b, sum(f.get("brand") == b for f in in_year)) for b in brands]


def test_sort_and_group_on_a_mutable_attribute(clusters):
    for client in clusters:  # views start at 3 (indexing: 3 | to_long); counted adds 2 per query matched
        for word in ("red", "blue", "red"):
            _search(client, yql=f"select * from item where title contains '{word}'", ranking="counted", hits=0)
    views = {d: 3 + 2 * (2 if "red" in f["title"] else 1) for d, f in DOCS.items()}
    root = _both(clusters, yql="select * from item where true order by views desc, year asc", hits=5)
    assert [h["fields"]["views"] for h in root["children"]] == [7] * 5
    root = _both(clusters, yql="select * from item where true limit 0 | all(group(views) order(views) "
                                "each(output(count(), sum(views))))")
    counts = {v: sum(x == v for x in views.values()) for v in set(views.values())}
    assert [(int(g["value"]), g["fields"]["count()"], g["fields"]["sum(views)"]) for g in _groups(root)] == \
        [(v, counts[v], v * counts[v]) for v in sorted(counts)]


def test_bad_grouping_is_a_400(clusters):
    for text in ("all(group(brand) each(output(count()))", "all(group(title) each(output(count())))",
                 "all(group(brand) each(output(median(price))))"):
        response = clusters[0].get("/search/", params={"yql": f"select * from item where true | {text}"})
        assert response.status_code == 400, text


def test_grouping_in_the_select_parameter(clusters):
    in_yql = _both(clusters, yql="select * from item where true limit 0 | all(group(year) each(output(count())))")
    in_select = _both(clusters, yql="select * from item where true limit 0",
                      select="all(group(year) each(output(count())))")
    assert in_select == in_yql and _groups(in_select)
