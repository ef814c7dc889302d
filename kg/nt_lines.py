"""Exact N-Triples as lines of text: split into terms, blank nodes numbered by first appearance, literals unescaped."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    from rdflib.term import Node

__all__ = [
    "NotCanonicalError",
    "blank_node_labels",
    "canonical_ntriples_text",
    "literal_parts",
    "merged_lines",
    "names_blank_nodes",
    "numbered",
    "part_lines",
    "rdflib_term",
    "split_line",
    "unescape",
]

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class NotCanonicalError(ValueError):
    """A line not in the one-space form Oxigraph writes (`<s> <p> <o> .`): the input is rewritten, read again."""


def unescape(text: str) -> str:
    """The string an N-Triples escaped literal stands for."""

    def replace(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        if code is not None:
            return chr(int(code, 16))
        return _SIMPLE_ESCAPES.get(match.group(3), match.group(0))

    return _ESCAPE.sub(replace, text)


def split_line(line: str) -> tuple[str, str, str]:
    """Subject, predicate and object of one line, IRIs without their angle brackets, the others as written."""
    try:
        subject, predicate, rest = line.split(" ", 2)
    except ValueError:
        raise NotCanonicalError(line) from None
    if not rest.endswith(" .") or predicate[:1] != "<" or subject[:1] not in ("<", "_"):
        raise NotCanonicalError(line)
    obj = rest[:-2]
    return (
        subject[1:-1] if subject[0] == "<" else subject,
        predicate[1:-1],
        obj[1:-1] if obj[:1] == "<" else obj,
    )


def literal_parts(term: str) -> tuple[str, str, str]:
    """(value, language, datatype IRI) of a literal as N-Triples writes it; "" for no language or datatype."""
    end = term.rfind('"')
    lexical = term[1:end]
    value = unescape(lexical) if "\\" in lexical else lexical
    suffix = term[end + 1 :]
    if not suffix:
        return value, "", ""
    if suffix[0] == "@":
        return value, suffix[1:], ""
    return value, "", suffix[3:-1]


def rdflib_term(text: str) -> Node:
    """The rdflib term of one term as `split_line` gives it (IRIs without brackets, `_:label`, N-Triples literals)."""
    from rdflib import BNode, Literal, URIRef  # only the rdflib-facing readers (KGX, the reference tests) ask

    if text.startswith("_:"):
        return BNode(text[2:])
    if not text.startswith('"'):
        return URIRef(text)
    value, language, datatype = literal_parts(text)
    return Literal(value, lang=language or None, datatype=URIRef(datatype) if datatype else None)


def canonical_ntriples_text(data: bytes) -> str:
    """`data` rewritten by Oxigraph: one triple a line, one space between terms, the same escapes everywhere."""
    written = ox.serialize(ox.parse(data, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES)
    return (written or b"").decode("utf-8")


def _lines_of(data: bytes, rewrite: bool) -> list[str]:
    """The lines of `data`; Oxigraph rewrites it first if asked, or if a line does not end in " ." (or is empty)."""
    text = canonical_ntriples_text(data) if rewrite else data.decode("utf-8")
    if text and text[-1] != "\n":
        text += "\n"
    lines = text.split("\n")  # not splitlines: U+2028 and others may stand raw inside literals
    lines.pop()
    # a literal holds no raw line break, so " .\n" ends lines only: one per line when every line ends so
    if not rewrite and (text.count(" .\n") != len(lines) or "\r" in text):
        return _lines_of(data, True)
    return lines


def names_blank_nodes(data: bytes) -> bool:
    """Whether canonical N-Triples name a blank node, as a subject or an object ("_:" in a literal does not count:
    after an object's "_:" comes only its label and " .", a literal ends in a quote, a language tag or ">")."""
    if data.startswith(b"_:") or b"\n_:" in data:
        return True
    start = data.find(b" _:")
    while start >= 0:
        end = data.find(b"\n", start)
        tail = data[start + 3 : len(data) if end < 0 else end]
        if tail.endswith(b" .") and b" " not in tail[:-2] and b'"' not in tail:
            return True
        start = data.find(b" _:", start + 3)
    return False


def merged_lines(*parts: bytes | None, rewrite: bool = False) -> list[str]:
    """The distinct lines of all `parts` in order of first appearance (see `part_lines`), as one list."""
    return [line for lines in part_lines(*parts, rewrite=rewrite) for line in lines]


def part_lines(*parts: bytes | None, rewrite: bool = False) -> list[list[str]]:
    """The distinct lines of each part (none repeating an earlier part's), blank nodes numbered `_:b0`, `_:b1`, …

    Numbering by first appearance is what rdflib's own reader does for one file, so a file's export keeps its
    blank nodes in the order the file gives them, run after run, whatever labels the parser invented.
    `rewrite`: let Oxigraph rewrite every part first (when a line was not in its one-space form).
    """
    seen: dict[str, None] = {}
    result: list[list[str]] = []
    for data in parts:
        lines: dict[str, None] = dict.fromkeys(_lines_of(data, rewrite)) if data else {}
        if seen:
            lines = {line: None for line in lines if line not in seen}
        seen.update(lines)
        result.append(list(lines))
    if not any(b"_:" in data for data in parts if data):
        return result
    return numbered(result)


def numbered(parts: list[list[str]]) -> list[list[str]]:
    """The parts, their blank nodes numbered `_:b0`, `_:b1`, … in order of first appearance, in place: the
    lines are distinct already, and relabelling keeps them so (no second index of millions of lines)."""
    labels: dict[str, str] = {}
    for part in parts:
        for index, line in enumerate(part):
            if "_:" in line:
                part[index] = _relabelled(line, labels)
    return parts


def _relabelled(line: str, labels: dict[str, str]) -> str:
    subject, predicate, obj = split_line(line)
    subject = blank_node_labels(labels, subject) if subject[0] == "_" else f"<{subject}>"
    if obj[:2] == "_:":
        obj = blank_node_labels(labels, obj)
    elif obj[:1] != '"':
        obj = f"<{obj}>"
    return f"{subject} <{predicate}> {obj} ."


def blank_node_labels(labels: dict[str, str], label: str) -> str:
    """The new label of blank node `label` (numbered in order of first appearance)."""
    new = labels.get(label)
    if new is None:
        new = labels[label] = f"_:b{len(labels)}"
    return new
