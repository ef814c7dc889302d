"""RDF terms on the query path are pyoxigraph's; their rdflib twins are made only when a caller asks for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import pyoxigraph as ox

from kg.errors import QueryError

if TYPE_CHECKING:
    from rdflib.term import Node

__all__ = ["XSD_STRING", "Term", "to_native", "to_rdflib"]

#: A term of a query result or binding.
Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_NATIVE = (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)


def to_native(term: Term | Node | Any) -> Term:
    """The pyoxigraph term for `term`, given as a pyoxigraph or an rdflib term (literals keep their lexical form)."""
    if isinstance(term, _NATIVE):
        return term
    from rdflib import BNode, Literal, URIRef  # only a caller holding rdflib terms gets here: it is loaded already

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot bind {term!r}: only IRIs, blank nodes and literals can be bound")


def to_rdflib(term: Term | Node | Any) -> Node:
    """The rdflib term for a pyoxigraph term (an rdflib term is returned as it is)."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.term import Node

    if isinstance(term, Node):
        return term
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise QueryError(f"unsupported term in results: {term!r}")
