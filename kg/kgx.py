"""KGX export: Biolink nodes and edges in KGX TSV, with categories and predicates from data/biolink-mapping.tsv."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from kg.errors import DataFileError, InputError
from kg.export import write_atomically
from kg.mappings import MappingRow, read_mapping_set
from kg.nt_lines import merged_lines, rdflib_term, split_line
from kg.packaged import mapping_file, source_document
from kg.snapshot import ASSERTED_GRAPH
from kg.terms import NKG, OA, PREFIXES, compact

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = [
    "EDGE_COLUMNS",
    "INFORES",
    "NODE_COLUMNS",
    "BiolinkMapping",
    "NTriplesView",
    "biolink_mapping_file",
    "kgx_source",
    "kgx_tables",
    "read_biolink_mapping",
    "write_kgx",
]

#: The information resource that curated every edge from the article (an infores CURIE, as KGX requires).
INFORES = "infores:neuropathy-kg"
NODE_COLUMNS = ("id", "category", "name", "description", "xref", "synonym", "provided_by")
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "original_predicate",
    "knowledge_level",
    "agent_type",
    "primary_knowledge_source",
    "publications",
    "supporting_text",
    "modality",
    "frequency",
    "circumstance",
)
#: A Biolink CURIE in the mapping file: biolink:CamelCase for categories, biolink:snake_case for predicates.
_BIOLINK = re.compile(r"^biolink:[A-Za-z_]+$")
_NOT_EXPORTED = "-"
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class BiolinkMapping:
    """Biolink categories of our classes and predicates of our properties (None: the property is not exported)."""

    categories: dict[URIRef, str]
    predicates: dict[URIRef, str | None]


def biolink_mapping_file() -> Traversable:
    """data/biolink-mapping.tsv, the curator-edited table of Biolink categories and predicates."""
    return source_document("biolink-mapping.tsv")


def read_biolink_mapping(source: Traversable | Path) -> BiolinkMapping:
    """The mapping table: `term<TAB>biolink<TAB>comment` rows after '#' comments and a header line."""
    name = str(source)
    categories: dict[URIRef, str] = {}
    predicates: dict[URIRef, str | None] = {}
    lines = source.read_bytes().decode("utf-8").split("\n")
    rows = [(number, line) for number, line in enumerate(lines, start=1) if line and not line.startswith("#")]
    if not rows or rows[0][1].split("\t")[:2] != ["term", "biolink"]:
        raise DataFileError(name, "no 'term<TAB>biolink<TAB>comment' header line", fix="add it before the rows")
    for number, line in rows[1:]:
        cells = line.split("\t")
        if len(cells) != 3:
            raise DataFileError(name, f"row has {len(cells)} cells, expected 3 (term, biolink, comment)", line=number)
        term, biolink = _expand(name, cells[0], number), cells[1]
        if biolink != _NOT_EXPORTED and not _BIOLINK.match(biolink):
            raise DataFileError(name, f"{biolink!r} is not biolink:Name", line=number, fix="or '-' to leave it out")
        if term in categories or term in predicates:
            raise DataFileError(name, f"{cells[0]} is mapped twice", line=number)
        local = biolink.removeprefix("biolink:")
        if local[:1].isupper():
            categories[term] = biolink
        else:
            predicates[term] = None if biolink == _NOT_EXPORTED else biolink
    return BiolinkMapping(categories, predicates)


def _expand(name: str, curie: str, line: int) -> URIRef:
    prefix, _colon, local = curie.partition(":")
    if prefix not in PREFIXES or not local:
        raise DataFileError(name, f"{curie!r} is not a CURIE with a project prefix", line=line)
    return URIRef(PREFIXES[prefix] + local)


class NTriplesView:
    """The reads kgx makes of a graph (objects, value, subjects, membership), over exact N-Triples: no rdflib
    graph is built, only the terms asked for become rdflib terms."""

    def __init__(self, ntriples: bytes) -> None:
        self._objects: dict[tuple[str, str], list[str]] = defaultdict(list)
        for line in merged_lines(ntriples):
            subject, predicate, obj = split_line(line)
            self._objects[subject, predicate].append(obj)

    def objects(self, subject: Node, predicate: Node) -> list[Node]:
        return [rdflib_term(text) for text in sorted(self._objects.get((str(subject), str(predicate)), ()))]

    def value(self, subject: Node, predicate: Node) -> Node | None:
        found = self.objects(subject, predicate)
        return found[0] if found else None

    def subject_objects(self, predicate: Node) -> list[tuple[Node, Node]]:
        return [
            (URIRef(subject), rdflib_term(obj))
            for (subject, used), objects in self._objects.items()
            if used == str(predicate) and not subject.startswith("_:")
            for obj in objects
        ]

    def subjects(self, predicate: Node, obj: Node) -> list[Node]:
        return [subject for subject, value in self.subject_objects(predicate) if value == obj]

    def __contains__(self, triple: tuple[Node, Node, Node]) -> bool:
        return triple[2] in self.objects(triple[0], triple[1])


def kgx_tables(graph: Graph | NTriplesView, mapping: BiolinkMapping, mapping_rows: list[MappingRow]) -> tuple[str, str]:
    """nodes.tsv and edges.tsv: every entity typed by a mapped class, and one edge per claim of a mapped property."""
    nodes = _node_rows(graph, mapping, mapping_rows)
    edges = _edge_rows(graph, mapping, {row[0] for row in nodes})
    return _table(NODE_COLUMNS, nodes), _table(EDGE_COLUMNS, edges)


def _node_rows(
    graph: Graph | NTriplesView, mapping: BiolinkMapping, mapping_rows: list[MappingRow]
) -> list[tuple[str, ...]]:
    xrefs: dict[str, set[str]] = defaultdict(set)
    for row in mapping_rows:
        if row.predicate_id == "skos:exactMatch":
            xrefs[row.subject_id].add(row.object_id)
    rows: list[tuple[str, ...]] = []
    typed = {s for s, o in graph.subject_objects(RDF.type) if o in mapping.categories and isinstance(s, URIRef)}
    for subject in sorted(typed):
        types = [node for node in graph.objects(subject, RDF.type) if isinstance(node, URIRef)]
        categories = {mapping.categories[node] for node in types if node in mapping.categories}
        identifier = _curie(subject)
        rows.append(
            (
                identifier,
                _join(categories),
                _text(graph.value(subject, RDFS.label)),
                _text(graph.value(subject, SKOS.definition)),
                _join(xrefs[identifier]),
                _join(_text(label) for label in graph.objects(subject, SKOS.altLabel)),
                INFORES,
            )
        )
    return rows


def _edge_rows(graph: Graph | NTriplesView, mapping: BiolinkMapping, node_ids: set[str]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for claim in sorted(c for c in graph.subjects(RDF.type, NKG.Claim) if isinstance(c, URIRef)):
        subject, predicate, obj = (graph.value(claim, p) for p in (RDF.subject, RDF.predicate, RDF.object))
        if not isinstance(predicate, URIRef) or predicate not in mapping.predicates:
            raise InputError(
                f"{_curie(claim)}: no Biolink predicate for {predicate} (add a row to data/biolink-mapping.tsv)"
            )
        biolink = mapping.predicates[predicate]
        if biolink is None:
            continue
        ends = [_curie(node) for node in (subject, obj)]
        missing = [end for end in ends if end not in node_ids]
        if missing:
            raise InputError(f"{_curie(claim)}: {', '.join(missing)} has no class with a Biolink category")
        quotes = {
            _text(graph.value(selector, OA.exact))
            for quote in graph.objects(claim, NKG.hasQuote)
            for selector in graph.objects(quote, OA.hasSelector)
            if (selector, RDF.type, OA.TextQuoteSelector) in graph
        }
        rows.append(
            (
                _curie(claim),
                ends[0],
                biolink,
                ends[1],
                _curie(predicate),
                "knowledge_assertion",  # the article states it; derived edges are not exported (docs/exports.md)
                "manual_agent",  # curated by hand from the article's text
                INFORES,
                _join(_curie(document) for document in graph.objects(claim, NKG.statedIn)),
                _join(quotes),
                *(_join(_text(value) for value in graph.objects(claim, NKG[name])) for name in EDGE_COLUMNS[-3:]),
            )
        )
    return rows


def _curie(node: Node | None) -> str:
    if not isinstance(node, URIRef):
        raise InputError(f"expected an IRI, found {node!r}")
    return compact(str(node)) or str(node)


def _text(value: Node | None) -> str:
    """One line of text: KGX TSV has no escapes, so tabs and line breaks become spaces."""
    if value is None:
        return ""
    if not isinstance(value, Literal):
        raise InputError(f"expected a literal, found {value!r}")
    return _WHITESPACE.sub(" ", str(value)).strip()


def _join(values: Iterable[str]) -> str:
    """A multivalued KGX cell: sorted values joined by '|', which therefore no value may hold."""
    items = sorted(set(values))
    for item in items:
        if "|" in item:
            raise InputError(f"{item!r} holds '|', KGX's separator of multiple values")
    return "|".join(items)


def _table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    return "\n".join("\t".join(row) for row in [columns, *rows]) + "\n"


def kgx_source(graph: KnowledgeGraph) -> bytes:
    """What `write_kgx` reads of `graph`: the hub's exact asserted N-Triples."""
    return graph.ntriples(ASSERTED_GRAPH)


def write_kgx(graph: Graph | bytes, directory: Path) -> list[Path]:
    """Write nodes.tsv and edges.tsv of `graph` (or of exact N-Triples) into `directory`, each atomically; return
    their paths."""
    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} is a file: KGX TSV is two files, give a folder with -o")
    _metadata, rows = read_mapping_set(mapping_file())
    source = NTriplesView(graph) if isinstance(graph, bytes) else graph
    nodes, edges = kgx_tables(source, read_biolink_mapping(biolink_mapping_file()), rows)
    paths = [directory / "nodes.tsv", directory / "edges.tsv"]
    for path, text in zip(paths, (nodes, edges), strict=True):
        write_atomically(path, text.encode("utf-8"))
    return paths
