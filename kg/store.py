"""Reading RDF files (packaged or the user's) into rdflib graphs, with errors that name file and line."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.exceptions import ParserError
from rdflib.term import Node

from kg.encoding import refuse_surrogates, uniform_text
from kg.errors import DataFileError, InputError
from kg.native import parse_natively, reads_natively
from kg.terms import PREFIXES, compact
from kg.unsafe import NOT_IN_IRI, line_with, refuse_remote_contexts, refuse_unsafe_xml

__all__ = ["DEFAULT_MAX_FILE_BYTES", "FORMAT_BY_SUFFIX", "expand_paths", "max_file_bytes", "new_graph", "parse_into"]

#: Largest data file read, unless $KG_MAX_FILE_BYTES says otherwise: rdflib holds a parsed file in memory at
#: roughly a kilobyte a triple, so a much larger file would exhaust memory before it could be refused.
DEFAULT_MAX_FILE_BYTES = 20_000_000

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_PLAIN_BLANK_NODE = re.compile(r"[A-Za-z0-9_]([-A-Za-z0-9_.]*[-A-Za-z0-9_])?$")

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
        if not str(given).strip():  # Path("") is the current folder: an empty name must not load everything there
            raise InputError(f"{str(given)!r} is not a file or folder name (give the path of an RDF file or folder)")
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in FORMAT_BY_SUFFIX
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise InputError(f"{path}: folder holds no RDF files (looked for {', '.join(FORMAT_BY_SUFFIX)})")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise InputError(f"{path}: is not a regular file or a folder (a FIFO, device or socket); give a file")
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def _syntax_of(file_name: str, name: str) -> str:
    suffix = Path(file_name).suffix.lower()
    try:
        return FORMAT_BY_SUFFIX[suffix]
    except KeyError:
        known = ", ".join(FORMAT_BY_SUFFIX)
        raise DataFileError(name, f"unknown RDF file suffix {suffix!r}", fix=f"use one of {known}") from None


def max_file_bytes() -> int:
    """The size limit for data files: $KG_MAX_FILE_BYTES if set, else DEFAULT_MAX_FILE_BYTES."""
    given = os.environ.get("KG_MAX_FILE_BYTES", "").strip()
    if not given:
        return DEFAULT_MAX_FILE_BYTES
    limit = int(given) if given.isdigit() else 0
    if limit < 1:
        raise InputError(f"KG_MAX_FILE_BYTES={given!r} is not a positive whole number of bytes")
    return limit


def _read(source: Path | Traversable, name: str, limit: int) -> bytes:
    """The file's bytes, refused before reading when it is over `limit`, so a huge file costs no memory."""
    try:
        status = source.stat() if isinstance(source, Path) else None
        if status is not None and not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
            # a FIFO would block the read forever, /dev/zero (or a link to it) never end
            raise DataFileError(name, "is not a regular file (a FIFO, device or socket)", fix="give a file")
        size = None if status is None else status.st_size
        if size is not None and size > limit:
            raise DataFileError(
                name,
                f"file is {size:,} bytes, over the {limit:,}-byte limit",
                fix="split it, or set KG_MAX_FILE_BYTES to a larger limit",
            )
        return source.read_bytes()
    except OSError as error:
        raise DataFileError(name, f"cannot read the file: {error.strerror or error}") from None


