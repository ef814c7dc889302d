"""The few lines of a graph, of maybe millions, that the integrity rules (queries/integrity/*.rq) can match."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kg.triples import Triple, ntriples, read_triples

__all__ = ["what_graph_rules_read", "what_user_rules_read"]

# The lines are found by regular expressions over the whole bytes (a search in C), never line by line in Python:
# at a million lines a loop over them costs seconds. The data is N-Triples as Oxigraph and `kg.triples` write
# it, one space between terms; a pattern that also matches inside a literal only keeps a real line too many.

_W3, _PROJECT = rb"<http://www\.w3\.org/", rb"<https://w3id\.org/neuropathy-kg/"
_RDF, _RDFS, _OWL = rb"1999/02/22-rdf-syntax-ns#", rb"2000/01/rdf-schema#", rb"2002/07/owl#"
#: A line whose subject the user rules match whatever the statement: RDF, RDFS, OWL and XSD terms, and the
#: project's vocabulary (nkg:causes, not an entity such as entity:…, whose name holds a slash).
_USER_SUBJECT = re.compile(
    rb"\n(?:" + _W3 + rb"(?:" + _RDF + rb"|" + _RDFS + rb"|" + _OWL + rb"|2001/XMLSchema#)|" + _PROJECT + rb"[^/>\n]*>)"
)
#: A line whose predicate the user rules match whatever the subject: sub-properties, equivalences, inverses, identity.
_MAPPING_PREDICATE = re.compile(
    rb" " + _W3 + rb"(?:" + _RDFS + rb"subPropertyOf|" + _OWL + rb"(?:equivalentProperty|inverseOf|propertyDisjointWith"
    rb"|equivalentClass|complementOf|disjointWith|sameAs))> "
)


def _lines_at(data: bytes, positions: Iterable[int]) -> dict[int, bytes]:
    """The whole lines holding each position, by where they start."""
    found: dict[int, bytes] = {}
    for position in positions:
        start = data.rfind(b"\n", 0, position) + 1
        if start not in found:
            end = data.find(b"\n", position)
            found[start] = data[start : len(data) if end < 0 else end]
    return found


def what_user_rules_read(data: bytes) -> bytes:
    """The lines of one user file the user rules can match, in the file's order: none, or a few, of a file
    that may hold millions. A new user rule that reads other statements must be covered here."""
    starts = [match.start() + 1 for match in _USER_SUBJECT.finditer(data)]
    if _USER_SUBJECT.match(b"\n" + data[: data.find(b"\n") + 1 or len(data)]):
        starts.append(0)  # the first line has no line break before it
    starts.extend(match.start() for match in _MAPPING_PREDICATE.finditer(data))
    found = _lines_at(data, starts)
    return b"".join(found[start] + b"\n" for start in sorted(found) if found[start])


_OWL_IRI, _RDF_IRI = "http://www.w3.org/2002/07/owl#", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: Predicates the graph rules match on, whatever their subject: identity, disjointness and RDF lists.
_RULE_PREDICATES = {f"<{_OWL_IRI}{name}>" for name in ("sameAs", "differentFrom", "disjointWith", "complementOf")}
_RULE_PREDICATES |= {f"<{_OWL_IRI}{name}>" for name in ("propertyDisjointWith", "members", "distinctMembers")}
_RULE_PREDICATES |= {f"<{_RDF_IRI}first>", f"<{_RDF_IRI}rest>"}
_CHARACTERISTICS = {f"<{_OWL_IRI}IrreflexiveProperty>", f"<{_OWL_IRI}AsymmetricProperty>"}
_RULE_TYPES = {f"<{_OWL_IRI}{name}>" for name in ("Nothing", "AllDisjointClasses", "AllDifferent")} | _CHARACTERISTICS
_RULE_PREDICATE = re.compile(
    rb" " + _W3 + rb"(?:" + _OWL + rb"(?:sameAs|differentFrom|disjointWith|complementOf|propertyDisjointWith"
    rb"|members|distinctMembers)|" + _RDF + rb"(?:first|rest))> "
)
#: An rdf:type line, its class captured (an IRI or a blank node: no spaces).
_TYPED = re.compile(rb" " + _W3 + _RDF + rb"type> ([^ \n]+) \.$", re.MULTILINE)


def _triples(lines: Iterable[bytes]) -> set[Triple]:
    return set(read_triples(b"".join(line + b"\n" for line in lines)))


def what_graph_rules_read(graphs: tuple[bytes, ...]) -> bytes:
    """The lines of the reasoned graph the graph rules can match, as sorted N-Triples: a few where the whole may
    hold millions. A new rule that reads other statements must be covered here."""
    kept = {
        triple
        for data in graphs
        for triple in _triples(_lines_at(data, (m.start() for m in _RULE_PREDICATE.finditer(data))).values())
        if triple[1] in _RULE_PREDICATES
    }
    classes = {node for s, p, o in kept if p.endswith(("disjointWith>", "complementOf>")) for node in (s, o)}
    classes |= {o for _, p, o in kept if p == f"<{_RDF_IRI}first>"} | _RULE_TYPES
    wanted = {name.encode("utf-8") for name in classes}
    typed = _triples(
        line
        for data in graphs
        for line in _lines_at(data, (m.start() for m in _TYPED.finditer(data) if m.group(1) in wanted)).values()
    )
    kept.update(triple for triple in typed if triple[1] == f"<{_RDF_IRI}type>" and triple[2] in classes)
    properties = {s for s, p, o in kept if p == f"<{_RDF_IRI}type>" and o in _CHARACTERISTICS}
    properties |= {node for s, p, o in kept if p == f"<{_OWL_IRI}propertyDisjointWith>" for node in (s, o)}
    named = sorted(name for name in properties if name.startswith("<"))  # only an IRI can be a predicate
    if named:
        used = re.compile(b" (?:" + b"|".join(re.escape(name.encode("utf-8")) for name in named) + b") ")
        lines = (line for data in graphs for line in _lines_at(data, (m.start() for m in used.finditer(data))).values())
        kept.update(triple for triple in _triples(lines) if triple[1] in properties)
    return ntriples(kept)
