"""Application packages: the default package, directory layout, services.xml, generation hash."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from searchlib.errors import SchemaError
from searchlib.schema import application
from searchlib.schema.application import application_from_text, load_application, package_files

ROOT = Path(__file__).resolve().parents[2]
DOC = "schema doc { document doc { field title type string { indexing: index | summary } } }"


def test_default_package_loads() -> None:
    app = load_application(ROOT / "schemas")
    schema = app.schemas["doc"]
    assert list(schema.fields)[:4] == ["title", "text", "path", "url"]
    for name in ("title", "text"):
        field = schema.fields[name]
        assert field.is_index and field.is_summary and field.bm25_enabled and field.match == "text"
    assert schema.fields["path"].is_attribute and schema.fields["path"].is_summary
    assert schema.fields["url"].is_summary and not schema.fields["url"].is_index
    # userQuery() searches title_text alone (with title and text too, a word's one document
    # frequency would be the sum over all three, about twice its count); title-boost's fieldset
    assert schema.index_fields("default") == ("title_text",)
    assert schema.index_fields("title_and_text") == ("title", "text")
    title_text = schema.fields["title_text"]  # synthetic: both fields as one for BM25
    assert title_text.is_index and title_text.bm25_enabled and not title_text.in_document
    assert title_text.input_fields == ("title", "text")
    profiles = schema.rank_profiles
    assert {"default", "unranked", "bm25", "bm25-title-boost"} <= set(profiles)
    assert profiles["default"].first_phase is None
    assert profiles["bm25"].first_phase.expression.text == "bm25(title_text)"
    assert profiles["bm25"].match_features == ("bm25(title_text)",)
    boost = profiles["bm25-title-boost"]
    assert boost.match_features == ("bm25(title)", "bm25(text)", "weighted_bm25")
    boost_profile = app.query_profiles["bm25-title-boost"]
    assert boost_profile.values["model.defaultIndex"] == "title_and_text"
    assert boost_profile.values["ranking.profile"] == "bm25-title-boost"
    assert boost.inputs["query(title_weight)"].default == "2.0"
    function_name = boost.first_phase.expression.text
    assert "query(title_weight)" in boost.functions[function_name].expression.text
    assert [f.name for f in schema.summaries["default"].fields] == [
        "sddocname", "documentid", "title", "text", "path", "url"]
    assert app.content.id == "content" and app.content.document_types == ("doc",)
    assert len(app.generation) == 64


def _write_package(root: Path) -> None:
    (root / "schemas" / "doc").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "models" / "tokenizer.json").write_text("{}")
    (root / "schemas" / "doc.sd").write_text(
        DOC[:-1] + " rank-profile base { first-phase { expression: file:base_first } } }")
    (root / "schemas" / "base_first.expression").write_text("\n  bm25(title) * 2\n")
    (root / "schemas" / "doc" / "extra.profile").write_text(
        "rank-profile extra inherits base {\n  second-phase { expression: nativeRank(title) }\n}\n")
    (root / "services.xml").write_text("""<services version="1.0">
  <container id="default" version="1.0">
    <component id="tokenizer" type="hugging-face-tokenizer"><model path="models/tokenizer.json"/></component>
  </container>
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes count="3"/>
  </content>
