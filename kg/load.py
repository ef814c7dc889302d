"""Reading one RDF file (any supported syntax, optionally gzip-compressed) into exact N-Triples, natively.

Memory, not bytes, is the limit (no size cap unless $KG_MAX_FILE_BYTES is set): a file of N triples needs about
its own size plus the size of its N-Triples at once (N-Triples run 100-200 bytes a triple), measured at 260 bytes
a triple: 260 MiB for the generated 1M-triple graph (69 MB of Turtle), 47 MiB for DOID's 186k triples (see
docs/performance.md). A gzip-compressed file is decompressed in memory first.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import zlib
from collections.abc import Iterator
from importlib.resources.abc import Traversable
from pathlib import Path

import pyoxigraph as ox

from kg.encoding import uniform_bytes
from kg.errors import DataFileError, InputError
from kg.lexical import XSD, fits
from kg.unsafe import NOT_IN_IRI, json_ld_checked, line_with, refuse_unsafe_xml, xml_well_formed

__all__ = ["FORMAT_BY_SUFFIX", "max_file_bytes", "ntriples_of", "rdf_suffix"]

_SYNTAX_BY_SUFFIX = {
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
#: Syntax names (rdflib's) by file suffix, each also gzip-compressed (`doid.ttl.gz`); the suffix decides the syntax.
FORMAT_BY_SUFFIX: dict[str, str] = {**_SYNTAX_BY_SUFFIX, **{f"{s}.gz": f for s, f in _SYNTAX_BY_SUFFIX.items()}}

_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "json-ld": ox.RdfFormat.JSON_LD,
    "xml": ox.RdfFormat.RDF_XML,
}
#: JSON-LD drops a node whose @id is relative when there is no base; resolved against this one, it can be refused.
_RELATIVE_BASE = "http://relative.kg.invalid/"
#: Blank nodes nested deeper than this are refused: rdflib's reference engines and serializers recurse on them.
_MAX_NESTING = 100
_QUOTE_LIMIT = 200
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ERROR_PREFIX = re.compile(r"^Parser error (?:at|between) line \d+ [^:]*: ")
_SURROGATE_ESCAPE = re.compile(r"'\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}'")
_XSD_MARKER = b'"^^<' + XSD.encode()
_TRIPLE_TERM = re.compile(rb"^(?:<[^>]*>|_:\S+) <[^>]*> <<\(", re.MULTILINE)
#: UTF-8 of the Unicode spaces beyond ASCII (no-break space, line separator, …): valid in IRIs, unreadable by rdflib.
_WIDE_SPACE = re.compile(rb"\xc2[\x85\xa0]|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xa8\xa9\xaf]|\xe2\x81\x9f|\xe3\x80\x80")
_ASCII = bytes(range(128))
_REST = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#rest>"
_IRI_FIX = 'percent-encode spaces and the characters <>"{}|^`\\'
_RELATIVE_FIX = "write the IRI in full, starting with its scheme (https:, urn:, …)"


def rdf_suffix(file_name: str) -> str:
    """The suffix that names the syntax, lower-cased: `.ttl`, or `.ttl.gz` for a compressed file."""
    lowered = file_name.lower()
    suffix = Path(lowered).suffix
    return Path(lowered[:-3]).suffix + suffix if suffix == ".gz" else suffix


def max_file_bytes() -> int | None:
    """The opt-in size limit for data files: $KG_MAX_FILE_BYTES if set, else None (no limit but memory)."""
    given = os.environ.get("KG_MAX_FILE_BYTES", "").strip()
    if not given:
        return None
    limit = int(given) if given.isdigit() else 0
    if limit < 1:
        raise InputError(f"KG_MAX_FILE_BYTES={given!r} is not a positive whole number of bytes")
    return limit


def ntriples_of(source: Path | Traversable, *, label: str | None = None, max_bytes: int | None = None) -> bytes:
    """The triples of one RDF file as N-Triples (UTF-8, one triple a line, named graphs merged, literals exact).

    Blank nodes get fresh labels, so two files' `_:b1` stay two nodes. Refused with a DataFileError naming file
    and line (nothing returned): syntax errors, invalid UTF-8, relative or invalid IRIs, lone surrogates,
    literals that do not fit their XSD datatype, blank nodes nested over 100 deep, anything that would make the
    parser read a URL or another file (JSON-LD remote contexts, XML external entities), FIFOs and devices, and
    files over `max_bytes` (default: `max_file_bytes()`, no limit unless $KG_MAX_FILE_BYTES is set).
    """
    name = label or str(source)
    suffix = rdf_suffix(source.name)
    syntax = FORMAT_BY_SUFFIX.get(suffix)
    if syntax is None:
        known = ", ".join(_SYNTAX_BY_SUFFIX)
        raise DataFileError(name, f"unknown RDF file suffix {suffix!r}", fix=f"use one of {known} (or with .gz)")
    data = uniform_bytes(_read(source, name, max_file_bytes() if max_bytes is None else max_bytes), syntax)
    if not data.strip():
        raise DataFileError(name, "file is empty", fix="remove it or add RDF statements to it")
    if syntax == "json-ld":
        data = json_ld_checked(name, _text(data, name))
    elif syntax == "xml":
        _text(data, name)
        try:
            refuse_unsafe_xml(name, data)
        except RecursionError:
            raise DataFileError(name, "nested too deeply to read (entities)", fix="flatten it") from None
        xml_well_formed(name, data)
    base = _RELATIVE_BASE if syntax in ("json-ld", "xml") else None
    try:
        quads = ox.parse(data, format=_FORMATS[syntax], base_iri=base, rename_blank_nodes=True)
        triples = (quad.triple for quad in quads) if syntax in ("nquads", "trig") else quads
        # into a BytesIO, whose getvalue() hands over its buffer: serializing to bytes would hold the text twice
        buffer = io.BytesIO()
        ox.serialize(triples, buffer, format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as error:
        raise _syntax_error(name, data, syntax, error) from None
    out = buffer.getvalue()
    del buffer
    _refuse_bad_terms(name, data, out, syntax)
    return _distinct(out) if syntax in ("nquads", "trig") else out


def _distinct(out: bytes) -> bytes:
    """The lines of `out` without repeats (a triple in two named graphs is one triple of the merged graph)."""
    lines = out.split(b"\n")
    return out if len(set(lines)) == len(lines) else b"".join(line + b"\n" for line in dict.fromkeys(lines) if line)


def _read(source: Path | Traversable, name: str, limit: int | None) -> bytes:
    """The file's bytes (decompressed when it ends in .gz), refused unread when it is over `limit`."""
    try:
        status = source.stat() if isinstance(source, Path) else None
        if status is not None and not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
            # a FIFO would block the read forever, /dev/zero (or a link to it) never end
            raise DataFileError(name, "is not a regular file (a FIFO, device or socket)", fix="give a file")
        if status is not None and limit is not None and status.st_size > limit:
            raise DataFileError(
                name,
                f"file is {status.st_size:,} bytes, over the {limit:,}-byte limit",
                fix="split it, or set KG_MAX_FILE_BYTES to a larger limit",
            )
        data = source.read_bytes()
    except OSError as error:
        raise DataFileError(name, f"cannot read the file: {error.strerror or error}") from None
    if not source.name.lower().endswith(".gz"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DataFileError(name, f"cannot decompress: {error}", fix="give a complete gzip file") from None


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise DataFileError(name, "file is not valid UTF-8", line=line, fix="save it as UTF-8") from None


def _syntax_error(name: str, data: bytes, syntax: str, error: SyntaxError) -> DataFileError:
    """The parser's error as a DataFileError naming file and line, quoting what is wrong where that helps."""
    text = _text(data, name)  # invalid UTF-8 is reported as such, with its line
    message = str(error.msg)
    line = error.lineno
    detail = _ERROR_PREFIX.sub("", message)
    detail = detail[:1].lower() + detail[1:]
    lines = _LINE_BREAK.split(text) if line else []
    bad_line = lines[line - 1] if line and 0 < line <= len(lines) else ""
    span = ""
    if bad_line and error.offset and error.end_offset and error.end_lineno == line:
        span = bad_line[error.offset - 1 : error.end_offset - 1]
    quoted = iri = None
    if message.startswith("error while parsing IRI '"):  # RDF/XML and JSON-LD name the IRI but not the line
        iri = message.removeprefix("error while parsing IRI '").rsplit("': ", 1)[0]
        line = line_with(text, iri)
        span = f"<{iri}>"
    if syntax in ("nt", "nquads") and bad_line.strip():
        quoted = bad_line.strip()
        quoted = quoted[:_QUOTE_LIMIT] + "…" if len(quoted) > _QUOTE_LIMIT else quoted
        return DataFileError(name, f"syntax error: invalid line: {quoted} ({detail})", line=line)
    if "no scheme found" in detail.lower() and span.startswith("<"):
        return DataFileError(name, f"relative IRI {span}", line=line, fix=_RELATIVE_FIX)
    if "invalid iri" in detail.lower() and span.startswith("<"):
        return DataFileError(name, f"invalid IRI {span}", line=line, fix=_IRI_FIX)
    if _SURROGATE_ESCAPE.search(detail):
        return DataFileError(
            name,
            "a lone UTF-16 surrogate escape (such as \\uD800) encodes no character",
            line=line,
            fix="write the character itself, or escape it as \\U0001F600 or as a pair \\uD83D\\uDE00",
        )
    if detail == "unexpected end":
        detail = "unexpected end of file"
    if "LoadDocumentCallback" in detail:  # a remote context the JSON checks did not see (they should)
        return DataFileError(name, "a JSON-LD context would be fetched", fix="inline the context object in the file")
    return DataFileError(name, f"syntax error: {detail}", line=line)


def _refuse_bad_terms(name: str, data: bytes, out: bytes, syntax: str) -> None:
    """What the parser accepts but the graph must not hold: relative IRIs (resolved against a stand-in base),
    IRIs with Unicode spaces, ill-typed literals, triple terms, and blank nodes nested too deeply."""
    problems: list[tuple[int, str, str]] = []
    text: list[str] = []

    def line_of(fragment: str) -> int:
        if not text:
            text.append(data.decode("utf-8", "replace"))
        return line_with(text[0], fragment) or 0

    relative = out.find(b"<" + _RELATIVE_BASE.encode())
    if relative >= 0:
        iri = out[relative + 1 + len(_RELATIVE_BASE) : out.index(b">", relative)].decode()
        problems.append((line_of(iri), f"relative IRI <{iri}>", _RELATIVE_FIX))
    # Deleting ASCII leaves every multi-byte character whole (its bytes are all >= 0x80) and scans at memory speed.
    wide = set(_WIDE_SPACE.findall(out.translate(None, _ASCII)))
    if wide:
        for iri in _iris_with_wide_spaces(out, wide):
            problems.append((line_of(iri), f"invalid IRI <{iri}>", _IRI_FIX))
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
