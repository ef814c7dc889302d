"""Hedges: the weakest qualifier words of a derivation's premises, ranked by ontology/derivations.ttl."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.terms import NKG

__all__ = ["Qualifiers", "Ranks", "qualifier_ranks", "stated_qualifiers"]

#: qualifier word (case-folded) -> (certainty rank, frequency rank); lower is weaker
Ranks = dict[str, tuple[int | None, int | None]]


@dataclass(frozen=True)
class Qualifiers:
    """The weakest qualifiers of a set of claims: least certain modality, narrowest frequency, every circumstance."""

    modality: Literal | None = None
    frequency: Literal | None = None
    circumstances: frozenset[Literal] = frozenset()

    def weakest(self, other: Qualifiers, ranks: Ranks) -> Qualifiers:
        return Qualifiers(
            _lower(self.modality, other.modality, ranks, 0),
            _lower(self.frequency, other.frequency, ranks, 1),
            self.circumstances | other.circumstances,
        )

    def triples(self) -> list[tuple[URIRef, Literal]]:
        """(nkg:modality | nkg:frequency | nkg:circumstance, word) for each qualifier there is."""
        found = [(NKG.modality, self.modality), (NKG.frequency, self.frequency)]
        found.extend((NKG.circumstance, circumstance) for circumstance in sorted(self.circumstances))
        return [(predicate, word) for predicate, word in found if word is not None]

    def phrase(self) -> str:
        words = [str(self.modality or ""), str(self.frequency or ""), *sorted(str(c) for c in self.circumstances)]
        return "; ".join(word for word in words if word)


def _lower(first: Literal | None, second: Literal | None, ranks: Ranks, dimension: int) -> Literal | None:
    """The weaker of two words; an unranked word counts as the weakest (it cannot be shown to be stronger)."""
    if first is None or second is None:
        return first if second is None else second

    def key(word: Literal) -> tuple[int, str]:
        rank = ranks.get(str(word).casefold(), (None, None))[dimension]
        return (-1 if rank is None else rank, str(word))

    return min(first, second, key=key)


def qualifier_ranks(graph: Graph) -> Ranks:
    """Each qualifier word of ontology/derivations.ttl (case-folded): its (certainty rank, frequency rank)."""
    ranks: Ranks = {}
    for word in graph.subjects(RDF.type, NKG.QualifierWord):
        certainty, frequency = graph.value(word, NKG.certaintyRank), graph.value(word, NKG.frequencyRank)
        for label in graph.objects(word, RDFS.label):
            ranks[str(label).casefold()] = (
                int(certainty) if isinstance(certainty, Literal) else None,
                int(frequency) if isinstance(frequency, Literal) else None,
            )
    return ranks


def stated_qualifiers(asserted: Graph, claims: list[URIRef], predicate: URIRef, ranks: Ranks) -> Qualifiers:
    """The weakest qualifiers of an asserted triple's claims, with the hedge its property's meaning carries."""
    qualifiers = Qualifiers()
    found = [(NKG.inherentHedge, hedge) for hedge in asserted.objects(predicate, NKG.inherentHedge)]
    for claim in claims:
        found.extend(
            (p, value) for p in (NKG.modality, NKG.frequency, NKG.circumstance) for value in asserted.objects(claim, p)
        )
    for kind, value in found:
        if isinstance(value, Literal):
            if kind == NKG.circumstance:
                qualifiers = qualifiers.weakest(Qualifiers(circumstances=frozenset([value])), ranks)
            elif kind == NKG.frequency:
                qualifiers = qualifiers.weakest(Qualifiers(frequency=value), ranks)
            else:
                qualifiers = qualifiers.weakest(Qualifiers(modality=value), ranks)
    return qualifiers
