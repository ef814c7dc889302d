"""Derivations: every inferred triple between two entities is explained by premises down to claims, with the rule
that derived it and the weakest qualifiers of its premises; the same for both reasoners."""

from __future__ import annotations

from collections import defaultdict

import pytest
from generated import generated
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg import KnowledgeGraph
from kg.closure import by_predicate
from kg.derive import derivation_iri, derivations, is_derivation_triple, is_domain_triple
from kg.export import canonical_ntriples
from kg.hedge import Ranks, qualifier_ranks
from kg.reason import entail, infer
from kg.terms import ENTITY, NKG, PREFIXES, PROV

DIET, DEFICIENCY, NEUROPATHY = (
    ENTITY["strict-vegetarian-diet"],
    ENTITY["vitamin-b12-deficiency"],
    ENTITY["peripheral-neuropathy"],
)


def ranks_of(graph: Graph) -> Ranks:
    return qualifier_ranks(by_predicate(canonical_ntriples(graph)))


def derived_triples(inferred: Graph) -> dict[Node, tuple[Node, Node, Node]]:
    """Each derivation resource and the triple it explains."""
    return {
        node: (inferred.value(node, RDF.subject), inferred.value(node, RDF.predicate), inferred.value(node, RDF.object))
        for node in inferred.subjects(RDF.type, NKG.Derivation)
    }


def check_accounts_for_every_inferred_domain_triple(asserted: Graph, inferred: Graph) -> None:
    explained = derived_triples(inferred)
    domain = {triple for triple in inferred if is_domain_triple(*triple)}
    assert len(domain) > 0
    assert sorted(explained.values()) == sorted(domain), "exactly one derivation per inferred domain triple"
    claims = set(asserted.subjects(RDF.type, NKG.Claim))
    for node, triple in explained.items():
        assert node == derivation_iri(triple)  # type: ignore[arg-type]
        premises = set(inferred.objects(node, PROV.wasDerivedFrom))
        assert premises, f"{node} has no premise"
        assert premises <= claims | set(explained), f"{node} has a premise that is neither a claim nor a derivation"
        assert inferred.value(node, NKG.byRule) is not None
        assert inferred.value(node, NKG.byAxiomOf) is not None


def check_well_founded(inferred: Graph) -> None:
    """No derivation depends on itself: the premises form trees (here: a graph without cycles)."""
    premises: dict[Node, list[Node]] = defaultdict(list)
    for node, premise in inferred.subject_objects(PROV.wasDerivedFrom):
        premises[node].append(premise)
    state: dict[Node, str] = {}

    def visit(node: Node) -> None:
        state[node] = "open"
        for premise in premises.get(node, []):
            assert state.get(premise) != "open", f"{node} depends on itself"
            if premise not in state:
                visit(premise)
        state[node] = "done"

    for node in list(premises):
        if node not in state:
            visit(node)


def test_every_inferred_domain_triple_of_the_shipped_graph_has_one_derivation(shipped: KnowledgeGraph) -> None:
    check_accounts_for_every_inferred_domain_triple(shipped.asserted, shipped.inferred)
    check_well_founded(shipped.inferred)
    asserted_domain = [triple for triple in shipped.asserted if is_domain_triple(*triple)]
    explained = set(derived_triples(shipped.inferred).values())
    assert not explained & set(asserted_domain), "asserted triples have claims, not derivations"


def test_the_fast_reasoner_gives_the_same_derivations(shipped: KnowledgeGraph) -> None:
    assert set(infer(shipped.asserted, "fast")) == set(shipped.inferred)  # shipped.inferred is owlrl's


def test_the_generated_10k_graph_is_explained_too() -> None:
    graph, _, _ = generated(violations=False)
    # The native reasoner's entailments: on this graph the same triples as `reasonable`'s and owlrl's (proven in
    # tests/test_fast_reason.py), in a third of the time.
    inferred = entail(graph.asserted, "native")
    derivations(graph.asserted, inferred, into=inferred)
    check_accounts_for_every_inferred_domain_triple(graph.asserted, inferred)


