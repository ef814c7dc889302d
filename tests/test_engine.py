"""Query engines: every stored query gives the same rows, in the same order, on Oxigraph and on rdflib's engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from generated import SEED, SIZE, generated, generator
from rdflib import Literal, URIRef
from recorded import digest, lines_key, replayed, versions

from kg import KnowledgeGraph, stored_queries, stored_query
from kg.engine import OxigraphEngine, run_with_rdflib
from kg.prefixes import PREFIXES
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH
from kg.terms import ENTITY, NKG

QUERY_NAMES = [query.name for query in stored_queries()]


def reasoned_key(graph: KnowledgeGraph) -> str:
    """The digest of a reasoned graph's asserted and inferred triples, as kg holds them."""
    return digest(lines_key(graph.ntriples(ASSERTED_GRAPH)), lines_key(graph.ntriples(INFERRED_GRAPH)))


def rdflib_rows(graph: KnowledgeGraph, graph_key: str, name: str, bindings: Mapping[str, object]) -> dict[str, Any]:
    """A stored query's variables and rows (terms as N3) on rdflib's engine over the graph's asserted and inferred
    triples: the answer recorded for exactly those triples, query text, bindings and rdflib is replayed (the
    fifteen queries take seven seconds of CPU on the shipped graph, half a minute on the 10k one), else live."""
    sparql = stored_query(name).sparql

    def live() -> dict[str, Any]:
        result = run_with_rdflib(graph.graph(), sparql, bindings, f"queries/{name}.rq")  # type: ignore[arg-type]
        rows = [[None if term is None else term.n3() for term in row] for row in result.rows]
        return {"variables": list(result.variables), "rows": rows}

    arguments = repr(sorted((name, str(term)) for name, term in bindings.items()))
    key = digest(versions(), repr(sorted(PREFIXES.items())), sparql, arguments, graph_key)
    answer: dict[str, Any] = replayed("rdflib-sparql", key, live)
    return answer


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_stored_query_gives_the_same_rows_on_both_engines(shipped: KnowledgeGraph, name: str) -> None:
    params = {p.name: p.example or "" for p in stored_query(name).parameters}
    on_oxigraph = shipped.query(name, **params)
    on_rdflib = rdflib_rows(shipped, reasoned_key(shipped), name, shipped.bindings(stored_query(name), params))
    assert list(on_oxigraph.variables) == on_rdflib["variables"]
    assert len(on_oxigraph.rows) > 0
    assert [[None if term is None else term.n3() for term in row] for row in on_oxigraph.rows] == on_rdflib["rows"]


def test_stored_queries_give_the_same_rows_on_the_generated_graph() -> None:
    """Oxigraph's rows on the reasoned 10k graph are rdflib's (recorded: see rdflib_rows)."""
    graph, _, _ = generated(violations=False)
    graph.reason(cache=False)
    parameters = generator().generate(SIZE, seed=SEED).parameters
    assert set(parameters) == set(QUERY_NAMES), "benchmarks/generate.py needs parameters for every stored query"
    graph_key = reasoned_key(graph)
    for name in QUERY_NAMES:
        reference = rdflib_rows(graph, graph_key, name, graph.bindings(stored_query(name), parameters[name]))
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
