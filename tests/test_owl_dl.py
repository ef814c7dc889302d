"""The OWL release is OWL 2 DL, consistent for HermiT and Pellet, with no unsatisfiable class: checked by real OWL tools
(the OWL API's profile checker, HermiT and Pellet, as jars shipped in the owlready2 package, run on a Java runtime)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections import defaultdict
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import pytest
from rdflib import URIRef
from recorded import digest, replayed
from shared_graphs import Reading, live_reading, parse, reading_key

from kg import KnowledgeGraph
from kg.mappings import read_mapping_set
from kg.packaged import mapping_file
from kg.release import owl_dl_graph, release_ntriples_bytes
from kg.snapshot import INFERRED_GRAPH
from kg.sssom_formats import export_mapping_set

CHECKER = Path(__file__).parent / "owl" / "OwlCheck.java"
INSTALL_JAVA = "apt-get install -y --no-install-recommends default-jre-headless"

#: What made the release OWL 2 Full and, for Pellet, inconsistent: an rdf:Statement superclass, an rdf:langString
#: range, an undeclared annotation property and class. The checker must report each, or its silence proves nothing.
FULL_ONTOLOGY = """
@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/full> a owl:Ontology .
ex:Claim a owl:Class ; rdfs:subClassOf rdf:Statement .
ex:modality a owl:DatatypeProperty ; rdfs:domain ex:Claim ; rdfs:range rdf:langString .
ex:claim a ex:Claim, ex:Undeclared ; ex:modality "can"@en ; ex:note "an undeclared annotation property" .
"""
UNSATISFIABLE_ONTOLOGY = """
@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/unsatisfiable> a owl:Ontology .
ex:A a owl:Class ; rdfs:subClassOf ex:B ; owl:disjointWith ex:B .
ex:B a owl:Class .
"""


def _owl_jars() -> str:
    """The class path of the OWL API 3, HermiT and Pellet jars in the owlready2 package (no download at run time)."""
    owlready2 = pytest.importorskip("owlready2", reason="pip install -e '.[test]' installs owlready2")
    folder = Path(owlready2.__file__).parent
    jars = [folder / "hermit" / "HermiT.jar", *sorted((folder / "pellet").glob("*.jar"))]
    return ":".join(str(jar) for jar in jars)


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        pytest.fail(f"no Java runtime for the OWL tools: install one with `{INSTALL_JAVA}` (as .ci/run does)")
    return java


def _run_checker(folder: Path, names: tuple[str, ...]) -> str:
    run = subprocess.run(
        [_java(), "-cp", _owl_jars(), str(CHECKER), *(str(folder / name) for name in names)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout


def _checked(folder: Path, names: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    """Per file name: the checker's facts by kind (profile-violation, hermit, pellet, hermit-unsatisfiable, ...).

    The checker's output recorded for exactly these files, this checker, these jars and this Java runtime is
    replayed (the Java tools take ten seconds of CPU); it runs live for anything else (tests/recorded.py)."""
    java = os.path.realpath(shutil.which("java") or "no java")
    jars = version("owlready2") if find_spec("owlready2") else "no owlready2"
    inputs = [part for name in names for part in (name, (folder / name).read_bytes())]
    key = digest(java, jars, CHECKER.read_bytes(), *inputs)
    stdout = replayed("owl-checker", key, lambda: _run_checker(folder, names))
    facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for line in stdout.splitlines():
        name, kind, detail = [*line.split("\t", 2), ""][:3]
        facts[name][kind].append(detail)
    assert set(facts) == set(names), stdout[-3000:]
    return facts


@functools.cache
def released(shipped: KnowledgeGraph, product: str) -> bytes:
    """The .owl release file of `product` (base or full), as `kg release` writes it (tests/test_release.py checks
    these are the bytes kg.release.release_bytes writes for the graph)."""
    inferred = shipped.ntriples(INFERRED_GRAPH) if product == "full" else None
    return release_ntriples_bytes(shipped.ntriples(), inferred, ".owl")


@pytest.fixture(scope="module")
def checked(shipped: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("owl")
    metadata, rows = read_mapping_set(mapping_file())
    files = {
        "neuropathy-kg-base.owl": released(shipped, "base"),
        "neuropathy-kg-full.owl": released(shipped, "full"),
        "mappings.owl": export_mapping_set(metadata, rows, "owl"),
        "full.ttl": FULL_ONTOLOGY.encode("utf-8"),
        "unsatisfiable.ttl": UNSATISFIABLE_ONTOLOGY.encode("utf-8"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return _checked(folder, tuple(files))


RELEASED = ["neuropathy-kg-base.owl", "neuropathy-kg-full.owl", "mappings.owl"]


@pytest.mark.parametrize("name", RELEASED)
def test_the_owl_files_are_in_the_owl2_dl_profile(checked: dict[str, dict[str, list[str]]], name: str) -> None:
    assert checked[name]["profile-violation"] == []
    assert int(checked[name]["axioms"][0]) > 100, "the file was read, not skipped"


@pytest.mark.parametrize("name", RELEASED)
@pytest.mark.parametrize("reasoner", ["hermit", "pellet"])
def test_the_owl_files_are_consistent_with_no_unsatisfiable_class(
    checked: dict[str, dict[str, list[str]]], name: str, reasoner: str
) -> None:
    assert checked[name][reasoner] == ["consistent"]
    assert checked[name][f"{reasoner}-unsatisfiable"] == []


def test_the_checker_reports_what_made_the_old_release_owl2_full(checked: dict[str, dict[str, list[str]]]) -> None:
    violations = {detail.split("\t")[0] for detail in checked["full.ttl"]["profile-violation"]}
    assert {
        "UseOfUndeclaredAnnotationProperty",
        "UseOfUndeclaredClass",
        "UseOfReservedVocabularyForClassIRI",
        "IllegalPunning",
    } <= violations
    assert checked["full.ttl"]["pellet"] == ["inconsistent"]  # "can"@en is no rdf:langString to OWL 2


def test_the_checker_reports_unsatisfiable_classes(checked: dict[str, dict[str, list[str]]]) -> None:
    for reasoner in ("hermit", "pellet"):
        assert checked["unsatisfiable.ttl"][f"{reasoner}-unsatisfiable"] == ["http://example.org/A"]


def test_the_owl_file_keeps_every_claim_triple_under_its_dl_name(shipped: KnowledgeGraph) -> None:
    """OWL tools drop rdf:subject/predicate/object triples; the .owl says them with nkg:claimSubject/... instead."""
    data = released(shipped, "base")
    owl = owl_dl_graph(shipped.asserted)
    reading = Reading(
        replayed("rdflib-read", reading_key(data, "xml"), lambda: live_reading(data, "xml")), lambda: parse(data, "xml")
    )
    reading.assert_isomorphic(owl)  # rdflib reads this graph from the file: the file says what owl says
    claim = "https://w3id.org/neuropathy-kg/claim/accident-related-trauma--causes--mononeuropathy"
    said = {(str(p).rsplit("/", 1)[-1], str(o).rsplit("/", 1)[-1]) for p, o in owl.predicate_objects(URIRef(claim))}
    assert {("claimSubject", "accident-related-trauma"), ("claimPredicate", "causes")} <= said
    assert ("claimObject", "mononeuropathy") in said