def parse_into(
    graph: Graph, source: Path | Traversable, *, label: str | None = None, max_bytes: int | None = None
) -> int:
    """Parse one RDF file into `graph` (named graphs of TriG/N-Quads are merged); return the triples added.

    Nothing is added unless the whole file is good: files over `max_bytes` (default: `max_file_bytes()`),
    invalid IRIs, literals that do not fit their datatype, and anything that would make the parser reach for
    a URL or another file (JSON-LD remote contexts, XML external entities) are refused with a DataFileError.
    """
    name = label or str(source)
    syntax = _syntax_of(source.name, name)
    data = _read(source, name, max_file_bytes() if max_bytes is None else max_bytes)
    if not data.strip():
        raise DataFileError(name, "file is empty", fix="remove it or add RDF statements to it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataFileError(name, "file is not valid UTF-8", line=line, fix="save it as UTF-8") from None
    text = uniform_text(text, syntax)
    try:
        if syntax == "json-ld":
            refuse_remote_contexts(name, text)
        if syntax == "xml":
            refuse_unsafe_xml(name, data)
    except RecursionError:
        raise DataFileError(name, "nested too deeply to read (arrays, objects or entities)", fix="flatten it") from None
    # Into an empty graph the file is parsed in place (copying 100k triples costs a second); on any failure the
    # graph is emptied again, so either way nothing of a bad file stays.
    in_place = len(graph) == 0
    parsed = graph if in_place else Graph(bind_namespaces="none")
    try:
        _parse(parsed, text, syntax, name)
        _refuse_bad_terms(name, text, parsed)
        plain = _with_plain_blank_nodes(parsed)
    except BaseException:
        if in_place:
            graph.remove((None, None, None))
        raise
    if in_place:
        if plain is not parsed:
            graph.remove((None, None, None))
            graph += plain
        return len(graph)
    before = len(graph)
    graph += plain
    return len(graph) - before


def _parse(parsed: Graph, text: str, syntax: str, name: str) -> None:
    """Parse `text` into `parsed`, turning every parser failure into a DataFileError that names file and line."""
    try:
        if reads_natively(text, syntax):
            parse_natively(parsed, text, syntax, name)  # rdflib's reader is quadratic in the length of a line
        elif syntax in ("trig", "nquads"):
            dataset = Dataset()
            dataset.parse(data=text, format=syntax)
            for triple in _all_triples(dataset):
                parsed.add(triple)
        else:
            parsed.parse(data=text, format=syntax)
    except DataFileError:
        raise
    except IndexError:
        # rdflib's Turtle parser runs off the end of a truncated file instead of reporting it.
        raise DataFileError(name, "syntax error: unexpected end of file", line=text.count("\n") + 1) from None
    except RecursionError:
        raise DataFileError(name, "nested too deeply to read (lists or blank nodes)", fix="flatten it") from None
    except Exception as error:
        raise DataFileError(name, _problem_of(error), line=_line_of(error) or _line_ending(text, error)) from None


def _all_triples(dataset: Dataset) -> Iterator[tuple[Node, Node, Node]]:
    for subject, predicate, obj, _context in dataset.quads((None, None, None, None)):
        yield subject, predicate, obj


def _problem_of(error: Exception) -> str:
    bad_line = _quoted_line(error)
    if bad_line is not None:
        return f"syntax error: invalid line: {bad_line}"
    message = str(error).strip().splitlines()
    text = " ".join(line.strip() for line in message if line.strip()) or type(error).__name__
    text = text.split(" at ^ in:")[0]  # rdflib appends a byte dump of the whole input
    if isinstance(error, ParserError | SyntaxError) or "BadSyntax" in type(error).__name__:
        return f"syntax error: {text}"
    return f"cannot parse: {text}"


def _quoted_line(error: Exception) -> str | None:
    """The line-based parsers (N-Triples, N-Quads) quote the rest of the bad line instead of giving its number."""
    message = str(error).split(" at ^ in:")[0].strip()
    if message.startswith("Invalid line (Failed to eat"):
        # "Invalid line (Failed to eat REGEX at ...):\n'REST OF LINE'": the regex is noise to the reader
        rest = message.rpartition("):")[2].strip()
        return rest[1:-1] if len(rest) > 1 and rest[0] == rest[-1] == "'" else rest or None
    if message.startswith("Invalid line: "):
        return message.removeprefix("Invalid line: ").strip() or None
    return None


def _line_ending(text: str, error: Exception) -> int | None:
    rest = _quoted_line(error)
    if not rest:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.rstrip().endswith(rest):
            return number
    return None


def _refuse_bad_terms(name: str, text: str, parsed: Graph) -> None:
    """Invalid IRIs and ill-typed literals: rdflib keeps them with a warning; they would break exports and queries."""
    problems: list[tuple[int, str, str]] = []
    terms = {term for triple in parsed for term in triple}
    refuse_surrogates(name, text, terms)
    iris = {term for term in terms if isinstance(term, URIRef)}
    iris |= {term.datatype for term in terms if isinstance(term, Literal) and term.datatype is not None}
    for iri in iris:
        if NOT_IN_IRI.search(iri):
            fix = 'percent-encode spaces and the characters <>"{}|^`\\'
            problems.append((line_with(text, str(iri)) or 0, f"invalid IRI <{iri}>", fix))
        elif not _SCHEME.match(iri):
            fix = "write the IRI in full, starting with its scheme (https:, urn:, …)"
            problems.append((line_with(text, str(iri)) or 0, f"relative IRI <{iri}>", fix))
    for term in terms:
        if isinstance(term, Literal) and term.ill_typed:
            datatype = compact(str(term.datatype)) or f"<{term.datatype}>"
            line = line_with(text, str(term))
            # rdflib may have rewritten the lexical form (a bad boolean reads "false"); quote it only if it is there
            problem = f"{str(term)!r} is not a valid {datatype}" if line else f"a value is not a valid {datatype}"
            problems.append((line or 0, problem, "fix the value or its datatype"))
    if problems:
        line, problem, fix = min(problems)  # the first in the file, so the message is the same on every run
        raise DataFileError(name, problem, line=line or None, fix=fix)


def _with_plain_blank_nodes(parsed: Graph) -> Graph:
    """`parsed`, its blank nodes relabelled where their labels could not be written back as N-Triples.

    JSON-LD allows any characters after "_:"; N-Triples (the exports, the reasoning cache, the query engine's
    input) does not. A blank node's label carries no meaning, so a new one changes nothing.
    """
    if all(_PLAIN_BLANK_NODE.match(term) for triple in parsed for term in triple if isinstance(term, BNode)):
        return parsed
    renamed: dict[BNode, BNode] = {}

    def plain(term: Node) -> Node:
        if isinstance(term, BNode) and not _PLAIN_BLANK_NODE.match(term):
            return renamed.setdefault(term, BNode())
        return term

    relabelled = Graph(bind_namespaces="none")
    for subject, predicate, obj in parsed:
        relabelled.add((plain(subject), predicate, plain(obj)))
    return relabelled


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
