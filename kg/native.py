"""N-Triples and N-Quads read with Oxigraph's native parser (linear in line length) into rdflib terms."""

from __future__ import annotations

import re
import uuid

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import DataFileError

__all__ = ["parse_line_based"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_EXPLICIT_STRING = "^^<http://www.w3.org/2001/XMLSchema#string>"
#: Language tags as written: Oxigraph lower-cases them; rdflib keeps the case (and compares without it).
_LANGUAGE_TAG = re.compile(r'"@([A-Za-z]+(?:-[A-Za-z0-9]+)*)')
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: The longest stretch of a bad line quoted in an error message.
_QUOTE_LIMIT = 200


def _language_cases(text: str) -> dict[str, str]:
    """Each language tag lower-cased -> as first written (rdflib holds "EN" and "en" as one literal)."""
    cases: dict[str, str] = {}
    for match in _LANGUAGE_TAG.finditer(text):
        cases.setdefault(match.group(1).lower(), match.group(1))
    return cases


def parse_line_based(graph: Graph, text: str, syntax: str, name: str) -> None:
    """Add the triples of N-Triples or N-Quads `text` to `graph` (named graphs merged); errors name file and line.

    Blank nodes get new rdflib labels, one per label of this file, so two files' `_:b1` stay two nodes.
    """
    syntax_format = ox.RdfFormat.N_TRIPLES if syntax == "nt" else ox.RdfFormat.N_QUADS
    languages = _language_cases(text)
    blank_nodes: dict[str, BNode] = {}
    # rdflib keeps `"x"^^xsd:string` apart from `"x"`; Oxigraph makes them one (RDF 1.1). A datatype of this
    # parse's own stands in for the explicit one, so each literal comes back as rdflib would have read it.
    explicit = f"urn:uuid:{uuid.uuid4()}"
    source = text.replace(_EXPLICIT_STRING, f"^^<{explicit}>") if _EXPLICIT_STRING in text else text

    def convert(term: object) -> Node:
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            return blank_nodes.setdefault(term.value, BNode())
        if isinstance(term, ox.Literal):
            value = term.value.replace(f"^^<{explicit}>", _EXPLICIT_STRING)  # the same text inside a literal
            if term.language:
                return Literal(value, lang=languages.get(term.language, term.language))
            datatype = term.datatype.value
            if datatype == _XSD_STRING:
                return Literal(value)
            return Literal(value, datatype=URIRef(_XSD_STRING if datatype == explicit else datatype))
        raise DataFileError(name, "RDF-star quoted triples are not supported", fix="state the triple itself")

    try:
        for quad in ox.parse(source.encode("utf-8"), format=syntax_format):
            graph.add((convert(quad.subject), convert(quad.predicate), convert(quad.object)))
    except SyntaxError as error:
        line = error.lineno
        lines = _LINE_BREAK.split(text)
        quoted = lines[line - 1].strip() if line and 0 < line <= len(lines) else ""
        if len(quoted) > _QUOTE_LIMIT:
            quoted = quoted[:_QUOTE_LIMIT] + "…"
        detail = str(error.msg).split(": ", 1)[-1]
        detail = detail[:1].lower() + detail[1:]
        problem = f"syntax error: invalid line: {quoted} ({detail})" if quoted else f"syntax error: {detail}"
        raise DataFileError(name, problem, line=line) from None
