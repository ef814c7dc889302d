"""Broken data files (tests/corpus/): exit 2, one line naming file and line; nothing fetched, read or written."""

from __future__ import annotations

import http.server
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg import DataFileError, InputError, KnowledgeGraph
from kg.cli import main
from kg.load import max_file_bytes, ntriples_of
from kg.store import new_graph, parse_into

CORPUS = Path(__file__).parent / "corpus"

#: Every corpus file, with the line the message must name (None: the parser cannot know it) and words it must hold.
EXPECTED: dict[str, tuple[int | None, str]] = {
    "bad-iri-curly.ttl": (2, "invalid IRI <http://example.org/{curly}>"),
    "bad-iri-quote.ttl": (2, 'invalid IRI <http://example.org/quote">'),
    "bad-iri-space.ttl": (2, "invalid IRI <http://example.org/has space>"),
    "bad-iri.jsonld": (1, "invalid IRI 'http://example.org/has space'"),
    "bad-iri.nq": (1, "invalid IRI"),
    "bad-iri.nt": (1, "syntax error: invalid line"),
    "bad-iri.rdf": (3, "invalid IRI <http://example.org/has space>"),
    "billion-laughs-in-attribute.rdf": (9, "billion laughs"),
    "billion-laughs.rdf": (9, "billion laughs"),
    "deep-entity-chain.rdf": (None, "nested too deeply"),
    "deep-nesting.jsonld": (None, "nested too deeply"),
    "deep-nesting.ttl": (None, "nested too deeply"),
    "empty.jsonld": (None, "file is empty"),
    "empty.nq": (None, "file is empty"),
    "empty.nt": (None, "file is empty"),
    "empty.rdf": (None, "file is empty"),
    "empty.trig": (None, "file is empty"),
    "empty.ttl": (None, "file is empty"),
    "external-dtd.rdf": (2, "external DTD 'http://127.0.0.1:9/rdf.dtd' refused"),
    "external-entity-file.rdf": (3, "external entity 'secret' (file:///etc/passwd) refused"),
    "external-entity-http.rdf": (3, "external entity 'remote' (http://127.0.0.1:9/entity.txt) refused"),
    "external-entity-relative.rdf": (3, "external entity 'secret' (secret.txt) refused"),
    "external-parameter-entity.rdf": (3, "external entity 'remote' (http://127.0.0.1:9/entities.dtd) refused"),
    "invalid-utf8.jsonld": (1, "not valid UTF-8"),
    "invalid-utf8.nt": (1, "not valid UTF-8"),
    "invalid-utf8.rdf": (3, "not valid UTF-8"),
    "invalid-utf8.ttl": (2, "not valid UTF-8"),
    "lone-surrogate-iri.nt": (2, "escape sequence '\\uDC00' is encoding DC00 that is not a valid unicode character"),
    "lone-surrogate.jsonld": (3, "a lone UTF-16 surrogate escape"),
    "lone-surrogate.nq": (1, "escape sequence '\\U0000DFFF' is encoding DFFF that is not a valid unicode"),
    "lone-surrogate.trig": (3, "a lone UTF-16 surrogate escape"),
    "lone-surrogate.ttl": (2, "a lone UTF-16 surrogate escape"),
    "local-file-context.jsonld": (2, "JSON-LD context 'file:///etc/passwd' would be fetched"),
    "recursive-entity.rdf": (4, "refers to itself"),
    "remote-context-import.jsonld": (2, "JSON-LD context 'http://127.0.0.1:9/context.jsonld' would be fetched"),
    "remote-context-in-list.jsonld": (2, "JSON-LD context 'http://127.0.0.1:9/context.jsonld' would be fetched"),
    "remote-context.jsonld": (2, "JSON-LD context 'http://127.0.0.1:9/context.jsonld' would be fetched"),
    "surrogate-char-ref.rdf": (3, "reference to invalid character number"),
    "truncated-blank-node.ttl": (3, "syntax error"),
    "truncated-statement.ttl": (2, "syntax error: unexpected end of file"),
    "truncated-string.ttl": (3, "syntax error"),
    "truncated.jsonld": (4, "invalid JSON"),
    "truncated.nq": (2, 'syntax error: invalid line: <http://example.org/a> <http://example.org/b> "x'),
    "truncated.nt": (2, "syntax error: invalid line: <http://exam"),
    "truncated.rdf": (5, "no element found"),
    "truncated.trig": (4, "syntax error"),
    "two-triples-one-line.nt": (1, "only a single triple or quad can be written in a line"),
    "undefined-prefix.rdf": (4, "unbound prefix"),
    "undefined-prefix.trig": (3, "the prefix undeclared: has not been declared"),
    "undefined-prefix.ttl": (4, "the prefix undeclared: has not been declared"),
    "unknown-suffix.yaml": (None, "unknown RDF file suffix '.yaml'"),
    "unparsed-entity.rdf": (4, "unparsed entity 'picture'"),
    "whitespace-only.ttl": (None, "file is empty"),
    "wrong-datatype-date.ttl": (4, "'yesterday' is not a valid xsd:date"),
    "wrong-datatype-integer.ttl": (3, "'forty-two' is not a valid xsd:integer"),
    "wrong-datatype.jsonld": (1, "'forty-two' is not a valid xsd:integer"),
    "wrong-datatype.nt": (1, "'maybe' is not a valid xsd:boolean"),
    "wrong-datatype.rdf": (4, "'forty-two' is not a valid xsd:integer"),
}

