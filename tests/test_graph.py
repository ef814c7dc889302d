"""KnowledgeGraph.open: the reasoned graph served from its snapshot on disk, equal to loading and reasoning."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS, XSD
from shared_graphs import assert_isomorphic

import kg.assemble
import kg.graph
from kg import KnowledgeGraph, ParameterError
from kg.resolve import look_up_label
from kg.snapshot import ASSERTED_GRAPH
from kg.terms import ENTITY


def _rows(graph: KnowledgeGraph, name: str, **params: str) -> set[tuple[str, ...]]:
    return {tuple(str(term) for term in row) for row in graph.query(name, **params).rows}


@pytest.fixture
def opened(shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> KnowledgeGraph:
    """A second open of the shipped files, which must come from the snapshot and never parse a file."""
    KnowledgeGraph.open()  # builds the snapshot, if no earlier test did

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a snapshot hit must not parse any file")

    monkeypatch.setattr(kg.assemble, "ntriples_of", no_parsing)
    return KnowledgeGraph.open()


def test_snapshot_answers_like_the_loaded_graph(shipped: KnowledgeGraph, opened: KnowledgeGraph) -> None:
    for name, params in [
        ("symptoms", {"condition": "peripheral neuropathy"}),
        ("causal-chain", {"from": "strict vegetarian diet", "to": "peripheral neuropathy"}),
        ("xref", {"id": "MESH:D014806"}),
    ]:
        assert _rows(opened, name, **params) == _rows(shipped, name, **params), name


def test_snapshot_keeps_asserted_and_inferred_apart(shipped: KnowledgeGraph, opened: KnowledgeGraph) -> None:
    ask = "ASK { entity:strict-vegetarian-diet nkg:predisposesTo entity:vitamin-b12-deficiency }"  # derived
    assert opened.query(ask).boolean is True
    assert opened.query(ask, inferred=False).boolean is False
    assert set(opened.reason()) == set(shipped.reason())
    assert_isomorphic(opened.asserted, shipped.asserted)  # the asserted graph comes back exactly, datatypes included


def test_changes_to_the_handed_out_graph_are_queried(opened: KnowledgeGraph) -> None:
    opened.asserted.add((ENTITY.fish, RDFS.comment, Literal("changed after opening")))
    ask = 'ASK { entity:fish rdfs:comment "changed after opening" }'
    assert opened.query(ask).boolean is True


def test_label_lookup_in_the_snapshot_agrees_with_the_label_index(
    shipped: KnowledgeGraph, opened: KnowledgeGraph
) -> None:
    """The snapshot answers a plain label with one query; on every label and synonym it must agree with the
    full index (or leave the value to it, as for ambiguous labels)."""
    labels = {
        str(label) for predicate in (RDFS.label, SKOS.altLabel) for label in shipped.asserted.objects(None, predicate)
    }
    answered = 0
    for label in sorted(labels):
        try:
            expected = shipped.resolve(label)
        except ParameterError:
            assert look_up_label(opened._engine(inferred=False), label) is None, label
            continue
        found = look_up_label(opened._engine(inferred=False), label)
        if found is not None:
            answered += 1
            assert found.value == str(expected), label
        assert opened.resolve(label.upper()) == expected, label
    assert answered > 0.9 * len(labels)


def test_querying_a_snapshot_imports_neither_rdflib_nor_owlrl() -> None:
    """The `kg query` path below the CLI: open the snapshot, resolve a label, run a stored query, render every
    result format. rdflib and owlrl (most of a second to import) are for the reference engines and views only."""
    KnowledgeGraph.open()  # the snapshot exists before the subprocess opens it
    script = """
import sys
from kg.graph import KnowledgeGraph
graph = KnowledgeGraph.open()
result = graph.query("symptoms", condition="peripheral neuropathy")
assert len(result) > 0
for name in ("table", "csv", "tsv", "json", "xml"):
    assert result.serialize(name)
