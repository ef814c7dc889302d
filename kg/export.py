"""Serialising graphs to standard RDF formats, deterministically (files are written by kg.output)."""

from __future__ import annotations

import re

from rdflib import Dataset, Graph

from kg.errors import InputError
from kg.output import write_atomically
from kg.terms import GRAPH, PREFIXES

__all__ = ["EXPORT_FORMATS", "canonical_ntriples", "canonical_turtle", "serialize", "write_atomically"]

#: Export format names, with the rdflib serializer behind each and the usual file suffix.
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "turtle": ("turtle", ".ttl"),
    "ntriples": ("nt", ".nt"),
    "jsonld": ("json-ld", ".jsonld"),
    "rdfxml": ("xml", ".rdf"),
    "trig": ("trig", ".trig"),
}

#: Control characters N-Triples may carry raw but rdflib cannot read back raw (newline and tab it escapes itself).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_ALIASES = {"ttl": "turtle", "nt": "ntriples", "json-ld": "jsonld", "xml": "rdfxml", "rdf": "rdfxml"}


def _bound_copy(graph: Graph) -> Graph:
    copy = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        copy.bind(prefix, namespace)
    for triple in graph:
        copy.add(triple)
    return copy


def canonical_turtle(graph: Graph) -> bytes:
    """Turtle with the project's prefixes, subjects and predicates sorted: the same graph gives the same bytes."""
    return _bound_copy(graph).serialize(format="turtle", encoding="utf-8")


def canonical_ntriples(graph: Graph) -> bytes:
    """N-Triples, one triple a line, lines sorted."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    # rdflib writes control characters in literals as they are, and its own reader then refuses the line
    text = _CONTROL.sub(lambda match: f"\\u{ord(match.group()):04X}", text)
    # split at "\n" only: str.splitlines would also cut at U+0085, U+2028 and others, inside literals
    lines = sorted({line for line in text.split("\n") if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def serialize(asserted: Graph, inferred: Graph | None, format: str) -> bytes:
    """`asserted` (plus `inferred`, if given) in `format`; TriG keeps the two in separate named graphs."""
    name = _ALIASES.get(format, format)
    if name not in EXPORT_FORMATS:
        known = ", ".join(EXPORT_FORMATS)
        raise InputError(f"unknown export format {format!r} (use one of {known})")
    if name == "trig":
        return _trig(asserted, inferred)
    merged = asserted if inferred is None else asserted + inferred
    if name == "turtle":
        return canonical_turtle(merged)
    if name == "ntriples":
        return canonical_ntriples(merged)
    rdflib_format = EXPORT_FORMATS[name][0]
    return _bound_copy(merged).serialize(format=rdflib_format, encoding="utf-8")


def _trig(asserted: Graph, inferred: Graph | None) -> bytes:
    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    for graph_name, graph in (("asserted", asserted), ("inferred", inferred)):
        if graph is None:
            continue
        named = dataset.graph(GRAPH[graph_name])
        for triple in graph:
            named.add(triple)
    return dataset.serialize(format="trig", encoding="utf-8")