#: The address the corpus files point at; each test swaps in its own recording server.
PLACEHOLDER_URL = "http://127.0.0.1:9/"
SECRET = "SECRET-TEXT-THAT-MUST-NOT-BE-READ"

#: Audit events that would show the loader reaching for the network.
NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request")

_audit: list[tuple[str, tuple[object, ...]]] | None = None


def _record(event: str, arguments: tuple[object, ...]) -> None:
    if _audit is not None and (event in NETWORK_EVENTS or event == "open"):
        _audit.append((event, arguments))


sys.addaudithook(_record)  # audit hooks cannot be removed; this one records only while a test asks it to


@pytest.fixture
def audit() -> Iterator[list[tuple[str, tuple[object, ...]]]]:
    """Every network event and every file opened while the test body runs (Python's audit hooks)."""
    global _audit
    _audit = []
    try:
        yield _audit
    finally:
        _audit = None


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(SECRET.encode())

    def log_message(self, *_arguments: object) -> None:
        pass


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it gets: (its URL, the paths requested)."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("KG_CACHE_DIR", str(folder))
    return folder


def corpus_copy(name: str, folder: Path, url: str) -> Path:
    """The corpus file in `folder`, pointing at `url` instead of the placeholder, a secret file beside it."""
    (folder / "secret.txt").write_text(SECRET)
    content = (CORPUS / name).read_bytes().replace(PLACEHOLDER_URL.encode(), url.encode())
    content = content.replace(b"file:///etc/passwd", (folder / "secret.txt").as_uri().encode())
    path = folder / name
    path.write_bytes(content)
    return path


def expected_message(path: Path) -> str:
    line, _words = EXPECTED[path.name]
    return f"{path}:{line}: " if line is not None else f"{path}: "


def expected_words(path: Path, url: str) -> str:
    """The words the message must hold, with the addresses the copy in `path.parent` points at."""
    words = EXPECTED[path.name][1].replace(PLACEHOLDER_URL, url)
    return words.replace("file:///etc/passwd", (path.parent / "secret.txt").as_uri())


