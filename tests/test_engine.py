"""Query engines: every stored query gives the same rows, in the same order, on Oxigraph and on rdflib's engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from generated import RECORD, SEED, SIZE, generated, generator, query_digest, rdflib_rows_reference
from rdflib import Graph, Literal, URIRef
from recorded import digest, graph_digest, replayed, versions

from kg import KnowledgeGraph, stored_queries, stored_query
from kg.engine import OxigraphEngine, run_with_rdflib
from kg.prefixes import PREFIXES
from kg.terms import ENTITY, NKG

QUERY_NAMES = [query.name for query in stored_queries()]


@pytest.fixture(scope="module")
def shipped_union(shipped: KnowledgeGraph) -> tuple[Graph, str]:
    """The shipped graph's asserted and inferred triples as one rdflib graph, and their digest."""
    union = shipped.graph()
    return union, graph_digest(union)


def rdflib_rows(union: tuple[Graph, str], name: str, bindings: Mapping[str, object]) -> dict[str, Any]:
    """A stored query's variables and rows (terms as N3) on rdflib's engine: the answer recorded for exactly this
    graph, query text, bindings and rdflib is replayed (the fifteen queries take seven seconds of CPU), else live."""
    graph, graph_key = union
    sparql = stored_query(name).sparql

    def live() -> dict[str, Any]:
        result = run_with_rdflib(graph, sparql, bindings, f"queries/{name}.rq")  # type: ignore[arg-type]
        rows = [[None if term is None else term.n3() for term in row] for row in result.rows]
        return {"variables": list(result.variables), "rows": rows}

    arguments = repr(sorted((name, str(term)) for name, term in bindings.items()))
    key = digest(versions(), repr(sorted(PREFIXES.items())), sparql, arguments, graph_key)
    answer: dict[str, Any] = replayed("rdflib-sparql", key, live)
    return answer


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_stored_query_gives_the_same_rows_on_both_engines(
    shipped: KnowledgeGraph, shipped_union: tuple[Graph, str], name: str
) -> None:
    params = {p.name: p.example or "" for p in stored_query(name).parameters}
    on_oxigraph = shipped.query(name, **params)
    on_rdflib = rdflib_rows(shipped_union, name, shipped.bindings(stored_query(name), params))
    assert list(on_oxigraph.variables) == on_rdflib["variables"]
    assert len(on_oxigraph.rows) > 0
    assert [[None if term is None else term.n3() for term in row] for row in on_oxigraph.rows] == on_rdflib["rows"]


def test_stored_queries_give_the_same_rows_on_the_generated_graph() -> None:
    """Oxigraph's rows on the reasoned 10k graph are rdflib's, recorded by benchmarks/references.py (rdflib's engine
    takes half a minute for the fifteen queries there)."""
    graph, _, digest = generated(violations=False)
    graph.reason(cache=False)
    parameters = generator().generate(SIZE, seed=SEED).parameters
    assert set(parameters) == set(QUERY_NAMES), "benchmarks/generate.py needs parameters for every stored query"
    recorded_digest, recorded = rdflib_rows_reference()
    assert recorded_digest == digest, f"the generated graph changed: record the references again ({RECORD})"
    for name in QUERY_NAMES:
        reference = recorded[name]
        assert reference["query_sha256"] == query_digest(stored_query(name).sparql), f"{name} changed: {RECORD}"
        on_oxigraph = graph.query(name, **parameters[name])
        assert len(on_oxigraph.rows) > 0, name
        assert list(on_oxigraph.variables) == reference["variables"], name
        rows = [[None if term is None else term.n3() for term in row] for row in on_oxigraph.rows]
        assert rows == reference["rows"], name


def test_oxigraph_stores_derived_integer_types_as_xsd_integer() -> None:
    """Why evidence.rq casts offsets: Oxigraph keeps the value of an xsd:nonNegativeInteger, not its datatype."""
    graph = KnowledgeGraph.load(packaged=False)
    offset = Literal("7", datatype=URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger"))
    graph.asserted.add((ENTITY.fish, NKG.start, offset))
    [[value]] = OxigraphEngine(graph.asserted).run("SELECT ?o WHERE { ?s ?p ?o }", {}, "test").rows
    assert value == Literal(7)
    assert value.datatype == URIRef("http://www.w3.org/2001/XMLSchema#integer")


def test_bound_values_are_written_where_oxigraph_plans_from_them() -> None:
    """Oxigraph plans without looking at substitutions: a bound value is also written in a leading VALUES block
    (`causes` from a hub's subtype at 1M: 280 s with substitutions alone, 3 s with the block)."""
    import pyoxigraph as ox

    from kg.engine import planned

    text, substitutions = planned("SELECT ?x WHERE { ?x ?p ?condition }", {"condition": ENTITY["x"]})
    assert text == f"SELECT ?x WHERE {{ VALUES (?condition) {{ (<{ENTITY['x']}>) }} ?x ?p ?condition }}"
    assert substitutions == {ox.Variable("condition"): ox.NamedNode(str(ENTITY["x"]))}
    blank = ox.BlankNode("b")
    assert planned("SELECT ?x WHERE { ?x ?p ?o }", {"o": blank}) == (
        "SELECT ?x WHERE { ?x ?p ?o }",
        {ox.Variable("o"): blank},
    )


def test_a_query_that_binds_a_bound_variable_still_runs_with_the_value_substituted() -> None:
    """The VALUES block would make `BIND(… AS ?x)` invalid when `x` is bound: such a query runs as it did before
    the block, with Oxigraph's substitution (which gives no row, `x` being bound to another value)."""
    engine = OxigraphEngine.from_ntriples(b'<http://example.org/a> <http://example.org/p> "1" .\n')
    sparql = "SELECT ?x WHERE { BIND(1 AS ?x) }"
    assert engine.run(sparql, {}, "test").rows == ((Literal(1),),)
    assert engine.run(sparql, {"x": Literal(2)}, "test").rows == ()
