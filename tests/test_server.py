"""The SPARQL endpoint (`kg serve`): the SPARQL 1.1 Protocol, content negotiation, stored queries as resources,
refusals and limits, over loopback (other clients: test_protocol.py)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from importlib.resources import files

import httpx
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, VOID
from serving import TEST_MAX_ROWS, Server

from kg import InputError, KnowledgeGraph, stored_queries
from kg.cli import _build_parser
from kg.protocol import SD
from kg.server import create_app, serve
from kg.terms import PREFIXES

NEUROPATHY_TYPES = """PREFIX nkg: <https://w3id.org/neuropathy-kg/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?type ?label WHERE { ?type a nkg:Neuropathy ; rdfs:label ?label } ORDER BY ?label"""
ABOUT_TINGLING = "CONSTRUCT WHERE { entity:tingling ?p ?o }"
SYMPTOMS = {"condition": "peripheral neuropathy"}


@pytest.fixture(scope="module")
def client(kg_server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=kg_server.url, timeout=30) as client:
        yield client


def rows_of(answer: dict[str, object]) -> list[tuple[str, ...]]:
    """SPARQL JSON bindings as (value, …) tuples in variable order."""
    head = answer["head"]
    results = answer["results"]
    assert isinstance(head, dict)
    assert isinstance(results, dict)
    return [
        tuple(binding[name]["value"] if name in binding else "" for name in head["vars"])
        for binding in results["bindings"]
    ]


def local_rows(graph: KnowledgeGraph, name_or_sparql: str, **params: str) -> list[tuple[str, ...]]:
    return [
        tuple("" if term is None else str(term) for term in row) for row in graph.query(name_or_sparql, **params).rows
    ]


# ---------------------------------------------------------------------- protocol


