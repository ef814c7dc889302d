"""OWL 2 RL reasoning at native speed: `reasonable` plus the ontology's property chains, equal to owlrl's closure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, XSD
from rdflib.term import Node

from kg.closure import is_noise_term
from kg.store import new_graph

__all__ = ["Chain", "fast_infer", "property_chains"]

Triple = tuple[Node, Node, Node]
Chain = tuple[URIRef, tuple[URIRef, ...]]


def property_chains(graph: Graph) -> list[Chain]:
    """Every `p owl:propertyChainAxiom (p1 … pn)` of the graph, as (p, (p1, …, pn)), sorted."""
    chains: list[Chain] = []
    for prop, head in graph.subject_objects(OWL.propertyChainAxiom):
        steps = tuple(step for step in Collection(graph, head) if isinstance(step, URIRef))
        if isinstance(prop, URIRef) and len(steps) >= 2:
            chains.append((prop, steps))
    return sorted(chains)


def fast_infer(asserted: Graph) -> Graph:
    """The OWL 2 RL entailments of `asserted` not already in it, without noise: the same triples as owlrl's.

    `reasonable` (Rust) computes the closure but skips owl:propertyChainAxiom, so the chains of the ontology are
    applied here to its closure, their conclusions added to its input, and the two steps repeated until no
    chain derives anything new. The noise filter is the reference path's (kg.closure.is_noise_term).
    """
    import reasonable  # imported here: the package is needed only when the fast path runs

    chains = property_chains(asserted)
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(asserted)
    closure = {_plain(triple) for triple in reasoner.reason()}
    while True:
        derived = list({triple for triple in _chain_conclusions(closure, chains) if triple not in closure})
        if not derived:
            break
        reasoner.from_graph(derived)
        closure = {_plain(triple) for triple in reasoner.reason()}
    stated = set(asserted)  # a set answers "is it asserted?" far faster than the graph's own index
    inferred = new_graph()
    for triple in closure - stated:
        if not is_noise_term(*(term.n3() for term in triple)):
            inferred.add(triple)
    return inferred


def _plain(triple: Iterable[Node]) -> Triple:
    """`reasonable` writes plain literals as xsd:string; rdflib (and owlrl) keeps them plain."""
    subject, predicate, obj = triple
    if isinstance(obj, Literal) and obj.datatype == XSD.string and obj.language is None:
        obj = Literal(str(obj))
    return subject, predicate, obj


def _chain_conclusions(closure: set[Triple], chains: list[Chain]) -> Iterator[Triple]:
    """`x p z` for every chain p = p1 ∘ … ∘ pn and path x p1 y1 … pn z in the closure, repeated until no chain
    derives more (a chain may use another's conclusion), so that `reasonable` runs as few times as possible."""
    wanted = {step for _, steps in chains for step in steps}
    successors: dict[Node, dict[Node, set[Node]]] = {step: defaultdict(set) for step in wanted}
    for subject, predicate, obj in closure:
        if predicate in successors:
            successors[predicate][subject].add(obj)
    found = True
    while found:
        found = False
        for prop, steps in chains:
            for start, end in _follow(successors, steps):
                if prop in successors and end in successors[prop][start]:
                    continue
                if prop in successors:
                    successors[prop][start].add(end)
                    found = True
                yield start, prop, end


def _follow(successors: dict[Node, dict[Node, set[Node]]], steps: tuple[URIRef, ...]) -> list[tuple[Node, Node]]:
    reached: dict[Node, set[Node]] = {start: set(ends) for start, ends in successors[steps[0]].items()}
    for step in steps[1:]:
        following = successors[step]
        reached = {
            start: {end for middle in middles for end in following.get(middle, ())}
            for start, middles in reached.items()
        }
    return [(start, end) for start, ends in reached.items() for end in ends]
