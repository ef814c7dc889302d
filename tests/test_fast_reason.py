"""The native reasoner (kg.closure) derives exactly what owlrl derives, with the same derivation records, from exact
N-Triples; graphs using OWL it does not follow go to owlrl (small) or `reasonable` (large) instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from generated import generated, owlrl_reference
from rdflib import Graph
from recorded import owlrl_recorded

from kg import InputError, KnowledgeGraph
from kg.closure import by_predicate, entailments, relevant_triples
from kg.derive import derivation_triples
from kg.export import canonical_ntriples
from kg.fast_reason import fast_infer, property_chains
from kg.reason import (
    REASONERS,
    _ntriples_key,
    choose_reasoner,
    infer_cached,
    infer_cached_ntriples,
    infer_ntriples,
    is_noise,
)
from kg.terms import ENTITY, NKG
from kg.triples import ntriples, read_triples

_PREFIXES = (
    "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    "@prefix ex: <https://w3id.org/neuropathy-kg/> .\n"
    "@prefix entity: <https://w3id.org/neuropathy-kg/entity/> .\n"
)


def ntriples_of(turtle: str) -> bytes:
    return canonical_ntriples(Graph().parse(data=_PREFIXES + turtle, format="turtle"))


def triples_of(data: bytes) -> set[tuple[object, ...]]:
    return set(Graph().parse(data=data.decode("utf-8"), format="nt")) if data else set()


@pytest.fixture(scope="module")
def shipped_ntriples(shipped: KnowledgeGraph) -> bytes:
    return canonical_ntriples(shipped.asserted)


def test_the_shipped_graph_gets_the_same_triples_and_derivations_on_both_paths(shipped_ntriples: bytes) -> None:
    native = infer_ntriples(shipped_ntriples)
    assert native == infer_ntriples(shipped_ntriples, "native")
    with owlrl_recorded():  # owlrl's closure recorded for exactly these triples (8 s), else live
        assert triples_of(native) == triples_of(infer_ntriples(shipped_ntriples, "owlrl"))
    assert native.count(b"<https://w3id.org/neuropathy-kg/Derivation> .") > 100


def test_same_entailments_as_owlrl_on_the_generated_10k_graph() -> None:
    graph, _, _ = generated(violations=False)
    reference = owlrl_reference()
    native = entailments(by_predicate(graph.ntriples()))  # the asserted graph's exact N-Triples, sorted
    found = triples_of(ntriples(native))
    assert len(reference) > 3_000
    assert found - set(reference) == set()
    assert set(reference) - found == set()


def test_reasoning_reads_only_the_relevant_triples_and_derives_the_same(shipped_ntriples: bytes) -> None:
    """Quotes, labels and other triples no rule reads are left out before reasoning (memory at 1M), which changes
    neither the entailments nor the derivation records."""
    graph, _, _ = generated(violations=False)
    for data in (shipped_ntriples, graph.ntriples()):
        everything, relevant = by_predicate(data), relevant_triples(data)
        assert sum(map(len, relevant.values())) < 0.8 * sum(map(len, everything.values()))
        found = entailments(relevant)
        assert sorted(found) == sorted(entailments(everything))
        assert sorted(derivation_triples(relevant, found)) == sorted(derivation_triples(everything, found))


def test_reasonable_still_agrees_with_owlrl_on_the_generated_10k_graph() -> None:
    graph, _, _ = generated(violations=False)
    assert set(fast_infer(graph.asserted)) == set(owlrl_reference())


def test_literals_come_back_exactly_as_asserted() -> None:
    """Oxigraph's store (and rdflib) would write "5"; the N-Triples in and out keep the asserted form."""
    nkg, xsd = "https://w3id.org/neuropathy-kg/", "http://www.w3.org/2001/XMLSchema#"
    data = (
        f"<{nkg}offset> <http://www.w3.org/2000/01/rdf-schema#subPropertyOf> <{nkg}position> .\n"
        f'<{nkg}entity/a> <{nkg}offset> "05"^^<{xsd}nonNegativeInteger> .\n'
    ).encode()
    inferred = infer_ntriples(data).decode()
    assert (
        "<https://w3id.org/neuropathy-kg/entity/a> <https://w3id.org/neuropathy-kg/position> "
        '"05"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .'
    ) in inferred.splitlines()


def test_chain_derived_links_are_there(shipped: KnowledgeGraph, shipped_ntriples: bytes) -> None:
    inferred = Graph().parse(data=infer_ntriples(shipped_ntriples).decode(), format="nt")
    diet, deficiency = ENTITY["strict-vegetarian-diet"], ENTITY["vitamin-b12-deficiency"]
    assert (diet, NKG.reducesIntakeOf, ENTITY["vitamin-b12"]) in inferred  # excludes ∘ dietary source of
    assert (diet, NKG.predisposesTo, deficiency) in inferred  # reduces intake of ∘ has deficiency state
    assert (diet, NKG.leadsTo, ENTITY["peripheral-neuropathy"]) in inferred  # then transitivity over the conclusion
    assert not any(is_noise(*triple) for triple in inferred)


def test_chains_are_read_from_the_ontology(shipped: KnowledgeGraph) -> None:
    assert property_chains(shipped.asserted) == [
        (NKG.hasSymptom, (NKG.involvesMechanism, NKG.hasSymptom)),
        (NKG.predisposesTo, (NKG.reducesIntakeOf, NKG.hasDeficiencyState)),
        (NKG.reducesIntakeOf, (NKG.excludes, NKG.isDietarySourceOf)),
    ]


