"""The fast reasoner (reasonable plus the ontology's property chains) derives exactly what owlrl derives."""

from __future__ import annotations

from pathlib import Path

import pytest
from generated import RECORD, generated, owlrl_reference
from rdflib import Graph

from kg import InputError, KnowledgeGraph
from kg.derive import is_derivation_triple
from kg.fast_reason import fast_infer, property_chains
from kg.reason import FAST_THRESHOLD, _input_key, choose_reasoner, infer_cached, is_noise
from kg.terms import ENTITY, NKG


def test_same_entailments_as_owlrl_on_the_shipped_graph(shipped: KnowledgeGraph) -> None:
    assert choose_reasoner(shipped.asserted) == "owlrl"  # so shipped.inferred is owlrl's
    entailments = {triple for triple in shipped.inferred if not is_derivation_triple(*triple)}
    assert set(fast_infer(shipped.asserted)) == entailments


def test_same_entailments_as_owlrl_on_the_generated_10k_graph() -> None:
    graph, _, digest = generated(violations=False)
    recorded_for, reference = owlrl_reference()
    assert recorded_for == digest, f"benchmarks/generate.py changed: record the references again ({RECORD})"
    fast = fast_infer(graph.asserted)
    assert len(reference) > 3_000
    assert set(fast) - set(reference) == set()
    assert set(reference) - set(fast) == set()


def test_chain_derived_links_are_there(shipped: KnowledgeGraph) -> None:
    fast = fast_infer(shipped.asserted)
    diet, deficiency = ENTITY["strict-vegetarian-diet"], ENTITY["vitamin-b12-deficiency"]
    assert (diet, NKG.reducesIntakeOf, ENTITY["vitamin-b12"]) in fast  # excludes ∘ dietary source of
    assert (diet, NKG.predisposesTo, deficiency) in fast  # reduces intake of ∘ has deficiency state
    assert (diet, NKG.leadsTo, ENTITY["peripheral-neuropathy"]) in fast  # then transitivity over the conclusion
    assert not any(is_noise(*triple) for triple in fast)


def test_chains_are_read_from_the_ontology(shipped: KnowledgeGraph) -> None:
    assert property_chains(shipped.asserted) == [
        (NKG.hasSymptom, (NKG.involvesMechanism, NKG.hasSymptom)),
        (NKG.predisposesTo, (NKG.reducesIntakeOf, NKG.hasDeficiencyState)),
        (NKG.reducesIntakeOf, (NKG.excludes, NKG.isDietarySourceOf)),
    ]


def test_auto_picks_the_fast_path_for_large_graphs() -> None:
    small, large = Graph(), Graph()
    for number in range(FAST_THRESHOLD + 1):
        large.add((ENTITY[f"e{number}"], NKG.affects, ENTITY.brain))
    assert choose_reasoner(small) == "owlrl"
    assert choose_reasoner(large) == "fast"
    assert choose_reasoner(large, "owlrl") == "owlrl"
    with pytest.raises(InputError, match="unknown reasoner 'pellet'"):
        choose_reasoner(small, "pellet")


def test_the_fast_path_is_cached_apart_from_owlrl(shipped: KnowledgeGraph, tmp_path: Path) -> None:
    fast = infer_cached(shipped.asserted, tmp_path, "fast")
    [entry] = tmp_path.glob("inferred-*.nt")
    assert set(infer_cached(shipped.asserted, tmp_path, "fast")) == set(fast)
    assert entry.name != f"inferred-{_input_key(shipped.asserted, 'owlrl')}.nt"
