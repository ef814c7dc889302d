"""OWL 2 RL reasoning: inferred triples apart from asserted ones, without noise, cached by input hash."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg import KnowledgeGraph
from kg.reason import infer_cached, is_noise
from kg.terms import ENTITY, NKG, PREFIXES

#: Small enough to reason over in milliseconds, with one entailment to check: leadsTo is transitive.
_CHAIN = """
nkg:leadsTo a owl:ObjectProperty, owl:TransitiveProperty .
entity:strict-vegetarian-diet nkg:leadsTo entity:vitamin-b12-deficiency .
entity:vitamin-b12-deficiency nkg:leadsTo entity:peripheral-neuropathy .
"""


def _chain() -> Graph:
    header = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())
    return Graph().parse(data=header + _CHAIN, format="turtle")


def test_inferred_triples_are_not_asserted_and_carry_no_noise(shipped: KnowledgeGraph) -> None:
    for triple in shipped.inferred:
        assert triple not in shipped.asserted
        assert not is_noise(*triple)
    assert (ENTITY.fish, RDF.type, NKG.BiomedicalEntity) in shipped.inferred


def test_noise_filter() -> None:
    thing = ENTITY.fish
    assert is_noise(thing, OWL.sameAs, thing)
    assert is_noise(thing, RDF.type, OWL.Thing)
    assert is_noise(OWL.Thing, RDF.type, OWL.Class)
    assert is_noise(NKG.causes, RDFS.domain, NKG.BiomedicalEntity)
    assert is_noise(Literal("x"), RDF.type, RDFS.Literal)
    assert not is_noise(thing, NKG.leadsTo, ENTITY.tingling)
    assert not is_noise(URIRef("https://w3id.org/neuropathy-kg/claim/x"), RDF.type, RDF.Statement)


def test_cache_is_reused_and_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    asserted = _chain()
    first = infer_cached(asserted, tmp_path)
    assert (ENTITY["strict-vegetarian-diet"], NKG.leadsTo, ENTITY["peripheral-neuropathy"]) in first
    [cache_file] = tmp_path.glob("inferred-*.nt")
    stamp = cache_file.stat().st_mtime_ns
    assert set(infer_cached(asserted, tmp_path)) == set(first)
    assert cache_file.stat().st_mtime_ns == stamp  # read, not rewritten
    cache_file.write_bytes(cache_file.read_bytes()[:-20])  # truncated by a crash
    rebuilt = infer_cached(asserted, tmp_path)
    assert set(rebuilt) == set(first)
    assert cache_file.stat().st_mtime_ns != stamp


def test_changed_input_gets_a_new_cache_entry(tmp_path: Path) -> None:
    asserted = _chain()
    infer_cached(asserted, tmp_path)
    asserted.add((ENTITY.fish, RDFS.comment, Literal("changed")))
    infer_cached(asserted, tmp_path)
    assert len(list(tmp_path.glob("inferred-*.nt"))) == 2