@pytest.mark.parametrize(
    "turtle",
    [
        "entity:a owl:sameAs entity:b .\nentity:b ex:affects entity:c .\n",  # eq-rep-s: a affects c
        "ex:affects a owl:FunctionalProperty .\nentity:a ex:affects entity:b, entity:c .\nentity:b ex:x entity:d .\n",
        "ex:Treated owl:equivalentClass [ a owl:Restriction ; owl:onProperty ex:treats ; owl:someValuesFrom ex:X ] .\n"
        "entity:a ex:treats entity:b .\nentity:b a ex:X .\n",
        "ex:marks rdfs:subPropertyOf rdf:type .\nentity:a ex:marks ex:Disorder .\n",  # below rdf:type
    ],
    ids=["same-as", "functional", "restriction", "below-rdf-type"],
)
def test_owl_the_native_reasoner_does_not_follow_goes_to_owlrl(turtle: str) -> None:
    data = ntriples_of(turtle.replace("rdf:type", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"))
    with pytest.raises(InputError, match="the native reasoner cannot reason over this graph"):
        infer_ntriples(data, "native")
    with owlrl_recorded():
        auto = infer_ntriples(data)
        assert triples_of(auto) == triples_of(infer_ntriples(data, "owlrl"))
    assert auto  # each of these derives something


def test_reasoner_names_are_checked() -> None:
    assert REASONERS == ("auto", "native", "owlrl", "fast")
    assert choose_reasoner(None, "owlrl") == "owlrl"
    with pytest.raises(InputError, match="unknown reasoner 'pellet'"):
        choose_reasoner(None, "pellet")


def test_the_cache_key_does_not_depend_on_blank_node_labels(shipped_ntriples: bytes) -> None:
    parsed_again = KnowledgeGraph.load().ntriples()  # read again: new blank node labels, lines sorted anew
    assert parsed_again != shipped_ntriples
    assert _ntriples_key(parsed_again, "auto") == _ntriples_key(shipped_ntriples, "auto")
    first = ntriples_of("ex:p owl:propertyChainAxiom ( ex:q ex:r ) .\nentity:a ex:q entity:b .\n")
    relabelled = first.replace(b"_:", b"_:x")
    assert relabelled != first
    assert _ntriples_key(first, "auto") == _ntriples_key(relabelled, "auto")
    assert _ntriples_key(first, "auto") != _ntriples_key(first, "owlrl")
    assert _ntriples_key(first, "auto") != _ntriples_key(first.replace(b"entity/b", b"entity/c"), "auto")


@pytest.mark.parametrize(
    "data", [b"", b"a\n", b"a", b"_:x a\n", b"_:x a", b"a\n_:x _:y\nb\n", b"a\n_:x\n\n_:y b", b"x\n\n_:a\n"]
)
def test_the_cache_key_is_the_digest_of_the_lines_then_the_blank_node_lines_by_content(data: bytes) -> None:
    """The key as it was first defined, line by line (recorded fixtures and caches are keyed by it): each line
    without a blank node and a line break, then `# ` and each line with one, by content."""
    import hashlib

    from kg.blank_nodes import by_content
    from kg.reason import _versions

    digest = hashlib.sha256(_versions("auto").encode())
    lines = data.split(b"\n")
    for line in lines:
        if b"_:" not in line:
            digest.update(line + b"\n")
    for line in by_content([line for line in lines if b"_:" in line]):
        digest.update(b"# " + line + b"\n")
    assert _ntriples_key(data, "auto") == digest.hexdigest()


def test_the_ntriples_cache_is_reused(tmp_path: Path, shipped_ntriples: bytes) -> None:
    inferred = infer_cached_ntriples(shipped_ntriples, tmp_path)
    [entry] = tmp_path.glob("inferred-*.nt")
    stamp = entry.stat().st_mtime_ns
    assert infer_cached_ntriples(shipped_ntriples, tmp_path) == inferred
    assert entry.stat().st_mtime_ns == stamp


def test_the_fast_path_is_cached_apart_from_the_native_one(tmp_path: Path) -> None:
    # A graph with a chain, which `reasonable` needs kg's help with: the cache is the point, not the graph's size.
    asserted = Graph().parse(
        data=_PREFIXES + "ex:p owl:propertyChainAxiom ( ex:q ex:r ) .\n"
        "entity:a ex:q entity:b .\nentity:b ex:r entity:c .\n",
        format="turtle",
    )
    fast = infer_cached(asserted, tmp_path, "fast")
    assert (ENTITY.a, NKG.p, ENTITY.c) in fast
    assert set(infer_cached(asserted, tmp_path, "fast")) == set(fast)
    assert set(infer_cached(asserted, tmp_path)) == set(fast)
    assert len(list(tmp_path.glob("inferred-*.nt"))) == 2


def test_the_native_path_imports_neither_rdflib_nor_the_reference_reasoners(shipped_ntriples: bytes) -> None:
    script = (
        "import sys\nfrom kg.reason import infer_ntriples\n"
        "assert infer_ntriples(sys.stdin.buffer.read())\n"
        "print(sorted(name for name in ('rdflib', 'owlrl', 'reasonable') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=shipped_ntriples, capture_output=True, check=True)
    assert done.stdout.decode().strip() == "[]"


def test_ntriples_lines_in_any_spacing_are_read_as_the_same_terms() -> None:
    data = (
        b'<http://x/a> <http://x/p> "a b . c"@en .\n'
        b"_:b1\t<http://x/p>  <http://x/b> .\n"
        b"# a comment\n\n"
        b"<http://x/a> <http://x/p> <http://x/c> . # and another\n"
    )
    assert list(read_triples(data)) == [
        ("<http://x/a>", "<http://x/p>", '"a b . c"@en'),
        ("_:b1", "<http://x/p>", "<http://x/b>"),
        ("<http://x/a>", "<http://x/p>", "<http://x/c>"),
    ]
