"""N-Triples (as `kg.load.ntriples_of` writes them) into an rdflib graph, read by Oxigraph's native parser."""

from __future__ import annotations

import uuid

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

__all__ = ["add_ntriples"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def add_ntriples(graph: Graph, data: bytes) -> int:
    """Add the triples of `data` to `graph`; return how many were new. Blank nodes get fresh rdflib labels.

    rdflib's own N-Triples reader takes time quadratic in the length of a line; Oxigraph's is linear.
    """
    blank_nodes: dict[str, BNode] = {}
    # one random prefix and a counter (a uuid4 per node costs a third of the time); a letter first, as rdflib's
    # own labels, so RDF/XML can write them as rdf:nodeID (an XML name)
    prefix = f"N{uuid.uuid4().hex}"

    def convert(term: object) -> Node:
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            node = blank_nodes.get(term.value)
            if node is None:
                node = blank_nodes[term.value] = BNode(f"{prefix}b{len(blank_nodes)}")
            return node
        assert isinstance(term, ox.Literal)  # kg.load refuses triple terms
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == _XSD_STRING else Literal(term.value, datatype=URIRef(datatype))

    before = len(graph)
    for triple in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
        graph.add((convert(triple.subject), convert(triple.predicate), convert(triple.object)))
    return len(graph) - before
