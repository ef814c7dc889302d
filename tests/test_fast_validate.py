"""The fast validator (pyrudof) reports the same (focus node, path, source shape) set as pyshacl."""

from __future__ import annotations

import pytest
from generated import RECORD, generated, pyshacl_reference
from rdflib import RDF, RDFS, Graph, URIRef
from test_validate import EXPECTED, SHAPE_FIXTURES, _ontology, key

from kg import InputError, KnowledgeGraph
from kg.store import new_graph, parse_into
from kg.terms import compact
from kg.validate import ValidationReport, choose_validator

Result = tuple[str, str | None, str]


def results(report: ValidationReport) -> set[Result]:
    return {(r.focus_node, r.path, r.source_shape) for r in report.results}


def short(iri: str | None) -> str | None:
    return None if iri is None else compact(iri) or f"<{iri}>"


def test_same_results_as_pyshacl_on_the_generated_10k_violation_variant() -> None:
    graph, built_with, digest = generated(violations=True)
    recorded_for, reference = pyshacl_reference()
    assert recorded_for == digest, f"benchmarks/generate.py changed: record the references again ({RECORD})"
    report = graph.validate(method="fast")
    assert not report.conforms
    assert results(report) == reference
    assert reference == {(short(focus) or "", short(path), short(shape) or "") for focus, path, shape in built_with}


def test_the_conforming_10k_graph_conforms() -> None:
    graph, _, _ = generated(violations=False)
    report = graph.validate(method="fast")
    assert report.conforms, report.to_table()


def test_the_shipped_graph_conforms(shipped: KnowledgeGraph) -> None:
    assert shipped.validate(method="fast").conforms


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_shape_fixture_breaks_its_shape(name: str) -> None:
    """The fixtures of tests/test_validate.py, whose expected results pyshacl gives, give the same here."""
    graph = new_graph()
    graph += _ontology()
    parse_into(graph, SHAPE_FIXTURES / f"{name}.ttl")
    report = KnowledgeGraph(graph).validate(method="fast")
    assert {key(result) for result in report.results} == EXPECTED[name]


def test_auto_picks_the_fast_path_at_every_size() -> None:
    small, large = Graph(), Graph()
    for number in range(10_001):
        large.add((URIRef(f"urn:example:{number}"), RDF.type, RDFS.Resource))
    assert choose_validator(small) == "fast"
    assert choose_validator(large) == "fast"
    assert choose_validator(large, "pyshacl") == "pyshacl"
    with pytest.raises(InputError, match="unknown validator 'jena'"):
        choose_validator(small, "jena")