print(sorted({name.split(".")[0] for name in sys.modules if name.split(".")[0] in ("rdflib", "owlrl")}))
"""
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]", ran.stderr


def test_a_graph_given_to_the_constructor_is_the_graph_changes_included() -> None:
    given = Graph()
    given.add((ENTITY.fish, RDFS.label, Literal("fish")))
    graph = KnowledgeGraph(given)
    ask = 'ASK { entity:fish rdfs:comment "added later" }'
    assert graph.query(ask, inferred=False).boolean is False
    given.add((ENTITY.fish, RDFS.comment, Literal("added later")))
    assert graph.query(ask, inferred=False).boolean is True


def test_the_graph_keeps_its_exact_ntriples_while_the_store_normalises() -> None:
    """Oxigraph's store keeps a literal's value (as xsd:integer); the N-Triples and the views keep its datatype."""
    exact = b'<https://example.org/a> <https://example.org/p> "5"^^<%s> .\n' % str(XSD.nonNegativeInteger).encode()
    graph = KnowledgeGraph(exact)
    assert graph.ntriples() == exact
    [[value]] = graph.query("SELECT ?o WHERE { ?s ?p ?o }", inferred=False).rows
    assert value == Literal(5)
    [stated] = graph.asserted.objects()
    assert stated == Literal(5, datatype=XSD.nonNegativeInteger)


_TINY = (
    b"<http://ex.org/a> <http://ex.org/p> <http://ex.org/b> .\n"
    b'<http://ex.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .\n'
)
_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_a_graph_queried_in_workers_reads_its_ntriples_from_their_files_not_from_memory() -> None:
    """The workers' files hold the exact N-Triples: the graph reads them from there rather than hold a second
    copy (0.45 GiB at 1M triples); a change takes them back into memory before the workers and files go."""
    graph = KnowledgeGraph(_TINY)
    view = graph.asserted  # handed out, not read yet: it too reads the file
    assert graph.query(_COUNT, inferred=False).rows[0][0].toPython() == 2  # ad-hoc SPARQL runs in a worker
    assert ASSERTED_GRAPH not in graph._ntriples
    assert graph.ntriples() == _TINY
    assert graph.export("ntriples") == _TINY
    assert len(view) == 2
    view.add((URIRef("http://ex.org/b"), RDFS.label, Literal("b")))
    assert graph.query(_COUNT, inferred=False).rows[0][0].toPython() == 3
    assert graph.ntriples().count(b"\n") == 3


def test_exports_of_a_large_graph_stop_idle_workers_and_the_next_query_starts_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker holds its own copy of the graph: an export of a large graph (which needs the graph in this process)
    stops the idle ones first, and lets the store in memory go; the next query starts a worker and builds the store
    again. (Large: past kg.graph._LARGE_EXPORT_BYTES, lowered here to make the tiny graph large.)"""
    monkeypatch.setattr(kg.graph, "_LARGE_EXPORT_BYTES", 0)
    graph = KnowledgeGraph(_TINY)
    graph.query(_COUNT, inferred=False)
    [pool] = graph._workers.values()
    assert pool._idle.qsize() == 1
    assert graph.export_to(io.BytesIO(), "turtle") > 0
    assert pool._idle.qsize() == 0
    assert graph._store is None  # the store in memory went too: the next query builds it again
    assert graph.release_workers() == 0  # none left idle
    assert graph.query(_COUNT, inferred=False).rows[0][0].toPython() == 2
    assert pool._idle.qsize() == 1
    assert graph.release_workers() == 1


def test_exports_of_a_small_graph_keep_the_workers_and_the_store() -> None:
    graph = KnowledgeGraph(_TINY)
    graph.query(_COUNT, inferred=False)
    graph.query("neuropathy-types", inferred=False, timeout=None)  # in this process: builds the store
    [pool] = graph._workers.values()
    store = graph._store
    assert store is not None
    assert graph.export_to(io.BytesIO(), "turtle") > 0
    assert pool._idle.qsize() == 1
    assert graph._store is store
