"""OWL 2 RL reasoning natively: the schema's rules run over N-Triples term texts, giving owlrl's entailments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from kg.rules import TYPE, Schema, closure_of
from kg.triples import OWL, RDF, RDFS, Term, Triple, iri, read_triples

__all__ = ["ByPredicate", "UnsupportedError", "by_predicate", "entailments", "is_noise_term", "relevant_triples"]

#: Asserted triples grouped by predicate: predicate -> [(subject, object)].
ByPredicate = dict[Term, list[tuple[Term, Term]]]

_SUB_CLASS, _SUB_PROPERTY = iri(RDFS + "subClassOf"), iri(RDFS + "subPropertyOf")
_EQUIVALENT_CLASS, _EQUIVALENT_PROPERTY = iri(OWL + "equivalentClass"), iri(OWL + "equivalentProperty")
_SAME_AS, _DOMAIN, _RANGE = iri(OWL + "sameAs"), iri(RDFS + "domain"), iri(RDFS + "range")
_STATEMENT = iri(RDF + "Statement")
_REFLEXIVE_NOISE = {_SUB_CLASS, _SUB_PROPERTY, _EQUIVALENT_CLASS, _EQUIVALENT_PROPERTY, _SAME_AS}
_TRIVIAL_OBJECTS = {iri(OWL + "Thing"), iri(RDFS + "Resource"), iri(OWL + "NamedIndividual")}
_BUILT_IN = tuple("<" + namespace for namespace in (RDF, RDFS, OWL, "http://www.w3.org/2001/XMLSchema#"))
Index = dict[Term, dict[Term, set[Term]]]


class UnsupportedError(Exception):
    """The graph uses OWL constructs the native reasoner does not follow (the reference reasoner then runs)."""


def is_noise_term(subject: Term, predicate: Term, obj: Term) -> bool:
    """kg.reason.is_noise on term texts: axioms of RDF/OWL itself and tautologies say nothing about the domain."""
    if subject[0] in '_"' or obj[0] == "_" or subject.startswith(_BUILT_IN):
        return True
    if predicate in _REFLEXIVE_NOISE and subject == obj:
        return True
    if predicate in (TYPE, _SUB_CLASS) and obj in _TRIVIAL_OBJECTS:
        return True
    if predicate in (_DOMAIN, _RANGE):
        return True
    return predicate == TYPE and obj.startswith(_BUILT_IN) and obj != _STATEMENT


def by_predicate(data: bytes) -> ByPredicate:
    """The triples of N-Triples bytes grouped by predicate, without duplicates."""
    grouped: dict[Term, set[tuple[Term, Term]]] = {}
    for subject, predicate, obj in read_triples(data):
        pairs = grouped.get(predicate)
        if pairs is None:
            pairs = grouped[predicate] = set()
        pairs.add((subject, obj))
    return {predicate: list(pairs) for predicate, pairs in grouped.items()}


#: What a line that may hold the schema contains: an RDFS or OWL term, an RDF list, or a qualifier word (the first
#: pass of `relevant_triples` reads only these lines).
_SCHEMA_NEEDLES = (b"rdf-schema#", b"/owl#", b"22-rdf-syntax-ns#first>", b"22-rdf-syntax-ns#rest>", b"/QualifierWord>")
_LABELS = {iri(RDFS + name) for name in ("label", "comment", "seeAlso", "isDefinedBy")}
_NKG, _ENTITY = "<https://w3id.org/neuropathy-kg/", "<https://w3id.org/neuropathy-kg/entity/"
#: What the derivation records read besides the rules' own predicates (kg.derive, kg.hedge).
_RECORD_PREDICATES = {iri(RDF + name) for name in ("subject", "predicate", "object")} | {
    _NKG + name + ">" for name in ("modality", "frequency", "circumstance", "inherentHedge", "certaintyRank")
}
_RECORD_PREDICATES |= {_NKG + "frequencyRank>", TYPE}
_QUALIFIER_WORD, _LABEL = _NKG + "QualifierWord>", iri(RDFS + "label")


def relevant_triples(data: bytes) -> ByPredicate:
    """The asserted triples reasoning and the derivation records can read, grouped by predicate: the schema
    (found by a first pass over the lines that can hold it), then the triples of the predicates its rules read
    or conclude, class memberships, claims and their qualifiers, and triples between two entities. Quotes,
    labels and the like, most of a large graph's memory, are left out; `entailments` gives the same answer."""
    schema_triples = by_predicate(_lines_with(data, _SCHEMA_NEEDLES))
    schema = Schema.read(schema_triples)
    wanted = schema.premises() | schema.conclusions() | _RECORD_PREDICATES
    grouped: dict[Term, set[tuple[Term, Term]]] = {}
    for subject, predicate, obj in read_triples(data):
        if predicate in wanted or (
            predicate.startswith(_NKG) and subject.startswith(_ENTITY) and obj.startswith(_ENTITY)
        ):
            pairs = grouped.get(predicate)
            if pairs is None:
                pairs = grouped[predicate] = set()
            pairs.add((subject, obj))
    words = {subject for subject, obj in schema_triples.get(TYPE, ()) if obj == _QUALIFIER_WORD}
    for predicate, found in schema_triples.items():
        if predicate == _LABEL:
            found = [(subject, obj) for subject, obj in found if subject in words]
        elif predicate in _LABELS:
            continue
        grouped.setdefault(predicate, set()).update(found)
    return {predicate: list(pairs) for predicate, pairs in grouped.items()}


