"""Resolving what a user types: labels, synonyms, CURIEs and IRIs, data before ontology terms."""

from __future__ import annotations

import pytest

from kg import KnowledgeGraph
from kg.errors import ParameterError
from kg.terms import ENTITY, NKG


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("peripheral neuropathy", ENTITY["peripheral-neuropathy"]),
        ("PERIPHERAL  Neuropathy", ENTITY["peripheral-neuropathy"]),
        ("anaemia", ENTITY.anemia),
        ("Crohn's disease", ENTITY["crohns-disease"]),
        ("entity:fish", ENTITY.fish),
        ("<https://w3id.org/neuropathy-kg/entity/fish>", ENTITY.fish),
        ("MESH:D014806", ENTITY["vitamin-b12-deficiency"]),
    ],
)
def test_labels_synonyms_curies_and_iris(shipped: KnowledgeGraph, typed: str, meant: str) -> None:
    assert shipped.resolve(typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("neuropathy", ENTITY["peripheral-neuropathy"]),  # a synonym of the disorder, the label of nkg:Neuropathy
        ("injury", NKG.Injury),  # no entity takes the word (it is broader than "physical injury")
        ("nkg:Neuropathy", NKG.Neuropathy),  # the class is still reachable by its CURIE
        ("biomedical entity", NKG.BiomedicalEntity),  # and by its label where no data resource takes it
    ],
)
def test_data_resources_come_before_ontology_terms(shipped: KnowledgeGraph, typed: str, meant: str) -> None:
    assert shipped.resolve(typed) == meant


def test_unknown_value_lists_the_closest_labels(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match=r"'peripheral neuropaty' names nothing.*'peripheral neuropathy'"):
        shipped.resolve("peripheral neuropaty", "condition")


def test_value_that_is_not_an_iri_is_refused(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="not a valid IRI"):
        shipped.resolve("<https://example.org/a b>", "entity")


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("periferal neuropathy", "'peripheral neuropathy'"),  # the whole text misspelt
        ("carpal tunel", "'carpal tunnel syndrome'"),  # each word typed is nearly a word of the label
        ("hiv", "'HIV infection'"),
    ],
)
def test_a_suggestion_is_what_was_likely_meant(shipped: KnowledgeGraph, typed: str, suggested: str) -> None:
    with pytest.raises(ParameterError, match=f"closest labels: {suggested}") as raised:
        shipped.resolve(typed, "condition")
    assert "University" not in str(raised.value)


@pytest.mark.parametrize("typed", ["diabetes", "diabetic neuropathy", "burning feet"])
def test_no_suggestion_beats_a_wrong_one(shipped: KnowledgeGraph, typed: str) -> None:
    with pytest.raises(ParameterError) as raised:
        shipped.resolve(typed, "condition")
    assert str(raised.value) == (
        f"condition={typed!r} names nothing in the graph; 'kg query search --param text=…' finds labels"
    )
