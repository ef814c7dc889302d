"""The ontology's axioms compiled into OWL 2 RL rules, and whether the native reasoner covers everything stated."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kg.triples import OWL, RDF, RDFS, Term, iri

__all__ = ["TYPE", "Schema", "closure_of", "list_items"]

TYPE = iri(RDF + "type")
_SUB_CLASS, _SUB_PROPERTY = iri(RDFS + "subClassOf"), iri(RDFS + "subPropertyOf")
_EQUIVALENT_CLASS, _EQUIVALENT_PROPERTY = iri(OWL + "equivalentClass"), iri(OWL + "equivalentProperty")
_DOMAIN, _RANGE, _INVERSE = iri(RDFS + "domain"), iri(RDFS + "range"), iri(OWL + "inverseOf")
_CHAIN, _FIRST, _REST, _NIL = iri(OWL + "propertyChainAxiom"), iri(RDF + "first"), iri(RDF + "rest"), iri(RDF + "nil")
_TRANSITIVE, _SYMMETRIC = iri(OWL + "TransitiveProperty"), iri(OWL + "SymmetricProperty")
_FUNCTIONAL, _INVERSE_FUNCTIONAL = iri(OWL + "FunctionalProperty"), iri(OWL + "InverseFunctionalProperty")
_THING = iri(OWL + "Thing")

#: Built-in predicates whose OWL 2 RL rules derive nothing but noise or inconsistency reports (owlrl writes those on
#: blank nodes), or that the schema reading below handles; any other rdf:, rdfs: or owl: predicate (owl:sameAs,
#: owl:hasKey, class expressions such as owl:someValuesFrom) sends the graph to the reference reasoner.
_RDF_NAMES = ("type", "first", "rest", "subject", "predicate", "object", "value")
_HARMLESS_PREDICATES = {iri(RDF + name) for name in _RDF_NAMES}
_HARMLESS_PREDICATES |= {iri(RDFS + name) for name in ("label", "comment", "seeAlso", "isDefinedBy")}
_HARMLESS_PREDICATES |= {
    iri(OWL + name)
    for name in [
        "versionIRI",
        "versionInfo",
        "imports",
        "priorVersion",
        "deprecated",
        "backwardCompatibleWith",
        "incompatibleWith",
        "disjointWith",
        "differentFrom",
        "propertyDisjointWith",
        "members",
        "distinctMembers",
        "annotatedSource",
        "annotatedProperty",
        "annotatedTarget",
    ]
}
_SCHEMA_PREDICATES = {_SUB_CLASS, _SUB_PROPERTY, _EQUIVALENT_CLASS, _EQUIVALENT_PROPERTY, _DOMAIN, _RANGE, _INVERSE}
_SCHEMA_PREDICATES.add(_CHAIN)
#: Built-in classes whose members rules act on: a derived membership in one of them is not followed natively.
_ACTIVE_CLASSES = {
    iri(OWL + name)
    for name in [
        "TransitiveProperty",
        "SymmetricProperty",
        "FunctionalProperty",
        "InverseFunctionalProperty",
        "AsymmetricProperty",
        "IrreflexiveProperty",
        "AllDifferent",
        "AllDisjointClasses",
        "AllDisjointProperties",
        "Nothing",
        "Thing",
    ]
}
_BUILT_IN = ("<" + RDF, "<" + RDFS, "<" + OWL)


def closure_of(edges: dict[Term, set[Term]]) -> dict[Term, set[Term]]:
    """Everything reachable from each node by one or more edges."""
    reached: dict[Term, set[Term]] = {}
    for start in edges:
        seen: set[Term] = set()
        stack = list(edges[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(edges.get(node, ()))
        reached[start] = seen
    return reached


def list_items(head: Term, first: dict[Term, Term], rest: dict[Term, Term]) -> list[Term] | None:
    """The members of an RDF list, or None if it is not a well-formed list."""
    items: list[Term] = []
    seen: set[Term] = set()
    while head != _NIL:
        if head in seen or head not in first or head not in rest:
            return None
        seen.add(head)
        items.append(first[head])
        head = rest[head]
    return items


@dataclass
class Schema:
    """The axioms that derive triples between individuals (and the class and property hierarchies themselves)."""

    sub_classes: dict[Term, set[Term]] = field(default_factory=lambda: defaultdict(set))
    sub_properties: dict[Term, set[Term]] = field(default_factory=lambda: defaultdict(set))
    domains: dict[Term, set[Term]] = field(default_factory=lambda: defaultdict(set))
    ranges: dict[Term, set[Term]] = field(default_factory=lambda: defaultdict(set))
    inverses: dict[Term, set[Term]] = field(default_factory=lambda: defaultdict(set))
    kinds: dict[Term, set[Term]] = field(default_factory=lambda: defaultdict(set))
    chains: list[tuple[Term, tuple[Term, ...]]] = field(default_factory=list)
    #: why the native reasoner cannot promise owlrl's answer for this graph ("" if it can)
    unsupported: str = ""

    @classmethod
    def read(cls, by_predicate: dict[Term, list[tuple[Term, Term]]]) -> Schema:
        schema = cls()
        for predicate in by_predicate:
            if predicate.startswith(_BUILT_IN) and predicate not in _HARMLESS_PREDICATES | _SCHEMA_PREDICATES:
                schema.unsupported = schema.unsupported or f"{predicate} is used"
        edges = {_SUB_CLASS: schema.sub_classes, _SUB_PROPERTY: schema.sub_properties}
        for predicate, into in edges.items():
            for sub, sup in by_predicate.get(predicate, ()):
                into[sub].add(sup)
        for predicate, into in ((_EQUIVALENT_CLASS, schema.sub_classes), (_EQUIVALENT_PROPERTY, schema.sub_properties)):
            for left, right in by_predicate.get(predicate, ()):
                into[left].add(right)
                into[right].add(left)
        for predicate, into in ((_DOMAIN, schema.domains), (_RANGE, schema.ranges)):
            for prop, cls_ in by_predicate.get(predicate, ()):
                into[prop].add(cls_)
        for left, right in by_predicate.get(_INVERSE, ()):
            schema.inverses[left].add(right)
            schema.inverses[right].add(left)
        for subject, obj in by_predicate.get(TYPE, ()):
            if obj in (_TRANSITIVE, _SYMMETRIC, _FUNCTIONAL, _INVERSE_FUNCTIONAL):
                schema.kinds[obj].add(subject)
        first, rest = dict(by_predicate.get(_FIRST, ())), dict(by_predicate.get(_REST, ()))
        for prop, head in by_predicate.get(_CHAIN, ()):
            steps = list_items(head, first, rest)
            if steps is None or len(steps) < 2 or not all(step.startswith("<") for step in steps):
                schema.unsupported = schema.unsupported or f"the property chain of {prop} is not a list of properties"
            elif prop.startswith("<"):
                schema.chains.append((prop, tuple(steps)))
        schema.chains.sort()
        schema._check()
        return schema

    @property
    def transitive(self) -> set[Term]:
        return self.kinds[_TRANSITIVE]

    @property
    def symmetric(self) -> set[Term]:
        return self.kinds[_SYMMETRIC]

    def functional(self) -> tuple[set[Term], set[Term]]:
        return self.kinds[_FUNCTIONAL], self.kinds[_INVERSE_FUNCTIONAL]

    def premises(self) -> set[Term]:
        """The predicates of triples some rule takes as a premise (besides rdf:type)."""
        found = {p for p, sups in self.sub_properties.items() if sups - {p}}
        found |= set(self.domains) | set(self.ranges) | set(self.inverses) | self.transitive | self.symmetric
        found |= {step for _, steps in self.chains for step in steps}
        return found | self.functional()[0] | self.functional()[1]

    def conclusions(self) -> set[Term]:
        """The predicates of triples some rule concludes (besides rdf:type)."""
        found = {sup for sups in self.sub_properties.values() for sup in sups}
        found |= {inverse for inverses in self.inverses.values() for inverse in inverses}
        return found | self.transitive | self.symmetric | {prop for prop, _ in self.chains}

    def _check(self) -> None:
        """Leave to the reference reasoner graphs whose rules would reach the schema itself or the built-in
        vocabulary (a property below rdf:type, a class below owl:TransitiveProperty), which the native reasoner
        does not follow."""
        predicates = self.premises() | self.conclusions()
        for predicate in sorted(predicates):
            built_in = predicate.startswith(_BUILT_IN) and predicate not in _HARMLESS_PREDICATES
            if built_in or predicate in _SCHEMA_PREDICATES or predicate in (TYPE, _FIRST, _REST):
                self.unsupported = self.unsupported or f"a rule derives or reads {predicate} triples"
        classes = {c for sups in closure_of(self.sub_classes).values() for c in sups}
        classes |= {c for found in (*self.domains.values(), *self.ranges.values()) for c in found}
        active = classes & (_ACTIVE_CLASSES - {_THING})
        if _THING in self.sub_classes:
            active.add(_THING)  # owl:Thing below a class would make every individual a member
        for cls_ in sorted(active):
            self.unsupported = self.unsupported or f"a rule derives membership of {cls_}"
