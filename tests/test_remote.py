"""Remote stores: push to a real Oxigraph server and a real Virtuoso (SPARQL Update and Graph Store Protocol),
then every stored query run there gives the rows of the local run; blank nodes travel as stable Skolem IRIs, so
pushing again adds nothing; a store's refusal shows its own reason; parameters travel as RDF terms; `kg push`,
`kg query --endpoint`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import serving
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg import InputError, KnowledgeGraph, ParameterError, QueryError, QueryResult, stored_queries
from kg.cli import main
from kg.remote import SKOLEM_NAMESPACE, RemoteGraph, _chunks, _store_reason, bind_values, sparql_term
from kg.results import read_results_json

NAMED = "https://w3id.org/neuropathy-kg/graph/test"
#: Columns built with GROUP_CONCAT, and their separators: SPARQL 1.1 leaves the order of the joined values to
#: the engine (§18.5.1.7), so two stores may list the same reference numbers in another order.
GROUP_CONCAT_COLUMNS = {"references": ",", "excludedBy": "; "}


@dataclass(frozen=True)
class Store:
    """A running SPARQL store: where it answers queries, takes updates and takes graphs (Graph Store Protocol),
    and the graph the tests fill (None: the default graph; Virtuoso has no plain default graph to insert into)."""

    name: str
    query: str
    update: str
    graph_store: str
    graph: str | None


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serving.Server]:
    server = serving.start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "oxigraph.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serving.Server]:
    server = serving.start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store(request: pytest.FixtureRequest) -> Store:
    server: serving.Server = request.getfixturevalue(request.param)
    if request.param == "oxigraph":
        return Store("oxigraph", f"{server.url}/query", f"{server.url}/update", f"{server.url}/store", None)
    sparql = f"{server.url}/sparql"
    return Store("virtuoso", sparql, sparql, f"{server.url}/sparql-graph-crud", f"{NAMED}/pushed")


@pytest.fixture(scope="module")
def remote(store: Store, shipped: KnowledgeGraph) -> RemoteGraph:
    """The shipped graph (asserted + inferred) pushed by SPARQL Update into the store's graph."""
    remote = RemoteGraph(store.query, update_endpoint=store.update, default_graph=store.graph, local=shipped)
    sent = remote.push(shipped, graph_iri=store.graph, replace=True, chunk_triples=1_000)
    assert sent == len(shipped.graph(inferred=True))
    return remote