def _lines_with(data: bytes, needles: tuple[bytes, ...]) -> bytes:
    """The lines of `data` that contain one of `needles` (found by the bytes' own search, not line by line)."""
    spans: set[tuple[int, int]] = set()
    for needle in needles:
        found = data.find(needle)
        while found >= 0:
            end = data.find(b"\n", found)
            end = len(data) if end < 0 else end
            spans.add((data.rfind(b"\n", 0, found) + 1, end))
            found = data.find(needle, end)
    return b"\n".join(data[start:end] for start, end in sorted(spans))


def entailments(asserted: ByPredicate, schema: Schema | None = None) -> list[Triple]:
    """The OWL 2 RL entailments of the asserted triples that are not asserted, without noise: what owlrl derives.

    Raises UnsupportedError for graphs using constructs outside the rules followed here (kg.rules says which).
    """
    schema = schema or Schema.read(asserted)
    if schema.unsupported:
        raise UnsupportedError(schema.unsupported)
    found = [*_individual_triples(asserted, schema), *_hierarchy(asserted, schema)]
    return [triple for triple in found if not is_noise_term(*triple)]


def _individual_triples(asserted: ByPredicate, schema: Schema) -> Iterator[Triple]:
    """Property assertions and class memberships, by a work list: each triple is joined once with all triples
    known when it is taken, and a join's other premise taken later meets it then, so every rule instance fires."""
    supers = {p: sups - {p} for p, sups in closure_of(schema.sub_properties).items() if sups - {p}}
    steps: dict[Term, list[tuple[Term, tuple[Term, ...], int]]] = defaultdict(list)
    for prop, chain in schema.chains:
        for position, step in enumerate(chain):
            steps[step].append((prop, chain, position))
    functional, inverse_functional = schema.functional()
    indexed = schema.transitive | set(steps) | functional | inverse_functional
    forward: Index = {p: defaultdict(set) for p in indexed}
    backward: Index = {p: defaultdict(set) for p in indexed}
    known: set[Triple] = set()
    work: list[Triple] = []

    def note(triple: Triple) -> bool:
        if triple in known:
            return False
        known.add(triple)
        work.append(triple)
        subject, predicate, obj = triple
        if predicate in forward:
            forward[predicate][subject].add(obj)
            backward[predicate][obj].add(subject)
        return True

    for predicate in schema.premises() | schema.conclusions():
        for subject, obj in asserted.get(predicate, ()):
            note((subject, predicate, obj))
    derived: list[Triple] = []
    memberships: set[tuple[Term, Term]] = set()
    domains, ranges, inverses = schema.domains, schema.ranges, schema.inverses
    while work:
        x, p, y = work.pop()
        found = [(x, q, y) for q in supers.get(p, ())]
        found.extend((y, q, x) for q in inverses.get(p, ()))
        if p in schema.symmetric:
            found.append((y, p, x))
        if p in schema.transitive:
            found.extend((x, p, z) for z in list(forward[p].get(y, ())))
            found.extend((w, p, y) for w in list(backward[p].get(x, ())))
        for prop, chain, position in steps.get(p, ()):
            for start in _ends(x, chain[:position][::-1], backward):
                found.extend((start, prop, end) for end in _ends(y, chain[position + 1 :], forward))
        derived.extend(triple for triple in found if note(triple))
        memberships.update((x, cls) for cls in domains.get(p, ()))
        memberships.update((y, cls) for cls in ranges.get(p, ()))
    for kind, index in ((functional, forward), (inverse_functional, backward)):
        for prop in kind:
            if any(len(values) > 1 for values in index[prop].values()):
                raise UnsupportedError(f"{prop} is functional and has two values (owl:sameAs reasoning)")
    yield from derived
    yield from _memberships(asserted, schema, memberships)


def _ends(start: Term, path: tuple[Term, ...], index: Index) -> list[Term]:
    """The nodes reached from `start` by following the properties of `path` in `index`, one after the other."""
    reached = {start}
    for step in path:
        reached = {end for node in reached for end in index[step].get(node, ())}
    return list(reached)


def _memberships(asserted: ByPredicate, schema: Schema, derived: set[tuple[Term, Term]]) -> Iterator[Triple]:
    """Class memberships: asserted or derived ones, and every superclass of each (cax-sco, cax-eqc)."""
    stated = set(asserted.get(TYPE, ()))
    supers = closure_of(schema.sub_classes)
    for member, cls in stated | derived:
        if (member, cls) not in stated:
            yield member, TYPE, cls
        for sup in supers.get(cls, ()):
            if (member, sup) not in stated and (member, sup) not in derived:
                yield member, TYPE, sup
    # a superclass reached from two memberships is yielded twice; the caller writes a set


def _hierarchy(asserted: ByPredicate, schema: Schema) -> Iterator[Triple]:
    """The class and property hierarchies closed (scm-sco, scm-spo, scm-eqc, scm-eqp)."""
    for edges, below, same in (
        (schema.sub_classes, _SUB_CLASS, _EQUIVALENT_CLASS),
        (schema.sub_properties, _SUB_PROPERTY, _EQUIVALENT_PROPERTY),
    ):
        reach = closure_of(edges)
        stated_below, stated_same = set(asserted.get(below, ())), set(asserted.get(same, ()))
        for sub, sups in reach.items():
            for sup in sups:
                if sub != sup and (sub, sup) not in stated_below:
                    yield sub, below, sup
                if sub != sup and sub in reach.get(sup, ()) and (sub, sup) not in stated_same:
                    yield sub, same, sup
