"""The kg command line: every command's real output, and exit codes 0 / 1 / 2 with one-line errors."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from kg import KnowledgeGraph, ValidationReport, cli
from kg.cli import main
from kg.command_spec import Command
from kg.commands import COMMANDS


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("queries", "query", "sparql", "validate", "reason", "export", "stats", "describe", "format"):
        assert f"    {command}" in out
    assert "exit codes" in out


def test_command_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    assert "example:\n  kg query symptoms" in capsys.readouterr().out


@pytest.mark.parametrize("command", [command.name for command in COMMANDS])
def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"example:\n  kg {command}" in capsys.readouterr().out


@pytest.mark.parametrize("command", COMMANDS, ids=[command.name for command in COMMANDS])
def test_every_command_runs_a_function_of_the_library(command: Command) -> None:
    module, _, function = command.run.partition(":")
    assert callable(getattr(importlib.import_module(module), function))


def test_the_command_line_itself_imports_no_engine() -> None:
    """The CLI's own modules and the stored queries load no engine: each command loads what it uses, when run."""
    program = (
        "import sys, kg.cli, kg.cli_ask, kg.cli_make, kg.queries, kg.progress\n"
        "kg.cli._build_parser(''); kg.queries.stored_query('symptoms')\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules} & {'rdflib', 'owlrl', 'pyshacl', 'starlette'}))"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
def test_kg_query_imports_neither_rdflib_nor_owlrl(output_format: str) -> None:
    """A query on the built store reads it with Oxigraph alone: the label is resolved and the rows written without
    rdflib (whose import costs more than the query), whatever the output format."""
    program = (
        "import sys\nfrom kg.cli import main\nsys.argv[0] = 'kg'\ncode = main()\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules} & {'kg', 'rdflib', 'owlrl'}), file=sys.stderr)\n"
        "sys.exit(code)"
    )
    command = [sys.executable, "-c", program, "query", "symptoms", "--param", "condition=peripheral neuropathy"]
    result = subprocess.run([*command, "--format", output_format], capture_output=True, text=True, check=True)
    assert "tingling" in result.stdout.lower()
    assert result.stderr.splitlines()[-1] == "kg"


def test_queries_lists_stored_queries_with_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "queries")
    assert code == 0
    assert "symptoms: Symptoms of a condition" in out
    assert "--param condition=" in out


def test_query_as_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", "dietary-sources", "--param", "nutrient=vitamin B12", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "nutrient,nutrientLabel,source,sourceLabel,kind,kindLabel,excludedBy"
    assert len(lines) == 7


def test_query_as_sparql_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", "symptoms", "--param", "condition=peripheral neuropathy", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["head"]["vars"][:3] == ["condition", "conditionLabel", "symptom"]
    assert document["results"]["bindings"][0]["symptom"]["type"] == "uri"


def test_query_as_sparql_xml_and_tsv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", "neuropathy-types", "--format", "xml")
    assert code == 0
    assert '<sparql xmlns="http://www.w3.org/2005/sparql-results#">' in out
    code, out, _ = run(capsys, "query", "neuropathy-types", "--format", "tsv")
    assert code == 0
    assert out.splitlines()[0].startswith("?type\t?typeLabel")
    assert '"carpal tunnel syndrome"@en' in out


def test_query_table_shortens_iris(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "query", "neuropathy-types")
    assert code == 0
    assert "entity:carpal-tunnel-syndrome" in out
    assert "(4 rows)" in out


def test_sparql_from_text_and_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?c a nkg:Claim }", "--format", "csv")
    assert code == 0
    assert int(out.splitlines()[1]) >= 90
    query = tmp_path / "q.rq"
    query.write_text("ASK { entity:fish nkg:isDietarySourceOf entity:vitamin-b12 }")
    code, out, _ = run(capsys, "sparql", "--file", str(query))
    assert code == 0
    assert out.strip() == "yes"


def test_require_results_exits_1_on_no_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "query", "search", "--param", "text=zzzz", "--require-results")
    assert code == 1
    assert "no rows" in err


