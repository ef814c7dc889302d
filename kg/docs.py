"""The HTML reference of the ontology and data: one self-contained page, the same bytes for the same graph."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from curies import Converter
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.export import write_atomically
from kg.graph import KnowledgeGraph
from kg.mappings import SSSOM, converter_of, read_mapping_set
from kg.packaged import mapping_file
from kg.progress import progress
from kg.terms import NKG, OA, OBO, compact

__all__ = ["MAPPING_PREDICATES", "reference_html", "write_reference"]

#: SKOS mapping properties, strongest first, as the SSSOM mapping set loads them into the graph.
MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

_DEFINITION_SOURCE = OBO.IAO_0000119
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
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45;
       color: #1d2330; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #c9d3e3; padding-bottom: .2rem; margin-top: 2.5rem; }
section.term { border-left: 4px solid #c9d3e3; padding: .1rem 0 .1rem 1rem; margin: 1.2rem 0; }
section.term h3 { margin: .3rem 0; } code { font-size: .9em; color: #4a5468; }
dl { display: grid; grid-template-columns: 11rem 1fr; gap: .15rem 1rem; margin: .4rem 0; }
dt { font-weight: 600; color: #4a5468; } dd { margin: 0; }
ul.inline { list-style: none; padding: 0; margin: 0; } ul.inline li { display: inline; }
ul.inline li:not(:last-child)::after { content: " · "; color: #8a93a6; }
blockquote { margin: .2rem 0; padding: .2rem .8rem; background: #f4f6fa; border-left: 3px solid #8aa2c8; }
nav ul { columns: 3; } .muted { color: #6b7386; }
"""


class _Page:
    """Lookups shared by every section: labels, anchors of the terms that have a section, links."""

    def __init__(self, graph: Graph, converter: Converter, anchored: Iterable[URIRef]) -> None:
        self.graph = graph
        self.converter = converter
        self.anchors: dict[URIRef, str] = {}
        used: set[str] = set()
        for iri in sorted(set(anchored)):
            anchor = self._anchor_text(iri)
            while anchor in used:  # two IRIs that flatten to one anchor: keep both, the later one suffixed
                anchor += "-"
            used.add(anchor)
            self.anchors[iri] = anchor

    def curie(self, iri: URIRef) -> str:
        project = compact(str(iri))
        if project is not None and not project.startswith("obo:"):
            return project
        # OBO terms read better with the mapping set's prefixes: MONDO:0020696 rather than obo:MONDO_0020696.
        return self.converter.compress(str(iri)) or project or str(iri)

    def _anchor_text(self, iri: URIRef) -> str:
        curie = self.curie(iri)
        if curie == str(iri):
            return "iri-" + hashlib.sha256(str(iri).encode()).hexdigest()[:12]
        return re.sub(r"[^A-Za-z0-9_.-]", ".", curie)

    def label(self, term: Node) -> str:
        if isinstance(term, Literal):
            return str(term)
        for predicate in (RDFS.label, DCTERMS.title):  # the ontology itself has a title, not a label
            names = [value for value in self.graph.objects(term, predicate) if isinstance(value, Literal)]
            if names:
                return str(min(names, key=lambda name: (name.language != "en", str(name))))
        return self.curie(term) if isinstance(term, URIRef) else str(term)

    def link(self, term: Node) -> str:
        """A link to the term's section, to the term itself when it is outside the page, or plain text."""
        if isinstance(term, Literal):
            return html.escape(str(term))
        if not isinstance(term, URIRef):
            return '<span class="muted">(anonymous)</span>'
        text = html.escape(self.label(term))
        if term in self.anchors:
            return f'<a href="#{self.anchors[term]}">{text}</a>'
        return f'<a href="{html.escape(str(term))}">{html.escape(self.curie(term))}</a>'

    def links(self, terms: Iterable[Node]) -> str:
        unique = sorted(set(terms), key=lambda term: (self.label(term).casefold(), str(term)))
        if not unique:
            return ""
        return '<ul class="inline">' + "".join(f"<li>{self.link(term)}</li>" for term in unique) + "</ul>"

    def iris(self, subject: Node | None, predicate: URIRef, obj: Node | None = None) -> list[URIRef]:
        """The IRIs (never blank nodes or literals) in the free position of one triple pattern."""
        if subject is None:
            found: Iterable[Node] = self.graph.subjects(predicate, obj)
        else:
            found = self.graph.objects(subject, predicate)
        return sorted({term for term in found if isinstance(term, URIRef)})

    def text(self, subject: Node, predicate: URIRef) -> str:
        values = sorted(str(value) for value in self.graph.objects(subject, predicate))
        return html.escape(" / ".join(values))


