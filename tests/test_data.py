"""The shipped data checked against the article it comes from: quotes, offsets, coverage, canonical files, chains."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg import KnowledgeGraph
from kg.export import canonical_turtle
from kg.packaged import data_files, ontology_files, shapes_files, source_document
from kg.store import new_graph, parse_into
from kg.terms import ENTITY, NKG, OA

ARTICLE_NAME = "source/peripheral-neuropathy-and-vitamin-b12.txt"
ARTICLE = source_document(ARTICLE_NAME).read_text(encoding="utf-8")
IAO_DEFINITION_SOURCE = URIRef("http://purl.obolibrary.org/obo/IAO_0000119")
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
    # transitivity of 'leads to': diet → deficiency → neuropathy
    assert (diet, NKG.leadsTo, neuropathy) in inferred
    # chain: excludes ∘ dietary source of ⊑ reduces intake of; reduces intake of ∘ has deficiency state ⊑ predisposes to
    assert (diet, NKG.reducesIntakeOf, ENTITY["vitamin-b12"]) in inferred
    assert (diet, NKG.predisposesTo, deficiency) in inferred
    # chain: involves mechanism ∘ has symptom ⊑ has symptom
    assert (neuropathy, NKG.hasSymptom, ENTITY["burning-sensation"]) in inferred
    # transitive subtypes: carpal tunnel syndrome is a peripheral neuropathy
    assert (ENTITY["carpal-tunnel-syndrome"], NKG.subtypeOf, neuropathy) in inferred
    # none of these was asserted
    assert (diet, NKG.leadsTo, neuropathy) not in shipped.asserted


def test_symptoms_are_not_steps_of_a_causal_chain(shipped: KnowledgeGraph) -> None:
    """'has symptom' is not a kind of 'leads to': a cause of a condition does not lead to the condition's symptoms,
    and nothing a symptom causes is chained back to the condition's causes."""
    graph = shipped.graph()
    assert (NKG.hasSymptom, RDFS.subPropertyOf, NKG.leadsTo) not in graph
    symptoms = set(graph.subjects(RDF.type, NKG.Symptom))
    assert not [(s, o) for s, o in graph.subject_objects(NKG.leadsTo) if o in symptoms and s not in symptoms]
    assert (ENTITY["physical-injury"], NKG.leadsTo, ENTITY["accidental-injury"]) not in graph
    assert (ENTITY["physical-injury"], NKG.leadsTo, ENTITY["loss-of-taste"]) not in graph
    assert (ENTITY["multiple-sclerosis"], NKG.leadsTo, ENTITY["loss-of-taste"]) not in graph


def test_treatments_are_stated_not_derived_from_intake(shipped: KnowledgeGraph) -> None:
    """More intake does not treat every deficiency (the article names malabsorption): no chain derives 'treats'."""
    inferred = shipped.inferred
    derived_treats = {(s, o) for s, o in inferred.subject_objects(NKG.treats)}
    stated_relief = set(shipped.asserted.subject_objects(NKG.relieves))
    assert derived_treats == stated_relief  # only 'relieves' ⊑ 'treats'
    for treatment in ("increased-b12-intake", "oral-vitamin-b12-therapy", "vitamin-b12-injection"):
        assert (ENTITY[treatment], NKG.treats, ENTITY["vitamin-b12-deficiency"]) in shipped.asserted


def claim_of(graph: Graph, subject: str, predicate: URIRef, obj: str) -> URIRef:
    [claim] = [
        claim
        for claim in graph.subjects(RDF.subject, ENTITY[subject])
        if (claim, RDF.predicate, predicate) in graph and (claim, RDF.object, ENTITY[obj]) in graph
    ]
    return URIRef(claim)


def quote_of(graph: Graph, claim: URIRef) -> str:
    return next(
        str(exact)
        for selector in graph.objects(graph.value(claim, NKG.hasQuote), OA.hasSelector)
        for exact in graph.objects(selector, OA.exact)
    )


def qualifiers(graph: Graph, claim: URIRef) -> dict[str, set[str]]:
    return {
        name: {str(value) for value in graph.objects(claim, NKG[name])}
        for name in ("modality", "frequency", "circumstance")
    }


