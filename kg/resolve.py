"""Turning what a user types (a label, a synonym, a CURIE or an IRI) into the IRI of a graph resource."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import ParameterError
from kg.label_keys import TERM_TYPES
from kg.label_keys import normal as _normal

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

    from kg.engine import OxigraphEngine

__all__ = ["NAMING_TRIPLES", "LabelIndex", "as_iri", "look_up_iri", "look_up_label"]

_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_SKOS = "http://www.w3.org/2004/02/skos/core#"

#: What an IRI may not contain (RFC 3987), and any Unicode space: such a value is refused, never given to an engine.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]|\s')

#: Types of ontology terms (kg.label_keys says why they rank after the data), as IRIs.
_TERM_TYPES = tuple(term_type.value for term_type in TERM_TYPES)

#: How alike (difflib ratio) a whole text, or one typed word, must be to a label or a label's word to be suggested.
_TEXT_CUTOFF = 0.75
_WORD_CUTOFF = 0.8

_MAPPING_PREDICATES = tuple(
    _SKOS + name for name in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
)

#: The triples label lookups read: labels, synonyms, types (what makes a resource known) and mappings.
NAMING_TRIPLES = """
CONSTRUCT { ?resource ?predicate ?value } WHERE {
    VALUES ?predicate { rdfs:label skos:altLabel rdf:type
                        skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch }
    ?resource ?predicate ?value .
}
"""

#: Resources whose label or synonym reads `?key` once lower-cased with spaces collapsed, in LabelIndex's terms:
#: whether it is a synonym, and whether the resource is an ontology term rather than data.
_LABEL_LOOKUP = """
SELECT ?key ?resource ?synonym ?term WHERE {
    VALUES ?predicate { rdfs:label skos:altLabel }
    ?resource ?predicate ?label .
    FILTER(isIRI(?resource) && LCASE(REPLACE(REPLACE(STR(?label), "’", "'"), "\\\\s+", " ")) = ?key)
    BIND(?predicate = skos:altLabel AS ?synonym)
    BIND(EXISTS {
        VALUES ?termType { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:Ontology }
        ?resource a ?termType .
    } AS ?term)
}
"""

#: Whether an IRI is a subject of the graph, and the resources mapped to it (SKOS mapping predicates).
_IRI_LOOKUP = """
SELECT ?iri ?known ?mapped WHERE {
    { BIND(EXISTS { ?iri ?p ?o } AS ?known) }
    UNION
    { VALUES ?predicate { skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch }
      ?mapped ?predicate ?iri . FILTER(isIRI(?mapped)) }
}
"""

_TRUE = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))


def look_up_label(engine: OxigraphEngine, value: str) -> ox.NamedNode | None:
    """The resource a plain label names, from one query over the asserted graph (no index to build, but a scan
    of every label: kg.label_keys answers the same from its index, and this is its reference).

    Only a label that names exactly one resource is answered here; anything else (a CURIE, no match, several)
    is left to the LabelIndex, which gives the same answer or the full error with suggestions.
    """
    text = _normal(value)
    if not text or ":" in text or "<" in text:
        return None
    rows = engine.run(_LABEL_LOOKUP, {"key": ox.Literal(text)}, "labels").native_rows
    for synonym, term in ((False, False), (True, False), (False, True), (True, True)):
        matches = {row[1] for row in rows if (row[2] == _TRUE) is synonym and (row[3] == _TRUE) is term}
        if matches:
            [found] = matches if len(matches) == 1 else [None]
            return found if isinstance(found, ox.NamedNode) else None
    return None


def look_up_iri(engine: OxigraphEngine, iri: str, text: str, parameter: str) -> ox.NamedNode:
    """`iri` if the graph has it as a subject, else the one resource mapped to it; a ParameterError otherwise."""
    rows = engine.run(_IRI_LOOKUP, {"iri": ox.NamedNode(iri)}, "labels").native_rows
    if any(row[1] == _TRUE for row in rows):
        return ox.NamedNode(iri)
    mapped = {row[2] for row in rows if isinstance(row[2], ox.NamedNode)}
    if len(mapped) == 1:
        return next(iter(mapped))
    if len(mapped) > 1:
        names = ", ".join(sorted(m.value for m in mapped))
        raise ParameterError(f"{parameter}={text!r} is mapped from several entities: {names}")
    raise ParameterError(f"{parameter}={text!r} ({iri}) is neither in the graph nor mapped from it")


def as_iri(text: str, prefixes: Mapping[str, str], parameter: str) -> str | None:
    """The IRI `text` spells (<IRI>, an http(s) or urn IRI, or a CURIE with a known prefix), else None;
    a ParameterError for an IRI that could not be sent to an engine."""
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
    elif text.startswith(("http://", "https://", "urn:")):
        iri = text
    else:
        prefix, colon, local = text.partition(":")
        if not colon or " " in text or prefix not in prefixes:
            return None
        iri = prefixes[prefix] + local
    bad = _NOT_IN_IRI.search(iri)
    if bad:
        problem = f"is not a valid IRI: it contains {bad.group()!r} (percent-encode it)"
        raise ParameterError(f"{parameter}={text!r} {problem}")
    return iri


class LabelIndex:
    """Labels and synonyms of every labelled resource, for case-insensitive lookup with suggestions.

    Lookup order: labels of data resources, their synonyms, then labels and synonyms of ontology terms (classes,
    properties); the first that names exactly one resource wins. A CURIE or IRI always names exactly what it says.
    """

    def __init__(self, graph: Graph, prefixes: Mapping[str, str]) -> None:
        from rdflib import URIRef

        self._graph = graph
        self._prefixes = dict(prefixes)
        kind = URIRef(_RDF_TYPE)
        terms = {subject for term_type in _TERM_TYPES for subject in graph.subjects(kind, URIRef(term_type))}
        # data labels, data synonyms, term labels, term synonyms: searched in this order
        self._tables: tuple[dict[str, set[URIRef]], ...] = tuple(defaultdict(set) for _ in range(4))
        self._spellings: dict[str, str] = {}
        for offset, predicate in enumerate((_RDFS_LABEL, _SKOS + "altLabel")):
            for subject, label in graph.subject_objects(URIRef(predicate)):
                if isinstance(subject, URIRef):
                    table = self._tables[offset + (2 if subject in terms else 0)]
                    table[_normal(str(label))].add(subject)
                    self._spellings.setdefault(_normal(str(label)), str(label))

    def label(self, iri: URIRef) -> str | None:
        from rdflib import URIRef

        value = self._graph.value(iri, URIRef(_RDFS_LABEL))
        return None if value is None else str(value)

    def resolve(self, value: str, parameter: str = "value") -> URIRef:
        """The one resource that `value` names; a ParameterError lists the closest labels otherwise."""
        text = value.strip()
        iri = self._as_iri(text, parameter)
        if iri is not None:
            return self._known_or_mapped(iri, text, parameter)
        key = _normal(text)
        for table in self._tables:
            matches = table.get(key, set())
            if len(matches) == 1:
                return next(iter(matches))
            if len(matches) > 1:
                names = ", ".join(sorted(str(match) for match in matches))
                raise ParameterError(f"{parameter}={value!r} is ambiguous: it names {names}; give an IRI or CURIE")
        suggestions = ", ".join(repr(self._spellings[c]) for c in self._closest(key))
        hint = f"; closest labels: {suggestions}" if suggestions else "; 'kg query search --param text=…' finds labels"
        raise ParameterError(f"{parameter}={value!r} names nothing in the graph{hint}")

    def _closest(self, key: str) -> list[str]:
        """Spellings close to `key`: the whole text nearly the same, else each word typed nearly a word of the label.

        A suggestion must be likely meant ('periferal neuropathy', 'carpal tunel', 'hiv'), or there is none:
        'diabetes' is not 'diet'.
        """
        import difflib  # suggestions are made only for a value that names nothing

        close = set(difflib.get_close_matches(key, self._spellings, n=5, cutoff=_TEXT_CUTOFF))
        if not close:  # only then, or 'periferal neuropathy' would list every label with both words
            # each typed word is compared once with each distinct word of the labels, not once per label
            words = {word for spelling in self._spellings for word in spelling.split()}
            near = [
                set(difflib.get_close_matches(typed, words, len(words) or 1, _WORD_CUTOFF)) for typed in key.split()
            ]
            close = {spelling for spelling in self._spellings if all(n.intersection(spelling.split()) for n in near)}
        ranked = sorted(close, key=lambda spelling: (-difflib.SequenceMatcher(None, key, spelling).ratio(), spelling))
        return ranked[:5]

    def expand(self, value: str, parameter: str = "value") -> URIRef:
        """The IRI a CURIE or IRI stands for, without requiring it to be in the graph."""
        iri = self._as_iri(value.strip(), parameter)
        if iri is None:
            known = ", ".join(sorted(self._prefixes))
            raise ParameterError(f"{parameter}={value!r} is not an IRI or a CURIE with a known prefix ({known})")
        return iri

    def _as_iri(self, text: str, parameter: str) -> URIRef | None:
        from rdflib import URIRef

        iri = as_iri(text, self._prefixes, parameter)
        return None if iri is None else URIRef(iri)

    def _known_or_mapped(self, iri: URIRef, text: str, parameter: str) -> URIRef:
        from rdflib import URIRef

        if (iri, None, None) in self._graph:
            return iri
        mapped = {
            subject
            for predicate in _MAPPING_PREDICATES
            for subject in self._graph.subjects(URIRef(predicate), iri)
            if isinstance(subject, URIRef)
        }
        if len(mapped) == 1:
            return next(iter(mapped))
        if len(mapped) > 1:
            names = ", ".join(sorted(str(m) for m in mapped))
            raise ParameterError(f"{parameter}={text!r} is mapped from several entities: {names}")
        raise ParameterError(f"{parameter}={text!r} ({iri}) is neither in the graph nor mapped from it")
