"""Writing SPARQL text safely: RDF terms escaped or refused, values bound in a VALUES block, prefixes declared."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import ParameterError, QueryError
from kg.nodes import XSD_STRING, Term
from kg.prefixes import PREFIXES

if TYPE_CHECKING:
    from rdflib.term import Node

__all__ = ["bind_values", "sparql_term", "with_prefixes"]

_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]+(-[a-zA-Z0-9]+)*$")
_IRI_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_LITERAL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def sparql_term(term: Term | Node) -> str:
    """An IRI or literal written as SPARQL syntax, every character that could end it escaped or refused."""
    kind, value, language, datatype = _parts(term)
    if kind == "iri":
        if _IRI_FORBIDDEN.search(value):
            raise ParameterError(f'{value!r} is not a valid IRI (it contains a space or one of <>"{{}}|^`\\)')
        return f"<{value}>"
    if kind == "literal":
        text = "".join(_LITERAL_ESCAPES.get(character, character) for character in value)
        if language:
            if not _LANGUAGE_TAG.match(language):
                raise ParameterError(f"{language!r} is not a language tag")
            return f'"{text}"@{language}'
        if datatype is not None and datatype != XSD_STRING:
            return f'"{text}"^^{sparql_term(ox.NamedNode(datatype))}'
        return f'"{text}"'
    raise ParameterError(f"cannot send {term!r} to a remote store: only IRIs and literals can be bound")


def _parts(term: Any) -> tuple[str, str, str | None, str | None]:
    """(kind, lexical value, language, datatype IRI) of a pyoxigraph or rdflib term."""
    if isinstance(term, ox.NamedNode):
        return "iri", term.value, None, None
    if isinstance(term, ox.Literal):
        return "literal", term.value, term.language, term.datatype.value
    if isinstance(term, (ox.BlankNode, ox.Triple)):
        return "other", "", None, None
    from rdflib import Literal, URIRef  # a caller holding rdflib terms has rdflib loaded already

    if isinstance(term, URIRef):
        return "iri", str(term), None, None
    if isinstance(term, Literal):
        return "literal", str(term), term.language, None if term.datatype is None else str(term.datatype)
    return "other", "", None, None


# Tokens that may hide a '{' or the word WHERE: comments, strings, IRIs, variables and prefixed names.
_SCANNER = re.compile(
    r"""
    (?P<skip>
        \#[^\n]*
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '''(?:[^'\\]|\\.|'(?!''))*'''
      | "(?:[^"\\\n]|\\.)*"
      | '(?:[^'\\\n]|\\.)*'
      | <[^<>"{}|^`\\\x00-\x20]*>
      | [?$]\w+
      | [A-Za-z_][\w.-]*:[\w.-]*
    )
  | (?P<where>\bWHERE\b)
  | (?P<open>\{)
  | (?P<close>\})
    """,
    re.VERBOSE | re.IGNORECASE,
)


def bind_values(sparql: str, bindings: Mapping[str, Term | Node]) -> str:
    """The query with `VALUES (?a ?b) { (term term) }` opening its WHERE group: values bound as RDF terms
    for a server that has no other way to take them (SPARQL 1.1 Protocol has no parameters)."""
    if not bindings:
        return sparql
    names = sorted(bindings)
    row = " ".join(sparql_term(bindings[name]) for name in names)
    block = f" VALUES ({' '.join('?' + name for name in names)}) {{ ({row}) }}"
    position = _where_group(sparql)
    return sparql[: position + 1] + block + sparql[position + 1 :]


def _where_group(sparql: str) -> int:
    """The offset of the '{' that opens the outer WHERE group."""
    depth = 0
    after_where = False
    groups_seen = 0
    construct = re.search(r"^\s*(?:(?:PREFIX|BASE)[^\n]*\n|#[^\n]*\n|\s)*CONSTRUCT\b", sparql, re.IGNORECASE)
    for match in _SCANNER.finditer(sparql):
        if match.group("where") and depth == 0:
            after_where = True
        elif match.group("open"):
            if depth == 0:
                groups_seen += 1
                # CONSTRUCT { template } { pattern } may leave out WHERE: then the second group is the pattern
                if after_where or not construct or groups_seen == 2:
                    return match.start()
            depth += 1
        elif match.group("close"):
            depth -= 1
    raise QueryError("cannot bind parameters: the query has no WHERE group")


def with_prefixes(sparql: str) -> str:
    """The project's prefixes declared in front, as the local engines predeclare them (only those not declared)."""
    declared = {m.group(1) for m in re.finditer(r"\bPREFIX\s+([\w.-]*):", sparql, re.IGNORECASE)}
    lines = [f"PREFIX {prefix}: <{iri}>" for prefix, iri in PREFIXES.items() if prefix not in declared]
    return "\n".join([*lines, sparql]) if lines else sparql
