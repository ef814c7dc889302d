"""OWL 2 RL reasoning with owlrl: inferred triples kept apart, filtered of noise, cached by input hash."""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib.metadata import version
from pathlib import Path

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from kg.export import canonical_ntriples, write_atomically
from kg.store import new_graph

__all__ = ["cache_directory", "infer", "infer_cached", "is_noise"]

_BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}
_SCHEMA_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.sameAs,
}
_CACHE_FORMAT = "1"


def is_noise(subject: Node, predicate: Node, obj: Node) -> bool:
    """True for entailments that say nothing about the domain: axioms of RDF/OWL itself and tautologies."""
    if isinstance(subject, BNode | Literal) or isinstance(obj, BNode):
        return True
    if _built_in(subject):
        return True
    if predicate in _SCHEMA_PREDICATES and subject == obj:
        return True
    if predicate in (RDF.type, RDFS.subClassOf) and obj in _TRIVIAL_OBJECTS:
        return True
    if predicate in (RDFS.domain, RDFS.range):
        return True  # weakenings of declared domains and ranges to every superclass
    # "x a owl:Class", "p a rdf:Property": restatements of declarations, except claims as rdf:Statement.
    return predicate == RDF.type and _built_in(obj) and obj != RDF.Statement


def _built_in(term: Node) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_BUILT_IN)


def infer(asserted: Graph) -> Graph:
    """The OWL 2 RL entailments of `asserted` that it does not already contain, without noise."""
    closure = Graph()
    for triple in asserted:
        closure.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    inferred = new_graph()
    for subject, predicate, obj in closure:
        if (subject, predicate, obj) in asserted or is_noise(subject, predicate, obj):
            continue
        inferred.add((subject, predicate, obj))
    return inferred


def cache_directory() -> Path:
    """$KG_CACHE_DIR, else $XDG_CACHE_HOME/neuropathy-kg, else ~/.cache/neuropathy-kg."""
    explicit = os.environ.get("KG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "neuropathy-kg"


def _input_key(asserted: Graph) -> str:
    digest = hashlib.sha256()
    digest.update(f"format {_CACHE_FORMAT} owlrl {version('owlrl')} rdflib {version('rdflib')}\n".encode())
    digest.update(canonical_ntriples(asserted))
    return digest.hexdigest()


def infer_cached(asserted: Graph, directory: Path | None = None) -> Graph:
    """`infer`, reusing a previous result for identical input; a damaged cache file is ignored and rebuilt."""
    folder = directory or cache_directory()
    path = folder / f"inferred-{_input_key(asserted)}.nt"
    cached = _read_cache(path)
    if cached is not None:
        return cached
    inferred = infer(asserted)
    body = canonical_ntriples(inferred)
    header = f"# sha256 {hashlib.sha256(body).hexdigest()}\n".encode()
    with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
        write_atomically(path, header + body)
    return inferred


def _read_cache(path: Path) -> Graph | None:
    try:
        content = path.read_bytes()
    except OSError:
        return None
    header, _, body = content.partition(b"\n")
    if header != f"# sha256 {hashlib.sha256(body).hexdigest()}".encode():
        return None
    graph = new_graph()
    try:
        graph.parse(data=body.decode("utf-8"), format="nt")
    except Exception:
        return None
    return graph
