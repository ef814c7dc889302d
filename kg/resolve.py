"""Turning what a user types (a label, a synonym, a CURIE or an IRI) into the IRI of a graph resource."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from kg.errors import ParameterError

__all__ = ["LabelIndex"]

_MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


def _normal(text: str) -> str:
    return " ".join(text.replace("’", "'").casefold().split())


class LabelIndex:
    """Labels and synonyms of every labelled resource, for case-insensitive lookup with suggestions."""

    def __init__(self, graph: Graph, prefixes: Mapping[str, str]) -> None:
        self._graph = graph
        self._prefixes = dict(prefixes)
        self._by_label: dict[str, set[URIRef]] = defaultdict(set)
        self._by_synonym: dict[str, set[URIRef]] = defaultdict(set)
        self._spellings: dict[str, str] = {}
        for predicate, table in ((RDFS.label, self._by_label), (SKOS.altLabel, self._by_synonym)):
            for subject, label in graph.subject_objects(predicate):
                if isinstance(subject, URIRef):
                    table[_normal(str(label))].add(subject)
                    self._spellings.setdefault(_normal(str(label)), str(label))

    def label(self, iri: URIRef) -> str | None:
        value = self._graph.value(iri, RDFS.label)
        return None if value is None else str(value)

    def resolve(self, value: str, parameter: str = "value") -> URIRef:
        """The one resource that `value` names; a ParameterError lists the closest labels otherwise."""
        text = value.strip()
        iri = self._as_iri(text)
        if iri is not None:
            return self._known_or_mapped(iri, text, parameter)
        key = _normal(text)
        for table in (self._by_label, self._by_synonym):
            matches = table.get(key, set())
            if len(matches) == 1:
                return next(iter(matches))
            if len(matches) > 1:
                names = ", ".join(sorted(str(match) for match in matches))
                raise ParameterError(f"{parameter}={value!r} is ambiguous: it names {names}; give an IRI or CURIE")
        close = difflib.get_close_matches(key, self._spellings, n=5, cutoff=0.6)
        suggestions = ", ".join(repr(self._spellings[c]) for c in close)
        hint = f"; closest labels: {suggestions}" if suggestions else "; 'kg query search --param text=…' finds labels"
        raise ParameterError(f"{parameter}={value!r} names nothing in the graph{hint}")

    def expand(self, value: str, parameter: str = "value") -> URIRef:
        """The IRI a CURIE or IRI stands for, without requiring it to be in the graph."""
        iri = self._as_iri(value.strip())
        if iri is None:
            known = ", ".join(sorted(self._prefixes))
            raise ParameterError(f"{parameter}={value!r} is not an IRI or a CURIE with a known prefix ({known})")
        return iri

    def _as_iri(self, text: str) -> URIRef | None:
        if text.startswith("<") and text.endswith(">"):
            return URIRef(text[1:-1])
        if text.startswith(("http://", "https://", "urn:")):
            return URIRef(text)
        prefix, colon, local = text.partition(":")
        if colon and " " not in text and prefix in self._prefixes:
            return URIRef(self._prefixes[prefix] + local)
        return None

    def _known_or_mapped(self, iri: URIRef, text: str, parameter: str) -> URIRef:
        if (iri, None, None) in self._graph:
            return iri
        mapped = {
            subject
            for predicate in _MAPPING_PREDICATES
            for subject in self._graph.subjects(predicate, iri)
            if isinstance(subject, URIRef)
        }
        if len(mapped) == 1:
            return next(iter(mapped))
        if len(mapped) > 1:
            names = ", ".join(sorted(str(m) for m in mapped))
            raise ParameterError(f"{parameter}={text!r} is mapped from several entities: {names}")
        raise ParameterError(f"{parameter}={text!r} ({iri}) is neither in the graph nor mapped from it")