def test_s1_the_disrupted_signals_come_from_the_brain_and_spinal_cord(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    signalling = ENTITY["disrupted-nerve-signalling"]
    assert set(graph.objects(signalling, NKG.affects)) == {ENTITY["limb-muscles"]}
    assert set(graph.objects(signalling, NKG.disruptsSignalsFrom)) == {ENTITY.brain, ENTITY["spinal-cord"]}
    for part in ("brain", "spinal-cord"):
        claim = claim_of(graph, "disrupted-nerve-signalling", NKG.disruptsSignalsFrom, part)
        assert "from the brain and spinal cord to the muscles" in quote_of(graph, claim)


def test_s30_s31_the_treatments_of_b12_deficiency_are_quoted(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    most_direct = claim_of(graph, "increased-b12-intake", NKG.treats, "vitamin-b12-deficiency")
    # the quote runs from the sentence that names the deficiency to the one that names the treatment
    assert quote_of(graph, most_direct).startswith("Addressing vitamin B12 deficiency can help")
    assert quote_of(graph, most_direct).endswith("The most direct treatment is increasing the intake of B12.")
    assert qualifiers(graph, most_direct) == {"modality": set(), "frequency": set(), "circumstance": {"most direct"}}
    for treatment in ("oral-vitamin-b12-therapy", "vitamin-b12-injection"):
        claim = claim_of(graph, treatment, NKG.treats, "vitamin-b12-deficiency")
        assert quote_of(graph, claim).endswith("Oral B12 therapy and injections are viable options.")
        assert qualifiers(graph, claim)["modality"] == {"viable"}
    # no tautology: increasing B12 intake is not said to increase the intake of B12
    assert not list(graph.objects(ENTITY["increased-b12-intake"], NKG.increasesIntakeOf))


def test_s24_the_sensory_damage_brings_the_lack_of_coordination(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    claim = claim_of(graph, "sensory-fibre-damage", NKG.hasSymptom, "lack-of-coordination")
    text = quote_of(graph, claim)
    assert text.startswith("The damage to sensory fibers causes")
    assert text.endswith("due to the patient’s lack of coordination and inability to feel warning pain.")


def test_s21_the_hands_and_feet_are_the_most_susceptible(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    for part in ("hand", "foot"):
        for harm in ("physical-injury", "nerve-damage"):
            claim = claim_of(graph, part, NKG.susceptibleTo, harm)
            assert "most susceptible to injury and damage" in quote_of(graph, claim)
            assert qualifiers(graph, claim)["circumstance"] == {"most susceptible"}


def test_pain_remedies_quote_the_sentence_that_says_can_and_its_references(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    for remedy in ("anti-seizure-medication", "antidepressant", "lidocaine-patch", "pain-reliever"):
        claim = claim_of(graph, remedy, NKG.relieves, "neuropathic-pain")
        assert quote_of(graph, claim).startswith("Several remedies can be used for the pain")
        assert qualifiers(graph, claim)["modality"] == {"can"}
        numbers = {int(graph.value(ref, NKG.referenceNumber)) for ref in graph.objects(claim, NKG.citesReference)}  # type: ignore[arg-type]
        assert numbers == {2, 3}


def test_a_frequency_of_a_disjunction_is_not_put_on_each_disjunct(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    for cause, condition in [
        ("physical-injury", "peripheral-neuropathy"),
        ("underlying-disease", "peripheral-neuropathy"),
        ("physical-injury", "mononeuropathy"),
        ("accident-related-trauma", "mononeuropathy"),
    ]:
        claim = claim_of(graph, cause, NKG.causes, condition)
        assert not qualifiers(graph, claim)["frequency"], claim
        assert "together" in str(graph.value(claim, SKOS.editorialNote)), claim


def test_subtype_claims_quote_a_sentence_that_names_the_subtype(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    for claim in graph.subjects(RDF.predicate, NKG.subtypeOf):
        text = quote_of(graph, URIRef(claim)).casefold()
        for role in (RDF.subject, RDF.object):
            assert str(graph.value(graph.value(claim, role), RDFS.label)).casefold() in text, (claim, role)


def test_doubtful_sentences_carry_a_curators_note(shipped: KnowledgeGraph) -> None:
    graph = shipped.asserted
    for subject, predicate, obj in [
        ("multiple-sclerosis", NKG.causes, "vitamin-b12-deficiency"),
        ("strict-vegetarian-diet", NKG.excludes, "dairy-products"),
        ("strict-vegetarian-diet", NKG.excludes, "eggs"),
        ("polyneuropathy", NKG.affects, "arm"),
        ("polyneuropathy", NKG.affects, "leg"),
    ]:
        note = graph.value(claim_of(graph, subject, predicate, obj), SKOS.editorialNote)
        assert str(note).startswith("Curator's note:"), (subject, obj)


def test_synonyms_are_not_broader_than_their_entity(shipped: KnowledgeGraph) -> None:
    synonyms = {str(label).casefold() for label in shipped.asserted.objects(None, SKOS.altLabel)}
    broader = {
        "pain",
        "disease",
        "injury",
        "injections",
        "complications from kidney failure",
        "vegan diet",
        "weakness",
        "trauma",
        "toxins",
        "nerve compression",
    }
    assert not synonyms & broader
    assert str(shipped.asserted.value(ENTITY["inability-to-feel-pain"], RDFS.label)) == "impaired ability to feel pain"


def test_the_article_is_named_as_definition_source_only_where_it_defines(shipped: KnowledgeGraph) -> None:
    source = URIRef("https://w3id.org/neuropathy-kg/source/peripheral-neuropathy-and-vitamin-b12")
    defined_by_article = set(shipped.asserted.subjects(IAO_DEFINITION_SOURCE, source))
    assert NKG.EssentialNutrient not in defined_by_article
    assert NKG.Symptom not in defined_by_article


def test_every_entity_has_one_english_label(shipped: KnowledgeGraph) -> None:
    entities = {s for s in shipped.asserted.subjects() if str(s).startswith(str(ENTITY))}
    assert len(entities) >= 70
    for entity in entities:
        labels = list(shipped.asserted.objects(entity, RDFS.label))
        assert len(labels) == 1, entity
        assert labels[0].language == "en", entity  # type: ignore[union-attr]
