"""The native validator (the shapes as SPARQL on Oxigraph) reports the same (focus node, path, shape) set as pyshacl."""

from __future__ import annotations

from pathlib import Path

import pytest
from generated import generated, pyshacl_reference
from rdflib import RDF, RDFS, Graph, URIRef
from recorded import pyshacl_recorded
from test_validate import EXPECTED, fixture_ntriples, key

import kg
from kg import InputError, KnowledgeGraph
from kg.derive import DERIVATION_SHAPES
from kg.errors import DataFileError
from kg.packaged import shapes_files
from kg.store import new_graph, parse_into
from kg.terms import compact
from kg.validate import ValidationReport, choose_validator, validate_ntriples

Result = tuple[str, str | None, str]


def results(report: ValidationReport) -> set[Result]:
    return {(r.focus_node, r.path, r.source_shape) for r in report.results}


def short(iri: str | None) -> str | None:
    return None if iri is None else compact(iri) or f"<{iri}>"


def test_same_results_as_pyshacl_on_the_generated_10k_violation_variant() -> None:
    graph, built_with, _ = generated(violations=True)
    reference = pyshacl_reference()
    report = graph.validate(method="fast")
    assert not report.conforms
    assert results(report) == reference
    assert reference == {(short(focus) or "", short(path), short(shape) or "") for focus, path, shape in built_with}


def test_the_conforming_10k_graph_conforms() -> None:
    graph, _, _ = generated(violations=False)
    report = graph.validate(method="fast")
    assert report.conforms, report.to_table()


def test_the_shipped_graph_conforms(shipped: KnowledgeGraph) -> None:
    assert shipped.validate(method="fast").conforms


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_shape_fixture_breaks_its_shape_in_pyshacl_too(name: str) -> None:
    """The fixtures of tests/test_validate.py (which runs the native validator) give the same results in pyshacl."""
    with pyshacl_recorded():  # pyshacl's report recorded for exactly this graph and these shapes, else live
        report = KnowledgeGraph(fixture_ntriples(name)).validate(method="pyshacl")
    assert {key(result) for result in report.results} == EXPECTED[name]


def test_auto_picks_the_fast_path_at_every_size() -> None:
    small, large = Graph(), Graph()
    for number in range(10_001):
        large.add((URIRef(f"urn:example:{number}"), RDF.type, RDFS.Resource))
    assert choose_validator(small) == "fast"
    assert choose_validator(large) == "fast"
    assert choose_validator(large, "pyshacl") == "pyshacl"
    with pytest.raises(InputError, match="unknown validator 'jena'"):
        choose_validator(small, "jena")


# ---------------------------------------------------------------------- validate_ntriples and the native engine

PREFIXES = """
@prefix ex: <http://example.org/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def ntriples(turtle: str) -> bytes:
    graph = Graph()
    graph.parse(data=PREFIXES + turtle, format="turtle")
    return graph.serialize(format="nt", encoding="utf-8")


def test_validate_ntriples_on_the_10k_violation_variant_gives_the_pyshacl_results() -> None:
    graph, _, _ = generated(violations=True)
    reference = pyshacl_reference()
    shapes = new_graph()
    for entry in shapes_files():
        if entry.name != DERIVATION_SHAPES:
            parse_into(shapes, entry, label=entry.name)
    data = graph.asserted.serialize(format="nt", encoding="utf-8")
    report = validate_ntriples(data, shapes.serialize(format="nt", encoding="utf-8"))
    assert results(report) == reference


def test_datatypes_are_checked_on_the_exact_terms() -> None:
    """Oxigraph's store keeps "5"^^xsd:integer and "5"^^xsd:nonNegativeInteger alike; the check must not."""
    shapes = ntriples("""
        ex:Selector a sh:NodeShape ; sh:targetClass oa:TextPositionSelector ;
            sh:property [ sh:path oa:start ; sh:datatype xsd:nonNegativeInteger ] .
    """)
    data = ntriples("""
        ex:right a oa:TextPositionSelector ; oa:start "5"^^xsd:nonNegativeInteger .
        ex:integer a oa:TextPositionSelector ; oa:start "5"^^xsd:integer .
        ex:negative a oa:TextPositionSelector ; oa:start "-1"^^xsd:nonNegativeInteger .
        ex:untargeted oa:start "5"^^xsd:integer .
    """)
    report = validate_ntriples(data, shapes)
    assert {(r.focus_node, r.path, r.constraint) for r in report.results} == {
        ("<http://example.org/integer>", "oa:start", "sh:DatatypeConstraintComponent"),
        ("<http://example.org/negative>", "oa:start", "sh:DatatypeConstraintComponent"),
    }
    assert {r.value for r in report.results} == {
        '"5"^^<http://www.w3.org/2001/XMLSchema#integer>',
        '"-1"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>',
    }


