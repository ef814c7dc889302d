"""User data that redefines the project (axioms about its vocabulary, merged entities) or contradicts itself is
reported by `kg validate` and `kg qc` with exit 1, naming the statement and its file; reasoning refuses to answer
over a contradiction instead of answering anything."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from recorded import owlrl_recorded

from kg import InconsistentDataError, KnowledgeGraph, reason
from kg.assemble import asserted_ntriples
from kg.cli import main
from kg.engine import OxigraphEngine
from kg.export import canonical_ntriples
from kg.integrity import (
    IntegrityFinding,
    check_graph,
    check_ntriples,
    check_user_files,
    integrity_rules,
    refuse_inconsistency,
)
from kg.reason import infer, infer_ntriples
from kg.store import new_graph, parse_into

PREFIXES = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix nkg: <https://w3id.org/neuropathy-kg/> .
@prefix entity: <https://w3id.org/neuropathy-kg/entity/> .
@prefix ex: <http://example.org/> .
"""


def user_file(folder: Path, statements: str, name: str = "user.ttl") -> Path:
    path = folder / name
    path.write_text(PREFIXES + statements)
    return path


@pytest.mark.parametrize(
    ("statements", "rule"),
    [
        ("nkg:causes a owl:SymmetricProperty .", "redefines-project-vocabulary"),
        ("nkg:causes a owl:TransitiveProperty .", "redefines-project-vocabulary"),
        ("nkg:causes rdfs:subPropertyOf owl:sameAs .", "redefines-project-vocabulary"),
        ("nkg:causes rdfs:domain ex:Thing .", "redefines-project-vocabulary"),
        ("nkg:causes rdfs:range ex:Thing .", "redefines-project-vocabulary"),
        ("nkg:causes owl:inverseOf ex:causedBy .", "redefines-project-vocabulary"),
        ("nkg:causes owl:propertyChainAxiom ( nkg:causes nkg:causes ) .", "redefines-project-vocabulary"),
        ("nkg:Symptom owl:equivalentClass ex:Anything .", "redefines-project-vocabulary"),
        ("nkg:Symptom rdfs:subClassOf owl:Nothing .", "redefines-project-vocabulary"),
        ("nkg:causes rdfs:label 'verursacht'@de .", "redefines-project-vocabulary"),
        ("ex:leadsTo rdfs:subPropertyOf nkg:causes .", "extends-project-property"),
        ("ex:sameThing owl:equivalentProperty owl:sameAs .", "extends-project-property"),
        ("ex:like rdfs:subPropertyOf owl:sameAs .", "extends-project-property"),
        ("ex:unlike rdfs:subPropertyOf owl:differentFrom .", "extends-project-property"),
        ("ex:causedBy owl:inverseOf nkg:causes .", "extends-project-property"),
        ("ex:Anything owl:equivalentClass nkg:Symptom .", "extends-project-property"),
        ("ex:Everything owl:equivalentClass owl:Thing .", "extends-project-property"),
        ("owl:sameAs rdfs:subPropertyOf ex:p .", "redefines-built-in-vocabulary"),
        ("rdf:type a owl:TransitiveProperty .", "redefines-built-in-vocabulary"),
        ("rdfs:subClassOf owl:inverseOf ex:superClassOf .", "redefines-built-in-vocabulary"),
        ("entity:vitamin-b12-deficiency owl:sameAs entity:peripheral-neuropathy .", "merges-project-entities"),
        ("ex:b12 owl:sameAs entity:vitamin-b12 .", "merges-project-entities"),
        ("entity:vitamin-b12 owl:sameAs ex:b12 .", "merges-project-entities"),
    ],
)
def test_user_data_that_redefines_the_project_is_found_with_its_file(
    tmp_path: Path, statements: str, rule: str
) -> None:
    other = user_file(tmp_path, "ex:fish ex:says 'nothing wrong' .\n", "other.ttl")
    path = user_file(tmp_path, statements + "\n")
    findings = check_user_files([other, path])
    assert {(finding.rule.name, finding.file) for finding in findings} >= {(rule, str(path))}
    assert all(finding.file == str(path) for finding in findings)
    kept: dict[str, bytes] = {}  # the lines the load keeps for the rules: the same findings, no second parse
    asserted_ntriples([other, path], packaged=False, rule_lines=kept)
    assert set(kept) == {str(other), str(path)}
    assert described(check_user_files([other, path], kept)) == described(findings)


