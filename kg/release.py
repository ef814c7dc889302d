"""Release files as OBO ontologies publish them: base and full in three syntaxes, mappings, a summary; stable bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF

from kg.errors import InputError
from kg.export import canonical_ntriples, canonical_turtle, export_ntriples
from kg.graph import KnowledgeGraph
from kg.mappings import read_mapping_set, write_mapping_set
from kg.nt_lines import merged_lines
from kg.output import write_folder
from kg.packaged import mapping_file
from kg.progress import progress
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH
from kg.terms import NKG, PREFIXES

__all__ = [
    "RELEASE_NAME",
    "RELEASE_SYNTAXES",
    "ReleaseVersion",
    "owl_dl_graph",
    "release_bytes",
    "release_files",
    "release_ntriples_bytes",
    "release_version",
    "write_release",
]

#: The stem every release file name starts with, as in mondo-base.owl.
RELEASE_NAME = "neuropathy-kg"

#: Release syntaxes: file suffix and writer. RDF/XML goes in .owl, the suffix Protégé and OBO users expect.
RELEASE_SYNTAXES = (".ttl", ".owl", ".jsonld")


#: OWL 2 DL reserves the rdf: vocabulary, and OWL tools drop the claims' reification triples: the .owl files say
#: them with these annotation properties (declared in ontology/declarations.ttl) instead. See docs/exports.md.
OWL_DL_NAMES = {RDF.subject: NKG.claimSubject, RDF.predicate: NKG.claimPredicate, RDF.object: NKG.claimObject}


@dataclass(frozen=True)
class ReleaseVersion:
    """The ontology being released and its dated version, as the ontology file states them."""

    ontology: URIRef
    version_iri: URIRef
    version_info: str


def release_version(graph: Graph) -> ReleaseVersion:
    """The one owl:Ontology with an owl:versionIRI in `graph` (never today's date: the source decides)."""
    versioned = sorted(
        (ontology, version)
        for ontology in graph.subjects(RDF.type, OWL.Ontology)
        for version in graph.objects(ontology, OWL.versionIRI)
        if isinstance(ontology, URIRef) and isinstance(version, URIRef)
    )
    if len(versioned) != 1:
        found = ", ".join(f"{o} {v}" for o, v in versioned) or "none"
        raise InputError(
            f"a release needs exactly one owl:Ontology with one owl:versionIRI (found: {found}); "
            "set owl:versionIRI <https://w3id.org/neuropathy-kg/releases/DATE/ontology> in ontology/neuropathy-kg.ttl"
        )
    ontology, version_iri = versioned[0]
    info = sorted(str(value) for value in graph.objects(ontology, OWL.versionInfo))
    return ReleaseVersion(ontology, version_iri, info[0] if info else str(version_iri))


def owl_dl_graph(graph: Graph) -> Graph:
    """`graph` with each reification property (rdf:subject, ...) renamed as in OWL_DL_NAMES: the .owl files' graph."""
    renamed = Graph()
    for subject, predicate, obj in graph:
        renamed.add((subject, OWL_DL_NAMES.get(predicate, predicate), obj))  # type: ignore[call-overload]
    return renamed


def release_bytes(graph: Graph, suffix: str) -> bytes:
    """`graph` in the syntax of `suffix`, byte-identical for the same triples whatever their blank-node labels;
    the RDF/XML (.owl) says the claims' triples with OWL_DL_NAMES, so that it is OWL 2 DL."""
    _check_suffix(suffix)
    if suffix == ".ttl":
        return canonical_turtle(graph)
    # Canonical blank-node labels and sorted triples, then Oxigraph's streaming writers, which keep input order.
    ntriples = canonical_ntriples(to_canonical_graph(owl_dl_graph(graph) if suffix == ".owl" else graph))
    return _written(ntriples, suffix)


def _check_suffix(suffix: str) -> None:
    if suffix not in RELEASE_SYNTAXES:
        raise InputError(f"unknown release syntax {suffix!r} (use one of {', '.join(RELEASE_SYNTAXES)})")


#: The reification properties and their OWL 2 DL names, as N-Triples write them.
_OWL_DL_LINES = {f"<{old}>": f"<{new}>" for old, new in OWL_DL_NAMES.items()}


def release_ntriples_bytes(asserted: bytes, inferred: bytes | None, suffix: str) -> bytes:
    """`release_bytes` of the union of exact N-Triples `asserted` and `inferred`, read line by line: Turtle by the
    streaming writer, the others from the sorted lines (blank nodes numbered by first appearance)."""
    _check_suffix(suffix)
    if suffix == ".ttl":
        return export_ntriples(asserted, inferred, "turtle")
    lines = _canonical_blank_nodes(merged_lines(asserted, inferred))
    if suffix == ".owl":
        renamed = []
        for line in lines:
            subject, predicate, rest = line.split(" ", 2)
            renamed.append(f"{subject} {_OWL_DL_LINES.get(predicate, predicate)} {rest}")
        lines = renamed
    lines = sorted(set(lines))
    return _written(("\n".join(lines) + "\n").encode("utf-8") if lines else b"", suffix)


def _canonical_blank_nodes(lines: list[str]) -> list[str]:
    """The lines that touch blank nodes relabelled as rdflib's canonical form labels them; the others as they are."""
    touching = [line for line in lines if "_:" in line]
    if not touching:
        return lines
    graph = Graph().parse(data="\n".join(touching), format="nt")
    canonical = canonical_ntriples(to_canonical_graph(graph)).decode("utf-8").split("\n")
    return [line for line in lines if "_:" not in line] + [line for line in canonical if line]


def _written(ntriples: bytes, suffix: str) -> bytes:
    triples = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
    if suffix == ".owl":
        return _oxigraph_bytes(triples, ox.RdfFormat.RDF_XML)
    expanded = json.loads(_oxigraph_bytes(triples, ox.RdfFormat.JSON_LD))
    return (json.dumps(expanded, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _oxigraph_bytes(triples: ox.QuadParser, syntax: ox.RdfFormat) -> bytes:
    data = ox.serialize(triples, format=syntax, prefixes=PREFIXES)
    if data is None:  # pragma: no cover - only when an output file is given, which this module never does
        raise InputError(f"Oxigraph returned nothing for {syntax}")
    return data


def _mapping_bytes(version: ReleaseVersion) -> bytes:
    metadata, rows = read_mapping_set(mapping_file())
    metadata["subject_source"] = str(version.ontology)
    metadata["subject_source_version"] = str(version.version_iri)
    return write_mapping_set(metadata, rows).encode("utf-8")


def release_files(graph: KnowledgeGraph) -> dict[str, bytes]:
    """Every release file by name: base (asserted) and full (with inferences) in Turtle, RDF/XML and JSON-LD,
    the SSSOM mappings, and a JSON summary of counts and checksums; each names the ontology's version IRI."""
    version = release_version(graph.asserted)
    asserted, inferred = _ntriples(graph, ASSERTED_GRAPH), _ntriples(graph, INFERRED_GRAPH)
    products = {"base": (asserted, None), "full": (asserted, inferred)}
    jobs = [(product, suffix) for product in products for suffix in RELEASE_SYNTAXES]
    files: dict[str, bytes] = {}
    for product, suffix in progress(jobs, label="release files"):
        files[f"{RELEASE_NAME}-{product}{suffix}"] = release_ntriples_bytes(*products[product], suffix)
    files[f"{RELEASE_NAME}-mappings.sssom.tsv"] = _mapping_bytes(version)
    summary = {
        "ontology": str(version.ontology),
        "versionIRI": str(version.version_iri),
        "versionInfo": version.version_info,
        "triples": {"base": len(graph.asserted), "full": len(graph.asserted) + len(graph.reason())},
        "counts": graph.stats(),
        "files": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())
        },
    }
    files[f"{RELEASE_NAME}-summary.json"] = (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    return dict(sorted(files.items()))


def _ntriples(graph: KnowledgeGraph, name: ox.NamedNode) -> bytes:
    """The exact N-Triples the graph holds for `name` (the asserted or the inferred graph)."""
    reader = getattr(graph, "ntriples", None)  # the hub's, where it keeps them
    if reader is not None:
        return bytes(reader(name))
    triples = graph.asserted if name == ASSERTED_GRAPH else graph.reason()
    return triples.serialize(format="nt", encoding="utf-8")


def write_release(graph: KnowledgeGraph, directory: Path) -> list[Path]:
    """Write every release file into `directory` and return their paths, sorted. The release is built in a
    folder beside it and swapped in whole, so `directory` never holds a mix of two releases."""
    return write_folder(directory, release_files(graph), ours=lambda name: name.startswith(f"{RELEASE_NAME}-"))
