"""The causal-network drawing: the SVG has the entities as nodes and the stated links as labelled, styled edges."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from kg import KnowledgeGraph, ParameterError, cli
from kg.diagram import causal_network, diagram, graphviz_program, network_edges
from kg.errors import InputError
from kg.terms import compact

SVG = "{http://www.w3.org/2000/svg}"
README_DIAGRAM = Path(__file__).parent.parent / "docs" / "causal-network.svg"


@pytest.fixture(scope="session")
def graphviz() -> None:
    if graphviz_program() is None:
        pytest.fail("Graphviz is required for the diagram tests: pip install -e '.[test]' installs graphviz-pure")


def drawing(svg: bytes) -> tuple[set[str], dict[str, list[str]], dict[str, str]]:
    """Node names, edge labels by 'source->target', and edge colours by 'source->target' of an SVG."""
    root = ElementTree.fromstring(svg)
    nodes, labels, colours = set(), {}, {}
    for group in root.iter(f"{SVG}g"):
        title = group.findtext(f"{SVG}title") or ""
        kind = group.get("class", "").split()
        if "node" in kind:
            nodes.add(title)
        elif "edge" in kind:
            labels[title] = [text.text or "" for text in group.iter(f"{SVG}text")]
            path = group.find(f"{SVG}path")
            colours[title] = path.get("stroke", "") if path is not None else ""
    return nodes, labels, colours


@pytest.fixture(scope="module")
def whole(shipped: KnowledgeGraph, graphviz: None) -> bytes:
    return diagram(shipped)


def test_the_whole_network_shows_the_chain_from_diet_to_symptom(whole: bytes) -> None:
    nodes, labels, _colours = drawing(whole)
    for entity in ("strict-vegetarian-diet", "vitamin-b12-deficiency", "peripheral-neuropathy", "tingling"):
        assert f"entity:{entity}" in nodes
    assert labels["entity:strict-vegetarian-diet->entity:vitamin-b12-deficiency"][0] == "causes"
    assert labels["entity:vitamin-b12-deficiency->entity:peripheral-neuropathy"] == ["causes", "(possible)"]
    assert labels["entity:increased-b12-intake->entity:vitamin-b12-deficiency"] == ["treats"]


def test_every_stated_link_between_entities_is_an_edge(shipped: KnowledgeGraph, whole: bytes) -> None:
    _nodes, labels, _colours = drawing(whole)
    expected = {f"{compact(edge.source)}->{compact(edge.target)}" for edge in network_edges(shipped.asserted)}
    assert {title for title in labels if title.startswith("entity:")} == expected
    assert len(expected) > 80


@pytest.mark.parametrize(
    ("edge", "colour"),
    [
        ("entity:strict-vegetarian-diet->entity:vitamin-b12-deficiency", "#b2182b"),  # causes
        ("entity:peripheral-neuropathy->entity:neuropathic-pain", "#d06a00"),  # has symptom
        ("entity:increased-b12-intake->entity:vitamin-b12-deficiency", "#1b7837"),  # treats
        ("entity:strict-vegetarian-diet->entity:fish", "#2166ac"),  # excludes
        ("entity:carpal-tunnel-syndrome->entity:mononeuropathy", "#555555"),  # subtype of
        ("entity:carpal-tunnel-syndrome->entity:wrist-nerves", "#762a83"),  # affects
    ],
)
def test_edges_are_coloured_by_kind(whole: bytes, edge: str, colour: str) -> None:
    _nodes, _labels, colours = drawing(whole)
    assert colours[edge] == colour


def test_the_legend_names_every_kind_drawn(whole: bytes) -> None:
    _nodes, labels, _colours = drawing(whole)
    legend = {text for title, texts in labels.items() if title.startswith("legend") for text in texts}
    assert {"causes or raises the risk of", "manifests as", "treats or acts on", "diet and nutrients"} <= legend


def test_a_focused_drawing_keeps_the_surroundings_only(shipped: KnowledgeGraph, graphviz: None) -> None:
    nodes, labels, _colours = drawing(diagram(shipped, focus="vitamin B12 deficiency"))
    assert {"entity:vitamin-b12-deficiency", "entity:gastritis", "entity:peripheral-neuropathy"} <= nodes
    assert "entity:carpal-tunnel-syndrome" not in nodes
    assert "entity:crohns-disease->entity:vitamin-b12-deficiency" in labels


def test_the_focus_may_be_a_label_a_curie_or_an_iri(shipped: KnowledgeGraph) -> None:
    by_label = causal_network(shipped, focus="B12 deficiency")
    assert causal_network(shipped, focus="entity:vitamin-b12-deficiency") == by_label
    assert causal_network(shipped, focus="https://w3id.org/neuropathy-kg/entity/vitamin-b12-deficiency") == by_label
    assert 'penwidth="3"' in by_label


def test_an_unknown_focus_is_a_parameter_error(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="names nothing"):
        causal_network(shipped, focus="no such entity")


def test_depth_must_be_positive(shipped: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="--depth"):
        causal_network(shipped, focus="tingling", depth=0)


def test_the_dot_source_needs_no_graphviz(shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    assert diagram(shipped, output_format="dot").startswith(b"digraph causal_network {")


def test_missing_graphviz_is_a_clear_error(shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None)
    with pytest.raises(InputError, match="apt-get install graphviz"):
        diagram(shipped, output_format="svg")


def test_graphviz_pure_lays_out_when_dot_is_not_on_path(
    shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kg.diagram.GRAPHVIZ_PROGRAMS", ("graphviz-pure",))
    program = graphviz_program()
    assert program is not None, "pip install -e '.[test]' installs graphviz-pure"
    assert Path(program).name == "graphviz-pure"
    nodes, labels, _colours = drawing(diagram(shipped, focus="tingling", depth=1))
    assert "entity:tingling" in nodes
    assert labels["entity:sensory-fibre-damage->entity:tingling"] == ["has symptom"]


def test_unknown_format_is_an_input_error(shipped: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="svg, png, dot"):
        diagram(shipped, output_format="gif")


def test_kg_diagram_writes_a_png(
    shipped: KnowledgeGraph, graphviz: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "_graph", lambda args: shipped)
    target = tmp_path / "tingling.png"
    assert cli.main(["diagram", "--focus", "tingling", "--depth", "1", "--format", "png", "-o", str(target)]) == 0
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_the_readme_diagram_shows_every_entity_of_the_network(shipped: KnowledgeGraph) -> None:
    nodes, _labels, _colours = drawing(README_DIAGRAM.read_bytes())
    expected = {edge.source.n3() for edge in network_edges(shipped.asserted)}
    expected |= {edge.target.n3() for edge in network_edges(shipped.asserted)}
    wanted = {"entity:" + iri.strip("<>").rsplit("/", 1)[1] for iri in expected}
    assert wanted <= nodes, "regenerate it: kg diagram -o docs/causal-network.svg"
