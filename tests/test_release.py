"""Release files: base and full in three syntaxes, mappings and summary, each with the ontology's version IRI."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF
from recorded import replayed
from shared_graphs import Reading, Written, live_reading, parse, reading_key, writing_key

from kg import KnowledgeGraph, cli
from kg.errors import InputError
from kg.mappings import read_mapping_set
from kg.output import write_folder
from kg.packaged import mapping_file
from kg.release import (
    owl_dl_graph,
    release_bytes,
    release_files,
    release_ntriples_bytes,
    release_version,
    write_release,
)

ONTOLOGY = URIRef("https://w3id.org/neuropathy-kg/ontology")
VERSION_IRI = URIRef("https://w3id.org/neuropathy-kg/releases/2026-11-23/ontology")
PARSERS = {".ttl": "turtle", ".owl": "xml", ".jsonld": "json-ld"}
ONTOLOGY_FILE = Path(__file__).parent.parent / "ontology" / "neuropathy-kg.ttl"


@pytest.fixture(scope="module")
def files(shipped: KnowledgeGraph) -> dict[str, bytes]:
    return release_files(shipped)


@pytest.fixture(scope="module")
def today(files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `files` fixture written into a folder, for a child process to read."""
    folder = tmp_path_factory.mktemp("today")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def expected(shipped: KnowledgeGraph) -> dict[tuple[str, str], Graph]:
    """What each release file says, by product and suffix: the asserted triples (base), with the inferred ones
    (full); in the .owl files with the OWL 2 DL names of the claims' triples."""
    products = {"base": shipped.asserted, "full": shipped.graph()}
    graphs = {(product, suffix): graph for product, graph in products.items() for suffix in (".ttl", ".jsonld")}
    return graphs | {(product, ".owl"): owl_dl_graph(graph) for product, graph in products.items()}


@functools.cache  # several tests read the same release file
def read_back(data: bytes, suffix: str) -> Reading:
    """rdflib's reading of a release file: replayed when recorded for exactly these bytes (tests/shared_graphs.py)."""
    key = reading_key(data, PARSERS[suffix])
    summary = replayed("rdflib-read", key, lambda: live_reading(data, PARSERS[suffix]))
    return Reading(summary, lambda: parse(data, PARSERS[suffix]))


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
    shipped: KnowledgeGraph, files: dict[str, bytes], expected: dict[tuple[str, str], Graph], suffix: str
) -> None:
    base = read_back(files[f"neuropathy-kg-base{suffix}"], suffix)
    full = read_back(files[f"neuropathy-kg-full{suffix}"], suffix)
    assert len(base) == len(shipped.asserted)
    assert len(full) == len(shipped.asserted) + len(shipped.reason())
    for product, reading in (("base", base), ("full", full)):
        reading.assert_isomorphic(expected[product, suffix])
        assert (ONTOLOGY, OWL.versionIRI, VERSION_IRI) in expected[product, suffix]  # and so in the file


def test_the_rdfxml_base_is_the_same_graph_with_owl_dl_names(
    shipped: KnowledgeGraph, files: dict[str, bytes], expected: dict[tuple[str, str], Graph]
) -> None:
    """The .owl files are OWL 2 DL: the claims' rdf:subject/predicate/object are nkg:claimSubject/... there."""
    owl_dl = expected["base", ".owl"]
    read_back(files["neuropathy-kg-base.owl"], ".owl").assert_isomorphic(owl_dl)
    assert set(shipped.asserted.triples((None, RDF.subject, None)))
    assert not set(owl_dl.triples((None, RDF.subject, None)))  # and so not in the file
    read_back(files["neuropathy-kg-base.ttl"], ".ttl").assert_isomorphic(shipped.asserted)


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
    assert summary["counts"]["Claim resources"] == 101
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


