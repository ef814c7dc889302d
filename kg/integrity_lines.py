"""The few lines of a graph, of maybe millions, that the integrity rules (queries/integrity/*.rq) can match."""

from __future__ import annotations

from kg.triples import Triple, ntriples, read_triples

__all__ = ["what_graph_rules_read", "what_user_rules_read"]

_W3, _PROJECT = b"<http://www.w3.org/", b"<https://w3id.org/neuropathy-kg/"
#: Subjects the user rules match whatever the statement (RDF, RDFS, OWL and XSD terms; the project's vocabulary).
_VOCABULARY_SUBJECTS = tuple(
    _W3 + path for path in (b"1999/02/22-rdf-syntax-ns#", b"2000/01/rdf-schema#", b"2002/07/owl#", b"2001/XMLSchema#")
)
#: Predicates the user rules match whatever the subject: sub-properties, equivalences, inverses and identity.
_MAPPING_PREDICATES = tuple(
    b" " + _W3 + name + b"> "
    for name in (
        b"2000/01/rdf-schema#subPropertyOf",
        *(b"2002/07/owl#" + n for n in (b"equivalentProperty", b"inverseOf", b"propertyDisjointWith")),
        *(b"2002/07/owl#" + n for n in (b"equivalentClass", b"complementOf", b"disjointWith", b"sameAs")),
    )
)


def what_user_rules_read(data: bytes) -> bytes:
    """The lines of one user file the user rules can match: none, or a few, of a file that may hold millions.
    A new user rule that reads other statements must be covered here."""
    kept = []
    for line in data.split(b"\n"):
        if line.startswith(_VOCABULARY_SUBJECTS) or any(predicate in line for predicate in _MAPPING_PREDICATES):
            kept.append(line)
        elif line.startswith(_PROJECT) and b"/" not in line[len(_PROJECT) : line.find(b">")]:
            kept.append(line)  # a project vocabulary term (nkg:causes), not an entity (entity:…)
    return b"".join(line + b"\n" for line in kept)


_OWL, _RDF = "http://www.w3.org/2002/07/owl#", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: Predicates the graph rules match on, whatever their subject: identity, disjointness and RDF lists.
_RULE_PREDICATES = {f"<{_OWL}{name}>" for name in ("sameAs", "differentFrom", "disjointWith", "complementOf")}
_RULE_PREDICATES |= {f"<{_OWL}{name}>" for name in ("propertyDisjointWith", "members", "distinctMembers")}
_RULE_PREDICATES |= {f"<{_RDF}first>", f"<{_RDF}rest>"}
_CHARACTERISTICS = {f"<{_OWL}IrreflexiveProperty>", f"<{_OWL}AsymmetricProperty>"}
_RULE_TYPES = {f"<{_OWL}{name}>" for name in ("Nothing", "AllDisjointClasses", "AllDifferent")} | _CHARACTERISTICS
_TYPE = f"<{_RDF}type>"


def what_graph_rules_read(graphs: tuple[bytes, ...]) -> bytes:
    """The lines of the reasoned graph the graph rules can match: a few where the whole may hold millions.
    A new rule that reads other statements must be covered here."""
    kept: list[Triple] = []
    typed: list[Triple] = []
    properties: set[str] = set()
    for triple in (triple for data in graphs for triple in read_triples(data)):
        subject, predicate, obj = triple
        if predicate in _RULE_PREDICATES:
            kept.append(triple)
            if predicate == f"<{_OWL}propertyDisjointWith>":
                properties.update((subject, obj))
        elif predicate == _TYPE:
            typed.append(triple)
            if obj in _CHARACTERISTICS:
                properties.add(subject)
    classes = {node for s, p, o in kept if p.endswith(("disjointWith>", "complementOf>")) for node in (s, o)}
    classes |= {o for _, p, o in kept if p == f"<{_RDF}first>"} | _RULE_TYPES
    kept.extend(triple for triple in typed if triple[2] in classes)
    if properties:
        kept.extend(triple for data in graphs for triple in read_triples(data) if triple[1] in properties)
    return ntriples(kept)
