"""Derivations as data: each inferred triple between two entities, with its premises, rule and weakest qualifiers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kg.hedge import ClaimWords, Qualifiers, claim_words, qualifier_ranks
from kg.rules import TYPE, list_items
from kg.triples import OWL, RDF, RDFS, Term, Triple, iri, plain_literal

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

__all__ = [
    "DERIVATION",
    "DERIVATION_SHAPES",
    "derivation_iri",
    "derivation_triples",
    "derivations",
    "is_derivation_triple",
    "is_domain_term_triple",
    "is_domain_triple",
    "validation_data",
]

_PROJECT = "https://w3id.org/neuropathy-kg/"
DERIVATION = _PROJECT + "derivation/"
#: The shapes file run over asserted plus inferred triples (the others check the asserted triples alone).
DERIVATION_SHAPES = "shapes-derivations.ttl"

ByPredicate = dict[Term, list[tuple[Term, Term]]]
#: (rule, the property whose axiom fired, the premises in path order)
Proof = tuple[Term, Term, tuple[Triple, ...]]

_ENTITY, _NKG = "<" + _PROJECT + "entity/", "<" + _PROJECT
#: Rules in the order a derivation prefers them when several derive the same triple in the same round.
_RULES = ("sub-property", "equivalent-property", "inverse", "symmetry", "property-chain", "transitivity")
_RULE = {name: iri(f"{_PROJECT}rule-{name}") for name in _RULES}
_RULE_ORDER = {_RULE[name]: number for number, name in enumerate(_RULES)}
_DERIVED_FROM, _DERIVATION_CLASS = iri("http://www.w3.org/ns/prov#wasDerivedFrom"), iri(_PROJECT + "Derivation")
_BY_RULE, _BY_AXIOM_OF, _HEDGE, _CLAIM = (iri(_PROJECT + name) for name in ("byRule", "byAxiomOf", "hedge", "Claim"))
_SUBJECT, _PREDICATE, _OBJECT = (iri(RDF + name) for name in ("subject", "predicate", "object"))


def is_domain_term_triple(subject: Term, predicate: Term, obj: Term) -> bool:
    """A triple between two project entities by a project property (term texts): what derivations explain."""
    return (
        subject.startswith(_ENTITY)
        and obj.startswith(_ENTITY)
        and predicate.startswith(_NKG)
        and "/" not in predicate[len(_NKG) :]
    )


def is_domain_triple(subject: Any, predicate: Any, obj: Any) -> bool:
    """`is_domain_term_triple` for rdflib terms."""
    from rdflib import URIRef

    return (
        isinstance(subject, URIRef)
        and isinstance(obj, URIRef)
        and is_domain_term_triple(f"<{subject}>", f"<{predicate}>", f"<{obj}>")
    )


def is_derivation_triple(subject: Any, _predicate: Any, _obj: Any) -> bool:
    """A triple about a derivation resource, as `derivations` writes them (rdflib terms or term texts)."""
    return str(subject).lstrip("<").startswith(DERIVATION)


def _record_iri(triple: Triple) -> Term:
    subject, predicate, obj = triple
    return f"<{DERIVATION}{subject[len(_ENTITY) : -1]}--{predicate[len(_NKG) : -1]}--{obj[len(_ENTITY) : -1]}>"


def derivation_iri(triple: tuple[Any, Any, Any]) -> URIRef:
    """derivation/{subject}--{predicate}--{object}, from the local names: one IRI per triple, the same every run."""
    from rdflib import URIRef

    return URIRef(_record_iri(tuple(f"<{term}>" for term in triple))[1:-1])  # type: ignore[arg-type]


class _Rules:
    """The ontology's axioms that derive triples between individuals, indexed by the premise's property."""

    def __init__(self, asserted: ByPredicate) -> None:
        self.implied: dict[Term, list[tuple[Term, Term, bool, Term]]] = defaultdict(list)
        for sub, sup in asserted.get(iri(RDFS + "subPropertyOf"), ()):
            self._one_step(sub, sup, False, "sub-property", sub)
        for left, right in asserted.get(iri(OWL + "equivalentProperty"), ()):
            self._one_step(left, right, False, "equivalent-property", left)
            self._one_step(right, left, False, "equivalent-property", left)
        for left, right in asserted.get(iri(OWL + "inverseOf"), ()):
            self._one_step(left, right, True, "inverse", left)
            self._one_step(right, left, True, "inverse", left)
        types = asserted.get(TYPE, ())
        for prop, kind in types:
            if kind == iri(OWL + "SymmetricProperty"):
                self._one_step(prop, prop, True, "symmetry", prop)
        self.transitive = {p for p, kind in types if kind == iri(OWL + "TransitiveProperty") and p[0] == "<"}
        first, rest = dict(asserted.get(iri(RDF + "first"), ())), dict(asserted.get(iri(RDF + "rest"), ()))
        self.chains: list[tuple[Term, tuple[Term, ...]]] = []
        for prop, head in asserted.get(iri(OWL + "propertyChainAxiom"), ()):
            steps = list_items(head, first, rest) or []
            # a chain through an anonymous property (an inverse written in place) is not one kg.derive follows:
            # the shapes then report what it derived, rather than a shorter chain explaining it wrongly
            if prop[0] == "<" and len(steps) >= 2 and all(step[0] == "<" for step in steps):
                self.chains.append((prop, tuple(steps)))
        self.chains.sort()
        for kinds in self.implied.values():
            kinds.sort()

    def _one_step(self, premise: Term, conclusion: Term, reverse: bool, rule: str, axiom_of: Term) -> None:
        if premise[0] == "<" and conclusion[0] == "<" and axiom_of[0] == "<":
            self.implied[premise].append((conclusion, _RULE[rule], reverse, axiom_of))


class _Index:
    """Known triples by property and subject (and object), so rules find their other premises fast."""

    def __init__(self) -> None:
        self.forward: dict[Term, dict[Term, set[Term]]] = defaultdict(lambda: defaultdict(set))
        self.backward: dict[Term, dict[Term, set[Term]]] = defaultdict(lambda: defaultdict(set))

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
        rule = _RULE["transitivity"]
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
                    yield (path[0][0], prop, path[-1][2]), (_RULE["property-chain"], prop, path)


def _paths_to(end: Term, steps: tuple[Term, ...], index: _Index) -> Iterator[tuple[Triple, ...]]:
    if not steps:
        yield ()
        return
    for start in sorted(index.backward[steps[-1]].get(end, ())):
        for path in _paths_to(start, steps[:-1], index):
            yield (*path, (start, steps[-1], end))


def _paths_from(start: Term, steps: tuple[Term, ...], index: _Index) -> Iterator[tuple[Triple, ...]]:
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
        found: dict[Triple, Proof] = {}
        for premise in delta:
            for conclusion, proof in _instances(premise, rules, index):
                if conclusion in known or conclusion not in targets:
                    continue
                if conclusion not in found or _order(proof) < _order(found[conclusion]):
                    found[conclusion] = proof
        delta = sorted(found)
        for triple in delta:
            proofs[triple] = found[triple]
            known.add(triple)
            index.add(triple)
    return proofs


def _order(proof: Proof) -> tuple[int, tuple[str, ...]]:
    """Which of two proofs of a triple is kept: by rule, then by the premises' IRIs themselves, as strings (not
    by their N-Triples text, where '>' sorts after '-')."""
    return _RULE_ORDER[proof[0]], tuple(term[1:-1] for triple in proof[2] for term in triple)


def _claims(asserted: ByPredicate) -> dict[Triple, list[Term]]:
    """The claims of each asserted domain triple, sorted."""
    parts = [dict(asserted.get(part, ())) for part in (_SUBJECT, _PREDICATE, _OBJECT)]
    claims: dict[Triple, list[Term]] = defaultdict(list)
    for claim in {subject for subject, obj in asserted.get(TYPE, ()) if obj == _CLAIM}:
        subject, predicate, obj = (part.get(claim) for part in parts)
        if claim[0] == "<" and subject and predicate and obj and is_domain_term_triple(subject, predicate, obj):
            claims[(subject, predicate, obj)].append(claim)
    return {triple: sorted(found, key=lambda claim: claim[1:-1]) for triple, found in claims.items()}


def derivation_triples(asserted: ByPredicate, inferred: Iterable[Triple]) -> list[Triple]:
    """A nkg:Derivation for every inferred domain triple the ontology's rules derive from the asserted ones.

    Rules: rdfs:subPropertyOf, owl:equivalentProperty, owl:inverseOf, owl:SymmetricProperty,
    owl:TransitiveProperty and owl:propertyChainAxiom, read from the asserted triples. A triple the reasoner
    derived by another rule (owl:sameAs, owl:hasValue) gets no derivation, and the derivation shapes report it.
    """
    base = [(s, p, o) for p, pairs in asserted.items() if p.startswith(_NKG) for s, o in pairs]
    base = [triple for triple in base if is_domain_term_triple(*triple)]
    targets = {triple for triple in inferred if is_domain_term_triple(*triple)}
    proofs = prove(base, targets, _Rules(asserted))
    claims, ranks, words = _claims(asserted), qualifier_ranks(asserted), claim_words(asserted)
    return list(_records(proofs, claims, ranks, words))


def _records(
    proofs: dict[Triple, Proof], claims: dict[Triple, list[Term]], ranks: dict[str, Any], words: ClaimWords
) -> Iterator[Triple]:
    qualifiers: dict[Triple, Qualifiers] = {}
    stated_hedges: dict[Triple, Qualifiers] = {}
    combined: dict[tuple[Qualifiers, Qualifiers], Qualifiers] = {}  # few distinct hedges, many derivations
    written: dict[Qualifiers, list[tuple[Term, Term]]] = {}

    def weakest(first: Qualifiers, second: Qualifiers) -> Qualifiers:
        found = combined.get((first, second))
        if found is None:
            found = combined[(first, second)] = first.weakest(second, ranks)
        return found

    for triple, (rule, axiom_of, premises) in proofs.items():  # in the order proved: premises come first
        node = _record_iri(triple)
        hedge = Qualifiers()
        for premise in premises:
            if premise in proofs:
                yield node, _DERIVED_FROM, _record_iri(premise)
                hedge = weakest(hedge, qualifiers[premise])
            else:
                stated = claims.get(premise, [])
                yield from ((node, _DERIVED_FROM, claim) for claim in stated)
                if premise not in stated_hedges:
                    stated_hedges[premise] = words.stated(stated, premise[1], ranks)
                hedge = weakest(hedge, stated_hedges[premise])
        qualifiers[triple] = hedge
        yield node, TYPE, _DERIVATION_CLASS
        yield node, _SUBJECT, triple[0]
        yield node, _PREDICATE, triple[1]
        yield node, _OBJECT, triple[2]
        yield node, _BY_RULE, rule
        yield node, _BY_AXIOM_OF, axiom_of
        if hedge not in written:
            phrase = hedge.phrase()
            written[hedge] = [*hedge.triples(), *([(_HEDGE, plain_literal(phrase, "en"))] if phrase else [])]
        yield from ((node, predicate, value) for predicate, value in written[hedge])


def derivations(asserted: Graph, inferred: Graph, into: Graph | None = None) -> Graph:
    """`derivation_triples` for rdflib graphs: added to `into` (for example `inferred` itself) or a new graph."""
    from kg.closure import by_predicate
    from kg.export import canonical_ntriples
    from kg.store import new_graph
    from kg.triples import ntriples

    found = [(s, p, o) for p, pairs in by_predicate(canonical_ntriples(inferred)).items() for s, o in pairs]
    records = derivation_triples(by_predicate(canonical_ntriples(asserted)), found)
    graph = new_graph() if into is None else into
    graph.parse(data=ntriples(records).decode("utf-8"), format="nt")
    return graph


def validation_data(asserted: Graph, inferred: Graph) -> Graph:
    """What the derivation shapes validate: asserted plus inferred triples, but not the asserted domain triples,
    so that a domain triple without a derivation is an inferred one (the asserted ones need claims, which
    ontology/shapes.ttl checks) and a derivation of an asserted triple points at a triple that is not there."""
    from kg.store import new_graph

    data = new_graph()
    data.addN((*triple, data) for triple in asserted if not is_domain_triple(*triple))
    data.addN((*triple, data) for triple in inferred)
    return data
