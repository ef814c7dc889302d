"""Reading RDF files (packaged or the user's) into rdflib graphs, with errors that name file and line."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.exceptions import ParserError
from rdflib.term import Node

from kg.errors import DataFileError, InputError
from kg.terms import PREFIXES

__all__ = ["FORMAT_BY_SUFFIX", "expand_paths", "new_graph", "parse_into"]

#: rdflib parser names by file suffix; the suffix decides the syntax.
FORMAT_BY_SUFFIX: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".trig": "trig",
    ".nq": "nquads",
}

_LINE_PATTERNS = (
    re.compile(r"at line (\d+)"),
    re.compile(r"line (\d+)"),
    re.compile(r":(\d+):\d+:"),
)


def new_graph() -> Graph:
    """An empty graph with the project's prefixes bound and no others."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the RDF files inside named folders (sorted, not recursive into dot-folders)."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in FORMAT_BY_SUFFIX and not _hidden(p, path)
            )
            if not inside:
                raise InputError(f"{path}: folder holds no RDF files (looked for {', '.join(FORMAT_BY_SUFFIX)})")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _syntax_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    try:
        return FORMAT_BY_SUFFIX[suffix]
    except KeyError:
        known = ", ".join(FORMAT_BY_SUFFIX)
        raise DataFileError(name, f"unknown RDF file suffix {suffix!r}", fix=f"use one of {known}") from None


def parse_into(graph: Graph, source: Path | Traversable, *, label: str | None = None) -> int:
    """Parse one RDF file into `graph` (named graphs of TriG/N-Quads are merged); return the triples added."""
    name = label or str(source)
    syntax = _syntax_of(source.name)
    data = source.read_bytes()
    if not data.strip():
        raise DataFileError(name, "file is empty", fix="remove it or add RDF statements to it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataFileError(name, "file is not valid UTF-8", line=line, fix="save it as UTF-8") from None
    if syntax == "json-ld":
        _refuse_remote_contexts(name, text)
    before = len(graph)
    try:
        if syntax in ("trig", "nquads"):
            dataset = Dataset()
            dataset.parse(data=text, format=syntax)
            for triple in _all_triples(dataset):
                graph.add(triple)
        else:
            graph.parse(data=text, format=syntax)
    except DataFileError:
        raise
    except IndexError:
        # rdflib's Turtle parser runs off the end of a truncated file instead of reporting it.
        raise DataFileError(name, "syntax error: unexpected end of file", line=text.count("\n") + 1) from None
    except Exception as error:
        raise DataFileError(name, _problem_of(error), line=_line_of(error)) from None
    return len(graph) - before


def _all_triples(dataset: Dataset) -> Iterator[tuple[Node, Node, Node]]:
    for subject, predicate, obj, _context in dataset.quads((None, None, None, None)):
        yield subject, predicate, obj


def _problem_of(error: Exception) -> str:
    message = str(error).strip().splitlines()
    text = " ".join(line.strip() for line in message if line.strip()) or type(error).__name__
    text = text.split(" at ^ in:")[0]  # rdflib appends a byte dump of the whole input
    if isinstance(error, ParserError | SyntaxError) or "BadSyntax" in type(error).__name__:
        return f"syntax error: {text}"
    return f"cannot parse: {text}"


def _line_of(error: Exception) -> int | None:
    for attribute in ("lines", "lineno", "line"):
        value = getattr(error, attribute, None)
        if isinstance(value, int):
            return value + 1 if attribute == "lines" else value
    getter = getattr(error, "getLineNumber", None)
    if callable(getter):
        line = getter()
        if isinstance(line, int):
            return line
    for pattern in _LINE_PATTERNS:
        match = pattern.search(str(error))
        if match:
            return int(match.group(1))
    return None


def _refuse_remote_contexts(name: str, text: str) -> None:
    """JSON-LD may name a context by URL; loading it would fetch from the network, so it is refused."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataFileError(name, f"invalid JSON: {error.msg}", line=error.lineno) from None
    for context in _contexts(document):
        if isinstance(context, str):
            raise DataFileError(
                name,
                f"JSON-LD context {context!r} would be fetched from the network",
                fix="inline the context object in the file",
            )


def _contexts(node: object) -> Iterator[object]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                yield from value if isinstance(value, list) else [value]
            else:
                yield from _contexts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _contexts(item)
