"""SPARQL engines behind KnowledgeGraph.query: Oxigraph (default, native speed) and rdflib (the reference)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

import pyoxigraph as ox

from kg.errors import QueryError, ResultLimitError
from kg.nodes import Term, to_native, to_rdflib
from kg.prefixes import PREFIXES
from kg.results import QueryResult
from kg.screen import screen
from kg.sparql_text import bind_values

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import Node

#: A query's parameters: pyoxigraph terms on the query path, rdflib terms from callers holding rdflib graphs.
Bindings = Mapping[str, "Term | Node"]

__all__ = ["ENGINES", "OxigraphEngine", "check_read_only", "check_untrusted", "run_with_rdflib"]

ENGINES = ("oxigraph", "rdflib")

T = TypeVar("T")


def check_untrusted(sparql: str, origin: str, engine: str, *, allow_service: bool = False) -> None:
    """What an ad-hoc query passes before it runs, inside the sandbox and under its limits (kg.sandbox).

    kg.screen refuses deep nesting (before it reaches a native stack) and, with clear messages, updates, FROM
    and SERVICE. rdflib's engine then reads the query with its own parser, the one that runs it, so
    check_read_only is exact there; Oxigraph's parser is not rdflib's, so for Oxigraph the guarantee that no
    query reaches the network is the sandbox, not a parse (SECURITY.md, "Queries"). A caller who opted into
    SERVICE gets check_read_only too, which allows only literal http(s) endpoints.
    """
    screen(sparql, origin, allow_service=allow_service)
    if engine == "rdflib" or allow_service:
        check_read_only(sparql, origin, allow_service=allow_service)


def check_read_only(sparql: str, origin: str, *, allow_service: bool = False) -> None:
    """Refuse updates (LOAD included), FROM and SERVICE: a query may neither change the graph nor read a URL or file.

    `allow_service` lets SERVICE call other SPARQL endpoints, but only at literal http(s) IRIs, never files.
    """
    from rdflib import URIRef
    from rdflib.plugins.sparql import prepareQuery  # imported here: a fifth of a second, only for ad-hoc queries

    try:
        prepared = prepareQuery(sparql, initNs=PREFIXES)
    except Exception as error:
        if _is_update(sparql):
            raise QueryError(
                f"{origin}: not a valid SPARQL query but an update (INSERT, DELETE, LOAD, CLEAR, …): "
                "updates are refused, a query never changes the graph"
            ) from None
        raise QueryError(f"{origin}: not a valid SPARQL query: {_first_line(error)}") from None
    if prepared.algebra.get("datasetClause"):
        raise QueryError(
            f"{origin}: FROM and FROM NAMED are refused: the graph queried is fixed, and naming another one "
            "would make the engine read that URL or file"
        )
    for service in _services(prepared.algebra):
        if not allow_service:
            raise QueryError(f"{origin}: SERVICE (federated query) is refused: it would make this process fetch URLs")
        endpoint = service.get("term")
        if not (isinstance(endpoint, URIRef) and str(endpoint).startswith(("http://", "https://"))):
            raise QueryError(f"{origin}: SERVICE {endpoint.n3() if endpoint else '?'} is refused: only http(s) IRIs")


def _is_update(sparql: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(sparql)
    except Exception:
        return False
    return True


def _services(node: object) -> Iterator[CompValue]:
    """The SERVICE patterns anywhere in a query's algebra (subqueries, OPTIONAL and UNION branches included)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue) and node.name == "ServiceGraphPattern":
        yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _services(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _services(item)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class OxigraphEngine:
    """SPARQL on an Oxigraph store: one the caller holds (the graph's own, a snapshot), or a copy of triples."""

    def __init__(self, graph: Graph) -> None:
        from kg.export import canonical_ntriples  # an rdflib graph's caller has rdflib loaded already

        self._store = ox.Store()
        self._default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
        data = canonical_ntriples(graph)
        if data:
            self._store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)

    @classmethod
    def over_store(
        cls, store: ox.Store, default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None
    ) -> OxigraphEngine:
        """Queries over an existing store, with `default_graph` as the graph they see (None: the store's default)."""
        engine = cls.__new__(cls)
        engine._store = store
        engine._default_graph = default_graph
        return engine

    @classmethod
    def from_ntriples(cls, data: bytes) -> OxigraphEngine:
        """A store loaded straight from N-Triples bytes (what a query worker process receives)."""
        store = ox.Store()
        if data:
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
        return cls.over_store(store)

    def run(self, sparql: str, bindings: Bindings, origin: str, max_rows: int | None = None) -> QueryResult:
        """The query's result; whatever Oxigraph raises, while parsing or while results stream, is a QueryError."""
        try:
            return self._evaluate(sparql, bindings, origin, max_rows)
        except (SyntaxError, ValueError, OSError, RuntimeError) as error:
            raise QueryError(f"{origin}: query failed: {_first_line(error)}") from None

    def _evaluate(self, sparql: str, bindings: Bindings, origin: str, max_rows: int | None = None) -> QueryResult:
        try:
            answer = query_planned(self._store, sparql, bindings, self._default_graph)
        except SyntaxError as error:
            raise QueryError(f"{origin}: not a valid SPARQL query: {_first_line(error)}") from None
        except (ValueError, OSError) as error:
            raise QueryError(f"{origin}: query failed: {_first_line(error)}") from None
        if isinstance(answer, ox.QueryBoolean):
            return QueryResult(variables=(), rows=(), boolean=bool(answer))
        if isinstance(answer, ox.QueryTriples):
            return QueryResult(variables=(), triples=list(_within_limit(answer, max_rows, origin)))
        variables = tuple(variable.value for variable in answer.variables)
        rows = tuple(tuple(solution[v] for v in variables) for solution in _within_limit(answer, max_rows, origin))
        return QueryResult(variables=variables, rows=rows)