def test_get_post_form_and_post_query_agree_with_the_library(client: httpx.Client, shipped: KnowledgeGraph) -> None:
    expected = local_rows(shipped, NEUROPATHY_TYPES)
    assert len(expected) >= 2
    by_get = client.get("/sparql", params={"query": NEUROPATHY_TYPES})
    by_form = client.post("/sparql", data={"query": NEUROPATHY_TYPES})
    by_body = client.post(
        "/sparql", content=NEUROPATHY_TYPES.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/sparql-results+json")
        assert rows_of(response.json()) == expected


def test_project_prefixes_are_predeclared(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK { entity:tingling a nkg:Symptom }"})
    assert response.status_code == 200, response.text
    assert response.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/sparql-results+json"),
    ],
)
def test_select_results_by_content_negotiation(client: httpx.Client, accept: str, media_type: str) -> None:
    response = client.get("/sparql", params={"query": NEUROPATHY_TYPES}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    labels: list[str]
    if media_type.endswith("json"):
        labels = [row[1] for row in rows_of(response.json())]
    elif media_type.endswith("xml"):
        namespace = "{http://www.w3.org/2005/sparql-results#}"
        root = ElementTree.fromstring(response.content)
        labels = [
            binding.findtext(f"{namespace}literal", "")
            for binding in root.iter(f"{namespace}binding")
            if binding.get("name") == "label"
        ]
    elif media_type == "text/csv":
        labels = [row["label"] for row in csv.DictReader(io.StringIO(response.text))]
    else:
        lines = response.text.splitlines()
        assert lines[0] == "?type\t?label"
        labels = [json.loads(line.split("\t")[1].rsplit("@", 1)[0]) for line in lines[1:]]  # "label"@en
    assert "polyneuropathy" in labels
    assert labels == sorted(labels)


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")],
)
def test_graph_results_by_content_negotiation(
    client: httpx.Client, shipped: KnowledgeGraph, accept: str, rdflib_format: str
) -> None:
    response = client.get("/sparql", params={"query": ABOUT_TINGLING}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    graph = Graph().parse(data=response.content, format=rdflib_format)
    expected = shipped.query(ABOUT_TINGLING).graph
    assert expected is not None
    assert len(expected) > 5
    assert set(graph) == set(expected)


def test_unacceptable_media_type_is_406(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": NEUROPATHY_TYPES}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


def test_service_description(client: httpx.Client, kg_server: Server, shipped: KnowledgeGraph) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    description = Graph().parse(data=response.text, format="turtle")
    service = description.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert description.value(service, SD.endpoint) == URIRef(f"{kg_server.url}/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in description
    formats = {str(f) for f in description.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    triples = next(description.objects(None, VOID.triples))
    # Counted by the query engine: the same number as len(shipped.graph()), without reading the graph into rdflib.
    distinct = shipped.query("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert triples == distinct.rows[0][0]


# ---------------------------------------------------------------------- stored queries


def test_queries_lists_every_stored_query_header(client: httpx.Client) -> None:
    listing = client.get("/queries").json()
    assert [entry["name"] for entry in listing] == [query.name for query in stored_queries()]
    symptoms = next(entry for entry in listing if entry["name"] == "symptoms")
    assert symptoms["title"] == "Symptoms of a condition"
    assert symptoms["parameters"] == [
        {
            "name": "condition",
            "description": "the condition, as a label, synonym, CURIE or IRI",
            "kind": "entity",
            "example": "peripheral neuropathy",
        }
    ]


def test_stored_query_as_a_resource(client: httpx.Client, shipped: KnowledgeGraph) -> None:
    response = client.get("/queries/symptoms", params=SYMPTOMS)
    assert response.status_code == 200, response.text
    assert rows_of(response.json()) == local_rows(shipped, "symptoms", **SYMPTOMS)
    as_csv = client.get("/queries/symptoms", params=SYMPTOMS, headers={"Accept": "text/csv"})
    assert as_csv.text.splitlines()[0] == (
        "condition,conditionLabel,symptom,symptomLabel,via,viaLabel,quote,modality,frequency,derivation,hedge"
    )
    download = client.get("/queries/symptoms", params={**SYMPTOMS, "format": "tsv"})
    assert download.headers["content-type"].startswith("text/tab-separated-values")


def test_stored_query_parameters_are_values_not_query_text(client: httpx.Client) -> None:
    hostile = '" } UNION { ?entity ?p ?o } #'
    response = client.get("/queries/search", params={"text": hostile})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == []


@pytest.mark.parametrize(
    ("path", "params", "status", "words"),
    [
        ("/queries/no-such-query", {}, 404, "no stored query named 'no-such-query'"),
        ("/queries/symptoms", {}, 400, "needs --param condition"),
        ("/queries/symptoms", {"condition": "unicorn pox"}, 400, "names nothing in the graph"),
        ("/queries/symptoms", {**SYMPTOMS, "colour": "red"}, 400, "has no parameter 'colour'"),
    ],
)
def test_stored_query_errors(client: httpx.Client, path: str, params: dict[str, str], status: int, words: str) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert words in response.text
    assert response.text.count("\n") == 1


# ---------------------------------------------------------------------- refusals and limits


def test_updates_are_refused(client: httpx.Client, shipped: KnowledgeGraph) -> None:
    update = "INSERT DATA { entity:tingling rdfs:label 'changed' }"
    as_form = client.post("/sparql", data={"update": update})
    as_body = client.post("/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-update"})
    as_query = client.post("/sparql", data={"query": update})
    assert as_form.status_code == 403
    assert "read-only" in as_form.text
    assert as_body.status_code == 403
    assert as_query.status_code == 400
    assert "not a valid SPARQL query" in as_query.text
    still = client.get("/sparql", params={"query": "ASK { entity:tingling rdfs:label 'changed' }"})
    assert still.json()["boolean"] is False


def test_service_is_refused(client: httpx.Client) -> None:
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 400
    assert "SERVICE (federated query) is refused" in response.text


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"])
def test_row_limit_is_a_clear_error(client: httpx.Client, shipped: KnowledgeGraph, accept: str) -> None:
    """Results are written by the engine in the worker, in the format asked for, and counted as they are."""
    assert len(shipped.graph(inferred=True)) > TEST_MAX_ROWS
    headers = {"Accept": accept}
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=headers)
    assert response.status_code == 422
    assert f"more than {TEST_MAX_ROWS} rows (the row limit)" in response.text
    query = f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {TEST_MAX_ROWS}"
    within = client.get("/sparql", params={"query": query}, headers=headers)
    assert within.status_code == 200
    if accept.endswith("json"):
        assert len(within.json()["results"]["bindings"]) == TEST_MAX_ROWS
    elif accept.endswith("xml"):
        assert len(ElementTree.fromstring(within.content).findall(".//{*}result")) == TEST_MAX_ROWS
    else:
        assert len(list(csv.DictReader(io.StringIO(within.text)))) == TEST_MAX_ROWS


def test_request_size_limits(client: httpx.Client) -> None:
    padding = "#" + "x" * 1_100_000 + "\nASK {}"
    body = client.post("/sparql", content=padding.encode(), headers={"Content-Type": "application/sparql-query"})
    assert body.status_code == 413
    form = client.post("/sparql", data={"query": padding})
    assert form.status_code == 413
    wrong_type = client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415


def test_dataset_parameters_are_refused(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "http://example.org/g"})
    assert response.status_code == 400
    assert "default-graph-uri is not supported" in response.text


def test_binds_loopback_unless_told_otherwise() -> None:
    arguments = _build_parser().parse_args(["serve"])
    assert arguments.host == "127.0.0.1"


def test_one_log_line_per_request(client: httpx.Client, kg_server: Server) -> None:
    marker = "log-line-marker-7d1f"
    for _ in range(3):
        client.get("/sparql", params={"query": f"ASK {{}} # {marker}"})
    client.get("/queries/no-such-query", params={"marker": marker})
    deadline = time.monotonic() + 5  # the line is written once the response has gone out, a moment after
    while True:
        lines = [line for line in kg_server.log_text().splitlines() if marker in line]
        if len(lines) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(lines) == 4
    assert lines[0].split()[2:5] == ["127.0.0.1", "GET", lines[0].split()[4]]
    assert lines[-1].split()[-2] == "404"


# ---------------------------------------------------------------------- the page's files


def test_page_and_assets_load_nothing_from_the_internet(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for name in ("index.html", "app.js", "style.css"):
        text = files("kg").joinpath("static", name).read_text(encoding="utf-8")
        assert not re.search(r"https?://|(src=|href=|url\()[\"']?//", text), f"{name} refers to another site"
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/prefixes").json()["nkg"] == PREFIXES["nkg"]


# ---------------------------------------------------------------------- browsers (clients: test_protocol.py)


def test_cors_only_when_asked(client: httpx.Client, shipped: KnowledgeGraph) -> None:
    origin = {"Origin": "https://yasgui.example"}
    assert (
        "access-control-allow-origin" not in client.get("/sparql", params={"query": "ASK {}"}, headers=origin).headers
    )

    async def ask_in_process() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(shipped, workers=1, cors=True))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as in_process:
            answer = await in_process.get("/sparql", params={"query": "ASK {}"}, headers=origin)
            preflight = await in_process.options(
                "/sparql",
                headers={
                    **origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
            return answer, preflight

    answer, preflight = asyncio.run(ask_in_process())
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 200


def test_an_address_in_use_is_a_one_line_input_error(kg_server: Server, shipped: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match=rf"cannot listen on 127\.0\.0\.1:{kg_server.port}: .*choose another --port"):
        serve(shipped, port=kg_server.port)
