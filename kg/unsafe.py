"""Refusing JSON-LD and RDF/XML that would make the parser read URLs or other files, or expand without bound."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from xml.parsers import expat

from kg.encoding import refuse_surrogates
from kg.errors import DataFileError

__all__ = [
    "NOT_IN_IRI",
    "json_ld_checked",
    "line_with",
    "refuse_remote_contexts",
    "refuse_unsafe_xml",
    "xml_well_formed",
]

#: Characters that entity references in one RDF/XML file may expand to: ten times the file, plus a megabyte.
#: Ordinary files (Protégé writes `&owl;` for the OWL namespace) stay far below; "billion laughs" does not.
_ENTITY_EXPANSION_FACTOR = 10
_ENTITY_EXPANSION_ALLOWANCE = 1_000_000

#: What an IRI may not contain (RFC 3987), and any Unicode space (a pasted no-break space; rdflib cannot read it back).
NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]|\s')
_ENTITY_REFERENCE = re.compile(rb"&([A-Za-z_:][-A-Za-z0-9._:]*);")
#: A blank node label N-Triples can write; JSON-LD allows any text after "_:" and the native parser drops the others.
_PLAIN_BLANK_NODE = re.compile(r"_:[A-Za-z0-9_]([-A-Za-z0-9_.]*[-A-Za-z0-9_])?")


def line_with(text: str, fragment: str) -> int | None:
    """The line where `fragment` (or, for an IRI written as a CURIE, its local part) first appears."""
    position = text.find(fragment)
    if position < 0:
        local = fragment.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        position = text.find(local) if local else -1
    return None if position < 0 else text.count("\n", 0, position) + 1


def refuse_remote_contexts(name: str, text: str) -> None:
    """JSON-LD may name a context by URL; loading it would fetch from the network, so it is refused. An @id that
    is no IRI is refused too: rdflib would drop its node without a word."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataFileError(name, f"invalid JSON: {error.msg}", line=error.lineno) from None
    for reference in _context_references(document):
        raise DataFileError(
            name,
            f"JSON-LD context {reference!r} would be fetched from the network or disk",
            line=line_with(text, json.dumps(reference)[1:-1]),
            fix="inline the context object in the file",
        )
    for iri in _json_ld_iris(document):
        if NOT_IN_IRI.search(iri):
            # rdflib drops a node with such an @id without a word, losing its statements silently
            raise DataFileError(
                name,
                f"invalid IRI {iri!r}",
                line=line_with(text, json.dumps(iri)[1:-1]),
                fix='percent-encode spaces and the characters <>"{}|^`\\',
            )


def json_ld_checked(name: str, text: str) -> bytes:
    """The JSON-LD document, refused as `refuse_remote_contexts` says or when it holds a lone surrogate; blank
    node labels N-Triples cannot write (`_:;b`) are relabelled, as a label carries no meaning."""
    try:
        refuse_remote_contexts(name, text)
        strings = list(_json_strings(json.loads(text)))
    except RecursionError:
        raise DataFileError(name, "nested too deeply to read (arrays, objects or entities)", fix="flatten it") from None
    refuse_surrogates(name, text, strings)
    odd = {item for item in strings if item.startswith("_:") and not _PLAIN_BLANK_NODE.fullmatch(item)}
    if not odd:
        return text.encode()
    labels = {label: f"_:odd{number}" for number, label in enumerate(sorted(odd))}

    def relabelled(node: object) -> object:
        if isinstance(node, dict):
            return {labels.get(key, key): relabelled(value) for key, value in node.items()}
        if isinstance(node, list):
            return [relabelled(item) for item in node]
        return labels.get(node, node) if isinstance(node, str) else node

    return json.dumps(relabelled(json.loads(text))).encode()


def _json_strings(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _json_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_strings(item)
    elif isinstance(node, str):
        yield node


def xml_well_formed(name: str, data: bytes) -> None:
    """Refuse RDF/XML that is not well-formed XML (the native parser stops reading at a truncation silently)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        problem = expat.ErrorString(error.code) if error.code is not None else str(error)
        raise DataFileError(name, f"syntax error: {problem}", line=error.lineno) from None


def _json_ld_iris(node: object) -> Iterator[str]:
    """The values of @id, @type, @vocab and @base: the places where JSON-LD holds IRIs as plain strings."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@id", "@type", "@vocab", "@base"):
                yield from (item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str))
            yield from _json_ld_iris(value)
    elif isinstance(node, list):
        for item in node:
            yield from _json_ld_iris(item)