</services>""")


def test_directory_package_with_profile_files_expression_files_and_models(tmp_path: Path) -> None:
    _write_package(tmp_path)
    app = load_application(tmp_path)
    profiles = app.schemas["doc"].rank_profiles
    assert profiles["base"].first_phase.expression.text == "bm25(title) * 2"
    assert profiles["base"].first_phase.expression.location.file.endswith("base_first.expression")
    assert profiles["extra"].inherits == ("base",)
    assert profiles["extra"].first_phase.expression.text == "bm25(title) * 2"
    assert [n.distribution_key for n in app.content.nodes] == [0, 1, 2] and app.content.groups == (0,)
    assert app.components["tokenizer"].config["model"] == "models/tokenizer.json"
    assert app.path == str(tmp_path)


def test_generation_covers_every_file_of_the_package(tmp_path: Path) -> None:
    _write_package(tmp_path)
    first = load_application(tmp_path).generation
    assert load_application(tmp_path).generation == first
    generations = {first}
    # models/ too: the nodes load tree models and the container ONNX models and tokenizers from it
    (tmp_path / "models" / "tokenizer.json").write_text('{"changed": true}')
    generations.add(load_application(tmp_path).generation)
    (tmp_path / "models" / "m.json").write_text("[]")
    generations.add(load_application(tmp_path).generation)
    services = (tmp_path / "services.xml").read_text()
    (tmp_path / "services.xml").write_text(services + "\n<!-- changed -->\n")
    generations.add(load_application(tmp_path).generation)
    assert len(generations) == 4
    (tmp_path / ".notes").write_text("hidden files are not read")  # nor listed
    (tmp_path / "schemas" / "__pycache__").mkdir()
    (tmp_path / "schemas" / "__pycache__" / "x.pyc").write_bytes(b"x")
    assert load_application(tmp_path).generation in generations


def test_generation_covers_the_engine_version(tmp_path: Path, monkeypatch) -> None:
    _write_package(tmp_path)
    first = load_application(tmp_path).generation
    monkeypatch.setattr(application, "engine_version", lambda: "99.0.0")
    assert load_application(tmp_path).generation != first


def test_a_linked_models_folder_is_part_of_the_package(tmp_path: Path) -> None:
    package = tmp_path / "package"
    _write_package(package)
    shutil.move(package / "models", tmp_path / "models")
    (package / "models").symlink_to(tmp_path / "models")
    assert "models/tokenizer.json" in package_files(package)
    linked = load_application(package).generation
    (tmp_path / "models" / "tokenizer.json").write_text('{"changed": true}')
    assert load_application(package).generation != linked


def test_errors_in_files_name_the_file(tmp_path: Path) -> None:
    _write_package(tmp_path)
    (tmp_path / "schemas" / "doc" / "extra.profile").write_text("rank-profile extra {\n  bogus: 1\n}\n")
    with pytest.raises(SchemaError) as raised:
        load_application(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path / 'schemas' / 'doc' / 'extra.profile'}:2:3: unknown element 'bogus'")


def test_schema_name_must_match_its_file(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "other.sd").write_text(DOC)
    with pytest.raises(SchemaError, match=r"other\.sd:1:8: schema 'doc' must be in a file named doc\.sd"):
        load_application(tmp_path)


def test_text_package_without_services_gets_one_node() -> None:
    app = application_from_text(DOC, name="doc.sd")
    assert app.content.document_types == ("doc",) and len(app.content.nodes) == 1
    assert app.generation != application_from_text(DOC.replace("summary", "summary | attribute"),
                                                   name="doc.sd").generation


def _services(content_inner: str, container: str = "") -> str:
    return f"""<services version="1.0">
  <container id="default" version="1.0">{container}</container>
  <content id="music" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
{content_inner}
  </content>