def query_planned(
    store: ox.Store,
    sparql: str,
    bindings: Bindings,
    default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None,
) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Oxigraph's answer to `sparql` with `bindings` (see `planned`); a query the VALUES block makes invalid (one
    that BINDs a bound variable) runs with the substitutions alone, as it did before the block."""
    text, substitutions = planned(sparql, bindings)
    try:
        return store.query(text, prefixes=PREFIXES, substitutions=substitutions, default_graph=default_graph)
    except SyntaxError:
        if text == sparql:
            raise
    return store.query(sparql, prefixes=PREFIXES, substitutions=substitutions, default_graph=default_graph)


def planned(sparql: str, bindings: Bindings) -> tuple[str, dict[ox.Variable, Term]]:
    """The query text and Oxigraph substitutions for `bindings`: each value both substituted and written in a
    leading VALUES block. Oxigraph's planner does not see substitutions, so a query that starts from a hub's
    subtypes walks them once per row (`causes` at 1M: 280 s); with the VALUES block it starts from the value
    (3 s). The substitutions stay because some plans are better with them (`consequences` 2.4 s -> 0.3 s)."""
    substitutions: dict[ox.Variable, Term] = {ox.Variable(name): to_native(term) for name, term in bindings.items()}
    try:
        return bind_values(sparql, bindings), substitutions  # it writes rdflib and pyoxigraph terms alike
    except QueryError:  # a value SPARQL text cannot carry (a blank node) or a query without a WHERE group
        return sparql, substitutions


def _within_limit(items: Iterable[T], max_rows: int | None, origin: str) -> Iterator[T]:
    """The items, stopping with ResultLimitError at the first one past `max_rows` (results are read lazily)."""
    for count, item in enumerate(items, start=1):
        if max_rows is not None and count > max_rows:
            raise ResultLimitError(
                f"{origin}: the result has more than {max_rows} rows (the row limit); "
                "add LIMIT/OFFSET to page through it, or raise the limit"
            )
        yield item


def run_with_rdflib(
    graph: Graph, sparql: str, bindings: Bindings, origin: str, max_rows: int | None = None
) -> QueryResult:
    """The same query on rdflib's own engine: slow, but the reference the Oxigraph results are checked against."""
    from kg.store import new_graph

    initial = {name: to_rdflib(term) for name, term in bindings.items()}
    try:
        result = graph.query(sparql, initNs=PREFIXES, initBindings=initial)  # type: ignore[arg-type]
    except Exception as error:
        raise QueryError(f"{origin}: query failed: {_first_line(error)}") from None
    if result.type == "ASK":
        return QueryResult(variables=(), rows=(), boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        constructed = new_graph()
        for triple in _within_limit(result, max_rows, origin):
            constructed.add(triple)  # type: ignore[arg-type]
        return QueryResult(variables=(), rows=(), graph=constructed)
    variables = tuple(str(v) for v in (result.vars or []))
    rows = tuple(tuple(row) for row in _within_limit(result, max_rows, origin))  # type: ignore[arg-type]
    return QueryResult(variables=variables, rows=rows)


#: Kept for callers of the earlier name (benchmarks/run.py).
_to_oxigraph = to_native
