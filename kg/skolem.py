"""Triples to push, in chunks of N-Triples: blank nodes kept together, or replaced by stable Skolem IRIs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from kg.nodes import Term, to_native
from kg.prefixes import PROJECT_NAMESPACE

__all__ = ["SKOLEM_NAMESPACE", "Triple", "chunks", "triples_of"]

#: Where the IRIs that stand for blank nodes in pushed triples live.
SKOLEM_NAMESPACE = PROJECT_NAMESPACE + ".well-known/genid/"

#: A triple as pushed: subject, predicate, object.
Triple = tuple[Term, Term, Term]


def triples_of(ntriples: bytes) -> Iterator[Triple]:
    """The triples of exact N-Triples (literals as written: no store between them and the remote one)."""
    for quad in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES):
        yield quad.subject, quad.predicate, quad.object


def _line(triple: Triple) -> str:
    return f"{triple[0]} {triple[1]} {triple[2]} .\n"


def _linked_groups(triples: Iterable[Any]) -> list[list[Triple]]:
    """The triples in a stable order, grouped so that triples linked through blank nodes share a group."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    native = {tuple(to_native(term) for term in triple) for triple in triples}
    ordered: list[Triple] = sorted(native, key=_line)  # type: ignore[arg-type]
    for subject, _predicate, value in ordered:
        if isinstance(subject, ox.BlankNode) and isinstance(value, ox.BlankNode):
            parent[root(subject)] = root(value)
    groups: dict[object, list[Triple]] = {}
    for index, triple in enumerate(ordered):
        blank = next((term for term in (triple[0], triple[2]) if isinstance(term, ox.BlankNode)), None)
        groups.setdefault(index if blank is None else root(blank), []).append(triple)
    return list(groups.values())


def _skolemised(group: list[Triple]) -> list[Triple]:
    """The group with each blank node replaced by a Skolem IRI (RDF 1.1 §3.5) named after the group's canonical
    form: the same triples give the same IRIs on every push, so pushing again adds nothing, and stores that refuse
    blank nodes in INSERT DATA (Virtuoso) take them."""
    if not any(isinstance(term, ox.BlankNode) for triple in group for term in triple):
        return group
    dataset = ox.Dataset(ox.Quad(s, p, o) for s, p, o in group)  # type: ignore[arg-type]
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    canonical = sorted(((q.subject, q.predicate, q.object) for q in dataset), key=_line)
    # canonical labels are unique within the group only: the IRI also carries a digest of the whole group
    group_digest = hashlib.sha256("".join(_line(triple) for triple in canonical).encode())

    def skolem(term: Term) -> Term:
        if not isinstance(term, ox.BlankNode):
            return term
        digest = group_digest.copy()
        digest.update(term.value.encode())
        return ox.NamedNode(SKOLEM_NAMESPACE + digest.hexdigest()[:32])

    return [(skolem(subject), predicate, skolem(value)) for subject, predicate, value in canonical]


def chunks(triples: Iterable[Any], size: int, *, skolemise: bool = False) -> Iterator[tuple[bytes, int]]:
    """N-Triples documents of about `size` triples each; triples linked through blank nodes stay together
    (or, with `skolemise`, have their blank nodes replaced by stable IRIs). `triples`: pyoxigraph or rdflib."""
    chunk: list[str] = []
    for group in _linked_groups(triples):
        if skolemise:
            group = _skolemised(group)
        if chunk and len(chunk) + len(group) > size:
            yield "".join(chunk).encode("utf-8"), len(chunk)
            chunk = []
        chunk.extend(_line(triple) for triple in group)
    if chunk:
        yield "".join(chunk).encode("utf-8"), len(chunk)
