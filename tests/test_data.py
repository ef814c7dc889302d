"""The shipped data checked against the article it comes from: quotes, offsets, coverage, canonical files, chains."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from kg import KnowledgeGraph
from kg.export import canonical_turtle
from kg.packaged import data_files, ontology_files, shapes_files, source_document
from kg.store import new_graph, parse_into
from kg.terms import ENTITY, NKG, OA

ARTICLE_NAME = "source/peripheral-neuropathy-and-vitamin-b12.txt"
ARTICLE = source_document(ARTICLE_NAME).read_text(encoding="utf-8")
SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "source" / "peripheral-neuropathy-and-vitamin-b12.txt"

#: Sentences of the article that carry no claim of their own, each with the reason.
DELIBERATELY_UNCOVERED = {
    "Peripheral Neuropathy and Vitamin B12": "the article's title",
    "Risk Factors and Causes": "a section heading",
    "Vitamin B12 Deficiency": "a section heading",
    "Several potential causes for peripheral neuropathy exist 234.": (
        "announces the causes listed in the next sentences, each of which has its own claim"
    ),
}


def article_sentences(text: str) -> list[tuple[int, int, str]]:
    """(start, end, sentence) for every sentence and heading: lines split after '.', '!' or '?'."""
    sentences = []
    for line_match in re.finditer(r"[^\n]+", text):
        line, offset = line_match.group(), line_match.start()
        for sentence in re.finditer(r"\S.*?(?:[.!?](?=\s|$)|$)", line):
            if sentence.group().strip():
                sentences.append((offset + sentence.start(), offset + sentence.end(), sentence.group()))
    return sentences


def quotes(graph: Graph) -> list[tuple[URIRef, str, int, int]]:
    found = []
    for quote in graph.subjects(RDF.type, OA.SpecificResource):
        exact, start, end = None, None, None
        for selector in graph.objects(quote, OA.hasSelector):
            if (selector, RDF.type, OA.TextQuoteSelector) in graph:
                exact = str(graph.value(selector, OA.exact))
            if (selector, RDF.type, OA.TextPositionSelector) in graph:
                start = int(graph.value(selector, OA.start))  # type: ignore[arg-type]
                end = int(graph.value(selector, OA.end))  # type: ignore[arg-type]
        assert exact is not None, quote
        assert start is not None, quote
        assert end is not None, quote
        found.append((URIRef(quote), exact, start, end))
    return found


def test_shipped_article_is_a_byte_identical_copy_of_the_source() -> None:
    if not SHARED_COPY.exists():
        pytest.skip("the shared source folder is not beside this checkout")
    assert source_document(ARTICLE_NAME).read_bytes() == SHARED_COPY.read_bytes()


def test_document_records_the_checksum_of_its_shipped_copy(shipped: KnowledgeGraph) -> None:
    document = next(shipped.asserted.subjects(RDF.type, NKG.Document))
    digest = hashlib.sha256(source_document(ARTICLE_NAME).read_bytes()).hexdigest()
    assert str(shipped.asserted.value(document, NKG.sha256)) == digest
    assert str(shipped.asserted.value(document, NKG.localPath)) == ARTICLE_NAME


def test_every_quote_equals_the_article_text_at_its_offsets(shipped: KnowledgeGraph) -> None:
    found = quotes(shipped.asserted)
    assert len(found) >= 30
    for quote, exact, start, end in found:
        assert ARTICLE[start:end] == exact, quote


def test_every_claim_bearing_sentence_has_a_claim(shipped: KnowledgeGraph) -> None:
    spans = [(start, end) for _, _, start, end in quotes(shipped.asserted)]
    uncovered = [
        sentence
        for start, end, sentence in article_sentences(ARTICLE)
        if not any(quote_start <= start and end <= quote_end for quote_start, quote_end in spans)
        and not any(start <= quote_start and quote_end <= end for quote_start, quote_end in spans)
    ]
    assert sorted(uncovered) == sorted(DELIBERATELY_UNCOVERED)


def test_sentence_splitter_sees_every_sentence_of_the_article() -> None:
    sentences = article_sentences(ARTICLE)
    assert len(sentences) == 35  # 3 headings and 32 sentences
    assert sentences[0][2] == "Peripheral Neuropathy and Vitamin B12"
    assert sentences[-1][2].startswith("Dietary B12 can be boosted")


def test_citation_markers_become_reference_numbers(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    claim = URIRef("https://w3id.org/neuropathy-kg/claim/vitamin-b12-deficiency--causes--peripheral-neuropathy--2")
    numbers = {int(graph.value(ref, NKG.referenceNumber)) for ref in graph.objects(claim, NKG.citesReference)}  # type: ignore[arg-type]
    assert numbers == {1, 2, 3, 4}  # "… chronic deficiency of vitamin B12 1234."


def test_each_claim_supports_an_asserted_triple(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    claims = list(graph.subjects(RDF.type, NKG.Claim))
    assert len(claims) >= 90
    for claim in claims:
        triple = (graph.value(claim, RDF.subject), graph.value(claim, RDF.predicate), graph.value(claim, RDF.object))
        assert triple in graph, claim


@pytest.mark.parametrize("entry", [*ontology_files(), *data_files(), *shapes_files()], ids=lambda entry: entry.name)
def test_turtle_files_are_canonical(entry: object) -> None:
    graph = new_graph()
    parse_into(graph, entry)  # type: ignore[arg-type]
    assert canonical_turtle(graph) == entry.read_bytes(), "run: kg format FILE"  # type: ignore[attr-defined]


def test_ontology_header_is_complete(shipped: KnowledgeGraph) -> None:
    from rdflib.namespace import DCTERMS, OWL

    ontology = NKG.ontology
    graph = shipped.asserted
    assert (ontology, RDF.type, OWL.Ontology) in graph
    assert str(graph.value(ontology, OWL.versionIRI)).endswith("/2026-11-23/ontology")
    assert graph.value(ontology, OWL.versionInfo) is not None
    assert graph.value(ontology, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.creator):
        assert graph.value(ontology, predicate) is not None, predicate
    assert not list(graph.objects(ontology, OWL.imports))


def test_owl_rl_closure_derives_the_chains_the_article_states_in_parts(shipped: KnowledgeGraph) -> None:
    inferred = shipped.inferred
    diet, deficiency, neuropathy = (
        ENTITY["strict-vegetarian-diet"],
        ENTITY["vitamin-b12-deficiency"],
        ENTITY["peripheral-neuropathy"],
    )
    # transitivity: diet → deficiency → neuropathy → tingling
    assert (diet, NKG.leadsTo, neuropathy) in inferred
    assert (diet, NKG.leadsTo, ENTITY.tingling) in inferred
    # chain: excludes ∘ dietary source of ⊑ reduces intake of; reduces intake of ∘ has deficiency state ⊑ predisposes to
    assert (diet, NKG.reducesIntakeOf, ENTITY["vitamin-b12"]) in inferred
    assert (diet, NKG.predisposesTo, deficiency) in inferred
    # chain: increases intake of ∘ has deficiency state ⊑ treats
    assert (ENTITY["oral-vitamin-b12-therapy"], NKG.treats, deficiency) in inferred
    # chain: involves mechanism ∘ has symptom ⊑ has symptom
    assert (neuropathy, NKG.hasSymptom, ENTITY["burning-sensation"]) in inferred
    # transitive subtypes: carpal tunnel syndrome is a peripheral neuropathy
    assert (ENTITY["carpal-tunnel-syndrome"], NKG.subtypeOf, neuropathy) in inferred
    # none of these was asserted
    assert (diet, NKG.leadsTo, ENTITY.tingling) not in shipped.asserted


def test_every_entity_has_one_english_label(shipped: KnowledgeGraph) -> None:
    entities = {s for s in shipped.asserted.subjects() if str(s).startswith(str(ENTITY))}
    assert len(entities) >= 70
    for entity in entities:
        labels = list(shipped.asserted.objects(entity, RDFS.label))
        assert len(labels) == 1, entity
        assert labels[0].language == "en", entity  # type: ignore[union-attr]
