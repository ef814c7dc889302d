"""N-Triples lines as triples of term texts (no RDF library): split, interned, written back exactly."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator

__all__ = [
    "OWL",
    "RDF",
    "RDFS",
    "Term",
    "Triple",
    "iri",
    "iri_value",
    "literal_value",
    "ntriples",
    "plain_literal",
    "read_triples",
]

#: A term as N-Triples writes it: <iri>, _:label or "lexical"(@lang|^^<datatype>).
Term = str
Triple = tuple[Term, Term, Term]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_WRITE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"}


def iri(value: str) -> Term:
    """The N-Triples text of an IRI."""
    return f"<{value}>"


def iri_value(term: Term) -> str:
    """The IRI of an <iri> term (the text between the brackets)."""
    return term[1:-1]


def literal_value(term: Term) -> str:
    """The lexical form of a literal term, escapes undone."""
    body = term[1 : term.rindex('"')]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(_unescape, body)


def _unescape(match: re.Match[str]) -> str:
    short, long, char = match.groups()
    if short or long:
        return chr(int(short or long, 16))
    return _SIMPLE_ESCAPES.get(char, char)


def plain_literal(value: str, language: str | None = None) -> Term:
    """A string literal's N-Triples text, with a language tag if given."""
    escaped = "".join(_WRITE_ESCAPES.get(char, char) for char in value)
    return f'"{escaped}"@{language}' if language else f'"{escaped}"'


def read_triples(data: bytes) -> Iterator[Triple]:
    """The triples of N-Triples bytes as term texts (IRIs and blank nodes: one shared string per distinct text).

    Lines as Oxigraph and rdflib write them (`<s> <p> object .`) are split directly; any other line (tabs,
    several spaces, comments) goes through Oxigraph's parser, which writes each term back in the same form.
    """
    interned: dict[str, str] = {}
    keep = interned.setdefault
    for line in _lines(data):
        if not line or line[0] == "#":
            continue
        parts = line.split(" ", 2)
        if len(parts) == 3 and not _odd(parts):
            subject, predicate, rest = parts
            obj = rest[:-2]
            yield keep(subject, subject), keep(predicate, predicate), obj if obj[0] == '"' else keep(obj, obj)
        else:
            yield from _parsed(line)


def _lines(data: bytes, chunk: int = 1 << 20) -> Iterator[str]:
    """The lines of `data`, decoded a few megabytes at a time so that a large input is never copied whole."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", min(start + chunk, len(data)))
        end = len(data) if end < 0 else end + 1
        yield from data[start:end].decode("utf-8").split("\n")
        start = end


def _odd(parts: list[str]) -> bool:
    """A line the fast split may have cut wrongly: whitespace other than one space between terms, a comment."""
    subject, predicate, rest = parts
    if rest[-2:] != " ." or predicate[:1] != "<" or subject[:1] not in ("<", "_") or rest[:1] not in ("<", "_", '"'):
        return True
    if subject[1:2] == "<" or rest[1:2] == "<":
        return True  # a quoted triple (RDF 1.2) holds spaces
    obj = rest[:-2]
    # a literal may hold spaces, but not after its closing quote (in a language tag or a datatype)
    tail = obj[obj.rindex('"') + 1 :] if obj[0] == '"' else obj
    return " " in tail or "\t" in tail


def _parsed(line: str) -> list[Triple]:
    import pyoxigraph

    if not line.strip() or line.lstrip().startswith("#"):
        return []
    return [
        (str(t.subject), str(t.predicate), str(t.object))
        for t in pyoxigraph.parse(line.encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    ]


def ntriples(triples: Iterable[Triple]) -> bytes:
    """Exact N-Triples: one line a triple, no duplicates, ordered by subject, predicate and object text.

    The triples are sorted (not their lines, which would all exist at once) and written a block at a time.
    """
    ordered = sorted(triples)
    out = io.BytesIO()
    previous: Triple | None = None
    for start in range(0, len(ordered), 8192):
        block = []
        for triple in ordered[start : start + 8192]:
            if triple != previous:
                block.append(f"{triple[0]} {triple[1]} {triple[2]} .\n")
                previous = triple
        out.write("".join(block).encode("utf-8"))
    return out.getvalue()