def test_the_diet_leads_to_neuropathy_through_the_deficiency(shipped: KnowledgeGraph) -> None:
    inferred = shipped.inferred
    link = derivation_iri((DIET, NKG.leadsTo, NEUROPATHY))
    assert (link, RDF.type, NKG.Derivation) in inferred
    assert inferred.value(link, NKG.byRule) == NKG["rule-transitivity"]
    assert inferred.value(link, NKG.byAxiomOf) == NKG.leadsTo
    first, second = (
        derivation_iri((DIET, NKG.leadsTo, DEFICIENCY)),
        derivation_iri((DEFICIENCY, NKG.leadsTo, NEUROPATHY)),
    )
    assert set(inferred.objects(link, PROV.wasDerivedFrom)) == {first, second}
    # one step further down: the sub-property axiom of 'causes', and the claims themselves
    assert inferred.value(second, NKG.byRule) == NKG["rule-sub-property"]
    assert inferred.value(second, NKG.byAxiomOf) == NKG.causes
    assert {str(claim).rsplit("/", 1)[1] for claim in inferred.objects(second, PROV.wasDerivedFrom)} >= {
        "vitamin-b12-deficiency--causes--peripheral-neuropathy"
    }
    # the weakest qualifiers of every premise: "possible" (deficiency causes neuropathy), "chronic" (one of its claims)
    assert inferred.value(link, NKG.modality) == Literal("possible", lang="en")
    assert set(inferred.objects(link, NKG.circumstance)) >= {Literal("chronic", lang="en")}
    assert str(inferred.value(link, NKG.hedge)).startswith("possible")


def test_no_derivation_is_more_certain_or_more_frequent_than_its_premises(shipped: KnowledgeGraph) -> None:
    """What the article hedges stays hedged: a derived link never says more than any claim it rests on."""
    graph, ranks = shipped.graph(), ranks_of(shipped.asserted)
    unqualified = 1_000  # a claim without a modality (frequency) is stated as certain (unrestricted)

    def rank(word: Node | None, dimension: int) -> int:
        return unqualified if word is None else ranks[str(word).casefold()][dimension]  # type: ignore[return-value]

    checked = 0
    for node in graph.subjects(RDF.type, NKG.Derivation):
        for premise in graph.objects(node, PROV.wasDerivedFrom):
            words = [graph.value(premise, NKG.modality)]
            predicate = graph.value(premise, RDF.predicate)
            if (premise, RDF.type, NKG.Claim) in graph:
                words.extend(graph.objects(predicate, NKG.inherentHedge))
            for word in words:
                assert rank(graph.value(node, NKG.modality), 0) <= rank(word, 0), (node, premise)
            frequency = graph.value(premise, NKG.frequency)
            assert rank(graph.value(node, NKG.frequency), 1) <= rank(frequency, 1), (node, premise)
            assert set(graph.objects(premise, NKG.circumstance)) <= set(graph.objects(node, NKG.circumstance))
            checked += 1
    assert checked >= len(set(graph.subjects(RDF.type, NKG.Derivation))) > 100  # every derivation, each premise


def test_a_property_hedge_is_carried_into_what_is_derived(toy: tuple[Graph, Graph]) -> None:
    """'at risk of' (increases risk of), 'can' (can progress to): a derived link inherits its premise's hedge."""
    _asserted, inferred = toy
    node = derivation_iri((ENTITY.a, NKG.super, ENTITY.b))
    assert inferred.value(node, NKG.modality) == Literal("may", lang="en")  # the claim says "can", ex:sub "may"


def test_every_qualifier_word_the_data_uses_is_ranked(shipped: KnowledgeGraph) -> None:
    ranks = ranks_of(shipped.asserted)
    for dimension, predicate in enumerate((NKG.modality, NKG.frequency)):
        used = {str(word).casefold() for word in shipped.asserted.objects(None, predicate)}
        assert used, predicate
        unranked = sorted(word for word in used if ranks.get(word, (None, None))[dimension] is None)
        assert not unranked, f"add these {predicate} words to ontology/derivations.ttl with a rank: {unranked}"
    for hedge in shipped.asserted.objects(None, NKG.inherentHedge):
        assert ranks[str(hedge).casefold()][0] is not None, f"rank the property hedge {hedge!r}"


def test_the_words_expected_next_are_ranked_already(shipped: KnowledgeGraph) -> None:
    ranks = ranks_of(shipped.asserted)
    for word in ("most direct", "viable options", "most susceptible", "at risk of"):
        assert word in ranks, word
    assert ranks["possible"][0] < ranks["may"][0] < ranks["can"][0]  # type: ignore[operator]
    assert ranks["far more common"][1] < ranks["often"][1] < ranks["usually"][1]  # type: ignore[operator]


def test_derivation_triples_are_told_apart(shipped: KnowledgeGraph) -> None:
    found = [triple for triple in shipped.inferred if is_derivation_triple(*triple)]
    derivations = set(shipped.inferred.subjects(RDF.type, NKG.Derivation))
    assert len(derivations) > 100
    # type, triple (3), premise, rule, axiom: at least seven triples each, every one recognised as a derivation's
    assert len(found) >= 7 * len(derivations)
    assert PREFIXES["derivation"] == "https://w3id.org/neuropathy-kg/derivation/"


_RULES = """
ex:sub rdfs:subPropertyOf ex:super .
ex:forward owl:inverseOf ex:backward .
ex:near a owl:SymmetricProperty .
ex:same owl:equivalentProperty ex:alias .
ex:step a owl:TransitiveProperty .
ex:chained owl:propertyChainAxiom ( ex:first ex:second ) .
"""

