"""Query safety: parameter values are bound as terms, never spliced into SPARQL; no query reaches a URL or file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg import KnowledgeGraph, ParameterError, QueryError
from kg.cli import main
from kg.queries import stored_queries, stored_query
from kg.store import new_graph
from kg.terms import NKG

#: Strings that would change a query's meaning if they were pasted into its text.
INJECTIONS: dict[str, str] = {
    "double-quote": '"',
    "single-quote": "'",
    "close-brace": "}",
    "union-after-double-quote": '" } UNION { ?s ?p ?o } #',
    "union-after-single-quote": "' } UNION { ?s ?p ?o } #",
    "union-bare": "x } UNION { ?s ?p ?o }",
    "union-across-newlines": 'x"\n} UNION {\n?s ?p ?o .\n#',
    "comment": "# } UNION {",
    "iri-close": "> } UNION { ?s ?p ?o } #",
    "triple-quote": '""" } UNION { ?s ?p ?o } #',
    "backslash-escape": '\\" } #',
    "filter-always-true": '") || true || ("',
}

HOSTILE = {key: URIRef(f"http://example.org/hostile/{key}") for key in INJECTIONS}

#: The strings tried in every parameter of every stored query: together they hold both quotes, a triple quote,
#: `}`, `>`, UNION, newlines, `#` and a backslash (the sweep runs 15 parameters, so it takes the strongest six).
SWEEP = (
    "union-after-double-quote",
    "union-after-single-quote",
    "union-across-newlines",
    "iri-close",
    "triple-quote",
    "backslash-escape",
)

#: Every (stored query, parameter) pair: each gets every injection string.
PARAMETERS = [(query.name, parameter.name) for query in stored_queries() for parameter in query.parameters]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeGraph:
    """The packaged graph plus one condition per injection string, labelled with that string."""
    assert len({" ".join(text.casefold().split()) for text in INJECTIONS.values()}) == len(INJECTIONS)  # unambiguous
    graph = new_graph()
    for key, text in INJECTIONS.items():
        graph.add((HOSTILE[key], RDF.type, NKG.Condition))
        graph.add((HOSTILE[key], RDFS.label, Literal(text)))
    path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    path.write_bytes(graph.serialize(format="turtle", encoding="utf-8"))
    return KnowledgeGraph.load([path])


def test_every_parameter_of_every_stored_query_is_covered() -> None:
    assert len(PARAMETERS) >= 15
    assert {stored_query(name).parameter(parameter).kind for name, parameter in PARAMETERS} == {
        "entity",
        "literal",
        "iri",
    }


@pytest.mark.parametrize(("name", "parameter"), PARAMETERS)
def test_injection_strings_are_plain_values(hostile: KnowledgeGraph, name: str, parameter: str) -> None:
    query = stored_query(name)
    others = {p.name: p.example or "" for p in query.parameters if p.name != parameter}
    kind = query.parameter(parameter).kind
    for key in SWEEP:
        text = INJECTIONS[key]
        arguments = {**others, parameter: text}
        if kind == "entity":
            # The text names exactly the hostile entity, which has a type and a label and nothing else: spliced in,
            # "UNION { ?s ?p ?o }" would return thousands of rows about everything; bound, at most those two facts.
            assert hostile.resolve(text, parameter) == HOSTILE[key]
            rows = hostile.query(name, inferred=False, **arguments).rows
            assert len(rows) <= 2, key
            iris = {term for row in rows for term in row if isinstance(term, URIRef)}
            assert iris <= {HOSTILE[key], RDF.type, RDFS.label, NKG.Condition}, key
        elif kind == "literal":
            rows = hostile.query(name, inferred=False, **arguments).dicts()
            assert rows, key  # at least the hostile entity, whose label is the text itself
            assert {row["entity"] for row in rows if row["entityLabel"] == Literal(text)} == {HOSTILE[key]}
            assert all(text.lower() in str(row["matched"]).lower() for row in rows), key
        else:
            # an IRI cannot hold these characters: refused before any engine sees it, or, if valid, a plain IRI
            with pytest.raises(ParameterError, match=r"is not a valid IRI|not an IRI or a CURIE"):
                hostile.query(name, inferred=False, **{**arguments, parameter: f"MESH:{text}"})


@pytest.mark.parametrize("key", sorted(INJECTIONS))
def test_ad_hoc_query_parameters_are_bound_as_terms(hostile: KnowledgeGraph, key: str) -> None:
    result = hostile.query(
        "SELECT ?x ?label WHERE { ?x rdfs:label ?label }", inferred=False, timeout=None, x=INJECTIONS[key]
    )
    assert result.rows == ((HOSTILE[key], Literal(INJECTIONS[key])),)


def test_an_ad_hoc_parameter_the_query_does_not_select_is_a_query_error(hostile: KnowledgeGraph) -> None:
    with pytest.raises(QueryError, match="does not contain"):
        hostile.query("SELECT ?label WHERE { ?x rdfs:label ?label }", inferred=False, timeout=None, x="tingling")