@pytest.mark.parametrize(
    "statements",
    [
        "ex:fish nkg:isDietarySourceOf entity:vitamin-b12 .",
        "ex:fish a nkg:DietarySource ; rdfs:label 'fish'@en .",
        "ex:TinglingFeet rdfs:subClassOf nkg:Symptom .",
        "ex:p a owl:SymmetricProperty ; rdfs:subPropertyOf ex:q .",
        "ex:a owl:sameAs ex:b .",
        "entity:vitamin-b12 owl:sameAs entity:vitamin-b12 .",
        "nkg:causes a owl:ObjectProperty .",  # the ontology states it too: nothing new
    ],
)
def test_user_data_that_only_adds_to_the_project_passes(tmp_path: Path, statements: str) -> None:
    assert check_user_files([user_file(tmp_path, statements + "\n")]) == []


ONTOLOGY = """
ex:Treatment a owl:Class . ex:Cause a owl:Class .
ex:Drug rdfs:subClassOf ex:Treatment .
ex:Treatment owl:disjointWith ex:Cause .
"""


@pytest.mark.parametrize(
    ("statements", "rule", "inferred"),
    [
        ("ex:x a owl:Nothing .", "inconsistent-nothing", False),
        ("ex:y owl:differentFrom ex:y .", "inconsistent-different-from-itself", False),
        ("ex:y owl:sameAs ex:z . ex:z owl:differentFrom ex:y .", "inconsistent-different-from-itself", False),
        ("ex:pill a ex:Treatment, ex:Cause .", "inconsistent-disjoint-classes", False),
        ("ex:pill a ex:Drug, ex:Cause .", "inconsistent-disjoint-classes", True),
        ("ex:C owl:complementOf ex:D . ex:x a ex:C, ex:D .", "inconsistent-disjoint-classes", False),
        (
            "[] a owl:AllDisjointClasses ; owl:members ( ex:A ex:B ex:C ) . ex:x a ex:A, ex:C .",
            "inconsistent-disjoint-classes",
            False,
        ),
        (
            "[] a owl:AllDifferent ; owl:distinctMembers ( ex:a ex:b ) . ex:a owl:sameAs ex:b .",
            "inconsistent-all-different",
            False,
        ),
        ("ex:p a owl:IrreflexiveProperty . ex:x ex:p ex:x .", "inconsistent-property-characteristics", False),
        (
            "ex:p a owl:AsymmetricProperty . ex:x ex:p ex:y . ex:y ex:p ex:x .",
            "inconsistent-property-characteristics",
            False,
        ),
        (
            "ex:p owl:propertyDisjointWith ex:q . ex:x ex:p ex:y ; ex:q ex:y .",
            "inconsistent-property-characteristics",
            False,
        ),
        (
            "ex:has a owl:FunctionalProperty . ex:x ex:has entity:a, entity:b .",
            "merged-project-entities",
            True,
        ),
    ],
)
def test_contradictions_in_the_asserted_or_inferred_graph_are_found_with_their_file(
    tmp_path: Path, statements: str, rule: str, inferred: bool
) -> None:
    path = user_file(tmp_path, ONTOLOGY + statements + "\n")
    graph = new_graph()
    parse_into(graph, path)
    data = canonical_ntriples(graph)
    with owlrl_recorded():  # owlrl's closure recorded for exactly these triples, else live
        reasoned = infer(graph, "owlrl")
        on_ntriples = infer_ntriples(data)  # natively, or by owlrl where the native reasoner does not follow
    findings = [finding for finding in check_graph(graph, reasoned, [path]) if finding.rule.name == rule]
    assert findings
    # the same rules on Oxigraph over N-Triples
    assert [finding for finding in check_ntriples(data, on_ntriples, [path]) if finding.rule.name == rule] == findings
    assert {finding.file for finding in findings} == {str(path)}
    assert any(finding.inferred == inferred for finding in findings)
    if rule.startswith("inconsistent-"):
        with pytest.raises(InconsistentDataError, match=rf"^the graph is inconsistent.*: {path}"):
            refuse_inconsistency(findings)


