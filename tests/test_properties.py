"""Property-based: mutated data files and random parameter values never raise anything but the project's errors."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, XSD

from kg import DataFileError, KGError, KnowledgeGraph
from kg.cli import main
from kg.export import canonical_ntriples, canonical_turtle
from kg.queries import stored_queries
from kg.store import new_graph, parse_into

#: Deterministic: the same examples on every run and machine; no example database written into the checkout.
PROPERTY = settings(
    max_examples=100, derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FEW = settings(max_examples=8, derandomize=True, database=None, deadline=None)


def _seed_graph() -> Graph:
    """A little of everything the parsers handle: prefixes, language tags, datatypes, blank nodes, a list."""
    ex = "http://example.org/"
    graph = new_graph()
    subject = URIRef(ex + "vitamin-b12-deficiency")
    graph.add((subject, RDF.type, URIRef(ex + "Condition")))
    graph.add((subject, RDFS.label, Literal("vitamin B12 deficiency", lang="en")))
    graph.add((subject, URIRef(ex + "quote"), Literal('a "quoted" word, a tab\tand a newline\n', lang="en")))
    graph.add((subject, URIRef(ex + "start"), Literal(491, datatype=XSD.integer)))
    graph.add((subject, URIRef(ex + "checked"), Literal(True)))
    qualifier = BNode("qualifier")
    graph.add((subject, URIRef(ex + "qualifiedBy"), qualifier))
    graph.add((qualifier, URIRef(ex + "modality"), Literal("may")))
    graph.add((qualifier, RDFS.comment, Literal("café – naïve ’quotes’")))
    return graph


def _seed_dataset() -> Dataset:
    dataset = Dataset()
    named = dataset.graph(URIRef("http://example.org/graph/claims"))
    for triple in _seed_graph():
        named.add(triple)
    return dataset


SEEDS: dict[str, str] = {
    ".ttl": _seed_graph().serialize(format="turtle"),
    ".nt": _seed_graph().serialize(format="nt"),
    ".jsonld": _seed_graph().serialize(format="json-ld"),
    ".rdf": _seed_graph().serialize(format="xml"),
    ".trig": _seed_dataset().serialize(format="trig"),
}

#: Characters that matter to some RDF syntax, plus a few that matter to none.
SYNTAX = [*"<>\"'{}[]().,;:@^#\\_-%&=/ \n\t", "é", "’", "\x00", "\x7f", "\ufeff", "𝄞"]


#: Built once: a strategy built anew in every draw is validated anew (the character tables of st.characters),
#: which took most of the mutated-file tests' time.
EDITS = st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate"])
INSERTED = st.text(alphabet=st.sampled_from(SYNTAX) | st.characters(exclude_categories=["Cs"]), max_size=6)


@st.composite
def mutations(draw: st.DrawFn, suffix: str) -> str:
    """The seed document in the syntax of `suffix`, with one to four random edits."""
    text = SEEDS[suffix]
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        edit = draw(EDITS)
        if edit == "truncate":
            text = text[:position]
            continue
        size = draw(st.integers(1, 12))
        if edit == "duplicate":
            text = text[:position] + text[position : position + size] * 2 + text[position + size :]
            continue
        new = draw(INSERTED)
        cut = 0 if edit == "insert" else size
        text = text[:position] + ("" if edit == "delete" else new) + text[position + cut :]
    return text


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kg-properties-") as folder:
        yield Path(folder)


def test_every_seed_parses_as_it_is(scratch: Path) -> None:
    for suffix, text in SEEDS.items():
        path = scratch / f"seed{suffix}"
        path.write_text(text, encoding="utf-8")
        graph = new_graph()
        assert parse_into(graph, path) == len(_seed_graph()), suffix


@pytest.mark.parametrize("suffix", sorted(SEEDS))
def test_a_mutated_file_loads_cleanly_or_raises_a_data_file_error(scratch: Path, suffix: str) -> None:
    @PROPERTY
    @given(text=mutations(suffix))
    def check(text: str) -> None:
        path = scratch / f"mutated{suffix}"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        graph = new_graph()
        try:
            parse_into(graph, path)
        except DataFileError as error:
            failed: DataFileError | None = error
        else:
            failed = None
        if failed is not None:
            assert failed.path == str(path)
            return
        # whatever loads can be written out and read back as the same graph
        for exported, syntax in ((canonical_turtle(graph), "turtle"), (canonical_ntriples(graph), "nt")):
            again = Graph()
            again.parse(data=exported.decode("utf-8"), format=syntax)
            assert isomorphic(again, graph)

    check()


#: Inputs these properties once failed on, kept so the fixes stay fixed: (file, what went wrong before).
FOUND = {
    "relative-iri.nt": ("</a> <http://example.org/p> <http://example.org/o> .\n", "kept as written; export unreadable"),
    "relative-datatype.nt": ('<http://example.org/s> <http://example.org/p> "1"^^</i> .\n', "the same, as datatype"),
    "no-break-space-iri.ttl": ("<http://example.org/\xa0s> <http://example.org/p> 1 .\n", "export unreadable"),
    "control-character.ttl": ('<http://example.org/s> <http://example.org/p> "\x1e" .\n', "export unreadable"),
    "next-line.ttl": ('<http://example.org/s> <http://example.org/p> "a\x85b" .\n', "export cut the line in two"),
    "line-separator.ttl": ('<http://example.org/s> <http://example.org/p> "a\u2028b" .\n', "the same"),
    "odd-blank-node.jsonld": ('{"@id": "_:;b", "http://example.org/p": "x"}', "export wrote _:;b, not N-Triples"),
    "unknown-encoding.rdf": ('<?xml version="1.0" encoding="tf-8"?><rdf:RDF/>', "LookupError escaped"),
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_inputs_found_by_these_properties(scratch: Path, name: str) -> None:
    path = scratch / name
    path.write_bytes(FOUND[name][0].encode("utf-8"))
    graph = new_graph()
    try:
        parse_into(graph, path)
    except DataFileError:
        return
    exported = canonical_ntriples(graph)
    again = Graph()
    again.parse(data=exported.decode("utf-8"), format="nt")
    assert isomorphic(again, graph)
    assert exported.count(b"\n") == len(graph)


def test_the_cli_on_a_mutated_file_exits_0_1_or_2_and_never_raises(scratch: Path) -> None:
    @FEW
    @given(text=mutations(".ttl"))
    def check(text: str) -> None:
        path = scratch / "cli.ttl"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        assert main(["format", "--check", str(path)]) in (0, 1, 2)

    check()


PARAMETERISED = sorted(query.name for query in stored_queries() if query.parameters)


@PROPERTY
@given(name=st.sampled_from(PARAMETERISED), value=st.text(max_size=40), extra=st.booleans())
def test_random_parameter_values_raise_only_project_errors(
    shipped: KnowledgeGraph, name: str, value: str, extra: bool
) -> None:
    query = next(query for query in stored_queries() if query.name == name)
    arguments = {parameter.name: value for parameter in query.parameters}
    if extra:
        arguments["unexpected"] = value
    with contextlib.suppress(KGError):
        shipped.query(name, **arguments)


@PROPERTY
@given(value=st.text(max_size=40))
def test_random_ad_hoc_parameter_values_raise_only_project_errors(shipped: KnowledgeGraph, value: str) -> None:
    try:
        result = shipped.query("SELECT ?x ?label WHERE { ?x rdfs:label ?label }", timeout=None, x=value)
    except KGError:
        return
    assert all(row[0] == result.rows[0][0] for row in result.rows)  # bound: one subject, never a widened query


BASE_QUERIES = (
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(?label, 'B12')) } ORDER BY ?label LIMIT 5",
    "ASK { entity:tingling a nkg:Symptom }",
    "CONSTRUCT { ?s rdfs:label ?l } WHERE { ?s a nkg:Neuropathy ; rdfs:label ?l }",
)


QUERY_EDITS = st.lists(
    st.sampled_from([*SYNTAX, *"?$*!|+", " SERVICE ", " UNION ", " LOAD ", " FROM ", "?s"]), max_size=4
)


@st.composite
def mutated_queries(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(BASE_QUERIES))
    for _ in range(draw(st.integers(1, 3))):
        position = draw(st.integers(0, len(text)))
        new = "".join(draw(QUERY_EDITS))
        text = text[:position] + new + text[position + draw(st.integers(0, 6)) :]
    return text


@PROPERTY
@given(sparql=mutated_queries())
def test_mutated_ad_hoc_queries_raise_only_project_errors(shipped: KnowledgeGraph, sparql: str) -> None:
    with contextlib.suppress(KGError):
        shipped.query(sparql, timeout=None, max_rows=200)


def test_random_cli_parameters_exit_0_1_or_2(capsys: pytest.CaptureFixture[str]) -> None:
    @FEW
    @given(value=st.text(max_size=30))
    def check(value: str) -> None:
        code = main(["query", "symptoms", "--asserted-only", "--param", f"condition={value}"])
        assert code in (0, 1, 2)
        assert capsys.readouterr().err.count("\n") <= 1

    check()
