"""The HTML reference of the ontology and data: one self-contained page, the same bytes for the same graph."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from rdflib import URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from kg.docs_page import (
    MAPPING_PREDICATES,
    STYLE,
    Page,
    claim_links,
    claims_about,
    common_rows,
    mappings,
    rows_html,
    section,
    typed,
)
from kg.export import write_atomically
from kg.graph import KnowledgeGraph
from kg.mappings import converter_of, read_mapping_set
from kg.packaged import mapping_file
from kg.progress import progress
from kg.terms import NKG, OA

__all__ = ["MAPPING_PREDICATES", "reference_html", "write_reference"]

_CHARACTERISTICS = (
    OWL.TransitiveProperty,
    OWL.SymmetricProperty,
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.ReflexiveProperty,
    OWL.IrreflexiveProperty,
    OWL.AsymmetricProperty,
)
_QUALIFIERS = (NKG.frequency, NKG.modality, NKG.circumstance)


def _class_section(page: Page, iri: URIRef) -> str:
    instances = page.iris(None, RDF.type, iri)
    shown = [instance for instance in instances if instance in page.anchors]
    hidden = len(instances) - len(shown)
    instance_text = page.links(shown) + (
        f'<span class="muted">{hidden} more without a section</span>' if hidden else ""
    )
    rows = [
        *common_rows(page, iri),
        ("Superclasses", page.links(page.iris(iri, RDFS.subClassOf))),
        ("Subclasses", page.links(page.iris(None, RDFS.subClassOf, iri))),
        ("Disjoint with", page.links([*page.iris(iri, OWL.disjointWith), *page.iris(None, OWL.disjointWith, iri)])),
        ("Domain of", page.links(page.iris(None, RDFS.domain, iri))),
        ("Range of", page.links(page.iris(None, RDFS.range, iri))),
        ("External mappings", mappings(page, iri)),
        ("Instances", instance_text),
    ]
    if iri != NKG.Claim:
        rows.append(("Claims about instances", claim_links(page, claims_about(page, instances))))
    return section(page, iri, "class", rows)


def _property_section(page: Page, iri: URIRef, kind: str) -> str:
    graph = page.graph
    characteristics = [
        page.curie(cls).removeprefix("owl:") for cls in _CHARACTERISTICS if (iri, RDF.type, cls) in graph
    ]
    chains = []
    for chain in graph.objects(iri, OWL.propertyChainAxiom):
        steps = [page.link(step) for step in Collection(graph, chain)]
        chains.append(" then ".join(steps))
    rows = [
        *common_rows(page, iri),
        ("Characteristics", html.escape(", ".join(characteristics))),
        ("Superproperties", page.links(page.iris(iri, RDFS.subPropertyOf))),
        ("Subproperties", page.links(page.iris(None, RDFS.subPropertyOf, iri))),
        ("Inverse", page.links([*page.iris(iri, OWL.inverseOf), *page.iris(None, OWL.inverseOf, iri)])),
        ("Domain", page.links(page.iris(iri, RDFS.domain))),
        ("Range", page.links(page.iris(iri, RDFS.range))),
        ("Property chain", "<br>".join(sorted(chains))),
        ("External mappings", mappings(page, iri)),
        ("Claims using it", claim_links(page, page.iris(None, RDF.predicate, iri))),
    ]
    return section(page, iri, kind, rows)


def _entity_section(page: Page, iri: URIRef) -> str:
    graph = page.graph
    outgoing = sorted(
        (predicate, obj)
        for predicate, obj in graph.predicate_objects(iri)
        if isinstance(predicate, URIRef) and str(predicate).startswith(str(NKG)) and isinstance(obj, URIRef)
    )
    incoming = sorted(
        (subject, predicate)
        for subject, predicate in graph.subject_predicates(iri)
        if isinstance(predicate, URIRef) and str(predicate).startswith(str(NKG)) and isinstance(subject, URIRef)
    )
    said = "".join(f"<li>{page.link(p)} {page.link(o)}</li>" for p, o in outgoing)
    heard = "".join(f"<li>{page.link(s)} {page.link(p)} <em>this</em></li>" for s, p in incoming)
    rows = [
        *common_rows(page, iri),
        ("Types", page.links(t for t in page.iris(iri, RDF.type) if t != OWL.NamedIndividual)),
        ("External mappings", mappings(page, iri)),
        ("Statements", f"<ul>{said}</ul>" if said else ""),
        ("Stated of it", f"<ul>{heard}</ul>" if heard else ""),
        ("Claims", claim_links(page, claims_about(page, [iri]))),
    ]
    return section(page, iri, "entity", rows)


def _source_section(page: Page, iri: URIRef) -> str:
    rows = [
        ("Label", page.text(iri, RDFS.label)),
        ("Title", page.text(iri, DCTERMS.title)),
        ("Shipped copy", page.text(iri, NKG.localPath)),
        ("SHA-256", page.text(iri, NKG.sha256)),
        ("Reference number", page.text(iri, NKG.referenceNumber)),
        ("Reference of", page.links(page.iris(iri, NKG.referenceOf))),
        ("Types", page.links(page.iris(iri, RDF.type))),
        ("Claims citing it", claim_links(page, page.iris(None, NKG.citesReference, iri))),
        ("Claims attributed to it", claim_links(page, page.iris(None, NKG.attributedTo, iri))),
    ]
    return section(page, iri, "source", rows)


def _claim_section(page: Page, iri: URIRef) -> str:
    graph = page.graph
    statement = " ".join(
        page.link(term) if term is not None else "?"
        for term in (graph.value(iri, part) for part in (RDF.subject, RDF.predicate, RDF.object))
    )
    quotes = []
    for quote in page.iris(iri, NKG.hasQuote):
        exact = sorted(
            str(text) for selector in graph.objects(quote, OA.hasSelector) for text in graph.objects(selector, OA.exact)
        )
        positions = sorted(
            f"characters {graph.value(selector, OA.start)}–{graph.value(selector, OA.end)}"
            for selector in graph.objects(quote, OA.hasSelector)
            if graph.value(selector, OA.start) is not None
        )
        where = f' <span class="muted">{html.escape(", ".join(positions))}</span>' if positions else ""
        quotes += [f"<blockquote>{html.escape(text)}</blockquote>{where}" for text in exact]
    qualifiers = ", ".join(
        f"{html.escape(page.label(predicate))}: {html.escape(str(value))}"
        for predicate in _QUALIFIERS
        for value in sorted(graph.objects(iri, predicate), key=str)
    )
    rows = [
        ("Statement", statement),
        ("Quote", "".join(quotes)),
        ("Stated in", page.links(page.iris(iri, NKG.statedIn))),
        ("References", page.links(page.iris(iri, NKG.citesReference))),
        ("Attributed to", page.links(page.iris(iri, NKG.attributedTo))),
        ("Qualifiers", qualifiers),
    ]
    return section(page, iri, "claim", rows)


def reference_html(graph: KnowledgeGraph) -> str:
    """The reference page for the asserted graph: ontology header, classes, properties, entities, claims."""
    asserted = graph.asserted
    metadata, _ = read_mapping_set(mapping_file())
    classes = typed(asserted, OWL.Class)
    object_properties = typed(asserted, OWL.ObjectProperty)
    datatype_properties = [p for p in typed(asserted, OWL.DatatypeProperty) if p not in object_properties]
    annotation_properties = typed(asserted, OWL.AnnotationProperty)
    entities = [e for e in typed(asserted, OWL.NamedIndividual) if e not in classes]
    sources = typed(asserted, NKG.Document, NKG.Reference, NKG.Organisation)
    claims = typed(asserted, NKG.Claim)
    ontologies = typed(asserted, OWL.Ontology)
    groups: list[tuple[str, str, list[URIRef], Callable[[Page, URIRef], str]]] = [
        ("classes", "Classes", classes, _class_section),
        ("object-properties", "Object properties", object_properties, _object_property),
        ("datatype-properties", "Datatype properties", datatype_properties, _datatype_property),
        ("annotation-properties", "Annotation properties", annotation_properties, _annotation_property),
        ("entities", "Entities", entities, _entity_section),
        ("sources", "Documents, references and organisations", sources, _source_section),
        ("claims", "Claims", claims, _claim_section),
    ]
    page = Page(asserted, converter_of(metadata), [*ontologies, *(iri for group in groups for iri in group[2])])
    title = "; ".join(page.text(o, DCTERMS.title) for o in ontologies) or "Ontology reference"
    parts = [
        "<!DOCTYPE html>\n",
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>\n',
        f"<body><h1>{title}</h1>\n",
        *(_ontology_header(page, ontology) for ontology in ontologies),
        "<nav><h2>Contents</h2><ul>",
        *(f'<li><a href="#{key}">{heading}</a> ({len(members)})</li>' for key, heading, members, _render in groups),
        "</ul></nav>\n",
    ]
    order = {group[0]: index for index, group in enumerate(groups)}
    sections = [(key, heading, iri, render) for key, heading, members, render in groups for iri in members]
    sections.sort(key=lambda section: (order[section[0]], page.label(section[2]).casefold(), str(section[2])))
    current = None
    for key, heading, iri, render in progress(sections, label="reference sections"):
        if key != current:
            parts.append(f'<h2 id="{key}">{heading}</h2>\n')
            current = key
        parts.append(render(page, iri))
    parts.append("</body></html>\n")
    return "".join(parts)


def _object_property(page: Page, iri: URIRef) -> str:
    return _property_section(page, iri, "object property")


def _datatype_property(page: Page, iri: URIRef) -> str:
    return _property_section(page, iri, "datatype property")


def _annotation_property(page: Page, iri: URIRef) -> str:
    return _property_section(page, iri, "annotation property")


def _ontology_header(page: Page, ontology: URIRef) -> str:
    rows = [
        ("Ontology IRI", f"<code>{html.escape(str(ontology))}</code>"),
        ("Version IRI", "".join(f"<code>{html.escape(str(v))}</code>" for v in page.iris(ontology, OWL.versionIRI))),
        ("Version", page.text(ontology, OWL.versionInfo)),
        ("Created", page.text(ontology, DCTERMS.created)),
        ("Creator", page.text(ontology, DCTERMS.creator)),
        ("License", page.links(page.iris(ontology, DCTERMS.license))),
        ("Description", page.text(ontology, DCTERMS.description)),
        ("Comment", page.text(ontology, RDFS.comment)),
    ]
    return f'<section id="{page.anchors[ontology]}">{rows_html(rows)}</section>\n'


def write_reference(graph: KnowledgeGraph, directory: Path) -> list[Path]:
    """Write index.html (self-contained: inline style, no scripts, no remote assets) into `directory`."""
    path = directory / "index.html"
    write_atomically(path, reference_html(graph).encode("utf-8"))
    return [path]
