"""Exports: standard formats, byte-identical Turtle, parsed to the same graph by rdflib and by Oxigraph."""

from __future__ import annotations

import io
import json

import pyoxigraph
import pytest
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic

from kg import InputError, KnowledgeGraph
from kg.terms import GRAPH


def test_turtle_is_byte_identical_across_runs() -> None:
    first = KnowledgeGraph.load().export("turtle")
    second = KnowledgeGraph.load().export("turtle")
    assert first == second


def test_turtle_parses_to_the_same_graph_in_rdflib_and_oxigraph(shipped: KnowledgeGraph) -> None:
    data = shipped.export("turtle")
    with_rdflib = Graph().parse(data=data.decode("utf-8"), format="turtle")
    assert isomorphic(with_rdflib, shipped.asserted)
    triples = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE)
    ntriples = "".join(f"{quad.subject} {quad.predicate} {quad.object} .\n" for quad in triples)
    with_oxigraph = Graph().parse(data=ntriples, format="nt")
    assert isomorphic(with_oxigraph, with_rdflib)


@pytest.mark.parametrize(("name", "rdflib_format"), [("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")])
def test_other_formats_round_trip(shipped: KnowledgeGraph, name: str, rdflib_format: str) -> None:
    data = shipped.export(name)
    assert isomorphic(Graph().parse(data=data.decode("utf-8"), format=rdflib_format), shipped.asserted)


def test_inferred_export_adds_the_inferred_triples(shipped: KnowledgeGraph) -> None:
    data = shipped.export("ntriples", inferred=True)
    assert len(data.splitlines()) == len(shipped.asserted) + len(shipped.inferred)


def test_trig_keeps_asserted_and_inferred_in_named_graphs(shipped: KnowledgeGraph) -> None:
    dataset = Dataset()
    dataset.parse(data=shipped.export("trig", inferred=True).decode("utf-8"), format="trig")
    assert len(dataset.graph(GRAPH.asserted)) == len(shipped.asserted)
    assert len(dataset.graph(GRAPH.inferred)) == len(shipped.inferred)


def test_jsonld_is_json(shipped: KnowledgeGraph) -> None:
    assert isinstance(json.load(io.BytesIO(shipped.export("jsonld"))), list | dict)


def test_unknown_format_is_an_input_error(shipped: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="unknown export format"):
        shipped.export("yaml")
