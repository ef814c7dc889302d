"""Hedges: the weakest qualifier words of a derivation's premises, ranked by ontology/derivations.ttl."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from kg.triples import RDF, RDFS, Term, iri, literal_value

__all__ = ["ClaimWords", "Qualifiers", "Ranks", "claim_words", "qualifier_ranks"]

_NKG = "https://w3id.org/neuropathy-kg/"
MODALITY, FREQUENCY, CIRCUMSTANCE = iri(_NKG + "modality"), iri(_NKG + "frequency"), iri(_NKG + "circumstance")
_INHERENT_HEDGE, _QUALIFIER_WORD = iri(_NKG + "inherentHedge"), iri(_NKG + "QualifierWord")
_CERTAINTY_RANK, _FREQUENCY_RANK = iri(_NKG + "certaintyRank"), iri(_NKG + "frequencyRank")
_TYPE, _LABEL = iri(RDF + "type"), iri(RDFS + "label")

#: qualifier word (case-folded) -> (certainty rank, frequency rank); lower is weaker
Ranks = dict[str, tuple[int | None, int | None]]
ByPredicate = dict[Term, list[tuple[Term, Term]]]


@dataclass(frozen=True)
class Qualifiers:
    """The weakest qualifiers of a set of claims: least certain modality, narrowest frequency, every circumstance.
    Each word is a literal's N-Triples text."""

    modality: Term | None = None
    frequency: Term | None = None
    circumstances: frozenset[Term] = frozenset()

    def weakest(self, other: Qualifiers, ranks: Ranks) -> Qualifiers:
        return Qualifiers(
            _lower(self.modality, other.modality, ranks, 0),
            _lower(self.frequency, other.frequency, ranks, 1),
            self.circumstances | other.circumstances,
        )

    def triples(self) -> list[tuple[Term, Term]]:
        """(nkg:modality | nkg:frequency | nkg:circumstance, word) for each qualifier there is."""
        found = [(MODALITY, self.modality), (FREQUENCY, self.frequency)]
        found.extend((CIRCUMSTANCE, circumstance) for circumstance in sorted(self.circumstances))
        return [(predicate, word) for predicate, word in found if word is not None]

    def phrase(self) -> str:
        words = [literal_value(word) for word in (self.modality, self.frequency) if word is not None]
        words.extend(sorted(literal_value(c) for c in self.circumstances))
        return "; ".join(word for word in words if word)


def _lower(first: Term | None, second: Term | None, ranks: Ranks, dimension: int) -> Term | None:
    """The weaker of two words; an unranked word counts as the weakest (it cannot be shown to be stronger)."""
    if first is None or second is None:
        return first if second is None else second

    def key(word: Term) -> tuple[int, str]:
        value = literal_value(word)
        rank = ranks.get(value.casefold(), (None, None))[dimension]
        return (-1 if rank is None else rank, value)

    return min(first, second, key=key)


def qualifier_ranks(asserted: ByPredicate) -> Ranks:
    """Each qualifier word of ontology/derivations.ttl (case-folded): its (certainty rank, frequency rank)."""
    words = {subject for subject, obj in asserted.get(_TYPE, ()) if obj == _QUALIFIER_WORD}
    values: dict[Term, dict[Term, list[Term]]] = defaultdict(lambda: defaultdict(list))
    for predicate in (_CERTAINTY_RANK, _FREQUENCY_RANK, _LABEL):
        for subject, obj in asserted.get(predicate, ()):
            if subject in words:
                values[subject][predicate].append(obj)
    ranks: Ranks = {}
    for word in sorted(words):
        certainty, frequency = (_number(values[word].get(rank)) for rank in (_CERTAINTY_RANK, _FREQUENCY_RANK))
        for label in values[word].get(_LABEL, ()):
            ranks[literal_value(label).casefold()] = (certainty, frequency)
    return ranks


def _number(found: list[Term] | None) -> int | None:
    literals = [term for term in found or () if term.startswith('"')]
    return int(literal_value(min(literals))) if literals else None


@dataclass
class ClaimWords:
    """The qualifier words of each claim and the hedge each property carries, read once from the asserted triples."""

    of_claim: dict[Term, list[tuple[Term, Term]]]
    of_property: dict[Term, list[Term]]

    def stated(self, claims: list[Term], predicate: Term, ranks: Ranks) -> Qualifiers:
        """The weakest qualifiers of an asserted triple's claims, with the hedge its property's meaning carries."""
        qualifiers = Qualifiers()
        found = [(_INHERENT_HEDGE, hedge) for hedge in self.of_property.get(predicate, ())]
        for claim in claims:
            found.extend(self.of_claim.get(claim, ()))
        for kind, value in found:
            if not value.startswith('"'):
                continue
            if kind == CIRCUMSTANCE:
                qualifiers = qualifiers.weakest(Qualifiers(circumstances=frozenset([value])), ranks)
            elif kind == FREQUENCY:
                qualifiers = qualifiers.weakest(Qualifiers(frequency=value), ranks)
            else:
                qualifiers = qualifiers.weakest(Qualifiers(modality=value), ranks)
        return qualifiers


def claim_words(asserted: ByPredicate) -> ClaimWords:
    of_claim: dict[Term, list[tuple[Term, Term]]] = defaultdict(list)
    for predicate in (MODALITY, FREQUENCY, CIRCUMSTANCE):
        for claim, value in sorted(asserted.get(predicate, ())):
            of_claim[claim].append((predicate, value))
    of_property: dict[Term, list[Term]] = defaultdict(list)
    for prop, hedge in sorted(asserted.get(_INHERENT_HEDGE, ())):
        of_property[prop].append(hedge)
    return ClaimWords(of_claim, of_property)
