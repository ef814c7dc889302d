"""The HTML reference: a section for every class, property and entity, every internal link resolving."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg import KnowledgeGraph, cli
from kg.docs import reference_html, write_reference
from kg.terms import ENTITY, NKG


class PageParser(HTMLParser):
    """Collects ids, links, external resources and the heading text of each section."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.resources: list[str] = []
        self.headings: dict[str, str] = {}
        self.text_by_section: dict[str, list[str]] = {}
        self._section: str | None = None
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "section" and attributes.get("id"):
            self._section = str(attributes["id"])
            self.text_by_section[self._section] = []
        if tag == "h3":
            self._in_heading = True
        if tag == "a" and attributes.get("href"):
            self.links.append(str(attributes["href"]))
        if tag in ("script", "img", "link", "iframe") or attributes.get("src"):
            self.resources.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._section is None:
            return
        self.text_by_section[self._section].append(data)
        if self._in_heading:
            self.headings[self._section] = self.headings.get(self._section, "") + data


@pytest.fixture(scope="module")
def written(shipped: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reference(shipped, tmp_path_factory.mktemp("reference"))[0]


@pytest.fixture(scope="module")
def page(written: Path) -> PageParser:
    parser = PageParser()
    parser.feed(written.read_text(encoding="utf-8"))
    return parser


def anchor(iri: URIRef, page: PageParser) -> str:
    """The id of the section whose code line shows `iri`."""
    for section, texts in page.text_by_section.items():
        if str(iri) in texts:
            return section
    raise AssertionError(f"no section shows {iri}")


def section_text(page: PageParser, section: str) -> str:
    return " ".join(page.text_by_section[section])


def test_every_class_and_property_has_a_section_headed_by_its_label(shipped: KnowledgeGraph, page: PageParser) -> None:
    graph = shipped.asserted
    terms = {
        term
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for term in graph.subjects(RDF.type, kind)
    }
    assert len(terms) > 60
    for term in terms:
        section = anchor(URIRef(term), page)
        assert page.headings[section].startswith(str(graph.value(term, RDFS.label)))


def test_every_entity_has_a_section(shipped: KnowledgeGraph, page: PageParser) -> None:
    entities = set(shipped.asserted.subjects(RDF.type, OWL.NamedIndividual))
    assert entities
    for entity in entities:
        anchor(URIRef(entity), page)


def test_every_internal_link_resolves(page: PageParser, written: Path) -> None:
    ids = set(page.ids)
    assert len(ids) == len(page.ids), "ids must be unique"
    internal = [link for link in page.links if link.startswith("#")]
    assert len(internal) > 1000
    assert sorted({link for link in internal if link[1:] not in ids}) == []
    relative = [link for link in page.links if not urlsplit(link).scheme and not link.startswith("#")]
    for link in relative:
        assert (written.parent / urlsplit(link).path).exists(), link


def test_the_page_is_self_contained(page: PageParser) -> None:
    assert page.resources == []


def test_a_class_section_shows_definition_hierarchy_and_claims(shipped: KnowledgeGraph, page: PageParser) -> None:
    section = anchor(NKG.Neuropathy, page)
    text = section_text(page, section)
    assert "A disorder of the peripheral nerves" in text
    assert "Definition source" in text
    assert "Peripheral Neuropathy and Vitamin B12" in text
    assert "Superclasses disorder" in text.replace("  ", " ")
    assert "carpal tunnel syndrome" in text
    assert "Claims about instances" in text


def test_a_property_section_shows_domain_range_inverse_chain_and_claims(
    shipped: KnowledgeGraph, page: PageParser
) -> None:
    text = section_text(page, anchor(NKG.hasSymptom, page))
    for expected in ("Domain", "biomedical entity", "Range", "symptom or effect", "Inverse", "symptom of"):
        assert expected in text
    assert "Property chain" in text
    assert "involves mechanism" in text
    assert "damage to sensory fibres has symptom tingling" in text


def test_an_entity_section_shows_its_external_mappings(shipped: KnowledgeGraph, page: PageParser) -> None:
    text = section_text(page, anchor(ENTITY["vitamin-b12-deficiency"], page))
    assert "MONDO:0020696" in text
    assert "skos:exactMatch" in text
    assert "cobalamin deficiency" in text


def test_a_claim_section_quotes_the_article(page: PageParser) -> None:
    claims = [section for section in page.text_by_section if section.startswith("claim.")]
    assert len(claims) > 90
    text = section_text(page, "claim.vitamin-b12-deficiency--causes--peripheral-neuropathy")
    assert "Peripheral neuropathy has several possible causes, among them a lack of Vitamin B12" in text
    assert "characters 491–578" in text


def test_the_page_carries_the_ontology_version(page: PageParser, written: Path) -> None:
    assert "https://w3id.org/neuropathy-kg/releases/2026-11-23/ontology" in written.read_text(encoding="utf-8")


def test_the_output_is_the_same_every_time(shipped: KnowledgeGraph, written: Path) -> None:
    assert reference_html(shipped).encode("utf-8") == written.read_bytes()


def test_kg_docs_writes_index_html(
    shipped: KnowledgeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_graph", lambda args: shipped)
    assert cli.main(["docs", "-o", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "index.html" in capsys.readouterr().err
