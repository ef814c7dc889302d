"""SPARQL engines behind KnowledgeGraph.query: Oxigraph (default, native speed) and rdflib (the reference)."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

from kg.errors import QueryError
from kg.export import canonical_ntriples
from kg.results import QueryResult
from kg.store import new_graph
from kg.terms import PREFIXES

__all__ = ["ENGINES", "OxigraphEngine", "check_read_only", "run_with_rdflib"]

ENGINES = ("oxigraph", "rdflib")


def check_read_only(sparql: str, origin: str) -> None:
    """Refuse updates and SERVICE: a query must neither change the graph nor make this process fetch URLs."""
    try:
        prepared = prepareQuery(sparql, initNs=PREFIXES)
    except Exception as error:
        raise QueryError(f"{origin}: not a valid SPARQL query: {_first_line(error)}") from None
    if "ServiceGraphPattern" in repr(prepared.algebra):
        raise QueryError(f"{origin}: SERVICE (federated query) is refused: it would make this process fetch URLs")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class OxigraphEngine:
    """An in-memory Oxigraph store holding a copy of an rdflib graph."""

    def __init__(self, graph: Graph) -> None:
        self._store = ox.Store()
        data = canonical_ntriples(graph)
        if data:
            self._store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)

    def run(self, sparql: str, bindings: Mapping[str, Node], origin: str) -> QueryResult:
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): _to_oxigraph(term) for name, term in bindings.items()
        }
        try:
            answer = self._store.query(sparql, prefixes=PREFIXES, substitutions=substitutions)
        except (SyntaxError, ValueError, OSError) as error:
            raise QueryError(f"{origin}: query failed: {_first_line(error)}") from None
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(variables=(), rows=(), boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            graph = new_graph()
            for triple in answer:
                graph.add((_to_rdflib(triple.subject), _to_rdflib(triple.predicate), _to_rdflib(triple.object)))
            return QueryResult(variables=(), rows=(), graph=graph)
        variables = tuple(variable.value for variable in answer.variables)
        rows = tuple(
            tuple(None if solution[v] is None else _to_rdflib(solution[v]) for v in variables) for solution in answer
        )
        return QueryResult(variables=variables, rows=rows)


def run_with_rdflib(graph: Graph, sparql: str, bindings: Mapping[str, Node], origin: str) -> QueryResult:
    """The same query on rdflib's own engine: slow, but the reference the Oxigraph results are checked against."""
    try:
        result = graph.query(sparql, initNs=PREFIXES, initBindings=dict(bindings))  # type: ignore[arg-type]
    except Exception as error:
        raise QueryError(f"{origin}: query failed: {_first_line(error)}") from None
    if result.type == "ASK":
        return QueryResult(variables=(), rows=(), boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        constructed = new_graph()
        for triple in result:
            constructed.add(triple)  # type: ignore[arg-type]
        return QueryResult(variables=(), rows=(), graph=constructed)
    variables = tuple(str(v) for v in (result.vars or []))
    rows = tuple(tuple(row) for row in result)  # type: ignore[arg-type]
    return QueryResult(variables=variables, rows=rows)


def _to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot bind {term!r}: only IRIs, blank nodes and literals can be bound")


def _to_rdflib(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise QueryError(f"unsupported term in results: {term!r}")