def test_a_consistent_graph_has_no_contradictions(tmp_path: Path) -> None:
    path = user_file(tmp_path, ONTOLOGY + "ex:pill a ex:Drug . ex:b12 a ex:Cause . ex:a owl:differentFrom ex:b .\n")
    graph = new_graph()
    parse_into(graph, path)
    data = canonical_ntriples(graph)
    with owlrl_recorded():  # owlrl's closure recorded for exactly these triples, else live
        assert check_graph(graph, infer(graph, "owlrl"), [path]) == []
        assert check_ntriples(data, infer_ntriples(data), [path]) == []


def test_every_rule_has_a_title_a_fix_and_a_scope() -> None:
    rules = integrity_rules()
    assert len(rules) >= 10
    for rule in rules:
        assert rule.title
        assert rule.fix
        assert rule.scope in ("user", "graph")


def test_the_packaged_graph_redefines_nothing_and_is_consistent(shipped: KnowledgeGraph) -> None:
    assert shipped.integrity() == []


@pytest.fixture
def fast_reasoning(monkeypatch: pytest.MonkeyPatch) -> None:
    """The native reasoner for the commands below (proven equal to owlrl in tests/test_fast_reason.py): owlrl
    would take most of a minute per new graph on a busy machine."""
    monkeypatch.setattr(reason, "FAST_THRESHOLD", 0)


