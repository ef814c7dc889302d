"""What the native parser accepts but the graph must not hold, found by scanning the N-Triples it wrote."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox

from kg.errors import DataFileError
from kg.lexical import XSD, fits
from kg.unsafe import NOT_IN_IRI, line_with

__all__ = ["IRI_FIX", "RELATIVE_BASE", "RELATIVE_FIX", "refuse_bad_terms"]

IRI_FIX = 'percent-encode spaces and the characters <>"{}|^`\\'
RELATIVE_FIX = "write the IRI in full, starting with its scheme (https:, urn:, …)"
#: JSON-LD drops a node whose @id is relative when there is no base; resolved against this one, it can be refused.
RELATIVE_BASE = "http://relative.kg.invalid/"
#: Blank nodes nested deeper than this are refused: rdflib's reference engines and serializers recurse on them.
_MAX_NESTING = 100
_XSD_MARKER = b'"^^<' + XSD.encode()
_TRIPLE_TERM = re.compile(rb"^(?:<[^>]*>|_:\S+) <[^>]*> <<\(", re.MULTILINE)
_ASCII = bytes(range(128))
_REST = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"
#: UTF-8 of the Unicode spaces beyond ASCII (no-break space, line separator, …): valid in IRIs, unreadable by rdflib.
_WIDE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")


def refuse_bad_terms(name: str, data: bytes, out: bytes, syntax: str) -> None:
    """What the parser accepts but the graph must not hold: relative IRIs (resolved against a stand-in base),
    IRIs with Unicode spaces, ill-typed literals, triple terms, and blank nodes nested too deeply."""
    problems: list[tuple[int, str, str]] = []
    text: list[str] = []

    def line_of(fragment: str) -> int:
        if not text:
            text.append(data.decode("utf-8", "replace"))
        return line_with(text[0], fragment) or 0

    relative = out.find(b"<" + RELATIVE_BASE.encode())
    if relative >= 0:
        iri = out[relative + 1 + len(RELATIVE_BASE) : out.index(b">", relative)].decode()
        problems.append((line_of(iri), f"relative IRI <{iri}>", RELATIVE_FIX))
    # Deleting ASCII leaves every multi-byte character whole (its bytes are all >= 0x80) and scans at memory speed.
    wide = set(_WIDE_SPACE.findall(out.translate(None, _ASCII)))
    if wide:
        for iri in _iris_with_wide_spaces(out, wide):
            problems.append((line_of(iri), f"invalid IRI <{iri}>", IRI_FIX))
    if b"<<(" in out and _TRIPLE_TERM.search(out):
        problems.append((line_of("<<"), "RDF-star triple terms are not supported", "state the triple itself"))
    for form, local in _xsd_literals(out):
        value = form.decode()
        if not fits(_unescaped(value), XSD + local.decode()):
            line = line_of(value)
            where = f"{value!r} is not" if line else "a value is not"
            problems.append((line, f"{where} a valid xsd:{local.decode()}", "fix the value or its datatype"))
    if problems:
        line, problem, fix = min(problems)  # the first in the file, so the message is the same on every run
        raise DataFileError(name, problem, line=line or None, fix=fix)
    nests = syntax not in ("nt", "nquads") and (syntax not in ("turtle", "trig") or data.count(b"[") > _MAX_NESTING)
    if nests and _nesting(out) > _MAX_NESTING:
        raise DataFileError(name, "nested too deeply to read (lists or blank nodes)", fix="flatten it")


def _xsd_literals(out: bytes) -> set[tuple[bytes, bytes]]:
    """The distinct (lexical form, XSD local name) of the typed literals in N-Triples, one triple a line."""
    found: set[tuple[bytes, bytes]] = set()
    position = out.find(_XSD_MARKER)
    while position >= 0:
        # subject and predicate (IRIs or blank nodes) hold no quote: the line's first one opens the literal
        start = out.find(b'"', out.rfind(b"\n", 0, position) + 1)
        end = out.find(b">", position)
        found.add((out[start + 1 : position], out[position + len(_XSD_MARKER) : end]))
        position = out.find(_XSD_MARKER, end)
    return found


def _unescaped(value: str) -> str:
    """An N-Triples literal's text (escapes that matter to XSD lexical forms: whitespace, quote, backslash)."""
    if "\\" not in value:
        return value
    return value.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace('\\"', '"')


def _iris_with_wide_spaces(out: bytes, spaces: set[bytes]) -> list[str]:
    """The IRIs holding one of `spaces` (UTF-8 of Unicode spaces), read from the lines that hold one."""
    found: list[str] = []
    lines: set[bytes] = set()
    for space in spaces:
        position = out.find(space)
        while position >= 0:
            start, end = out.rfind(b"\n", 0, position) + 1, out.find(b"\n", position)
            lines.add(out[start : end + 1])
            position = out.find(space, end)
    for triple in ox.parse(b"".join(sorted(lines)), format=ox.RdfFormat.N_TRIPLES):
        terms = [triple.subject, triple.predicate, triple.object]
        if isinstance(triple.object, ox.Literal):
            terms.append(triple.object.datatype)
        found += [term.value for term in terms if isinstance(term, ox.NamedNode) and NOT_IN_IRI.search(term.value)]
    return found


def _blank_edges(out: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(subject, object) of the lines linking two blank nodes, except the links of RDF lists (rdf:rest)."""
    position = out.find(b"> _:")
    while position >= 0:
        start, end = out.rfind(b"\n", 0, position) + 1, out.find(b"\n", position)
        if out.startswith(b"_:", start):
            subject, predicate, obj = out[start:end].split(b" ", 2)
            if predicate != _REST and obj.startswith(b"_:"):
                yield subject, obj.removesuffix(b" .")
        position = out.find(b"> _:", end)


def _nesting(out: bytes) -> int:
    """How deep blank nodes nest (`[ ex:p [ ex:p … ] ]`), not counting the links of RDF lists; cycle-safe."""
    children: dict[bytes, list[bytes]] = {}
    for subject, obj in _blank_edges(out):
        children.setdefault(subject, []).append(obj)
    depth: dict[bytes, int] = {}
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