def test_datatypes_are_checked_on_every_line_whatever_its_spacing() -> None:
    """Only the lines naming a checked predicate are parsed for the exact terms: tabs, a comment, a last line
    without a line break, or the predicate quoted in a literal change nothing."""
    shapes = ntriples("""
        ex:Selector a sh:NodeShape ; sh:targetClass oa:TextPositionSelector ;
            sh:property [ sh:path oa:start ; sh:datatype xsd:nonNegativeInteger ] .
    """)
    start, xsd = "<http://www.w3.org/ns/oa#start>", "http://www.w3.org/2001/XMLSchema#"
    typed = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/oa#TextPositionSelector>"
    data = (
        f"<http://example.org/a> {typed} .\n<http://example.org/b> {typed} .\n<http://example.org/c> {typed} .\n"
        f'<http://example.org/a>\t{start}\t"5"^^<{xsd}integer> . # a comment\n'
        f'<http://example.org/c> <http://example.org/says> "{start} " .\n'
        f'<http://example.org/c> {start} "7"^^<{xsd}nonNegativeInteger> .\n'
        f'<http://example.org/b>  {start}  "-2"^^<{xsd}nonNegativeInteger> .'
    ).encode()
    report = validate_ntriples(data, shapes)
    assert {(r.focus_node, r.constraint) for r in report.results} == {
        ("<http://example.org/a>", "sh:DatatypeConstraintComponent"),
        ("<http://example.org/b>", "sh:DatatypeConstraintComponent"),
    }


#: Small shapes beyond the project's own, each with data that breaks them: native and pyshacl must agree.
CORE_CASES: dict[str, tuple[str, str]] = {
    "in, hasValue, minInclusive": (
        """ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;
               sh:property [ sh:path ex:p ; sh:in ( "a" "b" ) ] ,
                           [ sh:path ex:q ; sh:hasValue ex:x ] ,
                           [ sh:path ex:n ; sh:minInclusive 3 ; sh:maxExclusive 10 ] .""",
        """ex:good ex:p "a" ; ex:q ex:x ; ex:n 3 .
           ex:bad ex:p "c" ; ex:q ex:y ; ex:n 10 .""",
    ),
    "inverse and sequence paths, targetObjectsOf, targetNode": (
        """ex:S a sh:NodeShape ; sh:targetObjectsOf ex:knows ; sh:targetNode ex:lonely ;
               sh:property [ sh:path [ sh:inversePath ex:knows ] ; sh:minCount 2 ] ,
                           [ sh:path ( ex:knows ex:name ) ; sh:maxCount 1 ] .""",
        """ex:a ex:knows ex:b . ex:c ex:knows ex:b . ex:b ex:knows ex:d .
           ex:d ex:name "d" , "dee" .""",
    ),
    "or, not, and, lessThanOrEquals, maxLength, subclass targets": (
        """ex:S a sh:NodeShape ; sh:targetClass ex:Thing ;
               sh:property [ sh:path ex:part ; sh:or ( [ sh:nodeKind sh:Literal ] [ sh:pattern "^http://ex.*/p" ] ) ] ,
                           [ sh:path ex:code ; sh:and ( [ sh:maxLength 3 ] [ sh:not [ sh:pattern "x" ] ] ) ] ,
                           [ sh:path ex:low ; sh:lessThanOrEquals ex:high ] .""",
        """ex:Sub rdfs:subClassOf ex:Thing .
           ex:t a ex:Sub ; ex:part ex:p1, ex:q1, "q" ; ex:code "abcd", "ax", "ab" ; ex:low 5 ; ex:high 4 .
""",
    ),
}


@pytest.mark.parametrize("case", sorted(CORE_CASES))
def test_core_constraints_agree_with_pyshacl(case: str) -> None:
    shapes_turtle, data_turtle = CORE_CASES[case]
    shapes, data = ntriples(shapes_turtle), ntriples(data_turtle)
    native = validate_ntriples(data, shapes)
    with pyshacl_recorded():
        reference = validate_ntriples(data, shapes, "pyshacl")
    assert not native.conforms
    assert {(r.focus_node, r.constraint, r.value) for r in native.results} == {
        (r.focus_node, r.constraint, r.value) for r in reference.results
    }


def test_a_shape_the_native_validator_cannot_run_is_an_error_that_names_the_fix() -> None:
    shapes = ntriples("ex:S a sh:NodeShape ; sh:targetClass ex:Thing ; sh:closed true .")
    with pytest.raises(DataFileError, match=r"does not support sh:closed.*--validator pyshacl"):
        validate_ntriples(ntriples("ex:t a ex:Thing ."), shapes)


def test_the_native_validator_does_not_import_the_module_that_dispatches_to_it() -> None:
    package = Path(kg.__file__).parent
    for name in ("fast_validate", "shacl_sparql", "shacl_shapes", "validation_report"):
        source = (package / f"{name}.py").read_text(encoding="utf-8")
        assert "from kg.validate import" not in source, name
        assert "import kg.validate" not in source, name
