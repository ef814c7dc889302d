"""The SSSOM mapping set in SSSOM's own serialisations besides TSV: SSSOM/JSON, SSSOM/RDF (Turtle) and OWL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD
from rdflib.term import Node

from kg.errors import InputError
from kg.export import canonical_ntriples
from kg.mappings import COLUMNS, MAPPING, SSSOM, MappingRow, Metadata, converter_of, write_mapping_set
from kg.store import new_graph

if TYPE_CHECKING:
    from curies import Converter

__all__ = [
    "MAPPING_FORMATS",
    "export_mapping_set",
    "rows_from_graph",
    "sssom_graph",
    "sssom_json",
    "sssom_owl_graph",
]

#: Formats `kg mappings` writes: SSSOM/TSV (the file itself), SSSOM/JSON, SSSOM/RDF in Turtle, and OWL (RDF/XML).
MAPPING_FORMATS = ("sssom", "json", "turtle", "owl")
_CURIE_CELLS = ("subject_id", "predicate_id", "object_id", "mapping_justification")

#: How SSSOM/RDF writes each metadata slot: its property (the slot_uri of the SSSOM schema) and the kind of value.
#: "iri" values are IRIs (CURIEs expanded with the curie_map), "date" xsd:date literals, "text" plain strings.
_SET_SLOTS: dict[str, tuple[URIRef, str]] = {
    "mapping_set_version": (OWL.versionInfo, "text"),
    "mapping_set_title": (DCTERMS.title, "text"),
    "mapping_set_description": (DCTERMS.description, "text"),
    "license": (DCTERMS.license, "iri"),
    "creator_id": (DCTERMS.creator, "iri"),
    "creator_label": (SSSOM.creator_label, "text"),
    "mapping_date": (DCTERMS.created, "date"),
    "publication_date": (DCTERMS.issued, "date"),
    "see_also": (RDFS.seeAlso, "iri"),
    "subject_source": (SSSOM.subject_source, "iri"),
    "subject_source_version": (SSSOM.subject_source_version, "text"),
    "object_source": (SSSOM.object_source, "iri"),
    "object_source_version": (SSSOM.object_source_version, "text"),
}
#: The same for the columns of a mapping; the triple itself is owl:annotatedSource/Property/Target.
_ROW_SLOTS: dict[str, tuple[URIRef, str]] = {
    "subject_id": (OWL.annotatedSource, "iri"),
    "predicate_id": (OWL.annotatedProperty, "iri"),
    "object_id": (OWL.annotatedTarget, "iri"),
    "mapping_justification": (SSSOM.mapping_justification, "iri"),
    "subject_label": (SSSOM.subject_label, "text"),
    "object_label": (SSSOM.object_label, "text"),
    "object_source_version": (SSSOM.object_source_version, "text"),
    "comment": (RDFS.comment, "text"),
}


def export_mapping_set(metadata: Metadata, rows: list[MappingRow], format: str = "sssom") -> bytes:
    """The mapping set as SSSOM/TSV, SSSOM/JSON, SSSOM/RDF Turtle or OWL RDF/XML (the same bytes for the same input);
    sssom-py reads each back to the same mapping set."""
    if format == "sssom":
        return write_mapping_set(metadata, rows).encode("utf-8")
    if format == "json":
        return sssom_json(metadata, rows).encode("utf-8")
    if format == "turtle":
        return _turtle(sssom_graph(metadata, rows), metadata)
    if format == "owl":
        return _rdfxml(sssom_owl_graph(metadata, rows), metadata)
    raise InputError(f"unknown mapping format {format!r} (use one of {', '.join(MAPPING_FORMATS)})")


def sssom_json(metadata: Metadata, rows: list[MappingRow]) -> str:
    """SSSOM/JSON: the metadata slots, the mappings (empty cells left out) and the curie_map as JSON-LD @context."""
    prefixes = metadata.get("curie_map")
    if not isinstance(prefixes, dict):
        raise InputError("mapping set metadata has no curie_map")
    document: dict[str, object] = {key: value for key, value in metadata.items() if key != "curie_map"}
    document["mappings"] = [
        {column: getattr(row, column) for column in COLUMNS if getattr(row, column)} for row in rows
    ]
    document["@context"] = dict(sorted(prefixes.items()))
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _prefixes(metadata: Metadata) -> dict[str, str]:
    """The curie_map and the RDF vocabularies: SSSOM/RDF readers take the CURIE prefixes from the file's own."""
    prefixes = metadata.get("curie_map")
    assert isinstance(prefixes, dict)  # sssom_graph checked it
    return {**_RDF_PREFIXES, **prefixes}


def _turtle(graph: Graph, metadata: Metadata) -> bytes:
    bound = Graph(bind_namespaces="none")
    for prefix, namespace in _prefixes(metadata).items():
        bound.bind(prefix, namespace)
    # Every blank node is named by its place in the set (sssom_graph, owl_graph), so the bytes are the same on every
    # run as they are; rdflib's canonical relabelling cost two seconds a call and added nothing.
    bound += graph
    return bound.serialize(format="turtle", encoding="utf-8")


def _rdfxml(graph: Graph, metadata: Metadata) -> bytes:
    """RDF/XML by Oxigraph's writer, which keeps the order of the canonical, sorted N-Triples it is given."""
    triples = ox.parse(canonical_ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
    data = ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=_prefixes(metadata))
    assert data is not None  # only None when given an output file
    return data


