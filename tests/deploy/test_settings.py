"""Defaults: data dir, container URL and topology from the application package."""
import json

from deploy import settings
from deploy.local_cluster import STATE_VERSION


def test_data_dir_comes_from_the_environment_else_home(monkeypatch, tmp_path):
    monkeypatch.setenv("PHASEDSEARCH_HOME", str(tmp_path / "x"))
    assert settings.default_data_dir() == tmp_path / "x"
    monkeypatch.delenv("PHASEDSEARCH_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert settings.default_data_dir() == tmp_path / ".phasedsearch"


def test_url_prefers_environment_then_the_recorded_cluster_then_8080(monkeypatch, tmp_path):
    monkeypatch.setenv("PHASEDSEARCH_HOME", str(tmp_path))
    monkeypatch.setenv("PHASEDSEARCH_URL", "http://search.example:9000/")
    assert settings.default_url() == "http://search.example:9000"
    monkeypatch.delenv("PHASEDSEARCH_URL")
    assert settings.default_url() == "http://127.0.0.1:8080"
    (tmp_path / "cluster.json").write_text(json.dumps({
        "version": STATE_VERSION, "app": "/a", "groups": 1, "container": {"port": 18123, "pid": None},
        "content_nodes": []}))
    assert settings.default_url() == "http://127.0.0.1:18123"


def test_topology_of_the_default_package_and_of_a_grouped_one(tmp_path):
    assert settings.default_app_dir().joinpath("services.xml").is_file()
    assert settings.app_topology(settings.default_app_dir()) == (2, 1)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "doc.sd").write_text(
        "schema doc { document doc { field title type string { indexing: index | summary } } }")
    (tmp_path / "services.xml").write_text(
        '<services version="1.0"><content id="c" version="1.0"><redundancy>1</redundancy>'
        '<documents><document type="doc" mode="index"/></documents>'
        '<nodes count="4" groups="2"/></content></services>')
    assert settings.app_topology(tmp_path) == (4, 2)
    assert settings.app_topology(tmp_path / "missing") is None
