"""OWL 2 RL reasoning over exact N-Triples: native by default, owlrl as the reference; derivations; the cache."""

from __future__ import annotations

import contextlib
import hashlib
import re
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.blank_nodes import by_content
from kg.closure import UnsupportedError, by_predicate, entailments, is_noise_term, relevant_triples
from kg.derive import derivation_triples
from kg.errors import InputError
from kg.progress import stage
from kg.snapshot import cache_directory
from kg.triples import Triple, ntriples, read_triples

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "FAST_THRESHOLD",
    "REASONERS",
    "cache_directory",
    "choose_reasoner",
    "entail",
    "infer",
    "infer_cached",
    "infer_cached_ntriples",
    "infer_ntriples",
    "is_noise",
]

#: Reasoning methods: native (kg.closure, proven equal to owlrl on the packaged and benchmark graphs), owlrl (the
#: reference), fast (`reasonable` plus the property chains, kg.fast_reason), auto (native; for a graph using OWL
#: constructs kg.closure does not follow, owlrl up to FAST_THRESHOLD asserted triples and fast above).
REASONERS = ("auto", "native", "owlrl", "fast")
#: owlrl needs about 30 s for 10,000 triples on two cores; `reasonable` under 2 s.
FAST_THRESHOLD = 5_000
_CACHE_FORMAT = "4"  # 4: keyed on the asserted N-Triples; 3: derivations (kg.derive) cached with the entailments


def is_noise(subject: Any, predicate: Any, obj: Any) -> bool:
    """True for entailments that say nothing about the domain: axioms of RDF/OWL itself and tautologies
    (rdflib terms; kg.closure.is_noise_term says it for N-Triples terms)."""
    return is_noise_term(*(_text(term) for term in (subject, predicate, obj)))


def _text(term: Any) -> str:
    kind = type(term).__name__
    if kind == "BNode":
        return f"_:{term}"
    return f'"{term}"' if kind == "Literal" else f"<{term}>"


def choose_reasoner(asserted: Graph | bytes | None = None, method: str = "auto") -> str:
    """The reasoner asked for, checked: "auto", "native", "owlrl" or "fast"."""
    if method not in REASONERS:
        raise InputError(f"unknown reasoner {method!r} (use one of {', '.join(REASONERS)})")
    return method


def infer_ntriples(asserted: bytes, method: str = "auto") -> bytes:
    """The OWL 2 RL entailments of the asserted N-Triples that are not asserted, without noise, plus a
    nkg:Derivation for each inferred triple between two entities (kg.derive): exact N-Triples, lines sorted."""
    method = choose_reasoner(None, method)
    terms = relevant_triples(asserted)
    found: list[Triple] | None = None
    if method in ("auto", "native"):
        with stage("reasoning (OWL 2 RL, native)"):
            try:
                found = entailments(terms)
            except UnsupportedError as why:
                if method == "native":
                    raise InputError(f"the native reasoner cannot reason over this graph: {why} (use auto)") from None
                size = sum(len(pairs) for pairs in terms.values())
                method = "fast" if size > FAST_THRESHOLD else "owlrl"
    if found is None:
        found = list(read_triples(_reference(asserted, method)))
    with stage("explaining derived links"):
        found.extend(derivation_triples(terms, found))
    del terms  # the asserted triples, no longer needed while the answer is written: a third of the peak at 1M
    return ntriples(found)


def _reference(asserted: bytes, method: str) -> bytes:
    from kg.export import canonical_ntriples
    from kg.store import new_graph

    graph = new_graph()
    graph.parse(data=asserted.decode("utf-8"), format="nt")
    return canonical_ntriples(entail(graph, method))


def infer(asserted: Graph, method: str = "auto") -> Graph:
    """`infer_ntriples` for an rdflib graph: its entailments and their derivations, as a new graph."""
    from kg.export import canonical_ntriples

    return _graph_of(infer_ntriples(canonical_ntriples(asserted), method))


def _graph_of(data: bytes) -> Graph:
    from kg.store import new_graph

    graph = new_graph()
    if data:
        graph.parse(data=data.decode("utf-8"), format="nt")
    return graph