def test_describe(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "describe", "carpal tunnel syndrome")
    assert code == 0
    assert "entity:nerves-of-the-wrist" not in out
    assert "nerves of the wrist" in out


def test_validate_shipped_graph_conforms(
    capsys: pytest.CaptureFixture[str],
    shipped: KnowledgeGraph,
    shipped_validation: ValidationReport,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The shipped graph and its report are computed once per session (tests/test_validate.py checks the report);
    # this test is about what the command prints and returns for it.
    monkeypatch.setattr(cli, "_graph", lambda args: shipped)
    monkeypatch.setattr(KnowledgeGraph, "validate", lambda graph, method="auto": shipped_validation)
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert "Conforms" in out


def test_validate_extra_data_that_breaks_a_shape_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    extra = tmp_path / "claim-without-quote.ttl"
    extra.write_text(
        "@prefix nkg: <https://w3id.org/neuropathy-kg/> .\n"
        "@prefix entity: <https://w3id.org/neuropathy-kg/entity/> .\n"
        "entity:fish nkg:causes entity:numbness .\n"
    )
    # pyrudof (--validator fast) reports what pyshacl reports (tests/test_fast_validate.py) in a tenth of the time.
    code, out, err = run(capsys, "validate", "--data", str(extra), "--validator", "fast")
    assert code == 1
    assert "shape:StatementHasClaim" in out
    assert "entity:fish" in out
    assert "SHACL result" in err


def test_reason_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "reason")
    assert code == 0
    asserted, inferred = (int(line.split(": ")[1]) for line in out.splitlines())
    assert asserted > 1500
    assert inferred > 500


def test_stats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert "Claim resources: " in out


def test_export_writes_file_atomically(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "graph.ttl"
    code, _, err = run(capsys, "export", "--format", "turtle", "-o", str(target))
    assert code == 0
    assert target.read_bytes().startswith(b"@prefix")
    assert f"to {target}" in err
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["query", "nope"], "no stored query named 'nope'"),
        (["query", "symptoms"], "needs --param condition"),
        (["query", "symptoms", "--param", "condition=nothing-like-this"], "names nothing in the graph"),
        (["query", "symptoms", "--param", "condition"], "is not KEY=VALUE"),
        (["query", "symptoms", "--param", "condition=tingling", "--param", "x=1"], "has no parameter 'x'"),
        (["export", "--format", "bogus"], "unknown export format 'bogus'"),
        (["query", "neuropathy-types", "--format", "bogus"], "invalid choice: 'bogus'"),
        (["sparql", "SELEC nothing"], "not a valid SPARQL query"),
        (["sparql"], "give a SPARQL query or --file FILE"),
        (["stats", "--data", "/no/such/file.ttl"], "/no/such/file.ttl: no such file or folder"),
        (["nonsense"], "invalid choice: 'nonsense'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    error_lines = [line for line in err.splitlines() if line.startswith("kg: error:")]
    assert len(error_lines) == 1
    assert message in error_lines[0]
    assert "Traceback" not in err


def test_malformed_data_file_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix : <http://example.org/> .\n:a :b :c ;\n  :d .\n")
    code, _, err = run(capsys, "stats", "--data", str(bad))
    assert code == 2
    assert f"{bad}:3: syntax error" in err


def test_format_check_reports_non_canonical_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    messy = tmp_path / "messy.ttl"
    messy.write_text(
        "<http://example.org/b> <http://example.org/p> 1 . <http://example.org/a> <http://example.org/p> 2 ."
    )
    code, out, _ = run(capsys, "format", "--check", str(messy))
    assert code == 1
    assert "not canonical" in out
    assert run(capsys, "format", str(messy))[0] == 0
    assert run(capsys, "format", "--check", str(messy))[0] == 0


def test_a_parameter_without_param_names_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "query", "treatments", "condition=peripheral neuropathy")
    assert code == 2
    assert err.splitlines()[-1] == (
        "kg: error: query: unrecognized arguments: condition=peripheral neuropathy; "
        "did you mean --param 'condition=peripheral neuropathy'?"
    )


