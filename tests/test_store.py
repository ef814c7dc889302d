"""Loading the user's RDF files: every accepted syntax, folders, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg import DataFileError, InputError, KnowledgeGraph
from kg.store import new_graph, parse_into

NEW_CLAIM_TURTLE = """@prefix entity: <https://w3id.org/neuropathy-kg/entity/> .
@prefix nkg: <https://w3id.org/neuropathy-kg/> .
entity:fish nkg:isDietarySourceOf entity:vitamin-b12 .
"""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.ttl", NEW_CLAIM_TURTLE),
        ("a.nt", "<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n"),
        ("a.jsonld", '{"@id": "http://example.org/a", "http://example.org/p": {"@id": "http://example.org/b"}}'),
        (
            "a.rdf",
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
            '<rdf:Description rdf:about="http://example.org/a"><ex:p rdf:resource="http://example.org/b"/>'
            "</rdf:Description></rdf:RDF>",
        ),
        ("a.trig", "<http://example.org/g> { <http://example.org/a> <http://example.org/p> <http://example.org/b> . }"),
    ],
)
def test_each_accepted_syntax_loads(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    graph = new_graph()
    assert parse_into(graph, path) == 1


def test_extra_folder_adds_its_files_to_the_packaged_graph(tmp_path: Path) -> None:
    (tmp_path / "more.nt").write_text("<http://example.org/a> <http://example.org/p> <http://example.org/b> .\n")
    (tmp_path / "notes.txt").write_text("not RDF")
    base = len(KnowledgeGraph.load().asserted)
    graph = KnowledgeGraph.load([tmp_path])
    assert len(graph.asserted) == base + 1
    assert graph.sources[-1].endswith("more.nt")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.ttl", "", "empty.ttl: file is empty"),
        ("truncated.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b", "truncated.ttl:2: syntax error"),
        ("undefined.ttl", "\n\nundefined:a undefined:b undefined:c .", "undefined.ttl:3: syntax error"),
        ("bad.nt", "<http://example.org/a> <http://example.org/p> .\n", "bad.nt"),
        ("bad.jsonld", '{"@id": ', "bad.jsonld:1: invalid JSON"),
        ("remote.jsonld", '{"@context": "http://example.org/context.jsonld", "@id": "x"}', "would be fetched"),
        ("bad.rdf", "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>", "bad.rdf"),
        ("data.yaml", "a: b", "unknown RDF file suffix '.yaml'"),
    ],
)
def test_bad_files_raise_data_file_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataFileError, match=message.replace(".", r"\.")):
        parse_into(new_graph(), path)


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.ttl"
    path.write_bytes(b'@prefix ex: <http://example.org/> .\nex:a ex:b "caf\xe9" .\n')
    with pytest.raises(DataFileError, match=r"latin1\.ttl:2: file is not valid UTF-8"):
        parse_into(new_graph(), path)


def test_missing_path_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        KnowledgeGraph.load(["/no/such/place"])