def entail(asserted: Graph, method: str = "auto") -> Graph:
    """The OWL 2 RL entailments of an rdflib graph that it does not already contain, without noise (no
    derivations): by owlrl, by `reasonable` ("fast"), or natively."""
    method = choose_reasoner(asserted, method)
    if method == "fast":
        from kg.fast_reason import fast_infer

        with stage("reasoning (OWL 2 RL, reasonable)"):
            return fast_infer(asserted)
    if method in ("auto", "native"):
        from kg.export import canonical_ntriples

        return _graph_of(ntriples(entailments(by_predicate(canonical_ntriples(asserted)))))
    import owlrl
    from rdflib import Graph

    from kg.store import new_graph

    closure = Graph()
    for triple in asserted:
        closure.add(triple)
    with stage("reasoning (OWL 2 RL, owlrl)"):
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    inferred = new_graph()
    for subject, predicate, obj in closure:
        if (subject, predicate, obj) in asserted or is_noise(subject, predicate, obj):
            continue
        inferred.add((subject, predicate, obj))
    return inferred


def _versions(reasoner: str) -> str:
    found = f"format {_CACHE_FORMAT} reasoner {reasoner}"
    if reasoner in ("owlrl", "auto"):
        found += f" owlrl {version('owlrl')} rdflib {version('rdflib')}"
    if reasoner in ("fast", "auto"):
        found += f" reasonable {version('reasonable')}"
    return found + "\n"


def _ntriples_key(asserted: bytes, reasoner: str) -> str:
    """The input's digest: its lines as given, except that blank nodes (which get new labels on every parse) are
    labelled by what is said about them (`kg.blank_nodes.by_content`), those lines sorted."""
    digest = hashlib.sha256(_versions(reasoner).encode())
    # The digest of each line without a blank node plus a line break, in order; the bytes between two lines
    # with blank nodes are hashed as one slice (a loop over a million lines in Python would cost a second).
    view, blank_lines, done = memoryview(asserted), [], 0
    for found in re.finditer(rb"_:", asserted):
        if found.start() < done:
            continue  # a second blank node on a line already taken
        start = asserted.rfind(b"\n", 0, found.start()) + 1
        end = asserted.find(b"\n", found.start())
        end = len(asserted) if end < 0 else end
        digest.update(view[done:start])
        blank_lines.append(asserted[start:end])
        done = end + 1
    if done <= len(asserted):
        digest.update(view[done:])
        digest.update(b"\n")  # the line break after the last line (or after the empty end of the last split)
    for line in by_content(blank_lines):
        digest.update(b"# " + line + b"\n")
    return digest.hexdigest()


def _input_key(asserted: Graph, reasoner: str = "auto") -> str:
    """The cache key of an rdflib graph: its canonical form (blank nodes labelled by content) as N-Triples."""
    from rdflib.compare import to_canonical_graph

    from kg.export import canonical_ntriples

    return _ntriples_key(canonical_ntriples(to_canonical_graph(asserted)), reasoner)


def infer_cached_ntriples(asserted: bytes, directory: Path | None = None, method: str = "auto") -> bytes:
    """`infer_ntriples`, reusing a previous result for the same input; a damaged cache file is ignored."""
    return _cached(_ntriples_key(asserted, choose_reasoner(None, method)), directory, asserted, method)


def infer_cached(asserted: Graph, directory: Path | None = None, method: str = "auto") -> Graph:
    """`infer_cached_ntriples` for an rdflib graph."""
    from kg.export import canonical_ntriples

    data = canonical_ntriples(asserted)
    return _graph_of(_cached(_input_key(asserted, choose_reasoner(None, method)), directory, data, method))


def _cached(key: str, directory: Path | None, asserted: bytes, method: str) -> bytes:
    from kg.output import write_atomically

    path = (directory or cache_directory()) / f"inferred-{key}.nt"
    cached = _read_cache(path, key)
    if cached is not None:
        return cached
    body = infer_ntriples(asserted, method)
    with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
        write_atomically(path, _header(key, body) + b"\n" + body)
    return body


def _header(key: str, body: bytes) -> bytes:
    """The cache file's first line: the input it was computed from and the checksum of the triples after it."""
    return f"# input {key} sha256 {hashlib.sha256(body).hexdigest()}".encode()


def _read_cache(path: Path, key: str) -> bytes | None:
    """The cached N-Triples, or None if the file is missing, damaged, or was computed from other input."""
    try:
        content = path.read_bytes()
    except OSError:
        return None
    header, _, body = content.partition(b"\n")
    return body if header == _header(key, body) else None