_FACTS = {
    "sub": ("a", "b"),
    "forward": ("a", "c"),
    "near": ("a", "d"),
    "same": ("a", "e"),
    "first": ("a", "f"),
    "second": ("f", "g"),
}


@pytest.fixture(scope="module")
def toy() -> tuple[Graph, Graph]:
    """Each rule once, in a namespace of its own (ex: = nkg:) with claims that carry qualifiers."""
    turtle = f"@prefix ex: <{NKG}> .\n@prefix entity: <{ENTITY}> .\n" + "".join(
        f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items() if prefix not in ("nkg",)
    )
    turtle += _RULES
    for index, (prop, (subject, obj)) in enumerate(sorted(_FACTS.items())):
        turtle += f"entity:{subject} ex:{prop} entity:{obj} .\n"
        turtle += (
            f"claim:c{index} a ex:Claim ; rdf:subject entity:{subject} ; rdf:predicate ex:{prop} ; "
            f'rdf:object entity:{obj} ; ex:modality "{"may" if prop == "second" else "can"}"@en .\n'
        )
    for subject, obj in (("b", "h"), ("h", "i")):
        turtle += f"entity:{subject} ex:step entity:{obj} .\n"
        turtle += f"claim:{subject}-{obj} a ex:Claim ; rdf:subject entity:{subject} ; rdf:predicate ex:step ; "
        turtle += f"rdf:object entity:{obj} .\n"
    turtle += 'ex:sub ex:inherentHedge "may"@en .\n'
    turtle += 'ex:qualifier-may a ex:QualifierWord ; rdfs:label "may"@en ; ex:certaintyRank 3 .\n'
    turtle += 'ex:qualifier-can a ex:QualifierWord ; rdfs:label "can"@en ; ex:certaintyRank 5 .\n'
    asserted = Graph().parse(data=turtle, format="turtle")
    return asserted, infer(asserted, "owlrl")


@pytest.mark.parametrize(
    ("triple", "rule", "axiom_of"),
    [
        (("a", "super", "b"), "sub-property", "sub"),
        (("c", "backward", "a"), "inverse", "forward"),
        (("d", "near", "a"), "symmetry", "near"),
        (("a", "alias", "e"), "equivalent-property", "same"),
        (("a", "chained", "g"), "property-chain", "chained"),
        (("b", "step", "i"), "transitivity", "step"),
    ],
)
def test_each_rule_of_the_ontology_is_named(
    toy: tuple[Graph, Graph], triple: tuple[str, str, str], rule: str, axiom_of: str
) -> None:
    asserted, inferred = toy
    subject, predicate, obj = triple
    node = derivation_iri((ENTITY[subject], NKG[predicate], ENTITY[obj]))
    assert inferred.value(node, NKG.byRule) == NKG[f"rule-{rule}"]
    assert inferred.value(node, NKG.byAxiomOf) == NKG[axiom_of]
    check_accounts_for_every_inferred_domain_triple(asserted, inferred)


def test_the_least_certain_modality_of_a_chain_wins(toy: tuple[Graph, Graph]) -> None:
    _asserted, inferred = toy
    node = derivation_iri((ENTITY.a, NKG.chained, ENTITY.g))
    assert inferred.value(node, NKG.modality) == Literal("may", lang="en")  # "can" ∘ "may"
    assert inferred.value(node, NKG.hedge) == Literal("may", lang="en")
    assert {str(claim) for claim in inferred.objects(node, PROV.wasDerivedFrom)} == {
        f"{PREFIXES['claim']}c0",
        f"{PREFIXES['claim']}c4",
    }


def test_derivation_iris_name_the_triple() -> None:
    iri = derivation_iri((DIET, NKG.leadsTo, NEUROPATHY))
    assert iri == URIRef(
        "https://w3id.org/neuropathy-kg/derivation/strict-vegetarian-diet--leadsTo--peripheral-neuropathy"
    )


def test_a_derivation_iri_gives_back_its_subject_and_object(shipped: KnowledgeGraph) -> None:
    """The query page and the stored queries find a derivation by its IRI, so every IRI must split back exactly."""
    for node, (subject, predicate, obj) in derived_triples(shipped.inferred).items():
        parts = str(node).removeprefix(PREFIXES["derivation"]).split("--")
        assert [ENTITY[parts[0]], NKG[parts[1]], ENTITY[parts[2]]] == [subject, predicate, obj], node


def test_the_query_page_links_derived_rows_to_their_explanation() -> None:
    from importlib.resources import files

    script = (files("kg") / "static" / "app.js").read_text(encoding="utf-8")
    assert "state.prefixes.derivation" in script
    assert 'stored: "derivation", subject: entity + subject, object: entity + object' in script
