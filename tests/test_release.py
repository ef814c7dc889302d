"""Release files: base and full in three syntaxes, mappings and summary, each with the ontology's version IRI."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from kg import KnowledgeGraph, cli
from kg.errors import InputError
from kg.mappings import read_mapping_set
from kg.packaged import mapping_file
from kg.release import owl_dl_graph, release_bytes, release_files, release_version

ONTOLOGY = URIRef("https://w3id.org/neuropathy-kg/ontology")
VERSION_IRI = URIRef("https://w3id.org/neuropathy-kg/releases/2026-11-23/ontology")
PARSERS = {".ttl": "turtle", ".owl": "xml", ".jsonld": "json-ld"}
ONTOLOGY_FILE = Path(__file__).parent.parent / "ontology" / "neuropathy-kg.ttl"


@pytest.fixture(scope="module")
def files(shipped: KnowledgeGraph) -> dict[str, bytes]:
    return release_files(shipped)


def parsed(data: bytes, suffix: str) -> Graph:
    graph = Graph()
    graph.parse(data=data, format=PARSERS[suffix])
    return graph


def test_the_release_has_base_full_mappings_and_summary(files: dict[str, bytes]) -> None:
    assert sorted(files) == [
        "neuropathy-kg-base.jsonld",
        "neuropathy-kg-base.owl",
        "neuropathy-kg-base.ttl",
        "neuropathy-kg-full.jsonld",
        "neuropathy-kg-full.owl",
        "neuropathy-kg-full.ttl",
        "neuropathy-kg-mappings.sssom.tsv",
        "neuropathy-kg-summary.json",
    ]


@pytest.mark.parametrize("suffix", [".ttl", ".owl", ".jsonld"])
def test_base_is_the_asserted_graph_and_full_adds_the_inferences(
    shipped: KnowledgeGraph, files: dict[str, bytes], suffix: str
) -> None:
    base = parsed(files[f"neuropathy-kg-base{suffix}"], suffix)
    full = parsed(files[f"neuropathy-kg-full{suffix}"], suffix)
    assert len(base) == len(shipped.asserted)
    assert len(full) == len(shipped.asserted) + len(shipped.reason())
    for graph in (base, full):
        assert (ONTOLOGY, OWL.versionIRI, VERSION_IRI) in graph


def test_the_rdfxml_base_is_the_same_graph_with_owl_dl_names(shipped: KnowledgeGraph, files: dict[str, bytes]) -> None:
    """The .owl files are OWL 2 DL: the claims' rdf:subject/predicate/object are nkg:claimSubject/... there."""
    owl = parsed(files["neuropathy-kg-base.owl"], ".owl")
    assert isomorphic(owl, owl_dl_graph(shipped.asserted))
    assert not set(owl.triples((None, RDF.subject, None)))
    assert isomorphic(parsed(files["neuropathy-kg-base.ttl"], ".ttl"), shipped.asserted)


def test_the_mappings_name_the_version_and_keep_every_row(files: dict[str, bytes], tmp_path: Path) -> None:
    released = tmp_path / "mappings.sssom.tsv"
    released.write_bytes(files["neuropathy-kg-mappings.sssom.tsv"])
    metadata, rows = read_mapping_set(released)
    assert metadata["subject_source_version"] == str(VERSION_IRI)
    assert metadata["subject_source"] == str(ONTOLOGY)
    assert rows == read_mapping_set(mapping_file())[1]


def test_the_summary_counts_and_checks_every_file(shipped: KnowledgeGraph, files: dict[str, bytes]) -> None:
    summary = json.loads(files["neuropathy-kg-summary.json"])
    assert summary["versionIRI"] == str(VERSION_IRI)
    assert summary["versionInfo"] == "2026-11-23"
    assert summary["triples"] == {"base": len(shipped.asserted), "full": len(shipped.asserted) + len(shipped.reason())}
    assert summary["counts"]["Claim resources"] == 94
    for name, entry in summary["files"].items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
    assert len(summary["files"]) == len(files) - 1


def test_the_version_comes_from_the_ontology_not_from_the_clock() -> None:
    graph = Graph()
    graph.add((ONTOLOGY, RDF.type, OWL.Ontology))
    graph.add((ONTOLOGY, OWL.versionIRI, URIRef("https://w3id.org/neuropathy-kg/releases/2001-02-03/ontology")))
    graph.add((ONTOLOGY, OWL.versionInfo, Literal("2001-02-03")))
    version = release_version(graph)
    assert (version.version_iri.split("/")[-2], version.version_info) == ("2001-02-03", "2001-02-03")


def test_a_release_without_a_version_iri_says_where_to_add_it() -> None:
    graph = Graph()
    graph.add((ONTOLOGY, RDF.type, OWL.Ontology))
    with pytest.raises(InputError, match=r"owl:versionIRI .* in ontology/neuropathy-kg\.ttl"):
        release_version(graph)


def test_the_files_do_not_depend_on_blank_node_labels(shipped: KnowledgeGraph, files: dict[str, bytes]) -> None:
    reparsed = Graph()
    reparsed.parse(data=files["neuropathy-kg-base.ttl"], format="turtle")  # new blank-node labels
    for suffix in (".owl", ".jsonld"):
        assert release_bytes(reparsed, suffix) == files[f"neuropathy-kg-base{suffix}"]


def test_the_files_are_byte_identical_in_another_process() -> None:
    script = (
        "import sys; from rdflib import Graph; from kg.release import release_bytes\n"
        f"graph = Graph().parse({str(ONTOLOGY_FILE)!r})\n"
        "sys.stdout.buffer.write(release_bytes(graph, '.owl') + release_bytes(graph, '.jsonld'))\n"
    )
    local = Graph().parse(ONTOLOGY_FILE)
    expected = release_bytes(local, ".owl") + release_bytes(local, ".jsonld")
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, env=environment, check=True)
        assert run.stdout == expected


def test_an_unknown_syntax_is_an_input_error(shipped: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="unknown release syntax"):
        release_bytes(shipped.asserted, ".xml")


def test_kg_release_writes_the_same_bytes_again(
    shipped: KnowledgeGraph, files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The `files` fixture was the first run; the command is the second."""
    monkeypatch.setattr(cli, "_graph", lambda args: shipped)
    assert cli.main(["release", "-o", str(tmp_path)]) == 0
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == files
