"""The building blocks of the HTML reference: a page's labels, anchors and links, and its rows and sections."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable

from curies import Converter
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from kg.mappings import SSSOM
from kg.terms import NKG, OBO, compact

__all__ = [
    "MAPPING_PREDICATES",
    "STYLE",
    "Page",
    "claim_links",
    "claims_about",
    "common_rows",
    "mappings",
    "rows_html",
    "section",
    "typed",
]

#: SKOS mapping properties, strongest first, as the SSSOM mapping set loads them into the graph.
MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)

_DEFINITION_SOURCE = OBO.IAO_0000119
STYLE = """
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


class Page:
    """Lookups shared by every section: labels, anchors of the terms that have a section, links."""

    def __init__(self, graph: Graph, converter: Converter, anchored: Iterable[URIRef]) -> None:
        self.graph = graph
        self.converter = converter
        self._labels: dict[Node, str] = {}  # the graph does not change while a page is written
        self._claims: list[tuple[URIRef, Node | None, Node | None]] | None = None
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
        found = self._labels.get(term)
        if found is None:
            found = self._labels[term] = self._label(term)
        return found

    def _label(self, term: Node) -> str:
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

    def claims(self) -> list[tuple[URIRef, Node | None, Node | None]]:
        """Every claim with its subject and object, read from the graph once for the whole page."""
        if self._claims is None:
            value = self.graph.value
            self._claims = [
                (claim, value(claim, RDF.subject), value(claim, RDF.object)) for claim in typed(self.graph, NKG.Claim)
            ]
        return self._claims

    def text(self, subject: Node, predicate: URIRef) -> str:
        values = sorted(str(value) for value in self.graph.objects(subject, predicate))
        return html.escape(" / ".join(values))


def typed(graph: Graph, *classes: URIRef) -> list[URIRef]:
    return sorted({s for cls in classes for s in graph.subjects(RDF.type, cls) if isinstance(s, URIRef)})


def rows_html(rows: list[tuple[str, str]]) -> str:
    kept = [f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows if value]
    return "<dl>" + "".join(kept) + "</dl>" if kept else ""


def section(page: Page, iri: URIRef, kind: str, rows: list[tuple[str, str]]) -> str:
    label = html.escape(page.label(iri))
    header = (
        f'<section class="term" id="{page.anchors[iri]}"><h3>{label} <small class="muted">{kind}</small></h3>'
        f"<code>{html.escape(str(iri))}</code>"
    )
    return header + rows_html(rows) + "</section>\n"


def common_rows(page: Page, iri: URIRef) -> list[tuple[str, str]]:
    definition = page.text(iri, SKOS.definition)
    sources = page.links(page.graph.objects(iri, _DEFINITION_SOURCE))
    return [
        ("Label", page.text(iri, RDFS.label)),
        ("Definition", definition),
        ("Definition source", sources),
        ("Comment", page.text(iri, RDFS.comment)),
        ("Synonyms", page.text(iri, SKOS.altLabel)),
    ]


def mappings(page: Page, iri: URIRef) -> str:
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


def claims_about(page: Page, subjects: Iterable[URIRef]) -> list[URIRef]:
    wanted = set(subjects)
    return [claim for claim, subject, obj in page.claims() if subject in wanted or obj in wanted]


def claim_links(page: Page, claims: Iterable[URIRef]) -> str:
    items = []
    for claim in sorted(set(claims)):
        statement = " ".join(
            html.escape(page.label(term)) if term is not None else "?"
            for term in (page.graph.value(claim, part) for part in (RDF.subject, RDF.predicate, RDF.object))
        )
        items.append(f'<li><a href="#{page.anchors[claim]}">{statement}</a></li>')
    return "<ul>" + "".join(items) + "</ul>" if items else ""