def test_a_misspelt_command_or_choice_names_the_one_meant(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "querry", "symptoms")
    assert code == 2
    assert err.splitlines()[-1].startswith("kg: error: argument COMMAND: invalid choice: 'querry'")
    assert err.splitlines()[-1].endswith("; did you mean 'query'?")
    code, _, err = run(capsys, "query", "neuropathy-types", "--format", "cvs")
    assert err.splitlines()[-1].endswith("; did you mean 'csv'?")


@pytest.mark.parametrize("output_format", ["table", "csv", "json"])
def test_no_rows_is_said_on_stderr_and_stdout_keeps_the_empty_result(
    capsys: pytest.CaptureFixture[str], output_format: str
) -> None:
    code, out, err = run(capsys, "query", "search", "--param", "text=zzzz", "--format", output_format)
    assert code == 0
    assert err.splitlines()[-1] == "kg: the query returned no rows"
    if output_format == "json":
        assert json.loads(out)["results"]["bindings"] == []
    elif output_format == "csv":
        assert out.splitlines() == ["text,entity,entityLabel,matched,type,typeLabel"]


def test_the_first_run_says_it_is_building_the_store(
    capsys: pytest.CaptureFixture[str], shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    def first_open(*args: object, building: Callable[[], AbstractContextManager[None]], **options: object) -> object:
        with building():  # what KnowledgeGraph.open does when no snapshot exists yet
            return shipped

    monkeypatch.setattr(KnowledgeGraph, "open", first_open)
    code, _, err = run(capsys, "query", "neuropathy-types", "--format", "csv")
    assert code == 0
    assert err.splitlines() == ["kg: building the store (first run only; later runs reuse it): reasoning…"]


def test_a_run_with_the_store_built_says_nothing_about_building(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "query", "neuropathy-types", "--format", "csv")  # builds it if no test has yet
    code, _, err = run(capsys, "query", "neuropathy-types", "--format", "csv")
    assert (code, err) == (0, "")


def test_an_empty_construct_says_so_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . FILTER(false) }")
    assert code == 0
    assert out.strip() == ""  # an empty graph in Turtle
    assert err.splitlines() == ["kg: the query returned no triples"]


def test_a_construct_answer_is_written_without_rdflib_each_triple_once() -> None:
    """`kg sparql` writes a CONSTRUCT's graph as canonical Turtle from Oxigraph's triples: no rdflib on the
    way, and a triple the template makes twice is written once."""
    program = (
        "import sys\nfrom kg.cli import main\nsys.argv[0] = 'kg'\ncode = main()\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules} & {'kg', 'rdflib', 'owlrl'}), file=sys.stderr)\n"
        "sys.exit(code)"
    )
    query = (
        "CONSTRUCT { ?s <http://example.org/p> ?o . ?s <http://example.org/p> ?o } "
        "WHERE { VALUES ?s { entity:peripheral-neuropathy } ?s rdfs:label ?o }"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, "sparql", query], capture_output=True, text=True, check=True
    )
    assert result.stdout == (
        "@prefix entity: <https://w3id.org/neuropathy-kg/entity/> .\n"
        "@prefix ns1: <http://example.org/> .\n\n"
        'entity:peripheral-neuropathy ns1:p "peripheral neuropathy"@en .\n\n'
    )
    assert result.stderr.splitlines()[-1] == "kg"


@pytest.mark.parametrize("command", [["reason"], ["validate"], ["stats"], ["export", "--format", "jsonld"]])
def test_the_native_commands_import_no_reference_engine(command: list[str]) -> None:
    """Reasoning, validation, counting and Oxigraph's exports run on the store and the N-Triples: rdflib,
    owlrl and pyshacl stay the reference engines, loaded only when asked for (`--reasoner owlrl`, …)."""
    program = (
        "import sys\nfrom kg.cli import main\nsys.argv[0] = 'kg'\ncode = main()\n"
        "engines = {'kg', 'rdflib', 'owlrl', 'pyshacl'}\n"
        "print(*sorted({m.split('.')[0] for m in sys.modules} & engines), file=sys.stderr)\n"
        "sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", program, *command], capture_output=True, text=True, check=True)
    assert result.stdout
    assert result.stderr.splitlines()[-1] == "kg"