</services>"""


def test_flat_node_list() -> None:
    services = _services("""    <redundancy>2</redundancy>
    <nodes>
      <node hostalias="node0" distribution-key="0"/>
      <node hostalias="node1" distribution-key="1"/>
    </nodes>
    <engine><proton><tuning><searchnode><requestthreads><persearch>4</persearch></requestthreads></searchnode></tuning></proton></engine>
    <tuning><dispatch><dispatch-policy>round-robin</dispatch-policy><top-k-probability>0.99</top-k-probability></dispatch></tuning>""")
    content = application_from_text(DOC, services_xml=services, name="doc.sd").content
    assert [(n.distribution_key, n.group, n.hostalias) for n in content.nodes] == [(0, 0, "node0"), (1, 0, "node1")]
    assert content.redundancy == 2 and content.groups == (0,) and content.threads_per_search == 4
    assert content.dispatch_policy == "round-robin" and content.top_k_probability == 0.99


def test_grouped_distribution() -> None:
    services = _services("""    <min-redundancy>2</min-redundancy>
    <group>
      <distribution partitions="1|*"/>
      <group name="group0" distribution-key="0">
        <node hostalias="node0" distribution-key="0"/>
        <node hostalias="node1" distribution-key="1"/>
      </group>
      <group name="group1" distribution-key="1">
        <node hostalias="node2" distribution-key="2"/>
        <node hostalias="node3" distribution-key="3"/>
      </group>
    </group>""")
    content = application_from_text(DOC, services_xml=services, name="doc.sd").content
    assert content.groups == (0, 1) and content.redundancy == 2
    assert [(n.distribution_key, n.group) for n in content.nodes] == [(0, 0), (1, 0), (2, 1), (3, 1)]
    assert dict(content.group_names) == {0: "group0", 1: "group1"}


def test_nodes_count_with_groups() -> None:
    services = _services('    <nodes count="4" groups="2"/>')
    content = application_from_text(DOC, services_xml=services, name="doc.sd").content
    assert [(n.distribution_key, n.group) for n in content.nodes] == [(0, 0), (1, 0), (2, 1), (3, 1)]


def test_components_are_flattened_to_string_maps() -> None:
    container = """
    <component id="e5" type="hugging-face-embedder">
      <transformer-model path="models/e5.onnx"/>
      <tokenizer-model url="https://example.invalid/tokenizer.json"/>
      <max-tokens>512</max-tokens>
      <pooling-strategy>mean</pooling-strategy>
      <normalize>true</normalize>
      <prepend><query>query: </query><document>passage: </document></prepend>
    </component>
    <component id="tok" type="hugging-face-tokenizer">
      <model path="models/tokenizer.json"/>
      <model language="de" path="models/de.json"/>
    </component>"""
    app = application_from_text(DOC, services_xml=_services('    <nodes count="1"/>', container), name="doc.sd")
    e5 = app.components["e5"]
    assert e5.type == "hugging-face-embedder"
    assert dict(e5.config) == {
        "transformer-model": "models/e5.onnx", "tokenizer-model": "https://example.invalid/tokenizer.json",
        "max-tokens": "512", "pooling-strategy": "mean", "normalize": "true",
        "prepend.query": "query:", "prepend.document": "passage:"}
    assert dict(app.components["tok"].config) == {"model": "models/tokenizer.json", "model.de": "models/de.json"}


@pytest.mark.parametrize("services, line, message", [
    (_services('    <nodes count="two"/>'), 5, "<nodes count> must be an integer"),
    (_services('    <nodes><node distribution-key="0"/>\n    <node distribution-key="0"/></nodes>'), 6,
     "duplicate node distribution-key 0"),
    (_services('    <group><group name="g" distribution-key="0"></group></group>'), 5, "group 'g' has no <node>"),
    (_services('    <nodes count="1"/>', '\n    <component id="x"/>'), 3, "not supported: component 'x' (x)"),
    (_services('    <nodes count="3" groups="2"/>'), 5, "count must be a multiple of groups"),
    (_services('    <nodes count="1"/>').replace('type="doc"', 'type="music"'), 4, "no schema defines it"),
    (_services('    <nodes count="1">'), 6, "not well-formed"),  # at </content>
    (_services('    <redundancy>0</redundancy>'), 5, "<redundancy> must be at least 1"),
    (_services('    <nodes count="1"/>').replace('mode="index"', 'mode="fast"'), 4, "unknown mode 'fast'"),
])
def test_services_errors_are_located(services: str, line: int, message: str) -> None:
    with pytest.raises(SchemaError) as raised:
        application_from_text(DOC, services_xml=services, name="doc.sd")
    assert message in raised.value.message
    assert raised.value.location.file == "services.xml" and raised.value.location.line == line
    assert str(raised.value).startswith(f"services.xml:{line}:")


OTHER = "schema other { document other { field title type string { indexing: index | summary } } }"


def _two_clusters(second_type: str = "other", second_id: str = "books") -> str:
    return f"""<services version="1.0">
  <content id="music" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
  </content>
  <content id="{second_id}" version="1.0">
    <documents><document type="{second_type}" mode="index"/></documents>
    <nodes><node distribution-key="0"/><node distribution-key="1"/></nodes>
  </content>
