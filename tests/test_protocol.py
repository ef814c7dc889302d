"""The SPARQL 1.1 Protocol as clients use it: every result format over GET, form POST and direct POST, `format=`
and `output=` as clients send them, HEAD, the service description with the project's prefixes, and real clients
with their default settings (SPARQLWrapper, rdflib's SPARQLStore, Jena's rsparql) against `kg serve` on loopback."""

from __future__ import annotations

import csv
import functools
import io
import json
import subprocess
import xml.dom.minidom
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import httpx
import pytest
import serving
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from serving import Server
from SPARQLWrapper import CSV, JSON, POST, TSV, SPARQLWrapper

from kg import KnowledgeGraph
from kg.protocol import SD
from kg.terms import PREFIXES

DECLARED = "\n".join(f"PREFIX {prefix}: <{iri}>" for prefix, iri in PREFIXES.items() if prefix in ("nkg", "rdfs"))
NEUROPATHY_LABELS = DECLARED + "\nSELECT ?label WHERE { ?type a nkg:Neuropathy ; rdfs:label ?label } ORDER BY ?label"
TINGLING = URIRef(PREFIXES["entity"] + "tingling")
ASK_TINGLING = f"ASK {{ <{TINGLING}> a <{PREFIXES['nkg']}Symptom> }}"
CONSTRUCT_TINGLING = f"CONSTRUCT WHERE {{ <{TINGLING}> ?p ?o }}"
DESCRIBE_TINGLING = f"DESCRIBE <{TINGLING}>"

ANY_URI = URIRef("http://www.w3.org/2001/XMLSchema#anyURI")

SELECT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "text/turtle": ("turtle", "turtle"),
    "application/n-triples": ("ntriples", "nt"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdfxml", "xml"),
}