@pytest.fixture(scope="module")
def redefining(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One user file with a merge of two project entities, a new characteristic of nkg:causes and a member
    of owl:Nothing: one reasoning run (cached) serves every command below."""
    return user_file(
        tmp_path_factory.mktemp("redefining"),
        "entity:vitamin-b12-deficiency owl:sameAs entity:peripheral-neuropathy .\n"
        "nkg:causes a owl:SymmetricProperty .\n"
        "ex:ghost a owl:Nothing .\n",
        "redefining.ttl",
    )


@pytest.mark.usefixtures("fast_reasoning")
def test_kg_validate_reports_each_statement_with_its_file_and_exits_1(
    redefining: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "--data", str(redefining)]) == 1
    report = capsys.readouterr().out
    for rule in ("merges-project-entities", "redefines-project-vocabulary", "inconsistent-nothing"):
        line = next(line for line in report.splitlines() if f"queries/integrity/{rule}.rq" in line)
        assert f"in {redefining}" in line


@pytest.mark.usefixtures("fast_reasoning")
def test_kg_qc_reports_them_as_errors_and_exits_1(redefining: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["qc", "--format", "tsv", "--data", str(redefining)]) == 1
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()[1:]]
    found = {(level, rule) for level, rule, _entity, _property, value in rows if value.endswith(f"(in {redefining})")}
    assert ("ERROR", "integrity/merges-project-entities") in found
    assert ("ERROR", "integrity/redefines-project-vocabulary") in found
    assert ("ERROR", "integrity/inconsistent-nothing") in found


@pytest.mark.usefixtures("fast_reasoning")
def test_queries_over_an_inconsistent_graph_are_refused_naming_the_clash_and_file(
    redefining: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "causes", "--param", "condition=vitamin B12 deficiency", "--data", str(redefining)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    [error] = [line for line in captured.err.splitlines() if line.startswith("kg: error:")]  # after the build notice
    assert error.startswith(f"kg: error: the graph is inconsistent, so reasoning cannot answer: {redefining}")
    assert "owl:Nothing" in captured.err
    with pytest.raises(InconsistentDataError):
        KnowledgeGraph.load([redefining]).reason()


def test_the_rules_find_the_same_on_the_few_lines_they_are_given_as_on_the_whole_graph(tmp_path: Path) -> None:
    """The rules run on the lines kg.integrity_lines keeps (a few of a file that may hold millions): on the
    packaged graph reasoned, plus a file breaking every rule, they find the same rows as on every line.
    A new rule that reads other statements fails here until the line filter covers it."""
    from kg import integrity_lines
    from kg.load import ntriples_of

    breaking = user_file(
        tmp_path,
        "nkg:causes a owl:SymmetricProperty ; rdfs:label 'verursacht'@de .\n"
        "nkg:Symptom owl:equivalentClass ex:Anything .\n"
        "ex:causedBy owl:inverseOf nkg:causes .\nex:like rdfs:subPropertyOf owl:sameAs .\n"
        "rdf:type a owl:TransitiveProperty .\nex:b12 owl:sameAs entity:vitamin-b12 .\n"
        "entity:vitamin-b12 owl:differentFrom entity:vitamin-b12 .\nex:ghost a owl:Nothing .\n"
        "ex:Fish owl:disjointWith ex:Meat .\nex:salmon a ex:Fish , ex:Meat .\n"
        "[] a owl:AllDifferent ; owl:distinctMembers ( ex:salmon ex:trout ) .\nex:salmon owl:sameAs ex:trout .\n"
        "ex:near a owl:IrreflexiveProperty .\nex:x ex:near ex:x .\n"
        "ex:above a owl:AsymmetricProperty .\nex:x ex:above ex:y .\nex:y ex:above ex:x .\n"
        "ex:p owl:propertyDisjointWith ex:q .\nex:x ex:p ex:y ; ex:q ex:y .\n"
        "entity:vitamin-b12-deficiency owl:sameAs entity:peripheral-neuropathy .\n",
    )
    shipped = KnowledgeGraph.load()
    everything = shipped.ntriples() + infer_ntriples(shipped.ntriples()) + ntriples_of(breaking)
    for scope, kept in (
        ("user", integrity_lines.what_user_rules_read(everything)),
        ("graph", integrity_lines.what_graph_rules_read((everything,))),
    ):
        assert 0 < kept.count(b"\n") < everything.count(b"\n") / 10
        for rule in integrity_rules(scope):
            on_all = rows_of(OxigraphEngine.from_ntriples(everything), rule.sparql)
            assert on_all, f"{rule.name} finds nothing in the breaking file: the comparison would prove nothing"
            assert rows_of(OxigraphEngine.from_ntriples(kept), rule.sparql) == on_all, rule.name


@pytest.mark.usefixtures("fast_reasoning")
def test_a_loaded_graph_checks_the_lines_it_loaded_without_reading_its_files_again(redefining: Path) -> None:
    """`KnowledgeGraph.load` keeps each file's lines the user rules read: the checks name the file as it was
    loaded, even once the file on disk has changed (a second parse would cost seconds at a million triples)."""
    graph = KnowledgeGraph.load([redefining])
    loaded = {(f.rule.name, f.file, f.statement()) for f in check_user_files([redefining])}
    assert ("redefines-project-vocabulary", str(redefining), "nkg:causes rdf:type owl:SymmetricProperty") in loaded
    original = redefining.read_bytes()
    try:
        redefining.write_text(PREFIXES + "ex:fish ex:says 'nothing wrong' .\n")
        assert check_user_files([redefining]) == []  # read again: the file says nothing now
        found = {(f.rule.name, f.file, f.statement()) for f in graph.integrity() if f.rule.scope == "user"}
    finally:
        redefining.write_bytes(original)
    assert found == loaded


def test_the_line_filters_keep_a_first_and_last_line_without_line_breaks() -> None:
    from kg import integrity_lines

    first = b'<https://w3id.org/neuropathy-kg/causes> <http://www.w3.org/2000/01/rdf-schema#label> "x" .'
    entity = b"<https://w3id.org/neuropathy-kg/entity/a> <http://example.org/p> <http://example.org/b> ."
    last = b"<http://example.org/a> <http://www.w3.org/2002/07/owl#sameAs> <http://example.org/b> ."
    assert integrity_lines.what_user_rules_read(first + b"\n" + entity + b"\n" + last) == first + b"\n" + last + b"\n"
    assert integrity_lines.what_user_rules_read(entity) == b""
    assert integrity_lines.what_graph_rules_read((entity + b"\n" + last,)) == last + b"\n"


def described(findings: list[IntegrityFinding]) -> list[tuple[str, str, str, bool]]:
    """Each finding as text, blank nodes as `_:` (every parse of a file labels them its own way)."""
    return [(f.rule.name, f.file, re.sub(r"_:\S+", "_:", f.statement()), f.inferred) for f in findings]


def rows_of(engine: OxigraphEngine, sparql: str) -> list[tuple[str, ...]]:
    """The rows in order, each blank node as `_:` (every store labels them its own way)."""
    rows = engine.run(sparql, {}, "rule").native_rows
    return sorted(tuple("_:" if isinstance(t, ox.BlankNode) else str(t) for t in row) for row in rows)
