"""Quality control: each shipped rule finds exactly the problems of its fixture, and the shipped graph passes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg import KnowledgeGraph, cli
from kg.engine import check_read_only
from kg.errors import DataFileError, UnknownQueryError
from kg.qc import QCFinding, QCReport, QCRule, parse_qc_rule, qc_rules, run_qc
from kg.screen import screen

FIXTURES = Path(__file__).parent / "fixtures" / "qc"
RULE_NAMES = [rule.name for rule in qc_rules()]

VALID_RULE = """# title: Example
# description: A problem,
#   described over two lines.
# level: WARN
SELECT ?entity ?property ?value WHERE { ?entity ?property ?value }
"""


def expected_entities(fixture: Path) -> set[str]:
    return set(re.findall(r"^# expect: (\S+)$", fixture.read_text(encoding="utf-8"), flags=re.MULTILINE))


def test_every_rule_has_a_failing_fixture_and_every_fixture_a_rule() -> None:
    assert sorted(path.stem for path in FIXTURES.glob("*.ttl")) == sorted(RULE_NAMES)


def test_the_rules_include_the_issues_minimum() -> None:
    wanted = {"missing-label", "missing-definition", "duplicate-label", "claim-without-quote", "dangling-reference"}
    assert wanted <= set(RULE_NAMES)


@pytest.mark.parametrize("name", RULE_NAMES)
def test_rule_finds_exactly_the_broken_resources_of_its_fixture(name: str) -> None:
    fixture = FIXTURES / f"{name}.ttl"
    expected = expected_entities(fixture)
    assert expected, f"{fixture} names no '# expect:' IRI"
    report = run_qc(KnowledgeGraph.load([fixture], packaged=False), qc_rules([name]))
    assert {finding.entity for finding in report.findings} == expected
    assert {finding.rule for finding in report.findings} == {name}


def test_each_rule_has_a_level_and_a_description_with_a_fix() -> None:
    for rule in qc_rules():
        assert rule.level in ("ERROR", "WARN")
        assert "Fix:" in rule.description, rule.name


def test_the_shipped_graph_has_no_errors(shipped: KnowledgeGraph) -> None:
    report = run_qc(shipped)
    assert report.passed, report.to_table()
    assert len(report.rules) == len(RULE_NAMES)


def test_an_error_fails_the_report_and_a_warning_does_not() -> None:
    rule = QCRule("example", "Example", "…", "ERROR", "")
    error = QCFinding("ERROR", "missing-label", "https://w3id.org/neuropathy-kg/entity/x", "rdfs:label", "")
    warning = QCFinding("WARN", "label-whitespace", "https://w3id.org/neuropathy-kg/entity/y", "rdfs:label", "y ")
    assert not QCReport((rule,), (error, warning)).passed
    assert QCReport((rule,), (warning,)).passed


def test_the_table_shortens_iris_and_counts_findings() -> None:
    finding = QCFinding(
        "ERROR",
        "missing-label",
        "https://w3id.org/neuropathy-kg/entity/x",
        "http://www.w3.org/2000/01/rdf-schema#label",
        "",
    )
    table = QCReport((), (finding,)).to_table()
    assert "entity:x" in table
    assert "rdfs:label" in table
    assert table.splitlines()[0].split() == ["level", "rule", "entity", "property", "value"]
    assert "1 error(s), 0 warning(s) - QC failed" in table


def test_the_tsv_keeps_full_iris() -> None:
    finding = QCFinding("WARN", "r", "https://w3id.org/neuropathy-kg/entity/x", "p", "a\tb")
    assert (
        QCReport((), (finding,)).to_tsv().splitlines()[1]
        == "WARN\tr\thttps://w3id.org/neuropathy-kg/entity/x\tp\ta\\tb"
    )


def test_a_rule_header_is_read_with_continuation_lines() -> None:
    rule = parse_qc_rule("example", VALID_RULE, "queries/qc/example.rq")
    assert (rule.title, rule.level) == ("Example", "WARN")
    assert rule.description == "A problem, described over two lines."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (VALID_RULE.replace("# level: WARN\n", ""), "no '# level:' line"),
        (VALID_RULE.replace("WARN", "FATAL"), "unknown level 'FATAL'"),
        (VALID_RULE.replace("?entity ?property ?value WHERE", "?s ?p ?o WHERE"), "SELECT ?entity ?property ?value"),
        (VALID_RULE.replace("# title:", "# name:"), "unreadable header line"),
    ],
)
def test_a_malformed_rule_names_its_file(text: str, problem: str) -> None:
    with pytest.raises(DataFileError, match=re.escape(problem)) as raised:
        parse_qc_rule("example", text, "queries/qc/example.rq")
    assert raised.value.path == "queries/qc/example.rq"


def test_an_unknown_rule_name_lists_the_rules() -> None:
    with pytest.raises(UnknownQueryError, match="missing-label"):
        qc_rules(["no-such-rule"])


def test_kg_qc_exits_1_on_an_error_and_prints_the_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = KnowledgeGraph.load([FIXTURES / "missing-label.ttl"], packaged=False)
    monkeypatch.setattr(cli, "_graph", lambda args: broken)
    assert cli.main(["qc", "--rule", "missing-label"]) == 1
    captured = capsys.readouterr()
    assert "entity:nameless" in captured.out
    assert "1 rules: 2 error(s), 0 warning(s) - QC failed" in captured.out
    assert captured.err.startswith("kg: error: 2 QC error(s)")


def test_kg_qc_passes_on_the_shipped_graph_in_a_fresh_process() -> None:
    command = [sys.executable, "-c", "import sys; from kg.cli import main; sys.exit(main(sys.argv[1:]))", "qc"]
    finished = subprocess.run([*command, "--format", "tsv"], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    assert lines[0] == "level\trule\tentity\tproperty\tvalue"
    assert all(line.startswith("WARN\t") for line in lines[1:])


def test_every_rule_is_read_only() -> None:
    """QC rules run as the package's own reviewed queries (in process, unscreened), so each must pass both here."""
    for rule in qc_rules():
        check_read_only(rule.sparql, f"queries/qc/{rule.name}.rq")
        screen(rule.sparql, f"queries/qc/{rule.name}.rq")