@pytest.fixture(scope="module")
def client(kg_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=kg_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def labels(shipped: KnowledgeGraph) -> list[str]:
    found = [str(row[0]) for row in shipped.query(NEUROPATHY_LABELS).rows]
    assert "polyneuropathy" in found
    return found


@pytest.fixture(scope="module")
def about_tingling(shipped: KnowledgeGraph) -> Graph:
    graph = shipped.query(CONSTRUCT_TINGLING).graph
    assert graph is not None
    assert len(graph) > 5
    return graph


def send(client: httpx.Client, how: str, query: str, **extra: str) -> httpx.Response:
    """The query by GET, as a form, or as the body of a direct POST; `extra` as the form's other fields or, for
    the others, in the URL; an `accept` in `extra` becomes the Accept header."""
    accept = extra.pop("accept", "*/*")
    headers = {"Accept": accept}
    if how == "get":
        return client.get("/sparql", params={"query": query, **extra}, headers=headers)
    if how == "form":
        return client.post("/sparql", data={"query": query, **extra}, headers=headers)
    headers["Content-Type"] = "application/sparql-query"
    return client.post("/sparql", params=extra, content=query.encode(), headers=headers)


def labels_in(response: httpx.Response) -> list[str]:
    media_type = response.headers["content-type"].split(";")[0]
    if media_type == "application/sparql-results+json":
        return [binding["label"]["value"] for binding in response.json()["results"]["bindings"]]
    if media_type == "application/sparql-results+xml":
        namespace = "{http://www.w3.org/2005/sparql-results#}"
        return [
            node.findtext(f"{namespace}literal", "")
            for node in ElementTree.fromstring(response.content).iter(f"{namespace}binding")
        ]
    if media_type == "text/csv":
        return [row["label"] for row in csv.DictReader(io.StringIO(response.text))]
    assert media_type == "text/tab-separated-values"
    lines = response.text.splitlines()
    assert lines[0] == "?label"
    return [json.loads(line.rsplit("@", 1)[0]) for line in lines[1:]]  # "label"@en


@functools.cache
def triples_in(document: bytes, rdflib_format: str) -> frozenset[tuple[object, object, object]]:
    """The triples of an RDF document, read by rdflib; each document once (every method and every way of naming
    the format give the same bytes)."""
    return frozenset(Graph().parse(data=document, format=rdflib_format))


def text_of(element: xml.dom.minidom.Element) -> str:
    return "".join(node.data for node in element.childNodes if isinstance(node, xml.dom.minidom.Text))


# ---------------------------------------------------------------------- formats, methods, parameters


@pytest.mark.parametrize("how", ["get", "form", "body"])
@pytest.mark.parametrize("media_type", SELECT_FORMATS)
def test_select_in_every_format_by_every_method(
    client: httpx.Client, labels: list[str], how: str, media_type: str
) -> None:
    by_accept = send(client, how, NEUROPATHY_LABELS, accept=media_type)
    by_name = send(client, how, NEUROPATHY_LABELS, format=SELECT_FORMATS[media_type])
    by_type = send(client, how, NEUROPATHY_LABELS, output=media_type)
    for response in (by_accept, by_name, by_type):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media_type
        assert labels_in(response) == labels


@pytest.mark.parametrize("how", ["get", "form", "body"])
@pytest.mark.parametrize("media_type", GRAPH_FORMATS)
def test_construct_in_every_format_by_every_method(
    client: httpx.Client, about_tingling: Graph, how: str, media_type: str
) -> None:
    name, rdflib_format = GRAPH_FORMATS[media_type]
    by_accept = send(client, how, CONSTRUCT_TINGLING, accept=media_type)
    by_name = send(client, how, CONSTRUCT_TINGLING, format=name)
    by_type = send(client, how, CONSTRUCT_TINGLING, format=media_type)
    for response in (by_accept, by_name, by_type):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media_type
        assert triples_in(response.content, rdflib_format) == set(about_tingling)


def test_describe_gives_the_triples_about_the_resource(client: httpx.Client, about_tingling: Graph) -> None:
    response = send(client, "get", DESCRIBE_TINGLING, accept="application/rdf+xml")
    assert response.status_code == 200, response.text
    described = Graph().parse(data=response.content, format="xml")
    assert set(about_tingling) <= set(described)


@pytest.mark.parametrize(
    ("parameters", "accept", "media_type"),
    [
        ({"format": "html"}, "text/csv", "text/csv"),  # unknown: ignored, the Accept header decides
        ({"format": "application/x-unknown"}, "*/*", "application/sparql-results+json"),
        ({"format": "turtle"}, "application/sparql-results+xml", "application/sparql-results+xml"),  # not a SELECT's
        ({"output": "tsv"}, "*/*", "text/tab-separated-values"),
        ({"format": "TEXT/CSV; charset=utf-8"}, "*/*", "text/csv"),
        ({"format": "srx"}, "*/*", "application/sparql-results+xml"),
    ],
)
def test_format_parameter_names_types_or_short_names_and_unknown_ones_are_ignored(
    client: httpx.Client, parameters: dict[str, str], accept: str, media_type: str
) -> None:
    response = client.get("/sparql", params={"query": NEUROPATHY_LABELS, **parameters}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type


def test_sparqlwrapper_style_repeated_format_values(client: httpx.Client, labels: list[str]) -> None:
    """SPARQLWrapper sends `format`, `output` and `results` with a short name, then again with a media type."""
    repeated = [("format", "tsv"), ("format", "text/tab-separated-values"), ("output", "tsv"), ("results", "tsv")]
    response = client.get("/sparql", params=[("query", NEUROPATHY_LABELS), *repeated])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    assert labels_in(response) == labels


def test_head_answers_like_get_without_a_body(client: httpx.Client) -> None:
    for params in ({"query": NEUROPATHY_LABELS}, {}):
        get = client.get("/sparql", params=params, headers={"Accept": "text/csv, text/turtle"})
        head = client.head("/sparql", params=params, headers={"Accept": "text/csv, text/turtle"})
        assert head.status_code == get.status_code == 200
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == str(len(get.content))
        assert head.content == b""
    assert client.head("/queries/symptoms", params={"condition": "tingling"}).status_code == 200


# ---------------------------------------------------------------------- service description


@pytest.mark.parametrize(("accept", "rdflib_format"), [(m, f) for m, (_, f) in GRAPH_FORMATS.items()])
def test_service_description_lists_the_prefixes(
    client: httpx.Client, kg_server: Server, accept: str, rdflib_format: str
) -> None:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == accept
    description = Graph().parse(data=response.content, format=rdflib_format)
    service = description.value(predicate=RDF.type, object=SD.Service)
    endpoint = URIRef(f"{kg_server.url}/sparql")
    assert description.value(service, SD.endpoint) == endpoint
    assert SD.SPARQL11Query in set(description.objects(service, SD.supportedLanguage))
    assert URIRef("http://www.w3.org/ns/formats/RDF_XML") in set(description.objects(service, SD.resultFormat))
    declared = {
        str(description.value(declaration, SH.prefix)): description.value(declaration, SH.namespace)
        for declaration in description.objects(endpoint, SH.declare)
    }
    assert declared == {prefix: Literal(iri, datatype=ANY_URI) for prefix, iri in PREFIXES.items()}


# ---------------------------------------------------------------------- clients with their default settings


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_with_its_defaults(
    kg_server: Server, labels: list[str], about_tingling: Graph, method: str
) -> None:
    wrapper = SPARQLWrapper(f"{kg_server.url}/sparql")  # XML results, format/output/results parameters sent
    wrapper.setMethod(method if method == "GET" else POST)
    wrapper.setQuery(NEUROPATHY_LABELS)
    document = wrapper.query().convert()
    assert isinstance(document, xml.dom.minidom.Document)
    assert [text_of(node) for node in document.getElementsByTagName("literal")] == labels

    wrapper.setQuery(ASK_TINGLING)
    document = wrapper.query().convert()
    assert isinstance(document, xml.dom.minidom.Document)
    assert text_of(document.getElementsByTagName("boolean")[0]) == "true"

    for query in (CONSTRUCT_TINGLING, DESCRIBE_TINGLING):
        wrapper.setQuery(query)
        graph = wrapper.query().convert()  # RDF/XML, parsed by rdflib
        assert isinstance(graph, Graph)
        assert set(about_tingling) <= set(graph)

    wrapper.setQuery(CONSTRUCT_TINGLING)
    wrapper.setReturnFormat(JSON)  # sent as format=json: JSON-LD for a graph
    as_jsonld = wrapper.query().convert()
    assert isinstance(as_jsonld, Graph)
    assert set(as_jsonld) == set(about_tingling)

    wrapper.setQuery(NEUROPATHY_LABELS)
    answer = wrapper.query().convert()
    assert isinstance(answer, dict)
    assert [binding["label"]["value"] for binding in answer["results"]["bindings"]] == labels
    wrapper.setReturnFormat(CSV)
    as_csv = wrapper.query().convert()
    assert isinstance(as_csv, bytes)
    assert [row["label"] for row in csv.DictReader(io.StringIO(as_csv.decode()))] == labels
    wrapper.setReturnFormat(TSV)
    as_tsv = wrapper.query().convert()
    assert isinstance(as_tsv, bytes)
    assert as_tsv.decode().splitlines()[0] == "?label"
    assert len(as_tsv.decode().splitlines()) == len(labels) + 1


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_with_its_defaults(
    kg_server: Server, labels: list[str], about_tingling: Graph, method: str
) -> None:
    remote = Graph(SPARQLStore(f"{kg_server.url}/sparql", method=method))  # asks for XML: results or RDF/XML
    assert [str(row[0]) for row in remote.query(NEUROPATHY_LABELS)] == labels  # type: ignore[index]
    assert remote.query(ASK_TINGLING).askAnswer is True
    for query in (CONSTRUCT_TINGLING, DESCRIBE_TINGLING):
        answer: Result = remote.query(query)
        assert answer.graph is not None
        assert set(about_tingling) <= set(answer.graph)
    assert (TINGLING, RDF.type, URIRef(PREFIXES["nkg"] + "Symptom")) in remote


def test_jena_rsparql(kg_server: Server, labels: list[str], about_tingling: Graph) -> None:
    """rsparql parses each query before sending it: it needs the PREFIX lines (or full IRIs) written out."""
    rsparql = serving.rsparql_command()

    asked = {
        "select": (NEUROPATHY_LABELS, "csv"),
        "ask": (ASK_TINGLING, "text"),
        "construct": (CONSTRUCT_TINGLING, "nt"),
        "describe": (DESCRIBE_TINGLING, "nt"),
    }
    answers = {}
    for form, (query, results) in asked.items():  # one after the other: side by side they starve the server
        command = [*rsparql, "--service", f"{kg_server.url}/sparql", f"--results={results}", query]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{form}: {done.stderr}"
        answers[form] = done.stdout
    assert list(csv.reader(io.StringIO(answers["select"])))[1:] == [[label] for label in labels]
    assert answers["ask"].strip() == "Ask => Yes"
    for form in ("construct", "describe"):
        graph = Graph().parse(data=answers[form], format="nt")
        assert set(about_tingling) <= set(graph)
