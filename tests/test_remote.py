"""Remote stores: push to a real Oxigraph server (SPARQL Update and Graph Store Protocol), then every stored
query run there gives the rows of the local run; parameters travel as RDF terms; `kg push`, `kg query --endpoint`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import serving
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg import InputError, KnowledgeGraph, ParameterError, QueryResult, stored_queries
from kg.cli import main
from kg.remote import RemoteGraph, _chunks, bind_values, sparql_term

NAMED = "https://w3id.org/neuropathy-kg/graph/test"
#: Columns built with GROUP_CONCAT, and their separators: SPARQL 1.1 leaves the order of the joined values to
#: the engine (§18.5.1.7), so two stores may list the same reference numbers in another order.
GROUP_CONCAT_COLUMNS = {"references": ",", "excludedBy": "; "}


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[serving.Server]:
    server = serving.start_oxigraph(tmp_path_factory.mktemp("oxigraph") / "oxigraph.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def remote(oxigraph: serving.Server, shipped: KnowledgeGraph) -> RemoteGraph:
    """The shipped graph (asserted + inferred) pushed by SPARQL Update into the server's default graph."""
    store = RemoteGraph(f"{oxigraph.url}/query", update_endpoint=f"{oxigraph.url}/update", local=shipped)
    sent = store.push(shipped, replace=True, chunk_triples=1_000)
    assert sent == len(shipped.graph(inferred=True))
    return store


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


def test_graph_store_protocol_into_a_named_graph(
    oxigraph: serving.Server, remote: RemoteGraph, shipped: KnowledgeGraph
) -> None:
    store = RemoteGraph(
        f"{oxigraph.url}/query", graph_store=f"{oxigraph.url}/store", default_graph=NAMED, local=shipped
    )
    for _ in range(2):  # replacing makes a second push leave the same graph, blank nodes included
        sent = store.push(shipped, graph_iri=NAMED, inferred=False, replace=True, chunk_triples=700)
        assert sent == len(shipped.asserted)
        assert count_triples(remote, NAMED) == len(shipped.asserted)
    assert count_triples(store) == len(shipped.asserted)  # the named graph, queried as the default graph
    with_default = store.query("neuropathy-types")
    assert comparable(with_default) == comparable(shipped.query("neuropathy-types", inferred=False))


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


def test_cli_push_and_query_with_endpoint(
    oxigraph: serving.Server, remote: RemoteGraph, shipped: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["push", "--endpoint", f"{oxigraph.url}/update", "--graph", f"{NAMED}/cli", "--asserted-only"])
    assert code == 0
    assert capsys.readouterr().err.startswith(f"pushed {len(shipped.asserted)} triples to graph <{NAMED}/cli>")
    arguments = ["query", "dietary-sources", "--param", "nutrient=vitamin B12", "--format", "csv"]
    assert main([*arguments, "--endpoint", f"{oxigraph.url}/query"]) == 0
    there = capsys.readouterr().out
    assert main(arguments) == 0
    here = capsys.readouterr().out
    assert sorted(there.splitlines()) == sorted(here.splitlines())
    assert len(here.splitlines()) == 7


def test_unreachable_endpoint_is_a_one_line_input_error() -> None:
    store = RemoteGraph(f"http://127.0.0.1:{serving.free_port()}/query", timeout=5)
    with pytest.raises(InputError, match=r"cannot reach http://127\.0\.0\.1:"):
        store.sparql("ASK {}")
    with pytest.raises(InputError, match="is not an http"):
        RemoteGraph("file:///etc/passwd")