def _typed(graph: Graph, *classes: URIRef) -> list[URIRef]:
    return sorted({s for cls in classes for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef)})


def _rows(rows: list[tuple[str, str]]) -> str:
    kept = [f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows if value]
    return "<dl>" + "".join(kept) + "</dl>" if kept else ""


def _section(page: _Page, iri: URIRef, kind: str, rows: list[tuple[str, str]]) -> str:
    label = html.escape(page.label(iri))
    header = (
        f'<section class="term" id="{page.anchors[iri]}"><h3>{label} <small class="muted">{kind}</small></h3>'
        f"<code>{html.escape(str(iri))}</code>"
    )
    return header + _rows(rows) + "</section>\n"


def _common_rows(page: _Page, iri: URIRef) -> list[tuple[str, str]]:
    definition = page.text(iri, SKOS.definition)
    sources = page.links(page.graph.objects(iri, _DEFINITION_SOURCE))
    return [
        ("Label", page.text(iri, RDFS.label)),
        ("Definition", definition),
        ("Definition source", sources),
        ("Comment", page.text(iri, RDFS.comment)),
        ("Synonyms", page.text(iri, SKOS.altLabel)),
    ]


def _mappings(page: _Page, iri: URIRef) -> str:
    items = []
    for predicate in MAPPING_PREDICATES:
        for target in page.iris(iri, predicate):
            labels = {
                str(label)
                for mapping in page.graph.subjects(SSSOM.subject_id, iri)
                if (mapping, SSSOM.object_id, target) in page.graph
                for label in page.graph.objects(mapping, SSSOM.object_label)
            }
            suffix = f" {html.escape(sorted(labels)[0])}" if labels else ""
            link = f'<a href="{html.escape(str(target))}">{html.escape(page.curie(target))}</a>'
            items.append(f"<li>{html.escape(page.curie(predicate))} {link}{suffix}</li>")
    return '<ul class="inline">' + "".join(items) + "</ul>" if items else ""


def _claims_about(page: _Page, subjects: Iterable[URIRef]) -> list[URIRef]:
    wanted = set(subjects)
    return [
        claim
        for claim in _typed(page.graph, NKG.Claim)
        if page.graph.value(claim, RDF.subject) in wanted or page.graph.value(claim, RDF.object) in wanted
    ]


def _claim_links(page: _Page, claims: Iterable[URIRef]) -> str:
    items = []
    for claim in sorted(set(claims)):
        statement = " ".join(
            html.escape(page.label(term)) if term is not None else "?"
            for term in (page.graph.value(claim, part) for part in (RDF.subject, RDF.predicate, RDF.object))
        )
        items.append(f'<li><a href="#{page.anchors[claim]}">{statement}</a></li>')
    return "<ul>" + "".join(items) + "</ul>" if items else ""


def _class_section(page: _Page, iri: URIRef) -> str:
    instances = page.iris(None, RDF.type, iri)
    shown = [instance for instance in instances if instance in page.anchors]
    hidden = len(instances) - len(shown)
    instance_text = page.links(shown) + (
        f'<span class="muted">{hidden} more without a section</span>' if hidden else ""
    )
    rows = [
        *_common_rows(page, iri),
        ("Superclasses", page.links(page.iris(iri, RDFS.subClassOf))),
        ("Subclasses", page.links(page.iris(None, RDFS.subClassOf, iri))),
        ("Disjoint with", page.links([*page.iris(iri, OWL.disjointWith), *page.iris(None, OWL.disjointWith, iri)])),
        ("Domain of", page.links(page.iris(None, RDFS.domain, iri))),
        ("Range of", page.links(page.iris(None, RDFS.range, iri))),
        ("External mappings", _mappings(page, iri)),
        ("Instances", instance_text),
    ]
    if iri != NKG.Claim:
        rows.append(("Claims about instances", _claim_links(page, _claims_about(page, instances))))
    return _section(page, iri, "class", rows)


def _property_section(page: _Page, iri: URIRef, kind: str) -> str:
    graph = page.graph
    characteristics = [
        page.curie(cls).removeprefix("owl:") for cls in _CHARACTERISTICS if (iri, RDF.type, cls) in graph
    ]
    chains = []
    for chain in graph.objects(iri, OWL.propertyChainAxiom):
        steps = [page.link(step) for step in Collection(graph, chain)]
        chains.append(" then ".join(steps))
    rows = [
        *_common_rows(page, iri),
        ("Characteristics", html.escape(", ".join(characteristics))),
        ("Superproperties", page.links(page.iris(iri, RDFS.subPropertyOf))),
        ("Subproperties", page.links(page.iris(None, RDFS.subPropertyOf, iri))),
        ("Inverse", page.links([*page.iris(iri, OWL.inverseOf), *page.iris(None, OWL.inverseOf, iri)])),
        ("Domain", page.links(page.iris(iri, RDFS.domain))),
        ("Range", page.links(page.iris(iri, RDFS.range))),
        ("Property chain", "<br>".join(sorted(chains))),
        ("External mappings", _mappings(page, iri)),
        ("Claims using it", _claim_links(page, page.iris(None, RDF.predicate, iri))),
    ]
    return _section(page, iri, kind, rows)


