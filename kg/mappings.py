"""The SSSOM mapping set (data/mappings.sssom.tsv): read and write its TSV, and the graph the knowledge graph loads."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import DataFileError, InputError

if TYPE_CHECKING:
    from curies import Converter
    from rdflib import Graph, Namespace

    SSSOM: Namespace
    MAPPING: Namespace

__all__ = [
    "COLUMNS",
    "MAPPING",
    "SSSOM",
    "MappingRow",
    "Metadata",
    "MetadataValue",
    "converter_of",
    "mapping_ntriples",
    "mappings_graph",
    "read_mapping_set",
    "write_mapping_set",
]

#: The SSSOM vocabulary (SSSOM), used for the per-mapping resources that keep every column in RDF, and the minted
#: mapping resources (MAPPING[str(n)] for the n-th row, 1-based, in file order): kg.terms.PREFIXES "sssom", "mapping".
_NAMESPACES = {"SSSOM": "https://w3id.org/sssom/", "MAPPING": "https://w3id.org/neuropathy-kg/mapping/"}
_SSSOM, _MAPPING = _NAMESPACES["SSSOM"], _NAMESPACES["MAPPING"]
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def __getattr__(name: str) -> Namespace:
    """SSSOM and MAPPING as rdflib namespaces, made on first use: reading and N-Triples need no rdflib."""
    if name not in _NAMESPACES:
        raise AttributeError(f"module 'kg.mappings' has no attribute {name!r}")
    from rdflib import Namespace

    return Namespace(_NAMESPACES[name])


#: A metadata value of the YAML header: a scalar, a list of scalars, or a mapping (only `curie_map`).
MetadataValue = str | list[str] | dict[str, str]
Metadata = dict[str, MetadataValue]

#: The header keys in the order they are written; any other key follows, sorted.
_KEY_ORDER = (
    "curie_map",
    "mapping_set_id",
    "mapping_set_version",
    "mapping_set_title",
    "mapping_set_description",
    "license",
    "creator_id",
    "creator_label",
    "mapping_date",
)
_REQUIRED_KEYS = ("curie_map", "mapping_set_id", "license")
_REQUIRED_CELLS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
_CURIE_CELLS = ("subject_id", "predicate_id", "object_id", "mapping_justification")
_PLAIN_SCALAR = re.compile(r"^[A-Za-z][A-Za-z0-9_.:/#-]*$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True, order=True)
class MappingRow:
    """One mapping: a graph entity, a SKOS mapping predicate, and a term of an external vocabulary."""

    subject_id: str
    subject_label: str
    predicate_id: str
    object_id: str
    object_label: str
    mapping_justification: str
    object_source_version: str
    comment: str


#: The TSV columns, in order (the fields of MappingRow).
COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(MappingRow))


def read_mapping_set(source: Traversable | Path) -> tuple[Metadata, list[MappingRow]]:
    """The YAML metadata header and the rows of an SSSOM TSV file; DataFileError names file and line."""
    name = str(source)
    try:
        text = source.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataFileError(name, "file is not valid UTF-8", fix="save it as UTF-8") from error
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    header: list[tuple[int, str]] = []
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        header.append((index + 1, lines[index][1:]))
        index += 1
    metadata = _parse_header(name, header)
    if index >= len(lines):
        raise DataFileError(name, "no column header line after the metadata", line=index + 1)
    columns = tuple(lines[index].split("\t"))
    if columns != COLUMNS:
        raise DataFileError(
            name, f"columns are {list(columns)}", line=index + 1, fix=f"use exactly {', '.join(COLUMNS)}"
        )
    prefixes = metadata["curie_map"]
    assert isinstance(prefixes, dict)  # checked by _parse_header
    rows: list[MappingRow] = []
    for number, line in enumerate(lines[index + 1 :], start=index + 2):
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise DataFileError(name, f"row has {len(cells)} cells, expected {len(COLUMNS)}", line=number)
        row = MappingRow(*cells)
        for column in _REQUIRED_CELLS:
            if not getattr(row, column):
                raise DataFileError(name, f"empty {column}", line=number)
        for column in _CURIE_CELLS:
            value: str = getattr(row, column)
            prefix, colon, local = value.partition(":")
            if not colon or not local or prefix not in prefixes:
                raise DataFileError(
                    name, f"{column} {value!r} is not a CURIE with a prefix of the curie_map", line=number
                )
        rows.append(row)
    return metadata, rows


def _parse_header(name: str, header: list[tuple[int, str]]) -> Metadata:
    """The YAML subset this project writes: `key: scalar`, or `key:` then `  sub: scalar` or `  - scalar` lines."""
    metadata: Metadata = {}
    current: str | None = None
    for number, line in header:
        if not line.strip():
            continue
        if not line.startswith(" "):
            key, colon, rest = line.partition(":")
            if not colon or not _KEY.match(key):
                raise DataFileError(name, f"metadata line is not 'key: value': {line!r}", line=number)
            if key in metadata:
                raise DataFileError(name, f"metadata key {key!r} given twice", line=number)
            rest = rest.strip()
            if rest:
                metadata[key] = _scalar(name, rest, number)
                current = None
            else:
                current = key
                metadata[key] = {}
            continue
        stripped = line.strip()
        if current is None:
            raise DataFileError(name, f"indented metadata line outside a block: {line!r}", line=number)
        block = metadata[current]
        if stripped.startswith("- ") or stripped == "-":
            item = _scalar(name, stripped[1:].strip(), number)
            if block == {}:
                block = metadata[current] = []
            if not isinstance(block, list):
                raise DataFileError(name, f"list item inside the mapping {current!r}", line=number)
            block.append(item)
        else:
            sub, colon, rest = stripped.partition(":")
            if not colon or not sub or not rest.strip() or not isinstance(block, dict):
                raise DataFileError(name, f"metadata line is not '  key: value' inside {current!r}", line=number)
            block[sub] = _scalar(name, rest.strip(), number)
    for key in _REQUIRED_KEYS:
        if key not in metadata:
            raise DataFileError(name, f"metadata lacks {key!r}", line=header[-1][0] if header else 1)
    if not isinstance(metadata["curie_map"], dict) or not metadata["curie_map"]:
        raise DataFileError(name, "curie_map must map prefixes to IRI prefixes", line=1)
    return metadata


def _scalar(name: str, text: str, line: int) -> str:
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise DataFileError(name, f"badly quoted metadata value {text}", line=line) from None
        if not isinstance(value, str):
            raise DataFileError(name, f"metadata value {text} is not a string", line=line)
        return value
    if not _PLAIN_SCALAR.match(text):
        raise DataFileError(name, f"metadata value {text!r} must be double-quoted", line=line)
    return text


# ---------------------------------------------------------------------- writing


def write_mapping_set(metadata: Metadata, rows: list[MappingRow]) -> str:
    """Canonical SSSOM TSV: known header keys in a fixed order, curie_map sorted, rows as given."""
    lines: list[str] = []
    extra = sorted(key for key in metadata if key not in _KEY_ORDER)
    for key in [*(k for k in _KEY_ORDER if k in metadata), *extra]:
        value = metadata[key]
        if isinstance(value, dict):
            lines.append(f"#{key}:")
            lines += [f"#  {sub}: {_quoted(value[sub])}" for sub in sorted(value)]
        elif isinstance(value, list):
            lines.append(f"#{key}:")
            lines += [f"#  - {_quoted(item)}" for item in value]
        else:
            lines.append(f"#{key}: {_quoted(value)}")
    lines.append("\t".join(COLUMNS))
    for row in rows:
        cells = [getattr(row, column) for column in COLUMNS]
        for column, cell in zip(COLUMNS, cells, strict=True):
            if "\t" in cell or "\n" in cell or "\r" in cell:
                raise InputError(f"{row.subject_id} {row.object_id}: {column} holds a tab or line break")
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    """Plain when YAML reads it back as the same string, else double-quoted (JSON escapes are valid YAML)."""
    return value if _PLAIN_SCALAR.match(value) else json.dumps(value, ensure_ascii=False)


def converter_of(metadata: Metadata) -> Converter:
    """A CURIE converter built from the mapping set's own curie_map."""
    prefixes = _curie_map(metadata)
    from curies import Converter  # imported here: it takes a quarter of a second, and most commands never need it

    return Converter.from_prefix_map(prefixes)