</services>"""


def _two_schema_app(services: str):
    return application.application_from_sources(
        {"schemas/doc.sd": DOC, "schemas/other.sd": OTHER, "services.xml": services})


def test_several_content_clusters_each_with_their_types_and_nodes() -> None:
    app = _two_schema_app(_two_clusters())
    assert [(c.id, c.document_types, len(c.nodes)) for c in app.clusters] == [
        ("music", ("doc",), 1), ("books", ("other",), 2)]
    assert app.content.id == "music" and app.cluster_holding("other").id == "books"
    view = app.cluster_view("books")
    assert set(view.schemas) == {"other"} and view.content.id == "books" and view.clusters == (view.content,)
    assert view.generation == app.generation  # nodes and container still agree on the package
    with pytest.raises(ValueError, match="no content cluster 'nope'"):
        app.cluster_view("nope")


@pytest.mark.parametrize("services, message", [
    (_two_clusters(second_type="doc"), "document type 'doc' is in content clusters 'music' and 'books'"),
    (_two_clusters(second_id="music"), "duplicate content cluster id 'music'"),
])
def test_several_content_clusters_errors_are_located(services: str, message: str) -> None:
    with pytest.raises(SchemaError) as raised:
        _two_schema_app(services)
    assert message in raised.value.message and raised.value.location.line == 6


def test_streaming_mode_is_recorded_per_document_type() -> None:
    services = _services('    <nodes count="1"/>').replace('mode="index"', 'mode="streaming"')
    assert application_from_text(DOC, services_xml=services, name="doc.sd").content.streaming_types == ("doc",)
    assert application_from_text(DOC, services_xml=_services('    <nodes count="1"/>'),
                                 name="doc.sd").content.streaming_types == ()


def test_derive_mode_types_file_constants_by_declaration_without_reading_them(tmp_path: Path) -> None:
    """As Vespa's config derivation: a `file:` constant's file is read only when the package is to
    run; `phasedsearch validate`/`up` load without derive_only and refuse the missing file, located."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "c.sd").write_text(
        "schema c {\n  document c {\n    field x type int { indexing: attribute }\n  }\n"
        "  rank-profile p {\n    constants {\n      w tensor(d[2]): file:files/w.json\n    }\n"
        "    first-phase { expression: sum(constant(w)) * attribute(x) }\n  }\n}\n")
    derived = load_application(tmp_path, derive_only=True)
    assert derived.schemas["c"].rank_profiles["p"].constants
    with pytest.raises(SchemaError, match="cannot read") as raised:
        load_application(tmp_path)
    assert (raised.value.location.line, raised.value.location.file.endswith("c.sd")) == (7, True)
    assert "rank-profile 'p'" in str(raised.value)  # the profile's own constant
    assert "add the file at 'files/w.json' in the application package, or give the constant its value " \
           "inline" in str(raised.value)  # the refusal names the fix


def test_a_missing_schema_level_constant_file_is_the_schemas_not_a_profiles(tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "c.sd").write_text(
        "schema c {\n  document c {\n    field x type int { indexing: attribute }\n  }\n"
        "  constant w {\n    file: files/w.json\n    type: tensor(d[2])\n  }\n"
        "  rank-profile p {\n    first-phase { expression: sum(constant(w)) * attribute(x) }\n  }\n}\n")
    with pytest.raises(SchemaError) as raised:
        load_application(tmp_path)
    message = str(raised.value)
    assert "schema 'c': constant" in message and "rank-profile" not in message
    assert raised.value.location.line == 5
