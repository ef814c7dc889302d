"""Serialising graphs to standard RDF formats, deterministically (files are written by kg.output)."""

from __future__ import annotations

import gc
import heapq
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import pyoxigraph as ox

from kg.blank_nodes import in_content_order
from kg.errors import InputError
from kg.nt_lines import NotCanonicalError, numbered, part_lines
from kg.output import write_atomically
from kg.prefixes import PREFIXES
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH
from kg.turtle_writer import write_turtle

if TYPE_CHECKING:  # rdflib only for the graph-based writers and the reference checks, imported when used
    from rdflib import Graph

__all__ = [
    "EXPORT_FORMATS",
    "canonical_ntriples",
    "canonical_turtle",
    "canonical_turtle_file",
    "export_ntriples",
    "file_ntriples",
    "serialize",
    "write_atomically",
    "write_export",
    "write_ntriples_as",
]

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


#: Oxigraph's writers for the formats not written here.
_OXIGRAPH_FORMATS = {"jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


def _format_name(format: str) -> str:
    name = _ALIASES.get(format, format)
    if name not in EXPORT_FORMATS:
        known = ", ".join(EXPORT_FORMATS)
        raise InputError(f"unknown export format {format!r} (use one of {known})")
    return name


def write_ntriples_as(asserted: bytes, inferred: bytes | None, format: str, out: BinaryIO) -> None:
    """Write exact N-Triples `asserted` (plus `inferred`, if given) to `out` in `format`, as it goes.

    Canonical Turtle is byte for byte what `serialize` writes for the same triples; N-Triples come sorted;
    TriG keeps asserted and inferred in their named graphs; JSON-LD and RDF/XML are Oxigraph's. Blank nodes are
    numbered in order of first appearance, so the same input gives the same bytes.
    """
    name = _format_name(format)
    collecting = gc.isenabled()
    gc.disable()  # many small objects and no cycles: the collector would only rescan them, again and again
    try:
        _write(asserted, inferred, name, out)
    finally:
        if collecting:
            gc.enable()


def _write(asserted: bytes, inferred: bytes | None, name: str, out: BinaryIO) -> None:
    if name == "turtle":
        write_turtle((asserted, inferred), PREFIXES, out)
        return
    if name == "ntriples" and _write_merged(asserted, inferred, out):
        return
    try:
        parts = part_lines(asserted, inferred)
    except NotCanonicalError:
        parts = part_lines(asserted, inferred, rewrite=True)
    # the graph's lines are sorted by the parser's blank node labels, new on every load: order them by content
    ordered = in_content_order(parts)
    if ordered is not parts:
        parts = numbered(ordered)
    if name == "ntriples":
        lines = sorted(line for lines in parts for line in lines)
        for start in range(0, len(lines), 65536):
            out.write(("\n".join(lines[start : start + 65536]) + "\n").encode("utf-8"))
        return
    if name == "trig":
        graphs = (f" <{ASSERTED_GRAPH.value}> .\n", f" <{INFERRED_GRAPH.value}> .\n")
        found = ox.parse(_document(parts, graphs), format=ox.RdfFormat.N_QUADS)
        ox.serialize(found, out, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
        return
    triples = ox.parse(_document(parts, (" .\n",) * len(parts)), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, out, format=_OXIGRAPH_FORMATS[name], prefixes=PREFIXES)


def _write_merged(asserted: bytes, inferred: bytes | None, out: BinaryIO) -> bool:
    """Sorted N-Triples as `_write` writes them, merged from the parts' own lines as they stand in the bytes (no
    list of millions of lines: at 1M triples with the inferred ones, 0.6 GiB): only lines naming a blank node are
    taken apart and renumbered. False, with nothing written, when a part is not in Oxigraph's one-space form or
    not sorted; then `_write` sorts."""
    parts = [data for data in (asserted, inferred) if data]
    blank: list[bytes] = []
    for data in parts:
        if data[-1:] != b"\n" or b"\r" in data or data.count(b" .\n") != data.count(b"\n"):
            return False
        found: list[bytes] = []
        previous = b""
        for line in io.BytesIO(data):  # shares `data`'s buffer: each line is a short-lived copy
            # one canonical line is never a prefix of another (each ends its object term with " ."), so lines
            # compare with their newlines as they do without: the order of `_write`'s sort
            if line <= previous:
                return False
            previous = line
            if b"_:" in line:
                found.append(line)
        blank.append(b"".join(found))
    try:
        ordered = numbered(in_content_order(part_lines(*blank)))
    except NotCanonicalError:
        return False
    renumbered = sorted(f"{line}\n".encode() for lines in ordered for line in lines)
    streams = [(line for line in io.BytesIO(data) if b"_:" not in line) for data in parts]
    block: list[bytes] = []
    previous = b""
    for line in heapq.merge(*streams, renumbered):
        if line == previous:  # a triple both asserted and inferred, or given twice, is written once
            continue
        previous = line
        block.append(line)
        if len(block) == 65536:
            out.write(b"".join(block))
            block = []
    out.write(b"".join(block))
    return True


def _document(parts: list[list[str]], endings: tuple[str, ...]) -> io.BufferedReader:
    """The parts' lines as one N-Triples document, or N-Quads with each part's lines ending in its `endings`, read
    a block at a time by the parser: each block's lines are let go once encoded, so the text is never held whole
    (at 1M triples with the inferred ones, 0.5 GB on top of the lines)."""

    def blocks() -> Iterator[bytes]:
        for index, ending in enumerate(endings):
            lines = parts[index]
            while lines:
                block = "\n".join(lines[:65536]) + "\n"
                del lines[:65536]
                yield (block if ending == " .\n" else block.replace(" .\n", ending)).encode("utf-8")

    return io.BufferedReader(_BlockReader(blocks()), buffer_size=1 << 20)


class _BlockReader(io.RawIOBase):
    """A readable stream over an iterator of byte blocks."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self._blocks = blocks
        self._block = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._block:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._block = memoryview(block)
        size = min(len(buffer), len(self._block))
        buffer[:size] = self._block[:size]
        self._block = self._block[size:]
        return size


def file_ntriples(path: Path) -> bytes:
    """One RDF file's exact N-Triples; a bad file is a DataFileError naming file and line."""
    from kg.load import ntriples_of  # the load stage's reader and its checks

    return ntriples_of(path)


def canonical_turtle_file(path: Path) -> bytes:
    """The canonical Turtle of one RDF file: what `kg format` writes and `kg format --check` expects."""
    return export_ntriples(file_ntriples(path), None, "turtle")


def export_ntriples(asserted: bytes, inferred: bytes | None, format: str) -> bytes:
    """`write_ntriples_as` into bytes."""
    buffer = io.BytesIO()
    write_ntriples_as(asserted, inferred, format, buffer)
    return buffer.getvalue()


def write_export(asserted: bytes, inferred: bytes | None, format: str, destination: str | Path | BinaryIO) -> int:
    """`write_ntriples_as` to a path (written atomically, see kg.output) or an open binary file, as it goes: no
    document is held whole. The number of bytes written."""
    name = _format_name(format)  # an unknown format is refused before a file is touched
    counted = _Counting()

    def write(out: BinaryIO) -> None:
        counted.out = out
        write_ntriples_as(asserted, inferred, name, counted)  # type: ignore[arg-type]  # a file to every writer

    if isinstance(destination, str | Path):
        write_atomically(Path(destination), write)
    else:
        write(destination)
    return counted.written


class _Counting:
    """A binary file that passes what is written on to `out` and counts it."""

    def __init__(self) -> None:
        self.out: BinaryIO | None = None
        self.written = 0

    def write(self, data: bytes) -> int:
        assert self.out is not None
        self.written += len(data)
        self.out.write(data)
        return len(data)

    def flush(self) -> None:
        assert self.out is not None
        self.out.flush()


def _bound_copy(graph: Graph) -> Graph:
    from rdflib import Graph

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
    """`asserted` (plus `inferred`, if given) in `format`; TriG keeps the two in separate named graphs.

    rdflib's writers on rdflib graphs: the reference that `write_ntriples_as` matches.
    """
    name = _format_name(format)
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
    from rdflib import Dataset, URIRef

    dataset = Dataset()
    for prefix, namespace in PREFIXES.items():
        dataset.bind(prefix, namespace)
    for graph_name, graph in ((ASSERTED_GRAPH, asserted), (INFERRED_GRAPH, inferred)):
        if graph is None:
            continue
        named = dataset.graph(URIRef(graph_name.value))
        for triple in graph:
            named.add(triple)
    return dataset.serialize(format="trig", encoding="utf-8")
