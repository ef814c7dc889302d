"""SHACL report tests: every shape rejects a small fixture that breaks it, and valid data conforms.

In the style of ROBOT report tests, tests/fixtures/shapes/ holds one small Turtle file per shape of
ontology/shapes.ttl, named after the shape and opening with a comment that says what is wrong. Each
fixture is validated together with the packaged ontology (for class hierarchies), and the results must be
exactly the expected (focus node, path, source shape) triples: the fixture breaks its shape and nothing else.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS
from recorded import pyshacl_recorded

from kg import KnowledgeGraph
from kg.assemble import merged, ntriples_of
from kg.derive import DERIVATION_SHAPES, validation_data
from kg.packaged import ontology_files, shapes_files
from kg.store import new_graph, parse_into
from kg.terms import PREFIXES, SH
from kg.validate import ValidationReport, ValidationResult, validate

SHAPE_FIXTURES = Path(__file__).parent / "fixtures" / "shapes"
SHAPE_NAMESPACE = PREFIXES["shape"]

#: Blank-node labels change on every parse, so a blank focus node is compared as this placeholder.
BLANK = "_:blank"

CLAIM = "claim:disrupted-nerve-signalling--affects--brain"
DOCUMENT = "source:peripheral-neuropathy-and-vitamin-b12"
QUOTE = "quote:39-252"
REFERENCE = "reference:2"
SPINAL_CORD = "entity:spinal-cord"
MOTOR_NEUROPATHY = "nkg:MotorNeuropathy"

#: Fixture name -> the exact set of (focus node, path, source shape) that validating it must report.
EXPECTED: dict[str, set[tuple[str, str | None, str]]] = {
    # ------------------------------------------------------------ claims
    "Claim": {("nkg:disrupted-nerve-signalling-affects-brain", None, "shape:Claim")},
    "Claim-unasserted-triple": {(CLAIM, None, "shape:Claim")},  # the SPARQL constraint of shape:Claim
    "Claim-circumstance": {(CLAIM, "nkg:circumstance", "shape:Claim-circumstance")},
    "Claim-document": {(CLAIM, "nkg:statedIn", "shape:Claim-document")},
    "Claim-frequency": {(CLAIM, "nkg:frequency", "shape:Claim-frequency")},
    "Claim-modality": {(CLAIM, "nkg:modality", "shape:Claim-modality")},
    "Claim-object": {(CLAIM, "rdf:object", "shape:Claim-object")},
    "Claim-organisation": {(CLAIM, "nkg:attributedTo", "shape:Claim-organisation")},
    "Claim-predicate": {(CLAIM, "rdf:predicate", "shape:Claim-predicate")},
    "Claim-quote": {(CLAIM, "nkg:hasQuote", "shape:Claim-quote")},
    "Claim-reference": {(CLAIM, "nkg:citesReference", "shape:Claim-reference")},
    "Claim-subject": {(CLAIM, "rdf:subject", "shape:Claim-subject")},
    "StatementHasClaim": {("entity:disrupted-nerve-signalling", "nkg:affects", "shape:StatementHasClaim")},
    # ------------------------------------------------------------ documents
    "Document": {("nkg:peripheral-neuropathy-and-vitamin-b12", None, "shape:Document")},
    "Document-checksum": {(DOCUMENT, "nkg:sha256", "shape:Document-checksum")},
    "Document-path": {(DOCUMENT, "nkg:localPath", "shape:Document-path")},
    "Document-title": {(DOCUMENT, "dcterms:title", "shape:Document-title")},
    # ------------------------------------------------------------ entities
    "Entity": {("entity:Spinal_Cord", None, "shape:Entity")},
    "Entity-label": {(SPINAL_CORD, "rdfs:label", "shape:Entity-label")},
    "Entity-synonym": {(SPINAL_CORD, "skos:altLabel", "shape:Entity-synonym")},
    "NutrientDeficiency-nutrient": {
        ("entity:vitamin-b12-deficiency", "nkg:deficiencyOf", "shape:NutrientDeficiency-nutrient")
    },
    "Treatment": {("entity:pain-reliever", None, "shape:Treatment")},
    # ------------------------------------------------------------ ontology terms
    "ObjectProperty-domain": {("nkg:weakens", "rdfs:domain", "shape:ObjectProperty-domain")},
    "ObjectProperty-range": {("nkg:weakens", "rdfs:range", "shape:ObjectProperty-range")},
    "Term-definition": {(MOTOR_NEUROPATHY, "skos:definition", "shape:Term-definition")},
    "Term-definition-source": {(MOTOR_NEUROPATHY, "obo:IAO_0000119", "shape:Term-definition-source")},
    "Term-label": {(MOTOR_NEUROPATHY, "rdfs:label", "shape:Term-label")},
    # ------------------------------------------------------------ organisations and references
    "Organisation": {("nkg:medlineplus", None, "shape:Organisation")},
    "Reference": {("nkg:reference-2", None, "shape:Reference")},
    "Reference-document": {(REFERENCE, "nkg:referenceOf", "shape:Reference-document")},
    "Reference-number": {(REFERENCE, "nkg:referenceNumber", "shape:Reference-number")},
    "Resource-label": {
        ("organisation:medlineplus", "rdfs:label", "shape:Resource-label"),
        (REFERENCE, "rdfs:label", "shape:Resource-label"),
    },
    # ------------------------------------------------------------ quotes and selectors
    "Quote": {("nkg:quote-39-252", None, "shape:Quote")},
    "Quote-position": {(QUOTE, "oa:hasSelector", "shape:Quote-position")},
    "Quote-source": {(QUOTE, "oa:hasSource", "shape:Quote-source")},
    "Quote-text": {(QUOTE, "oa:hasSelector", "shape:Quote-text")},
    "TextPositionSelector": {(BLANK, None, "shape:TextPositionSelector")},
    "TextPositionSelector-end": {("quote:39-252-position", "oa:end", "shape:TextPositionSelector-end")},
    "TextPositionSelector-start": {("quote:39-252-position", "oa:start", "shape:TextPositionSelector-start")},
    "TextQuoteSelector": {(BLANK, None, "shape:TextQuoteSelector")},
    "TextQuoteSelector-exact": {("quote:39-252-text", "oa:exact", "shape:TextQuoteSelector-exact")},
}

DERIVATION = "derivation:vitamin-b12-deficiency--leadsTo--peripheral-neuropathy"

#: The same for ontology/shapes-derivations.ttl, whose fixtures stand for asserted plus inferred triples.
DERIVATION_EXPECTED: dict[str, set[tuple[str, str | None, str]]] = {
    "Derivation": {("nkg:vitamin-b12-deficiency--leadsTo--peripheral-neuropathy", None, "shape:Derivation")},
    "Derivation-uninferred-triple": {(DERIVATION, None, "shape:Derivation")},  # the SPARQL constraint
    "Derivation-object": {(DERIVATION, "rdf:object", "shape:Derivation-object")},
    "Derivation-predicate": {(DERIVATION, "rdf:predicate", "shape:Derivation-predicate")},
    "Derivation-premise": {(DERIVATION, "prov:wasDerivedFrom", "shape:Derivation-premise")},
    "Derivation-premise-exists": {(DERIVATION, "prov:wasDerivedFrom", "shape:Derivation-premise-exists")},
    "Derivation-rule": {(DERIVATION, "nkg:byRule", "shape:Derivation-rule")},
    "Derivation-subject": {(DERIVATION, "rdf:subject", "shape:Derivation-subject")},
    "InferredStatementHasDerivation": {
        ("entity:vitamin-b12-deficiency", "nkg:leadsTo", "shape:InferredStatementHasDerivation")
    },
}

#: Fixtures that break a SPARQL constraint (fixture name -> its node shape); one per sh:sparql in the shapes.
SPARQL_FIXTURES: dict[str, str] = {
    "Claim-unasserted-triple": "shape:Claim",
    "StatementHasClaim": "shape:StatementHasClaim",
}

#: Node shapes with no constraint of their own: each only targets nodes and lists property shapes, and every
#: one of those property shapes has its own fixture, so there is nothing left for the node shape to reject.
NO_OWN_CONSTRAINTS = {
    "shape:NutrientDeficiency",  # only shape:NutrientDeficiency-nutrient
    "shape:ObjectProperty",  # only shape:ObjectProperty-domain and shape:ObjectProperty-range
    "shape:Term",  # only shape:Term-definition, shape:Term-definition-source and shape:Term-label
}

#: Predicates a node shape may carry without constraining anything.
_NON_CONSTRAINING = {RDF.type, RDFS.label, RDFS.comment, SH.property, SH.targetClass, SH.targetSubjectsOf}


@cache
def _ontology() -> Graph:
    graph = new_graph()
    for entry in ontology_files():
        parse_into(graph, entry, label=f"kg/{entry.name}")
    return graph


@cache
def _ontology_ntriples() -> bytes:
    return merged([ntriples_of(entry, label=f"kg/{entry.name}") for entry in ontology_files()])


@cache
def fixture_ntriples(name: str) -> bytes:
    """One fixture and the packaged ontology as one N-Triples document, as kg assembles its files (kg.assemble)."""
    return merged([_ontology_ntriples(), ntriples_of(SHAPE_FIXTURES / f"{name}.ttl")])


@cache
def _shapes() -> Graph:
    graph = new_graph()
    # shapes-mappings.ttl has its own fixtures and coverage test in test_mappings.py
    for entry in shapes_files():
        if entry.name == "shapes.ttl":
            parse_into(graph, entry, label=f"kg/{entry.name}")
    return graph


@cache
def _derivation_shapes() -> Graph:
    graph = new_graph()
    for entry in shapes_files():
        if entry.name == DERIVATION_SHAPES:
            parse_into(graph, entry, label=f"kg/{entry.name}")
    return graph


@cache  # validated by both methods, which only read it
def _derivation_fixture(name: str) -> Graph:
    graph = new_graph()
    graph += _ontology()
    parse_into(graph, SHAPE_FIXTURES / f"{name}.ttl")
    return graph


def validate_derivation_fixture(name: str, method: str) -> ValidationReport:
    """Validate one fixture (asserted plus inferred triples) with the ontology, by the derivation shapes."""
    with pyshacl_recorded():  # pyshacl's report recorded for exactly this graph and these shapes, else live
        return validate(_derivation_fixture(name), _derivation_shapes(), method)


def validate_fixture(name: str) -> ValidationReport:
    """Validate one fixture together with the packaged ontology (and nothing else)."""
    return KnowledgeGraph(fixture_ntriples(name), ["package:ontology", str(SHAPE_FIXTURES / f"{name}.ttl")]).validate()


def key(result: ValidationResult) -> tuple[str, str | None, str]:
    focus = BLANK if result.focus_node.startswith("_:") else result.focus_node
    return (focus, result.path, result.source_shape)


def shapes_in_file() -> set[str]:
    """Every node and property shape named in the shape namespace, as a CURIE."""
    shapes = _shapes()
    found = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        for subject in shapes.subjects(RDF.type, kind):
            if isinstance(subject, URIRef) and str(subject).startswith(SHAPE_NAMESPACE):
                found.add(f"shape:{str(subject).removeprefix(SHAPE_NAMESPACE)}")
    return found


@pytest.fixture(scope="module")
def shipped_report(shipped_validation: ValidationReport) -> ValidationReport:
    """The shipped ontology and data, validated once per session (validation uses asserted triples only)."""
    return shipped_validation


# ---------------------------------------------------------------------- each shape rejects its fixture


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_rejects_its_fixture(name: str) -> None:
    report = validate_fixture(name)
    assert not report.conforms, f"{name}.ttl should not conform"
    assert {key(result) for result in report.results} == EXPECTED[name], report.to_table()
    if name in SPARQL_FIXTURES:
        assert {result.constraint for result in report.results} == {"sh:SPARQLConstraintComponent"}


def test_valid_fixture_conforms() -> None:
    report = validate_fixture("valid")
    assert report.conforms, report.to_table()
    assert report.results == ()


def test_shipped_data_conforms(shipped_report: ValidationReport) -> None:
    assert shipped_report.conforms, shipped_report.to_table()


# ---------------------------------------------------------------------- the fixtures cover the shapes


def test_every_shape_has_a_failing_fixture() -> None:
    covered = {shape for expected in EXPECTED.values() for _focus, _path, shape in expected}
    missing = shapes_in_file() - covered - NO_OWN_CONSTRAINTS
    assert not missing, f"shapes with no failing fixture in tests/fixtures/shapes/: {sorted(missing)}"
    assert not covered - shapes_in_file(), "the expected table names shapes that ontology/shapes.ttl lacks"


def test_exempt_node_shapes_have_no_constraint_of_their_own() -> None:
    shapes = _shapes()
    assert shapes_in_file() >= NO_OWN_CONSTRAINTS
    for curie in sorted(NO_OWN_CONSTRAINTS):
        shape = URIRef(SHAPE_NAMESPACE + curie.removeprefix("shape:"))
        constraining = set(shapes.predicates(shape, None)) - _NON_CONSTRAINING
        assert not constraining, f"{curie} now has constraints of its own ({constraining}); give it a fixture"


def test_every_sparql_constraint_has_a_failing_fixture() -> None:
    shapes = _shapes()
    in_file = Counter(
        f"shape:{str(shape).removeprefix(SHAPE_NAMESPACE)}" for shape, _constraint in shapes.subject_objects(SH.sparql)
    )
    assert Counter(SPARQL_FIXTURES.values()) == in_file


def test_fixture_folder_matches_the_table() -> None:
    on_disk = {path.stem for path in SHAPE_FIXTURES.glob("*.ttl")}
    assert on_disk == set(EXPECTED) | set(DERIVATION_EXPECTED) | {"valid", "valid-derivations"}


# ---------------------------------------------------------------------- the derivation shapes


@pytest.mark.parametrize("method", ["pyshacl", "fast"])
@pytest.mark.parametrize("name", sorted(DERIVATION_EXPECTED))
def test_derivation_shape_rejects_its_fixture(name: str, method: str) -> None:
    report = validate_derivation_fixture(name, method)
    assert not report.conforms, f"{name}.ttl should not conform"
    assert {key(result) for result in report.results} == DERIVATION_EXPECTED[name], report.to_table()


@pytest.mark.parametrize("method", ["pyshacl", "fast"])
def test_valid_derivation_conforms(method: str) -> None:
    report = validate_derivation_fixture("valid-derivations", method)
    assert report.conforms, report.to_table()


def test_every_derivation_shape_has_a_failing_fixture() -> None:
    shapes = _derivation_shapes()
    named = {
        f"shape:{str(subject).removeprefix(SHAPE_NAMESPACE)}"
        for kind in (SH.NodeShape, SH.PropertyShape)
        for subject in shapes.subjects(RDF.type, kind)
    }
    covered = {shape for expected in DERIVATION_EXPECTED.values() for _focus, _path, shape in expected}
    assert named == covered
    sparql = Counter(f"shape:{str(shape).removeprefix(SHAPE_NAMESPACE)}" for shape in shapes.subjects(SH.sparql))
    assert sparql == Counter({"shape:Derivation": 1, "shape:InferredStatementHasDerivation": 1})
    assert {"Derivation-uninferred-triple", "InferredStatementHasDerivation"} <= set(DERIVATION_EXPECTED)


def test_the_shipped_derivations_conform(shipped: KnowledgeGraph) -> None:
    report = shipped.validate_derivations()
    assert report.conforms, report.to_table()


def test_a_missing_derivation_is_reported(shipped: KnowledgeGraph) -> None:
    removed = "https://w3id.org/neuropathy-kg/derivation/strict-vegetarian-diet--leadsTo--peripheral-neuropathy"
    inferred = new_graph()
    for triple in shipped.inferred:
        if str(triple[0]) != removed:
            inferred.add(triple)
    report = validate(validation_data(shipped.asserted, inferred), _derivation_shapes(), "fast")
    found = {key(result) for result in report.results}
    assert ("entity:strict-vegetarian-diet", "nkg:leadsTo", "shape:InferredStatementHasDerivation") in found
    # and any derivation that had it as a premise now has a premise that does not exist
    assert {shape for _focus, _path, shape in found} <= {
        "shape:InferredStatementHasDerivation",
        "shape:Derivation-premise-exists",
    }


@pytest.mark.parametrize("name", [*sorted(EXPECTED), *sorted(DERIVATION_EXPECTED), "valid", "valid-derivations"])
def test_fixture_opens_with_a_comment_saying_what_it_shows(name: str) -> None:
    first, second = (SHAPE_FIXTURES / f"{name}.ttl").read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# "), f"{name}.ttl: the first line should be a comment saying what is wrong"
    assert not second.startswith("#"), f"{name}.ttl: the comment should be one line"


# ---------------------------------------------------------------------- the report as a table


def test_failing_report_renders_as_a_table() -> None:
    report = validate_fixture("Resource-label")
    table = report.to_table()
    lines = table.splitlines()
    assert lines[0].split() == ["severity", "focus", "node", "path", "value", "source", "shape", "message"]
    assert "organisation:medlineplus" in table
    assert "reference:2" in table
    assert "shape:Resource-label" in table
    assert lines[-1] == "2 result(s); the graph does not conform."


def test_conforming_report_says_it_conforms() -> None:
    report = validate_fixture("valid")
    assert report.to_table() == "Conforms: no SHACL violations."
