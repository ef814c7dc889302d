"""Reading one RDF file (any supported syntax, optionally gzip-compressed) into exact N-Triples, natively."""

# Memory, not bytes, is the limit (no size cap unless $KG_MAX_FILE_BYTES is set): a file of N triples needs about
# its own size plus the size of its N-Triples at once (N-Triples run 100-200 bytes a triple), measured at 260 bytes
# a triple: 260 MiB for the generated 1M-triple graph (69 MB of Turtle), 47 MiB for DOID's 186k triples (see
# docs/performance.md). A gzip-compressed file is decompressed in memory first.

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import zlib
from importlib.resources.abc import Traversable
from pathlib import Path

import pyoxigraph as ox

from kg.encoding import uniform_bytes
from kg.errors import DataFileError, InputError
from kg.ntriples_checks import IRI_FIX, RELATIVE_BASE, RELATIVE_FIX, refuse_bad_terms
from kg.unsafe import json_ld_checked, line_with, refuse_unsafe_xml, xml_well_formed

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
_QUOTE_LIMIT = 200
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ERROR_PREFIX = re.compile(r"^Parser error (?:at|between) line \d+ [^:]*: ")
_SURROGATE_ESCAPE = re.compile(r"'\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}'")


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

    Blank nodes get fresh labels, so two files' `_:b1` stay two nodes. A triple in two named graphs is written
    once; one stated twice in a Turtle or N-Triples file is written twice (as the file has it: a store or graph
    holds it once, and removing repeats would cost a pass over every line). Refused with a DataFileError naming file
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
    base = RELATIVE_BASE if syntax in ("json-ld", "xml") else None
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
    refuse_bad_terms(name, data, out, syntax)
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
        return DataFileError(name, f"relative IRI {span}", line=line, fix=RELATIVE_FIX)
    if "invalid iri" in detail.lower() and span.startswith("<"):
        return DataFileError(name, f"invalid IRI {span}", line=line, fix=IRI_FIX)
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
