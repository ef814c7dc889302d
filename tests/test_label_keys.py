"""The label index: every label resolves as the scan of every label did, from memory or the snapshot's file,
changes to the graph are seen by the next lookup, and what names nothing or several gets the same errors."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal
from rdflib.namespace import RDFS, SKOS

from kg import KnowledgeGraph, ParameterError
from kg.label_keys import FileLabelKeys, MemoryLabelKeys, label_entries, normal, write_label_keys
from kg.resolve import look_up_label
from kg.snapshot import ASSERTED_GRAPH, Snapshot, label_keys
from kg.terms import ENTITY

EX = "https://example.org/"

#: Two resources share a label; a class and a resource share another (the resource wins); one label is a prefix
#: of others (a bisection must not stop at it or run past it).
SMALL = "".join(
    f"<{EX}{subject}> <{predicate}> {obj} .\n"
    for subject, predicate, obj in [
        ("a", RDFS.label, '"Twin"'),
        ("b", RDFS.label, '"twin"'),
        ("c", RDFS.label, '"Twin  peaks"'),
        ("c", SKOS.altLabel, '"twi"'),
        ("d", RDFS.label, '"shared"'),
        ("D", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "<http://www.w3.org/2002/07/owl#Class>"),
        ("D", RDFS.label, '"Shared"'),
        ("D", SKOS.altLabel, '"only the class"'),
        ("e", SKOS.altLabel, '"twin peaks"'),
    ]
).encode()


@pytest.fixture(scope="module")
def opened(shipped: KnowledgeGraph) -> KnowledgeGraph:
    return KnowledgeGraph.open()


def _every_label(graph: KnowledgeGraph) -> set[str]:
    return {
        str(label) for predicate in (RDFS.label, SKOS.altLabel) for label in graph.asserted.objects(None, predicate)
    }


def test_every_label_and_synonym_resolves_as_the_scan_did(shipped: KnowledgeGraph, opened: KnowledgeGraph) -> None:
    """The packaged graph's labels, as given and as typed carelessly: the index in memory and the snapshot's file
    give what one query over every label gave (kg.resolve.look_up_label), and what the full LabelIndex gives."""
    assert opened._snapshot is not None, "KnowledgeGraph.open serves the snapshot"
    in_memory = label_keys(None, shipped.store(inferred=False))
    in_file = opened._snapshot.label_keys()
    engine = shipped._engine(inferred=False)
    labels = _every_label(shipped)
    assert len(labels) > 100
    scans: dict[str, ox.NamedNode | None] = {}  # look_up_label sends the store only the normalised text
    for label in sorted(labels):
        for typed in (label, f"  {label.upper()} ", label.replace(" ", "   ")):
            if normal(typed) not in scans:
                scans[normal(typed)] = look_up_label(engine, typed)
            scanned = scans[normal(typed)]
            assert in_memory.find(typed) == scanned, typed
            assert in_file.find(typed) == scanned, typed
            try:
                expected = str(shipped.labels.resolve(typed))
            except ParameterError:
                assert scanned is None, typed
                continue
            if ":" not in typed and "<" not in typed:
                assert scanned is not None, typed
                assert scanned.value == expected, typed
            assert str(opened.resolve(typed)) == expected, typed


def test_the_file_index_finds_what_the_memory_index_finds(tmp_path: Path) -> None:
    graph = KnowledgeGraph(SMALL)
    entries = list(label_entries(graph.store(inferred=False), ASSERTED_GRAPH))
    write_label_keys(tmp_path / "labels.tsv", entries)
    in_memory, in_file = MemoryLabelKeys(entries), FileLabelKeys(tmp_path / "labels.tsv")
    for typed in ["twin", "twin peaks", "twi", "tw", "twin peaksx", "shared", "only the class", "", "zzz", "a"]:
        assert in_file.matches(typed) == sorted(in_memory.matches(typed)), typed
        assert in_file.find(typed) == in_memory.find(typed), typed
    assert in_file.find("TWIN") is None, "two resources: several, no answer (LabelIndex gives the error)"
    assert in_file.matches("twin peaks") == [(0, f"{EX}c"), (1, f"{EX}e")]


def test_an_empty_graph_has_an_empty_index(tmp_path: Path) -> None:
    write_label_keys(tmp_path / "labels.tsv", [])
    assert FileLabelKeys(tmp_path / "labels.tsv").find("anything") is None


@pytest.mark.parametrize("from_snapshot", [False, True])
def test_ambiguous_and_unknown_labels_give_the_same_errors(tmp_path: Path, from_snapshot: bool) -> None:
    graph = KnowledgeGraph(SMALL)
    if from_snapshot:  # the label parts of a snapshot, as KnowledgeGraph.open would use them
        graph._snapshot = Snapshot.build(tmp_path, "small", SMALL, b"")
    with pytest.raises(ParameterError) as raised:
        graph.resolve("TWIN", "condition")
    assert str(raised.value) == (f"condition='TWIN' is ambiguous: it names {EX}a, {EX}b; give an IRI or CURIE")
    with pytest.raises(ParameterError) as raised:
        graph.resolve("twin peeks", "condition")
    assert str(raised.value) == "condition='twin peeks' names nothing in the graph; closest labels: 'Twin  peaks'"
    assert str(graph.resolve("Twin Peaks ")) == f"{EX}c", "a label comes before a synonym of another resource"
    assert str(graph.resolve("shared")) == f"{EX}d", "data comes before an ontology term"
    assert str(graph.resolve("only the class")) == f"{EX}D", "a term where no data resource takes the label"


@pytest.mark.parametrize("source", ["loaded", "opened"])
def test_a_change_to_the_graph_is_seen_by_the_next_label_lookup(source: str) -> None:
    graph = KnowledgeGraph.load() if source == "loaded" else KnowledgeGraph.open()
    assert graph.resolve("fish") == ENTITY.fish  # the index is made (or read) before the change
    with pytest.raises(ParameterError, match="names nothing"):
        graph.resolve("a brand new label")
    graph.asserted.add((ENTITY.newcomer, RDFS.label, Literal("a brand new label")))
    graph.asserted.remove((ENTITY.fish, RDFS.label, None))
    assert graph.resolve("A brand new label") == ENTITY.newcomer
    with pytest.raises(ParameterError):
        graph.resolve("fish")