def sssom_graph(metadata: Metadata, rows: list[MappingRow]) -> Graph:
    """SSSOM/RDF: the set (its mapping_set_id) a sssom:MappingSet, each mapping an owl:Axiom in sssom:mappings."""
    converter = converter_of(metadata)
    graph = new_graph()
    graph.bind("sssom", str(SSSOM))
    mapping_set = URIRef(_text_value(metadata, "mapping_set_id"))
    graph.add((mapping_set, RDF.type, SSSOM.MappingSet))
    for key, value in metadata.items():
        if key in ("curie_map", "mapping_set_id"):
            continue
        if key not in _SET_SLOTS:
            raise InputError(f"metadata key {key!r} has no SSSOM/RDF property here (known: {', '.join(_SET_SLOTS)})")
        prop, kind = _SET_SLOTS[key]
        for item in value if isinstance(value, list) else [_text_value(metadata, key)]:
            graph.add((mapping_set, prop, _node(converter, item, kind)))
    for number, row in enumerate(rows, start=1):
        mapping = BNode(f"mapping{number}")
        graph.add((mapping_set, SSSOM.mappings, mapping))
        graph.add((mapping, RDF.type, OWL.Axiom))
        for column, (prop, kind) in _ROW_SLOTS.items():
            cell: str = getattr(row, column)
            if cell:
                graph.add((mapping, prop, _node(converter, cell, kind)))
    return graph


def sssom_owl_graph(metadata: Metadata, rows: list[MappingRow]) -> Graph:
    """SSSOM/RDF made an OWL ontology (the set's IRI): each mapping an annotation assertion, annotated by its
    owl:Axiom, with every annotation property and class declared, as sssom-py's OWL output has them."""
    graph = sssom_graph(metadata, rows)
    converter = converter_of(metadata)
    # anonymous: SSSOM/RDF readers refuse a mapping set that is also typed owl:Ontology
    graph.add((BNode("ontology"), RDF.type, OWL.Ontology))
    graph.add((SSSOM.MappingSet, RDF.type, OWL.Class))
    for row in rows:
        cells = (row.subject_id, row.predicate_id, row.object_id)
        subject, predicate, obj = (_node(converter, cell, "iri") for cell in cells)
        graph.add((subject, predicate, obj))
    built_in = {RDFS.comment, RDFS.seeAlso, OWL.versionInfo, RDF.type, *_AXIOM_VOCABULARY}
    for prop in sorted({prop for _s, prop, _o in graph if isinstance(prop, URIRef)} - built_in):
        graph.add((prop, RDF.type, OWL.AnnotationProperty))
    return graph


_RDF_PREFIXES = {
    "dcterms": str(DCTERMS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sssom": str(SSSOM),
    "xsd": str(XSD),
}
_AXIOM_VOCABULARY = (OWL.annotatedSource, OWL.annotatedProperty, OWL.annotatedTarget)


def _text_value(metadata: Metadata, key: str) -> str:
    value = metadata.get(key)
    if not isinstance(value, str):
        raise InputError(f"mapping set metadata {key!r} must be one string")
    return value


def _node(converter: Converter, value: str, kind: str) -> URIRef | Literal:
    if kind == "text":
        return Literal(value)
    if kind == "date":
        return Literal(value, datatype=XSD.date)
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    iri = converter.expand(value)
    if iri is None:
        raise InputError(f"{value!r}: prefix not in the mapping set's curie_map")
    return URIRef(iri)


def rows_from_graph(graph: Graph, metadata: Metadata) -> list[MappingRow]:
    """The rows kept in a graph made by mappings_graph, in mapping-number order (CURIEs from the curie_map)."""
    converter = converter_of(metadata)
    numbered: list[tuple[int, MappingRow]] = []
    for mapping in set(graph.subjects(RDF.type, SSSOM.Mapping)):
        local = str(mapping).removeprefix(str(MAPPING))
        if not local.isdigit():
            raise InputError(f"{mapping}: mapping resources must be {MAPPING}<number>")
        iris = {column: graph.value(mapping, SSSOM[column]) for column in _CURIE_CELLS}
        subject, predicate, obj = iris["subject_id"], iris["predicate_id"], iris["object_id"]
        if (subject, predicate, obj) not in graph:
            raise InputError(f"{mapping}: the graph lacks the mapping triple {subject} {predicate} {obj}")
        texts = {
            column: _text(graph.value(mapping, SSSOM[column]))
            for column in ("subject_label", "object_label", "object_source_version", "comment")
        }
        curies = {column: _curie(converter, mapping, iri) for column, iri in iris.items()}
        numbered.append((int(local), MappingRow(**curies, **texts)))
    return [row for _number, row in sorted(numbered)]


def _curie(converter: Converter, mapping: Node, iri: Node | None) -> str:
    if not isinstance(iri, URIRef):
        raise InputError(f"{mapping}: an sssom: *_id property is missing or not an IRI")
    curie = converter.compress(str(iri))
    if curie is None:
        raise InputError(f"{mapping}: {iri} has no prefix in the mapping set's curie_map")
    return curie


def _text(value: Node | None) -> str:
    return "" if value is None else str(value)