def _statements(metadata: Metadata, rows: list[MappingRow]) -> Iterator[tuple[str, str, str, bool]]:
    """(subject, predicate, object, object is text) of the SKOS triple and the mapping resource of every row."""
    expand = _expander(metadata)
    for number, row in enumerate(rows, start=1):
        subject, predicate, obj = (expand(value) for value in (row.subject_id, row.predicate_id, row.object_id))
        mapping = f"{_MAPPING}{number}"
        yield subject, predicate, obj, False
        yield mapping, _RDF_TYPE, f"{_SSSOM}Mapping", False
        yield mapping, f"{_SSSOM}subject_id", subject, False
        yield mapping, f"{_SSSOM}predicate_id", predicate, False
        yield mapping, f"{_SSSOM}object_id", obj, False
        yield mapping, f"{_SSSOM}mapping_justification", expand(row.mapping_justification), False
        for column in ("subject_label", "object_label", "object_source_version", "comment"):
            if getattr(row, column):
                yield mapping, f"{_SSSOM}{column}", getattr(row, column), True


def mappings_graph(metadata: Metadata, rows: list[MappingRow]) -> Graph:
    """One SKOS triple per row, plus a mapping resource per row whose sssom: properties keep every column."""
    from rdflib import Literal, URIRef

    from kg.store import new_graph

    graph = new_graph()
    graph.bind("sssom", _SSSOM)
    graph.bind("mapping", _MAPPING)
    for subject, predicate, obj, text in _statements(metadata, rows):
        graph.add((URIRef(subject), URIRef(predicate), Literal(obj) if text else URIRef(obj)))
    return graph


def mapping_ntriples(metadata: Metadata, rows: list[MappingRow]) -> bytes:
    """The triples of `mappings_graph`, as N-Triples (one a line), made without rdflib."""
    import pyoxigraph as ox

    triples = (
        ox.Triple(ox.NamedNode(s), ox.NamedNode(p), ox.Literal(o) if text else ox.NamedNode(o))
        for s, p, o, text in _statements(metadata, rows)
    )
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""


def _expander(metadata: Metadata) -> Callable[[str], str]:
    """CURIE to IRI by the curie_map, as `converter_of(metadata).expand` does (prefix up to the first colon), without
    importing curies: every load from the sources comes here, and curies with pydantic take 0.3-0.4 s to import."""
    prefixes = _curie_map(metadata)

    def expand(curie: str) -> str:
        prefix, colon, local = curie.partition(":")
        base = prefixes.get(prefix) if colon else None
        if not isinstance(base, str):
            raise InputError(f"{curie!r}: prefix not in the mapping set's curie_map")
        return base + local

    return expand


def _curie_map(metadata: Metadata) -> dict[str, str]:
    prefixes = metadata.get("curie_map")
    if not isinstance(prefixes, dict):
        raise InputError("mapping set metadata has no curie_map")
    return prefixes