def _context_references(node: object) -> Iterator[str]:
    """Contexts named by URL, anywhere: top level, embedded, scoped inside other contexts, or `@import`ed."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import"):
                yield from (item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str))
            yield from _context_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _context_references(item)


class _EndOfDoctypeError(Exception):
    """Raised from an expat handler to stop reading once the document type declaration is over."""


def refuse_unsafe_xml(name: str, data: bytes) -> None:
    """RDF/XML may declare entities: external ones would read files or URLs, nested ones can expand to gigabytes.

    External entities, external DTDs and parameter entities are refused outright; internal entities (Protégé
    writes them for namespaces) are allowed while all their references together stay within the budget.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    declared: dict[str, tuple[str, int]] = {}

    def refuse(problem: str, fix: str = "inline the text instead of referring to it") -> None:
        raise DataFileError(name, problem, line=parser.CurrentLineNumber, fix=fix)

    def on_doctype(_name: str, system_id: str | None, public_id: str | None, _internal: bool) -> None:
        if system_id or public_id:
            refuse(f"external DTD {system_id or public_id!r} refused: data files may not make kg read URLs or files")

    def on_entity(
        entity: str,
        is_parameter: bool,
        value: str | None,
        _base: str | None,
        system_id: str | None,
        public_id: str | None,
        _notation: str | None,
    ) -> None:
        if value is None:
            where = system_id or public_id
            refuse(f"external entity {entity!r} ({where}) refused: data files may not make kg read URLs or files")
        if is_parameter:
            refuse(f"parameter entity %{entity}; refused: RDF/XML has no use for them", fix="remove it")
        declared[entity] = (value or "", parser.CurrentLineNumber)

    def stop(*_ignored: object) -> None:
        raise _EndOfDoctypeError

    parser.StartDoctypeDeclHandler = on_doctype
    parser.EntityDeclHandler = on_entity
    parser.UnparsedEntityDeclHandler = lambda entity, _base, system_id, public_id, _notation: refuse(
        f"unparsed entity {entity!r} ({system_id or public_id}) refused: data files may not refer to other files"
    )
    parser.EndDoctypeDeclHandler = stop
    parser.StartElementHandler = stop
    # A malformed document is left to the RDF/XML parser, which reports it with its line.
    with contextlib.suppress(_EndOfDoctypeError, expat.ExpatError):
        try:
            parser.Parse(data, True)
        except LookupError as error:  # an encoding Python does not know, named in the XML declaration
            raise DataFileError(name, f"cannot parse: {error}", line=1, fix="declare encoding='UTF-8'") from None
    if not declared:
        return
    budget = _ENTITY_EXPANSION_FACTOR * len(data) + _ENTITY_EXPANSION_ALLOWANCE
    sizes: dict[str, int] = {}

    def size_of(entity: str, seen: tuple[str, ...]) -> int:
        if entity not in declared:
            return len(entity) + 2
        if entity in seen:
            raise DataFileError(name, f"entity {entity!r} refers to itself", line=declared[entity][1])
        if entity not in sizes:
            value = declared[entity][0]
            total = len(value)
            for reference in re.finditer(r"&([A-Za-z_:][-A-Za-z0-9._:]*);", value):
                total += size_of(reference.group(1), (*seen, entity)) - len(reference.group(0))
                if total > budget:
                    break
            sizes[entity] = total
        return sizes[entity]

    expanded = 0
    for reference in _ENTITY_REFERENCE.finditer(data):
        entity = reference.group(1).decode("utf-8", "replace")
        if entity in declared:
            expanded += size_of(entity, ())
        if expanded > budget:
            line = data.count(b"\n", 0, reference.start()) + 1
            raise DataFileError(
                name,
                f"entity references expand to more than {budget:,} characters (entity {entity!r}): "
                "an entity expansion ('billion laughs') attack or a mistake",
                line=line,
                fix="write the text out instead of nesting entities",
            )
