"""Derivations as data: each inferred triple between two entities, with its premises, rule and weakest qualifiers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from kg.hedge import Qualifiers, qualifier_ranks, stated_qualifiers
from kg.store import new_graph
from kg.terms import ENTITY, NKG, PROJECT_NAMESPACE, PROV

__all__ = [
    "DERIVATION",
    "DERIVATION_SHAPES",
    "derivation_iri",
    "derivations",
    "is_derivation_triple",
    "is_domain_triple",
    "validation_data",
]

DERIVATION = Namespace(PROJECT_NAMESPACE + "derivation/")
#: The shapes file run over asserted plus inferred triples (the others check the asserted triples alone).
DERIVATION_SHAPES = "shapes-derivations.ttl"

Triple = tuple[URIRef, URIRef, URIRef]
#: (rule, the property whose axiom fired, the premises in path order)
Proof = tuple[URIRef, URIRef, tuple[Triple, ...]]

_ENTITY, _NKG = str(ENTITY), str(NKG)
#: Rules in the order a derivation prefers them when several derive the same triple in the same round.
_RULES = ("sub-property", "equivalent-property", "inverse", "symmetry", "property-chain", "transitivity")
_RULE_ORDER = {NKG[f"rule-{name}"]: number for number, name in enumerate(_RULES)}
_DERIVED_FROM, _DERIVATION_CLASS, _BY_RULE, _BY_AXIOM_OF, _HEDGE = (
    PROV.wasDerivedFrom,
    NKG.Derivation,
    NKG.byRule,
    NKG.byAxiomOf,
    NKG.hedge,
)


def is_domain_triple(subject: Node | None, predicate: Node | None, obj: Node | None) -> bool:
    """A triple between two project entities by a project property: what claims state and derivations explain."""
    return (
        isinstance(subject, URIRef)
        and isinstance(obj, URIRef)
        and str(subject).startswith(_ENTITY)
        and str(obj).startswith(_ENTITY)
        and str(predicate).startswith(_NKG)
        and "/" not in str(predicate)[len(_NKG) :]
    )


def is_derivation_triple(subject: Node, _predicate: Node, _obj: Node) -> bool:
    """A triple about a derivation resource, as `derivations` writes them."""
    return str(subject).startswith(str(DERIVATION))


def derivation_iri(triple: Triple) -> URIRef:
    """derivation/{subject}--{predicate}--{object}, from the local names: one IRI per triple, the same every run."""
    subject, predicate, obj = triple
    return DERIVATION[f"{subject[len(_ENTITY) :]}--{predicate[len(_NKG) :]}--{obj[len(_ENTITY) :]}"]


@dataclass
class _Rules:
    """The ontology's axioms that derive triples between individuals, indexed by the premise's property."""

    implied: dict[Node, list[tuple[URIRef, URIRef, bool, URIRef]]] = field(default_factory=lambda: defaultdict(list))
    transitive: set[Node] = field(default_factory=set)
    chains: list[tuple[URIRef, tuple[URIRef, ...]]] = field(default_factory=list)

    @classmethod
    def read(cls, schema: Graph) -> _Rules:
        rules = cls()
        for sub, sup in schema.subject_objects(RDFS.subPropertyOf):
            rules._one_step(sub, sup, False, "sub-property", sub)
        for left, right in schema.subject_objects(OWL.equivalentProperty):
            rules._one_step(left, right, False, "equivalent-property", left)
            rules._one_step(right, left, False, "equivalent-property", left)
        for left, right in schema.subject_objects(OWL.inverseOf):
            rules._one_step(left, right, True, "inverse", left)
            rules._one_step(right, left, True, "inverse", left)
        for prop in schema.subjects(RDF.type, OWL.SymmetricProperty):
            rules._one_step(prop, prop, True, "symmetry", prop)
        rules.transitive = {p for p in schema.subjects(RDF.type, OWL.TransitiveProperty) if isinstance(p, URIRef)}
        for prop, head in schema.subject_objects(OWL.propertyChainAxiom):
            steps = tuple(step for step in Collection(schema, head) if isinstance(step, URIRef))
            # a chain through an anonymous property (an inverse written in place) is not one kg.derive follows:
            # the shapes then report what it derived, rather than a shorter chain explaining it wrongly
            if isinstance(prop, URIRef) and len(steps) >= 2 and len(steps) == len(list(Collection(schema, head))):
                rules.chains.append((prop, steps))
        rules.chains.sort()
        return rules

    def _one_step(self, premise: Node, conclusion: Node, reverse: bool, rule: str, axiom_of: Node) -> None:
        if isinstance(premise, URIRef) and isinstance(conclusion, URIRef) and isinstance(axiom_of, URIRef):
            self.implied[premise].append((conclusion, NKG[f"rule-{rule}"], reverse, axiom_of))


class _Index:
    """Known triples by property and subject (and object), so rules find their other premises fast."""

    def __init__(self) -> None:
        self.forward: dict[Node, dict[Node, set[URIRef]]] = defaultdict(lambda: defaultdict(set))
        self.backward: dict[Node, dict[Node, set[URIRef]]] = defaultdict(lambda: defaultdict(set))

    def add(self, triple: Triple) -> None:
        subject, predicate, obj = triple
        self.forward[predicate][subject].add(obj)
        self.backward[predicate][obj].add(subject)


def _instances(triple: Triple, rules: _Rules, index: _Index) -> Iterator[tuple[Triple, Proof]]:
    """Every rule instance that uses `triple` as a premise and otherwise known triples: (conclusion, proof)."""
    subject, predicate, obj = triple
    for conclusion, rule, reverse, axiom_of in rules.implied.get(predicate, ()):
        derived = (obj, conclusion, subject) if reverse else (subject, conclusion, obj)
        yield derived, (rule, axiom_of, (triple,))
    if predicate in rules.transitive:
        rule = NKG["rule-transitivity"]
        for end in index.forward[predicate].get(obj, ()):
            yield (subject, predicate, end), (rule, predicate, (triple, (obj, predicate, end)))
        for start in index.backward[predicate].get(subject, ()):
            yield (start, predicate, obj), (rule, predicate, ((start, predicate, subject), triple))
    for prop, steps in rules.chains:
        for position, step in enumerate(steps):
            if step != predicate:
                continue
            for before in _paths_to(subject, steps[:position], index):
                for after in _paths_from(obj, steps[position + 1 :], index):
                    path = (*before, triple, *after)
                    yield (path[0][0], prop, path[-1][2]), (NKG["rule-property-chain"], prop, path)


def _paths_to(end: URIRef, steps: tuple[URIRef, ...], index: _Index) -> Iterator[tuple[Triple, ...]]:
    if not steps:
        yield ()
        return
    for start in sorted(index.backward[steps[-1]].get(end, ())):
        for path in _paths_to(start, steps[:-1], index):
            yield (*path, (start, steps[-1], end))


def _paths_from(start: URIRef, steps: tuple[URIRef, ...], index: _Index) -> Iterator[tuple[Triple, ...]]:
    if not steps:
        yield ()
        return
    for end in sorted(index.forward[steps[0]].get(start, ())):
        for path in _paths_from(end, steps[1:], index):
            yield ((start, steps[0], end), *path)


def prove(base: Iterable[Triple], targets: set[Triple], rules: _Rules) -> dict[Triple, Proof]:
    """A proof of each target triple that the rules reach, semi-naively: in each round, only rule instances with a
    premise from the round before, so every premise is proved in an earlier round (the proofs are trees).
    Where several instances prove a triple in the same round, the first by rule and premises is kept."""
    index = _Index()
    known: set[Triple] = set()
    delta: list[Triple] = sorted(set(base))
    for triple in delta:
        known.add(triple)
        index.add(triple)
    proofs: dict[Triple, Proof] = {}
    while delta:
        found: dict[Triple, tuple[tuple[int, tuple[str, ...]], Proof]] = {}
        for premise in delta:
            for conclusion, proof in _instances(premise, rules, index):
                if conclusion in known or conclusion not in targets:
                    continue
                key = (_RULE_ORDER[proof[0]], tuple(str(term) for triple in proof[2] for term in triple))
                if conclusion not in found or key < found[conclusion][0]:
                    found[conclusion] = (key, proof)
        delta = sorted(found)
        for triple in delta:
            proofs[triple] = found[triple][1]
            known.add(triple)
            index.add(triple)
    return proofs


def _claims(asserted: Graph) -> dict[Triple, list[URIRef]]:
    """The claims of each asserted domain triple, sorted."""
    parts: dict[Node, dict[Node, Node]] = defaultdict(dict)
    for part in (RDF.subject, RDF.predicate, RDF.object):
        for claim, value in asserted.subject_objects(part):
            parts[claim][part] = value
    claims: dict[Triple, list[URIRef]] = defaultdict(list)
    for claim in set(asserted.subjects(RDF.type, NKG.Claim)):
        subject, predicate, obj = (parts[claim].get(part) for part in (RDF.subject, RDF.predicate, RDF.object))
        if isinstance(claim, URIRef) and is_domain_triple(subject, predicate, obj):
            claims[(subject, predicate, obj)].append(claim)  # type: ignore[index]
    return {triple: sorted(found) for triple, found in claims.items()}


def derivations(asserted: Graph, inferred: Graph, into: Graph | None = None) -> Graph:
    """A nkg:Derivation for every inferred domain triple the ontology's rules derive from the asserted ones.

    Rules: rdfs:subPropertyOf, owl:equivalentProperty, owl:inverseOf, owl:SymmetricProperty,
    owl:TransitiveProperty and owl:propertyChainAxiom, read from the asserted graph. A triple the reasoner derived
    by another rule (owl:sameAs, owl:hasValue) gets no derivation, and the derivation shapes report it.
    The derivations go into `into` (for example `inferred` itself, sparing a copy) or a new graph.
    """
    base: list[Triple] = [t for t in asserted if is_domain_triple(*t)]  # type: ignore[misc]
    targets: set[Triple] = {t for t in inferred if is_domain_triple(*t)}  # type: ignore[misc]
    proofs = prove(base, targets, _Rules.read(asserted))
    claims, ranks = _claims(asserted), qualifier_ranks(asserted)
    qualifiers: dict[Triple, Qualifiers] = {}
    stated_hedges: dict[Triple, Qualifiers] = {}
    iris: dict[Triple, URIRef] = {}
    found: list[tuple[Node, Node, Node]] = []
    for triple, (rule, axiom_of, premises) in proofs.items():  # in the order proved: premises come first
        node = iris[triple] = derivation_iri(triple)
        hedge = Qualifiers()
        for premise in premises:
            if premise in proofs:
                found.append((node, _DERIVED_FROM, iris[premise]))
                hedge = hedge.weakest(qualifiers[premise], ranks)
            else:
                stated = claims.get(premise, [])
                found.extend((node, _DERIVED_FROM, claim) for claim in stated)
                if premise not in stated_hedges:
                    stated_hedges[premise] = stated_qualifiers(asserted, stated, premise[1], ranks)
                hedge = hedge.weakest(stated_hedges[premise], ranks)
        qualifiers[triple] = hedge
        phrase = hedge.phrase()
        found.extend(
            (
                (node, RDF.type, _DERIVATION_CLASS),
                (node, RDF.subject, triple[0]),
                (node, RDF.predicate, triple[1]),
                (node, RDF.object, triple[2]),
                (node, _BY_RULE, rule),
                (node, _BY_AXIOM_OF, axiom_of),
            )
        )
        found.extend((node, predicate, value) for predicate, value in hedge.triples())
        if phrase:
            found.append((node, _HEDGE, Literal(phrase, lang="en")))
    graph = new_graph() if into is None else into
    graph.addN((*triple, graph) for triple in found)
    return graph


def validation_data(asserted: Graph, inferred: Graph) -> Graph:
    """What the derivation shapes validate: asserted plus inferred triples, but not the asserted domain triples,
    so that a domain triple without a derivation is an inferred one (the asserted ones need claims, which
    ontology/shapes.ttl checks) and a derivation of an asserted triple points at a triple that is not there."""
    data = new_graph()
    for triple in asserted:
        if not is_domain_triple(*triple):
            data.add(triple)
    for triple in inferred:
        data.add(triple)
    return data