def test_the_corpus_is_what_the_table_lists() -> None:
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(EXPECTED)
    suffixes = {path.suffix for path in CORPUS.iterdir()}
    assert {".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf"} <= suffixes


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_api_refuses_the_file_naming_file_and_line_without_network_or_other_files(
    name: str, tmp_path: Path, recorder: tuple[str, list[str]], audit: list[tuple[str, tuple[object, ...]]]
) -> None:
    url, hits = recorder
    path = corpus_copy(name, tmp_path, url)
    before = len(hits)
    audit.clear()
    with pytest.raises(DataFileError) as caught:
        KnowledgeGraph.load([path], packaged=False)
    message = str(caught.value)
    assert message.startswith(expected_message(path))
    assert expected_words(path, url) in message
    assert "\n" not in message
    assert caught.value.path == str(path)
    assert caught.value.line == EXPECTED[name][0]
    assert SECRET not in message
    assert hits[before:] == []
    assert [event for event in audit if event[0] in NETWORK_EVENTS] == []
    opened = {str(arguments[0]) for event, arguments in audit if event == "open" and isinstance(arguments[0], str)}
    assert str(tmp_path / "secret.txt") not in opened
    assert not any(name.startswith(str(tmp_path)) and name != str(path) for name in opened)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_exits_2_with_one_line_and_leaves_no_export_or_cache(
    name: str,
    tmp_path: Path,
    recorder: tuple[str, list[str]],
    cache_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, hits = recorder
    path = corpus_copy(name, tmp_path, url)
    output = tmp_path / "out" / "graph.ttl"
    output.parent.mkdir()
    output.write_text("previous export\n")
    before = len(hits)
    code = main(["export", "--data", str(path), "-o", str(output)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"kg: error: {expected_message(path)}")
    assert expected_words(path, url) in captured.err
    assert hits[before:] == []
    assert output.read_text() == "previous export\n"
    assert [p.name for p in output.parent.iterdir()] == ["graph.ttl"]  # no temporary file left either
    assert list(cache_dir.iterdir()) == []


def test_a_50_megabyte_file_over_the_opt_in_limit_is_refused_before_it_is_read(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    audit: list[tuple[str, tuple[object, ...]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    line = b"<http://example.org/subject> <http://example.org/predicate> " + b'"' + b"x" * 100 + b'" .\n'
    path = tmp_path / "huge.nt"
    path.write_bytes(line * (50_000_000 // len(line) + 1))
    monkeypatch.setenv("KG_MAX_FILE_BYTES", "20000000")
    assert path.stat().st_size > 50_000_000 > max_file_bytes() == 20_000_000
    audit.clear()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(DataFileError, match=r"huge\.nt: file is 50,000,\d{3} bytes, over the 20,000,000-byte"):
            parse_into(new_graph(), path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2.0
    assert peak < 1_000_000  # the file was never read into memory
    assert not any(event == "open" and str(arguments[0]) == str(path) for event, arguments in audit)
    assert main(["stats", "--data", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "set KG_MAX_FILE_BYTES to a larger limit" in error


def test_the_size_limit_is_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.nt"
    path.write_text("<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n")
    monkeypatch.delenv("KG_MAX_FILE_BYTES", raising=False)
    assert max_file_bytes() is None  # no fixed cap: memory is the limit
    assert ntriples_of(path) == path.read_bytes()
    assert parse_into(new_graph(), path, max_bytes=100) == 1
    with pytest.raises(DataFileError, match="over the 10-byte limit"):
        parse_into(new_graph(), path, max_bytes=10)
    monkeypatch.setenv("KG_MAX_FILE_BYTES", "10")
    with pytest.raises(DataFileError, match="over the 10-byte limit"):
        parse_into(new_graph(), path)
    monkeypatch.setenv("KG_MAX_FILE_BYTES", "lots")
    with pytest.raises(InputError, match="KG_MAX_FILE_BYTES='lots' is not a positive whole number"):
        parse_into(new_graph(), path)


def test_quadratic_entity_blowup_is_refused_quickly(tmp_path: Path) -> None:
    """One 100 kB entity referenced 2,000 times: 200 MB of text from a 112 kB file."""
    body = "".join("<ex:p>&big;</ex:p>" for _ in range(2000))
    path = tmp_path / "quadratic.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rdf:RDF [\n<!ENTITY big "{"a" * 100_000}">\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        f'<rdf:Description rdf:about="http://example.org/a">{body}</rdf:Description>\n</rdf:RDF>\n'
    )
    started = time.monotonic()
    with pytest.raises(DataFileError, match=r"quadratic\.rdf:6: entity references expand to more than"):
        parse_into(new_graph(), path)
    assert time.monotonic() - started < 2.0


def test_internal_entities_as_protege_writes_them_still_load(tmp_path: Path) -> None:
    path = tmp_path / "protege.owl"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n  <!ENTITY ex "http://example.org/" >\n'
        '  <!ENTITY xsd "http://www.w3.org/2001/XMLSchema#" >\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        '  <rdf:Description rdf:about="&ex;a"><ex:b rdf:resource="&ex;c"/>'
        '<ex:n rdf:datatype="&xsd;integer">42</ex:n></rdf:Description>\n</rdf:RDF>\n'
    )
    graph = new_graph()
    assert parse_into(graph, path) == 2
    assert {str(o) for o in graph.objects()} == {"http://example.org/c", "42"}


def test_a_rejected_file_adds_nothing_to_the_graph(tmp_path: Path) -> None:
    """Parsing goes to a scratch graph first: a file that fails half-way leaves the target as it was."""
    path = tmp_path / "half.ttl"
    path.write_text(
        "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e ex:f .\nex:g ex:h <ex:bad iri> .\n"
    )
    graph = new_graph()
    with pytest.raises(DataFileError, match=r"half\.ttl:4: invalid IRI <ex:bad iri>"):
        parse_into(graph, path)
    assert len(graph) == 0


def test_an_unreadable_file_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "folder.ttl"
    path.mkdir()
    with pytest.raises(DataFileError, match=r"folder\.ttl: cannot read the file"):
        parse_into(new_graph(), path)


def test_a_file_name_with_a_newline_stays_one_line_of_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two\nlines.ttl"
    path.write_text("")
    assert main(["stats", "--data", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