#: Run as a child: `kg release` with today's files (read from the folder in argv[1], made once by the `files`
#: fixture), killed (SIGKILL, no clean-up of any kind) as it turns to its second file.
KILLED_AFTER_FIRST_FILE = """
import os, signal, sys
from pathlib import Path
import kg.release as release
today = {path.name: path.read_bytes() for path in sorted(Path(sys.argv[1]).iterdir())}

class KilledAfterFirstFile(dict):
    def items(self):
        for number, item in enumerate(dict.items(self)):
            if number == 1:
                os.kill(os.getpid(), signal.SIGKILL)
            yield item

release.release_files = lambda graph: KilledAfterFirstFile(today)
from kg.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture
def same_files(files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    """`write_release` writes the `files` fixture's bytes instead of making them again: the tests that use this
    are about how a folder is replaced (test_kg_release_writes_the_same_bytes_again makes them a second time)."""
    monkeypatch.setattr("kg.release.release_files", lambda graph: dict(files))


def checksums_hold(folder: Path) -> bool:
    """Every file the summary lists is there with its checksum, and nothing else is."""
    summary = json.loads((folder / "neuropathy-kg-summary.json").read_bytes())
    listed = summary["files"]
    present = {path.name for path in folder.iterdir()} - {"neuropathy-kg-summary.json"}
    return present == set(listed) and all(
        hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"] for name, entry in listed.items()
    )


def previous_release(files: dict[str, bytes], folder: Path) -> dict[str, bytes]:
    """A whole earlier release (its first file differs from today's), written into `folder`."""
    previous = dict(files)
    first = sorted(previous)[0]
    previous[first] += b"\n"
    summary = json.loads(previous["neuropathy-kg-summary.json"])
    summary["files"][first] = {"bytes": len(previous[first]), "sha256": hashlib.sha256(previous[first]).hexdigest()}
    previous["neuropathy-kg-summary.json"] = json.dumps(summary, indent=2).encode()
    folder.mkdir()
    for name, data in previous.items():
        (folder / name).write_bytes(data)
    assert checksums_hold(folder)
    return previous


def test_a_release_killed_after_its_first_file_leaves_the_previous_release_whole(
    shipped: KnowledgeGraph, files: dict[str, bytes], same_files: None, tmp_path: Path, today: Path
) -> None:
    folder = tmp_path / "release"
    previous = previous_release(files, folder)
    child = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_FIRST_FILE, str(today), "release", "-o", str(folder)],
        capture_output=True,
        timeout=600,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == previous
    assert checksums_hold(folder)
    [scratch] = [path for path in tmp_path.iterdir() if path.name.startswith(".release.")]  # what the kill left
    write_release(shipped, folder)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files
    assert checksums_hold(folder)
    assert not scratch.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["release"]


def test_a_release_killed_between_its_two_renames_is_put_back_by_the_next_run(
    shipped: KnowledgeGraph, files: dict[str, bytes], same_files: None, tmp_path: Path
) -> None:
    """Where the system cannot exchange two folders in one step, the old release is moved aside first."""
    folder = tmp_path / "release"
    previous = previous_release(files, folder)
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    folder.rename(tmp_path / f".release.{dead}.abcd1234.old")
    (tmp_path / f".release.{dead}.abcd1234.new").mkdir()
    write_folder(tmp_path / "elsewhere", {"x": b""}, ours=lambda name: True)  # another folder: nothing touched
    assert not folder.exists()
    with pytest.raises(OSError, match="holds other files"):
        write_folder(folder, {}, ours=lambda name: False)  # the previous release is back in place first
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == previous
    write_release(shipped, folder)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == files
    assert sorted(path.name for path in tmp_path.iterdir()) == ["elsewhere", "release"]


def test_a_folder_holding_other_files_is_refused_not_replaced(
    shipped: KnowledgeGraph,
    same_files: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    monkeypatch.setattr(cli, "_graph", lambda args: shipped)
    assert cli.main(["release", "-o", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"kg: error: {tmp_path}: holds other files (notes.txt), which a new release would remove; "
        "name a new or release folder\n"
    )
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_a_symbolic_link_to_the_release_folder_is_kept(
    shipped: KnowledgeGraph, files: dict[str, bytes], same_files: None, tmp_path: Path
) -> None:
    real = tmp_path / "releases" / "2026"
    real.mkdir(parents=True)
    link = tmp_path / "latest"
    link.symlink_to(real)
    write_release(shipped, link)
    assert link.is_symlink()
    assert {path.name: path.read_bytes() for path in real.iterdir()} == files


@pytest.fixture(scope="module")
def exact(shipped: KnowledgeGraph) -> tuple[bytes, bytes]:
    """The asserted and the inferred triples as N-Triples, written by rdflib."""
    return (
        shipped.asserted.serialize(format="nt", encoding="utf-8"),
        shipped.inferred.serialize(format="nt", encoding="utf-8"),
    )


def release_bytes_of(graph: Graph, suffix: str) -> Written:
    """`release_bytes(graph, suffix)`, rdflib's writers and canonical labels: the reference, its digest replayed
    when recorded for these triples (tests/shared_graphs.py; test_the_files_do_not_depend_on_blank_node_labels
    writes them live from new labels)."""

    def live() -> bytes:
        return release_bytes(graph, suffix)

    key = writing_key(f"release_bytes {suffix}", graph)
    return Written(replayed("rdflib-write", key, lambda: hashlib.sha256(live()).hexdigest()), live)


@pytest.mark.parametrize("suffix", sorted(PARSERS))
def test_release_files_from_ntriples_are_the_bytes_from_the_graph(
    shipped: KnowledgeGraph, exact: tuple[bytes, bytes], suffix: str
) -> None:
    asserted, inferred = exact
    release_bytes_of(shipped.asserted, suffix).assert_written(release_ntriples_bytes(asserted, None, suffix))
    release_bytes_of(shipped.graph(), suffix).assert_written(release_ntriples_bytes(asserted, inferred, suffix))