def _entity_section(page: _Page, iri: URIRef) -> str:
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
        *_common_rows(page, iri),
        ("Types", page.links(t for t in page.iris(iri, RDF.type) if t != OWL.NamedIndividual)),
        ("External mappings", _mappings(page, iri)),
        ("Statements", f"<ul>{said}</ul>" if said else ""),
        ("Stated of it", f"<ul>{heard}</ul>" if heard else ""),
        ("Claims", _claim_links(page, _claims_about(page, [iri]))),
    ]
    return _section(page, iri, "entity", rows)


def _source_section(page: _Page, iri: URIRef) -> str:
    rows = [
        ("Label", page.text(iri, RDFS.label)),
        ("Title", page.text(iri, DCTERMS.title)),
        ("Shipped copy", page.text(iri, NKG.localPath)),
        ("SHA-256", page.text(iri, NKG.sha256)),
        ("Reference number", page.text(iri, NKG.referenceNumber)),
        ("Reference of", page.links(page.iris(iri, NKG.referenceOf))),
        ("Types", page.links(page.iris(iri, RDF.type))),
        ("Claims citing it", _claim_links(page, page.iris(None, NKG.citesReference, iri))),
        ("Claims attributed to it", _claim_links(page, page.iris(None, NKG.attributedTo, iri))),
    ]
    return _section(page, iri, "source", rows)


def _claim_section(page: _Page, iri: URIRef) -> str:
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
    return _section(page, iri, "claim", rows)


def reference_html(graph: KnowledgeGraph) -> str:
    """The reference page for the asserted graph: ontology header, classes, properties, entities, claims."""
    asserted = graph.asserted
    metadata, _ = read_mapping_set(mapping_file())
    classes = _typed(asserted, OWL.Class)
    object_properties = _typed(asserted, OWL.ObjectProperty)
    datatype_properties = [p for p in _typed(asserted, OWL.DatatypeProperty) if p not in object_properties]
    annotation_properties = _typed(asserted, OWL.AnnotationProperty)
    entities = [e for e in _typed(asserted, OWL.NamedIndividual) if e not in classes]
    sources = _typed(asserted, NKG.Document, NKG.Reference, NKG.Organisation)
    claims = _typed(asserted, NKG.Claim)
    ontologies = _typed(asserted, OWL.Ontology)
    groups: list[tuple[str, str, list[URIRef], Callable[[_Page, URIRef], str]]] = [
        ("classes", "Classes", classes, _class_section),
        ("object-properties", "Object properties", object_properties, _object_property),
        ("datatype-properties", "Datatype properties", datatype_properties, _datatype_property),
        ("annotation-properties", "Annotation properties", annotation_properties, _annotation_property),
        ("entities", "Entities", entities, _entity_section),
        ("sources", "Documents, references and organisations", sources, _source_section),
        ("claims", "Claims", claims, _claim_section),
    ]
    page = _Page(asserted, converter_of(metadata), [*ontologies, *(iri for group in groups for iri in group[2])])
    title = "; ".join(page.text(o, DCTERMS.title) for o in ontologies) or "Ontology reference"
    parts = [
        "<!DOCTYPE html>\n",
        f'<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{_STYLE}</style></head>\n',
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


def _object_property(page: _Page, iri: URIRef) -> str:
    return _property_section(page, iri, "object property")


def _datatype_property(page: _Page, iri: URIRef) -> str:
    return _property_section(page, iri, "datatype property")


def _annotation_property(page: _Page, iri: URIRef) -> str:
    return _property_section(page, iri, "annotation property")


def _ontology_header(page: _Page, ontology: URIRef) -> str:
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
    return f'<section id="{page.anchors[ontology]}">{_rows(rows)}</section>\n'


def write_reference(graph: KnowledgeGraph, directory: Path) -> list[Path]:
    """Write index.html (self-contained: inline style, no scripts, no remote assets) into `directory`."""
    path = directory / "index.html"
    write_atomically(path, reference_html(graph).encode("utf-8"))
    return [path]