def test_the_rdflib_engine_binds_terms_too(hostile: KnowledgeGraph) -> None:
    reference = KnowledgeGraph(hostile.asserted, engine="rdflib")
    for key in ("union-after-double-quote", "union-across-newlines"):
        text = INJECTIONS[key]
        rows = reference.query("search", inferred=False, text=text).dicts()
        assert HOSTILE[key] in {row["entity"] for row in rows}
        assert all(text.lower() in str(row["matched"]).lower() for row in rows)
        symptoms = reference.query("symptoms", inferred=False, condition=text).rows
        assert symptoms == ()


def test_cli_parameters_are_values_too(capsys: pytest.CaptureFixture[str]) -> None:
    """On the shipped graph no label holds the text, so a plain value finds nothing; spliced in, it finds all."""
    for text, found in (
        (INJECTIONS["union-after-double-quote"], False),
        (INJECTIONS["union-across-newlines"], False),
        ("tingl", True),
    ):
        assert main(["query", "search", "--param", f"text={text}", "--format", "json"]) == 0
        bindings = json.loads(capsys.readouterr().out)["results"]["bindings"]
        assert (len(bindings) > 0) == found, text


# ---------------------------------------------------------------------- SERVICE, LOAD, updates, FROM


REMOTE = "http://example.org/remote"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[str, list[str]]]:
    """A loopback SPARQL endpoint recording every request: (its URL, the paths requested)."""
    with serving.recording_endpoint(REMOTE) as (base, hits):
        yield f"{base}sparql", hits


def refused_queries(url: str, secret: Path) -> dict[str, str]:
    return {
        "SERVICE": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SERVICE SILENT in OPTIONAL": f"SELECT * {{ ?a ?b ?c OPTIONAL {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }}",
        "SERVICE in a subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        "SERVICE escaped": f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SERVICE a file": f"SELECT * WHERE {{ SERVICE <{secret.as_uri()}> {{ ?s ?p ?o }} }}",
        "LOAD": f"LOAD <{url}>",
        "LOAD a file": f"LOAD <{secret.as_uri()}>",
        "INSERT DATA": "INSERT DATA { entity:tingling rdfs:label 'changed' }",
        "DELETE WHERE": "DELETE WHERE { ?s ?p ?o }",
        "CLEAR": "CLEAR ALL",
        "DROP": "DROP ALL",
        "FROM a URL": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        "FROM a file": f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}",
        "FROM NAMED": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    }


@pytest.mark.parametrize("engine", ["oxigraph", "rdflib"])
def test_service_load_updates_and_from_are_refused_and_reach_nothing(
    shipped: KnowledgeGraph, endpoint: tuple[str, list[str]], tmp_path: Path, engine: str
) -> None:
    url, hits = endpoint
    secret = tmp_path / "secret.nt"
    secret.write_text('<http://example.org/secret> <http://example.org/is> "SECRET" .\n')
    graph = KnowledgeGraph(shipped.asserted, engine=engine)
    before = len(hits)
    for what, sparql in refused_queries(url, secret).items():
        with pytest.raises(QueryError) as caught:
            graph.query(sparql, inferred=False, timeout=None)
        assert "refused" in str(caught.value) or "not a valid SPARQL query" in str(caught.value), what
        assert "SECRET" not in str(caught.value)
    assert hits[before:] == []
    assert graph.query("ASK { entity:tingling rdfs:label 'changed' }", inferred=False, timeout=None).boolean is False


def test_service_runs_only_when_the_caller_opts_in(shipped: KnowledgeGraph, endpoint: tuple[str, list[str]]) -> None:
    url, hits = endpoint
    sparql = f"SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    before = len(hits)
    with pytest.raises(QueryError, match="SERVICE"):
        shipped.query(sparql)
    assert hits[before:] == []
    # a worker process makes the call (the default time limit), so the endpoint's thread here can answer it
    result = shipped.query(sparql, allow_service=True)
    assert result.rows == ((URIRef(REMOTE),),)
    assert len(hits) == before + 1


def test_opting_in_still_refuses_files_and_variable_endpoints(shipped: KnowledgeGraph, tmp_path: Path) -> None:
    secret = tmp_path / "secret.nt"
    secret.write_text('<http://example.org/secret> <http://example.org/is> "SECRET" .\n')
    for sparql in (
        f"SELECT * WHERE {{ SERVICE <{secret.as_uri()}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { BIND(<file:///etc/passwd> AS ?where) SERVICE ?where { ?s ?p ?o } }",
        f"SELECT * FROM <{secret.as_uri()}> WHERE {{ ?s ?p ?o }}",
    ):
        with pytest.raises(QueryError, match="refused"):
            shipped.query(sparql, allow_service=True, timeout=None)
