"""The recorded answers of the reference engines (tests/recorded.py) are replayed only for exactly their input; graphs
are compared exactly (tests/shared_graphs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import recorded
from rdflib import RDF, BNode, Graph, Namespace
from shared_graphs import assert_isomorphic

from kg.reason import entail

TURTLE = """@prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:A rdfs:subClassOf [ rdfs:subClassOf ex:B ] .
ex:a a ex:A ; rdfs:comment \"\"\"two
lines\"\"\" .
"""
EX = Namespace("http://example.org/")


def test_the_digest_of_a_graph_ignores_blank_node_labels_and_sees_every_triple() -> None:
    first, again = Graph().parse(data=TURTLE, format="turtle"), Graph().parse(data=TURTLE, format="turtle")
    assert set(first.subjects()) != set(again.subjects())  # the blank node has another label
    assert recorded.graph_digest(first) == recorded.graph_digest(again)
    changed = Graph().parse(data=TURTLE.replace("lines", "lines!"), format="turtle")
    assert recorded.graph_digest(changed) != recorded.graph_digest(first)
    fewer = Graph().parse(data=TURTLE.replace("ex:a a ex:A ;", "ex:a"), format="turtle")
    assert recorded.graph_digest(fewer) != recorded.graph_digest(first)


def test_an_answer_is_replayed_for_its_key_and_computed_live_for_any_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorded, "RECORDED", tmp_path)
    monkeypatch.setenv(recorded.RECORDING, "1")
    assert recorded.replayed("engine", "k1", lambda: {"answer": [1, 2]}) == {"answer": [1, 2]}
    assert recorded.replayed("engine", "k1", lambda: pytest.fail("not replayed")) == {"answer": [1, 2]}
    assert recorded.replayed("engine", "k2", lambda: "live") == "live"
    monkeypatch.delenv(recorded.RECORDING)
    assert recorded.replayed("engine", "k3", lambda: "live") == "live"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["engine-k1.json.gz", "engine-k2.json.gz"]


def test_owlrl_replayed_gives_what_owlrl_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorded, "RECORDED", tmp_path)
    monkeypatch.setenv(recorded.RECORDING, "1")
    graph = Graph().parse(data=TURTLE, format="turtle")
    live = set(entail(graph, "owlrl"))
    assert (EX.a, RDF.type, EX.B) in live  # through the blank node
    with recorded.owlrl_recorded():
        assert set(entail(graph, "owlrl")) == live  # recorded now
        assert set(entail(graph, "owlrl")) == live  # replayed
    [answer] = tmp_path.iterdir()
    assert answer.name.startswith("owlrl-")


def _cycles(lengths: list[int]) -> Graph:
    """Blank nodes in directed cycles of these lengths: every node looks alike to colour refinement."""
    graph = Graph()
    for length in lengths:
        nodes = [BNode() for _ in range(length)]
        for here, there in zip(nodes, nodes[1:] + nodes[:1], strict=True):
            graph.add((here, EX.next, there))
    return graph


def test_graphs_are_compared_up_to_blank_node_labels_exactly() -> None:
    first, again = Graph().parse(data=TURTLE, format="turtle"), Graph().parse(data=TURTLE, format="turtle")
    assert_isomorphic(first, again)
    with pytest.raises(AssertionError, match="the graphs differ"):
        assert_isomorphic(first, Graph().parse(data=TURTLE.replace("ex:B", "ex:C"), format="turtle"))
    assert_isomorphic(_cycles([3, 3]), _cycles([3, 3]))  # colours shared: rdflib decides
    with pytest.raises(AssertionError, match="the graphs differ"):
        assert_isomorphic(_cycles([3, 3]), _cycles([6]))  # the same colours, yet not the same graph