def comparable(result: QueryResult) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Variables and rows as text, rows sorted (ties in ORDER BY may come in either order), GROUP_CONCAT lists
    sorted."""
    rows = []
    for row in result.rows:
        cells = []
        for name, term in zip(result.variables, row, strict=True):
            text = "" if term is None else term.n3()
            if name in GROUP_CONCAT_COLUMNS and isinstance(term, Literal):
                separator = GROUP_CONCAT_COLUMNS[name]
                text = separator.join(sorted(str(term).split(separator)))
            cells.append(text)
        rows.append(tuple(cells))
    return result.variables, sorted(rows)


def count_triples(store: RemoteGraph, graph_iri: str | None = None) -> int:
    pattern = f"GRAPH <{graph_iri}> {{ ?s ?p ?o }}" if graph_iri else "?s ?p ?o"
    answer = store.sparql(f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")
    return int(str(answer.rows[0][0]))


def test_push_uploads_asserted_and_inferred_triples(remote: RemoteGraph, shipped: KnowledgeGraph) -> None:
    assert count_triples(remote) == len(shipped.graph(inferred=True))
    inferred_only = next(iter(shipped.reason()))
    assert remote.sparql(f"ASK {{ {' '.join(term.n3() for term in inferred_only)} }}").boolean is True


@pytest.mark.parametrize("name", [query.name for query in stored_queries()])
def test_every_stored_query_gives_the_local_rows(name: str, remote: RemoteGraph, shipped: KnowledgeGraph) -> None:
    query = next(q for q in stored_queries() if q.name == name)
    params = {parameter.name: parameter.example or "" for parameter in query.parameters}
    local = shipped.query(name, **params)
    there = remote.query(name, **params)
    assert len(local.rows) > 0
    assert comparable(there) == comparable(local)


def test_pushing_again_adds_nothing(remote: RemoteGraph, shipped: KnowledgeGraph, store: Store) -> None:
    remote.push(shipped, graph_iri=store.graph)  # the default chunks, no --replace: blank nodes included
    assert count_triples(remote) == len(shipped.graph(inferred=True))
    with_blank_nodes = [triple for triple in shipped.graph(inferred=True) if BNode in map(type, triple)]
    assert len(with_blank_nodes) >= 10
    skolemised = remote.sparql(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), '{SKOLEM_NAMESPACE}') "
        f"|| STRSTARTS(STR(?o), '{SKOLEM_NAMESPACE}')) }}"
    )
    assert int(str(skolemised.rows[0][0])) == len(with_blank_nodes)


def test_graph_store_protocol_into_a_named_graph(remote: RemoteGraph, shipped: KnowledgeGraph, store: Store) -> None:
    graph_iri = f"{NAMED}/graph-store"
    into = RemoteGraph(store.query, graph_store=store.graph_store, default_graph=graph_iri, local=shipped)
    for _ in range(2):  # replacing makes a second push leave the same graph, blank nodes included
        sent = into.push(shipped, graph_iri=graph_iri, inferred=False, replace=True, chunk_triples=700)
        assert sent == len(shipped.asserted)
        assert count_triples(RemoteGraph(store.query), graph_iri) == len(shipped.asserted)
    assert count_triples(into) == len(shipped.asserted)  # the named graph, queried as the default graph
    with_default = into.query("neuropathy-types")
    assert comparable(with_default) == comparable(shipped.query("neuropathy-types", inferred=False))


def test_a_refusal_shows_the_stores_own_reason(virtuoso: serving.Server, shipped: KnowledgeGraph) -> None:
    """Virtuoso refuses INSERT DATA into the default graph (it has none): its reason, on one line, bounded."""
    sparql = f"{virtuoso.url}/sparql"
    with pytest.raises(QueryError, match=r"answered 400: Virtuoso 37000 Error SP031: .*default graph") as refused:
        RemoteGraph(sparql, update_endpoint=sparql).push(shipped, chunk_triples=10)
    assert "\n" not in str(refused.value)
    assert len(str(refused.value)) < 600


def test_store_reasons_in_html_lose_their_markup_and_length() -> None:
    page = b"<html><head><title>Error</title><style>p {}</style></head><body><h1>Error 400</h1>\n<p>Bad &amp; wrong"
    page += b"</p><pre>" + b"x" * 2000 + b"</pre></body></html>"
    reason = _store_reason(page, "text/html; charset=utf-8")
    assert reason.startswith("Error 400 Bad & wrong x")
    assert len(reason) == 400
    assert _store_reason(b"Error SP031: no\n\nSPARQL query:\nINSERT DATA { ... }", "text/plain") == "Error SP031: no"


def test_parameters_travel_as_terms_not_text(remote: RemoteGraph, shipped: KnowledgeGraph) -> None:
    hostile = '"} UNION { ?entity ?p ?o } # \n\\'
    assert remote.query("search", text=hostile).rows == ()
    assert shipped.query("search", text=hostile).rows == ()
    bound = bind_values("SELECT ?x WHERE { ?x ?p ?text }", {"text": Literal(hostile)})
    assert bound == ('SELECT ?x WHERE { VALUES (?text) { ("\\"} UNION { ?entity ?p ?o } # \\n\\\\") } ?x ?p ?text }')


def test_values_open_the_where_group() -> None:
    tricky = (
        'PREFIX ex: <http://example.org/where#>\n# a { in a comment\nCONSTRUCT { ?s ex:where "{" }\nWHERE { ?s ?p ?o }'
    )
    bound = bind_values(tricky, {"o": URIRef("http://example.org/o")})
    assert bound.endswith("WHERE { VALUES (?o) { (<http://example.org/o>) } ?s ?p ?o }")
    without_where = bind_values("CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }", {"s": URIRef("http://example.org/s")})
    assert without_where == "CONSTRUCT { ?s ?p ?o } { VALUES (?s) { (<http://example.org/s>) } ?s ?p ?o }"


@pytest.mark.parametrize(
    "term",
    [URIRef("http://example.org/a> } ; DROP ALL ; <x"), URIRef("http://example.org/a b"), BNode("b0")],
)
def test_terms_that_cannot_be_written_are_refused(term: Node) -> None:
    with pytest.raises(ParameterError):
        sparql_term(term)


def test_chunks_keep_blank_nodes_together() -> None:
    graph = Graph()
    for number in range(20):
        restriction, chain = BNode(), BNode()
        subject = URIRef(f"http://example.org/c{number}")
        graph.add((subject, RDFS.subClassOf, restriction))
        graph.add((restriction, RDF.type, OWL.Restriction))
        graph.add((restriction, OWL.onProperty, chain))
        graph.add((chain, RDF.first, URIRef(f"http://example.org/p{number}")))
    chunks = list(_chunks(graph, 3))
    assert sum(count for _, count in chunks) == len(graph)
    owners: dict[str, int] = {}
    for index, (data, _) in enumerate(chunks):
        for label in {token for token in data.decode().split() if token.startswith("_:")}:
            assert owners.setdefault(label, index) == index, f"{label} is split over chunks"
    assert len(owners) == 40


def test_blank_nodes_become_the_same_skolem_iris_on_every_push() -> None:
    def restrictions() -> Graph:
        graph = Graph()
        for number in range(3):
            restriction = BNode()  # new labels on every call
            graph.add((URIRef(f"http://example.org/c{number}"), RDFS.subClassOf, restriction))
            graph.add((restriction, OWL.onProperty, URIRef("http://example.org/p")))
        return graph

    first, second = (b"".join(data for data, _ in _chunks(restrictions(), 2, skolemise=True)) for _ in range(2))
    assert first == second
    assert b"_:" not in first
    assert first.count(SKOLEM_NAMESPACE.encode()) == 6  # three blank nodes, each named twice, each its own IRI
    assert len(set(Graph().parse(data=first, format="nt").objects(None, RDFS.subClassOf))) == 3


def test_cli_push_and_query_with_endpoint(
    store: Store, remote: RemoteGraph, shipped: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_iri = f"{NAMED}/cli"
    code = main(["push", "--endpoint", store.update, "--graph", graph_iri, "--asserted-only", "--replace"])
    assert code == 0
    assert capsys.readouterr().err.startswith(f"pushed {len(shipped.asserted)} triples to graph <{graph_iri}>")
    arguments = ["query", "dietary-sources", "--param", "nutrient=vitamin B12", "--format", "csv"]
    assert main([*arguments, "--endpoint", store.query, "--graph", graph_iri]) == 0
    there = capsys.readouterr().out
    assert main(arguments) == 0
    here = capsys.readouterr().out
    assert sorted(there.splitlines()) == sorted(here.splitlines())
    assert len(here.splitlines()) == 7


def test_virtuoso_booleans_and_ask_tables_read_as_the_standard_says() -> None:
    boolean = "http://www.w3.org/2001/XMLSchema#boolean"
    rows = (
        b'{"head": {"vars": ["stated"]}, "results": {"bindings": ['
        b'{"stated": {"type": "typed-literal", "datatype": "' + boolean.encode() + b'", "value": "1"}},'
        b'{"stated": {"type": "literal", "datatype": "' + boolean.encode() + b'", "value": "0"}}]}}'
    )
    assert read_results_json(rows, "test").rows == ((Literal(True),), (Literal(False),))
    ask_table = (
        b'{"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [{"__ASK_RETVAL": '
        b'{"type": "typed-literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "0"}}]}}'
    )
    assert read_results_json(ask_table, "test", ask=True).boolean is False
    assert read_results_json(b'{"head": {}, "boolean": true}', "test", ask=True).boolean is True


def test_unreachable_endpoint_is_a_one_line_input_error() -> None:
    store = RemoteGraph(f"http://127.0.0.1:{serving.free_port()}/query", timeout=5)
    with pytest.raises(InputError, match=r"cannot reach http://127\.0\.0\.1:"):
        store.sparql("ASK {}")
    with pytest.raises(InputError, match="is not an http"):
        RemoteGraph("file:///etc/passwd")
