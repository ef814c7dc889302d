"""RDF read with Oxigraph's native parser (linear in line length) into rdflib terms, as rdflib would read it."""

from __future__ import annotations

import re
import uuid

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.errors import DataFileError

__all__ = ["parse_natively", "reads_natively"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_EXPLICIT_STRING = "^^<http://www.w3.org/2001/XMLSchema#string>"
#: Language tags as written: Oxigraph lower-cases them; rdflib keeps the case (and compares without it).
_LANGUAGE_TAG = re.compile(r"[\"']@([A-Za-z]+(?:-[A-Za-z0-9]+)*)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: The longest stretch of a bad line quoted in an error message.
_QUOTE_LIMIT = 200


#: Turtle and TriG go to the native parser only when a line is this long: rdflib's reader takes time quadratic
#: in the length of a line (50,000 triples on one line: 17 s), while its messages for ordinary files are kept.
LONG_LINE = 50_000
#: Blank nodes nested deeper than this are refused, as rdflib's reader refuses them (it runs out of stack).
_MAX_NESTING = 100
#: `^^xsd:string` written with a prefix: rdflib keeps it apart from a plain literal, the native parser cannot.
_PREFIXED_STRING = re.compile(r"\^\^\s*[\w.-]*:string\b")
_FORMATS = {
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
}


def reads_natively(text: str, syntax: str) -> bool:
    """Whether `text` goes to the native parser: N-Triples and N-Quads always, Turtle and TriG with a long line."""
    if syntax in ("nt", "nquads"):
        return True
    if syntax not in _FORMATS or _PREFIXED_STRING.search(text):
        return False
    return any(len(line) > LONG_LINE for line in _LINE_BREAK.split(text)) if len(text) > LONG_LINE else False


def _language_cases(text: str) -> dict[str, str]:
    """Each language tag lower-cased -> as first written (rdflib holds "EN" and "en" as one literal)."""
    cases: dict[str, str] = {}
    for match in _LANGUAGE_TAG.finditer(text):
        cases.setdefault(match.group(1).lower(), match.group(1))
    return cases


def parse_natively(graph: Graph, text: str, syntax: str, name: str) -> None:
    """Add the triples of `text` to `graph` (named graphs merged); errors name file and line.

    Blank nodes get new rdflib labels, one per label of this file, so two files' `_:b1` stay two nodes.
    """
    syntax_format = _FORMATS[syntax]
    languages = _language_cases(text)
    blank_nodes: dict[str, BNode] = {}
    file_prefix = uuid.uuid4().hex
    # rdflib keeps `"x"^^xsd:string` apart from `"x"`; Oxigraph makes them one (RDF 1.1). A datatype of this
    # parse's own stands in for the explicit one, so each literal comes back as rdflib would have read it.
    explicit = f"urn:uuid:{uuid.uuid4()}"
    source = text.replace(_EXPLICIT_STRING, f"^^<{explicit}>") if _EXPLICIT_STRING in text else text

    def convert(term: object) -> Node:
        if isinstance(term, ox.NamedNode):
            return URIRef(term.value)
        if isinstance(term, ox.BlankNode):
            node = blank_nodes.get(term.value)
            if node is None:  # one random prefix per file and a counter: a uuid4 per node costs a third of the time
                node = blank_nodes[term.value] = BNode(f"{file_prefix}b{len(blank_nodes)}")
            return node
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
        if syntax in ("turtle", "trig") or not quoted:
            raise DataFileError(name, f"syntax error: {detail}", line=line) from None
        raise DataFileError(name, f"syntax error: invalid line: {quoted} ({detail})", line=line) from None
    if syntax in ("turtle", "trig") and _nesting(graph) > _MAX_NESTING:
        raise DataFileError(name, "nested too deeply to read (lists or blank nodes)", fix="flatten it")


def _nesting(graph: Graph) -> int:
    """How deep blank nodes nest (`[ ex:p [ ex:p … ] ]`), not counting the links of RDF lists; cycle-safe."""
    children: dict[Node, list[Node]] = {}
    for subject, predicate, obj in graph:
        if isinstance(subject, BNode) and isinstance(obj, BNode) and predicate != RDF.rest:
            children.setdefault(subject, []).append(obj)
    depth: dict[Node, int] = {}
    for root in children:
        stack = [(root, False)]
        while stack:
            node, finished = stack.pop()
            if finished:
                depth[node] = 1 + max((depth.get(child, 0) for child in children.get(node, ())), default=0)
            elif node not in depth:
                depth[node] = 0  # provisional: a cycle back to it adds nothing
                stack.append((node, True))
                stack.extend((child, False) for child in children.get(node, ()) if child not in depth)
    return max(depth.values(), default=0)
