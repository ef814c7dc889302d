"""OWL 2 RL reasoning with owlrl: inferred triples kept apart, filtered of noise, cached by input hash."""

from __future__ import annotations

import contextlib
import hashlib
import os
from importlib.metadata import version
from pathlib import Path

import owlrl
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from kg.derive import derivations
from kg.errors import InputError
from kg.export import canonical_ntriples, write_atomically
from kg.progress import stage
from kg.store import new_graph

__all__ = [
    "FAST_THRESHOLD",
    "REASONERS",
    "cache_directory",
    "choose_reasoner",
    "entail",
    "infer",
    "infer_cached",
    "is_noise",
]

#: Reasoning methods: owlrl (the reference), fast (kg.fast_reason: native, proven equal on the benchmark graphs),
#: auto (fast above FAST_THRESHOLD asserted triples, else owlrl).
REASONERS = ("auto", "owlrl", "fast")
#: owlrl needs about 30 s for 10,000 triples on two cores; the fast path under 2 s.
FAST_THRESHOLD = 5_000

_BUILT_IN = (str(RDF), str(RDFS), str(OWL), str(XSD))
_TRIVIAL_OBJECTS = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}
_SCHEMA_PREDICATES = {
    RDFS.subClassOf,
    RDFS.subPropertyOf,
    OWL.equivalentClass,
    OWL.equivalentProperty,
    OWL.sameAs,
}
_CACHE_FORMAT = "3"  # 3: derivations (kg.derive) cached with the entailments


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


def choose_reasoner(asserted: Graph, method: str = "auto") -> str:
    """The reasoner to run, "owlrl" or "fast": the one asked for, or for "auto" the one that suits the size."""
    if method not in REASONERS:
        raise InputError(f"unknown reasoner {method!r} (use one of {', '.join(REASONERS)})")
    if method == "auto":
        return "fast" if len(asserted) > FAST_THRESHOLD else "owlrl"
    return method


def infer(asserted: Graph, method: str = "auto") -> Graph:
    """`entail`, plus a nkg:Derivation explaining each inferred triple between two entities (kg.derive)."""
    inferred = entail(asserted, method)
    with stage("explaining derived links"):
        derivations(asserted, inferred, into=inferred)
    return inferred


def entail(asserted: Graph, method: str = "auto") -> Graph:
    """The OWL 2 RL entailments of `asserted` that it does not already contain, without noise."""
    if choose_reasoner(asserted, method) == "fast":
        from kg.fast_reason import fast_infer  # kg.fast_reason imports this module

        with stage("reasoning (OWL 2 RL, native)"):
            return fast_infer(asserted)
    closure = Graph()
    for triple in asserted:
        closure.add(triple)
    with stage("reasoning (OWL 2 RL)"):
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


def _input_key(asserted: Graph, reasoner: str = "owlrl") -> str:
    digest = hashlib.sha256()
    digest.update(f"format {_CACHE_FORMAT} owlrl {version('owlrl')} rdflib {version('rdflib')}\n".encode())
    if reasoner != "owlrl":
        digest.update(f"reasoner {reasoner} reasonable {version('reasonable')}\n".encode())
    # Blank nodes get new random labels on every parse; canonical labels make the key the same in every process.
    digest.update(canonical_ntriples(to_canonical_graph(asserted)))
    return digest.hexdigest()


def infer_cached(asserted: Graph, directory: Path | None = None, method: str = "auto") -> Graph:
    """`infer`, reusing a previous result for identical input; a damaged cache file is ignored and rebuilt."""
    folder = directory or cache_directory()
    reasoner = choose_reasoner(asserted, method)
    key = _input_key(asserted, reasoner)
    path = folder / f"inferred-{key}.nt"
    cached = _read_cache(path, key)
    if cached is not None:
        return cached
    inferred = infer(asserted, reasoner)
    body = canonical_ntriples(inferred)
    with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
        write_atomically(path, _header(key, body) + b"\n" + body)
    return inferred


def _header(key: str, body: bytes) -> bytes:
    """The cache file's first line: the input it was computed from and the checksum of the triples after it."""
    return f"# input {key} sha256 {hashlib.sha256(body).hexdigest()}".encode()


def _read_cache(path: Path, key: str) -> Graph | None:
    """The cached inferences, or None if the file is missing, damaged, or was computed from other input."""
    try:
        content = path.read_bytes()
    except OSError:
        return None
    header, _, body = content.partition(b"\n")
    if header != _header(key, body):
        return None
    graph = new_graph()
    try:
        graph.parse(data=body.decode("utf-8"), format="nt")
    except Exception:
        return None
    return graph
