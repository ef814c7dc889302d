"""The SHACL shapes graph as the native validator reads it: exact terms, RDF lists, paths as SPARQL paths."""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, parse

from kg.errors import DataFileError
from kg.prefixes import compact

__all__ = [
    "RDF",
    "SH",
    "XSD",
    "Node",
    "ShapesGraph",
    "Term",
    "is_deactivated",
    "path_of",
    "predicates_of",
    "shown_path",
    "term",
    "text",
    "unsupported",
]

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
_PATH_OPERATORS = (("inversePath", "^"), ("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?"))

Term = NamedNode | BlankNode | Literal
Node = NamedNode | BlankNode


class ShapesGraph:
    """The shapes graph as subject -> predicate IRI -> objects, read with Oxigraph's parser (exact terms)."""

    def __init__(self, shapes: bytes) -> None:
        self.edges: dict[Term, dict[str, list[Term]]] = {}
        try:
            for quad in parse(shapes, format=RdfFormat.N_TRIPLES):
                self.edges.setdefault(quad.subject, {}).setdefault(quad.predicate.value, []).append(quad.object)
        except SyntaxError as error:
            raise DataFileError("shapes", f"not N-Triples: {error}") from error

    def all(self, node: Term, predicate: str) -> list[Term]:
        return self.edges.get(node, {}).get(predicate, [])

    def one(self, node: Term, predicate: str) -> Term | None:
        values = self.all(node, predicate)
        return values[0] if values else None

    def items(self, head: Term | None) -> list[Term]:
        found = []
        while head is not None and head != NamedNode(f"{RDF}nil"):
            first = self.one(head, f"{RDF}first")
            if first is not None:
                found.append(first)
            head = self.one(head, f"{RDF}rest")
        return found

    def shapes_with_targets(self) -> Iterator[Node]:
        targeted = ("targetClass", "targetNode", "targetObjectsOf", "targetSubjectsOf")
        for subject, edges in self.edges.items():
            targets = any(SH + kind in edges for kind in targeted)
            if targets and not isinstance(subject, Literal) and not is_deactivated(self, subject):
                yield subject


def path_of(graph: ShapesGraph, path: Term) -> str:
    if isinstance(path, NamedNode):
        return str(path)
    members = graph.items(path) if graph.one(path, f"{RDF}first") is not None else []
    if members:
        return "(" + "/".join(path_of(graph, member) for member in members) + ")"
    alternatives = graph.one(path, f"{SH}alternativePath")
    if alternatives is not None:
        return "(" + "|".join(path_of(graph, member) for member in graph.items(alternatives)) + ")"
    for name, operator in _PATH_OPERATORS:
        inner = graph.one(path, f"{SH}{name}")
        if inner is not None:
            return f"^({path_of(graph, inner)})" if operator == "^" else f"({path_of(graph, inner)}){operator}"
    raise unsupported(path, "this sh:path")


def shown_path(graph: ShapesGraph, path: Term) -> str:
    """The result path as the report shows it: a CURIE (or <IRI>) for a predicate, else the SPARQL path."""
    if isinstance(path, NamedNode):
        return compact(path.value) or str(path)
    text = path_of(graph, path)
    for member in predicates_of(graph, path) or ():
        text = text.replace(f"<{member}>", compact(member) or f"<{member}>")
    return text


def predicates_of(graph: ShapesGraph, path: Term) -> frozenset[str] | None:
    """The predicates of a path that is one predicate or alternatives of predicates, else None."""
    if isinstance(path, NamedNode):
        return frozenset([path.value])
    alternatives = graph.one(path, f"{SH}alternativePath")
    if alternatives is None:
        return None
    found = [predicates_of(graph, member) for member in graph.items(alternatives)]
    return None if any(f is None for f in found) else frozenset(p for f in found if f for p in f)


def is_deactivated(graph: ShapesGraph, shape: Term) -> bool:
    flag = graph.one(shape, f"{SH}deactivated")
    return isinstance(flag, Literal) and flag.value == "true"


def term(node: Term) -> str:
    """The term as SPARQL writes it (a blank node cannot be written)."""
    if isinstance(node, BlankNode):
        raise unsupported(node, "a blank node as a constraint's value")
    return str(node)


def text(node: Term | None) -> str:
    """The lexical value of a term, or "" for none."""
    return "" if node is None else node.value


def unsupported(where: Term, what: str) -> DataFileError:
    return DataFileError(
        "shapes", f"the native validator does not support {what} (at {where})", fix="validate with --validator pyshacl"
    )
