"""Encodings and sizes: surrogate escapes refused (or joined when they pair), byte-order marks and old line ends
accepted in every syntax, N-Triples and N-Quads read natively (linear in line length) into the graph rdflib reads."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rdflib.plugins.parsers.notation3
import rdflib.plugins.parsers.ntriples
from rdflib import Graph, Literal, URIRef
from recorded import replayed
from shared_graphs import Reading, assert_isomorphic, reading_key, summed_up

from kg import DataFileError, KnowledgeGraph
from kg.cli import main
from kg.load import ntriples_of
from kg.store import new_graph, parse_into

RDF_XML_HEAD = (
    '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://example.org/">\n'
)
GRINNING = "\U0001f600"

#: One statement, `ex:a ex:b VALUE` (the subject's IRI ends in SUFFIX), in every syntax; line 2 holds it.
_OK = '<http://example.org/ok> <http://example.org/b> "ok" .\n'
STATEMENT = {
    ".ttl": '@prefix ex: <http://example.org/> .\n<http://example.org/aSUFFIX> ex:b "VALUE" .\n',
    ".nt": _OK + '<http://example.org/aSUFFIX> <http://example.org/b> "VALUE" .\n',
    ".nq": _OK + '<http://example.org/aSUFFIX> <http://example.org/b> "VALUE" <http://example.org/g> .\n',
    ".trig": '@prefix ex: <http://example.org/> .\nex:g { <http://example.org/aSUFFIX> ex:b "VALUE" . }\n',
    ".jsonld": '{"@id": "http://example.org/ok",\n "http://example.org/b": '
    '{"@id": "http://example.org/aSUFFIX", "http://example.org/b": "VALUE"}}\n',
}


XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")


def as_rdf_1_1(graph: Graph) -> Graph:
    """`graph` as RDF 1.1 and Oxigraph read it: language tags in lower case (they compare without case) and
    `"x"^^xsd:string` the same literal as `"x"` (rdflib 7 keeps the two apart)."""
    normal = Graph()
    for subject, predicate, obj in graph:
        if isinstance(obj, Literal) and obj.language:
            obj = Literal(str(obj), lang=obj.language.lower())
        elif isinstance(obj, Literal) and obj.datatype == XSD_STRING:
            obj = Literal(str(obj))
        normal.add((subject, predicate, obj))
    return normal


def rdflib_reads(text: str, format: str) -> dict[str, Graph]:
    """What rdflib reads from `text`, every graph's triples in one ("read"), and that as RDF 1.1 reads it ("")."""
    read = Graph()
    if format in ("nquads", "trig"):
        for subject, predicate, obj, _graph in rdflib.Dataset().parse(data=text, format=format).quads():
            read.add((subject, predicate, obj))
    else:
        read.parse(data=text, format=format)
    return {"read": read, "": as_rdf_1_1(read)}


def rdflib_reading(text: str, format: str) -> Reading:
    """`rdflib_reads`, the reference: replayed when recorded for exactly this text (tests/shared_graphs.py)."""
    key = reading_key(text.encode("utf-8"), format, inspect.getsource(rdflib_reads), inspect.getsource(as_rdf_1_1))
    summary = replayed("rdflib-read", key, lambda: summed_up(rdflib_reads(text, format)))
    return Reading(summary, lambda: rdflib_reads(text, format))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def statement(suffix: str, value: str = "x", iri_suffix: str = "") -> str:
    return STATEMENT[suffix].replace("VALUE", value).replace("SUFFIX", iri_suffix)


@pytest.mark.parametrize("suffix", sorted(STATEMENT))
@pytest.mark.parametrize(("value", "iri_suffix"), [("\\uD800", ""), ("x", "\\uDC00"), ("a\\uD83Db", "")])
def test_a_lone_surrogate_escape_is_refused_with_file_and_line(
    tmp_path: Path, suffix: str, value: str, iri_suffix: str
) -> None:
    if suffix == ".jsonld":
        value, iri_suffix = value.lower(), iri_suffix.lower()
    path = write(tmp_path, f"lone{suffix}", statement(suffix, value, iri_suffix))
    with pytest.raises(DataFileError) as caught:
        KnowledgeGraph.load([path], packaged=False)
    assert str(caught.value).startswith(f"{path}:2: ")
    assert "surrogate" in str(caught.value) or "not a valid unicode character" in str(caught.value)


@pytest.mark.parametrize("reference", ["&#xD800;", "&#55296;", "&#xD83D;&#xDE00;"])
def test_rdf_xml_refuses_character_references_to_surrogates(tmp_path: Path, reference: str) -> None:
    path = write(
        tmp_path,
        "lone.rdf",
        RDF_XML_HEAD + f'<rdf:Description rdf:about="http://example.org/a"><ex:b>{reference}</ex:b>'
        "</rdf:Description></rdf:RDF>\n",
    )
    with pytest.raises(DataFileError, match=r"lone\.rdf:3: .*invalid character"):
        parse_into(new_graph(), path)


@pytest.mark.parametrize("suffix", sorted(STATEMENT))
def test_a_surrogate_pair_is_joined_into_its_character_and_exports(tmp_path: Path, suffix: str) -> None:
    pair = "\\ud83d\\ude00" if suffix == ".jsonld" else "\\uD83D\\uDE00"
    path = write(tmp_path, f"pair{suffix}", statement(suffix, f"smile {pair}", pair))
    graph = KnowledgeGraph.load([path], packaged=False)
    subject = URIRef(f"http://example.org/a{GRINNING}")
    assert graph.asserted.value(subject, URIRef("http://example.org/b")) == Literal(f"smile {GRINNING}")
    for syntax in ("turtle", "ntriples", "jsonld", "rdfxml", "trig"):
        assert GRINNING.encode() in graph.export(syntax)
    assert GRINNING in str(graph.query(f"SELECT ?v WHERE {{ <{subject}> ?p ?v }}").rows)


def test_an_escaped_backslash_before_u_is_text_not_an_escape(tmp_path: Path) -> None:
    path = write(tmp_path, "text.ttl", statement(".ttl", "\\\\uD83D\\\\uDE00"))
    graph = new_graph()
    parse_into(graph, path)
    assert Literal("\\uD83D\\uDE00") in set(graph.objects())


@pytest.mark.parametrize("suffix", sorted([*STATEMENT, ".rdf"]))
@pytest.mark.parametrize(("bom", "line_end"), [("\ufeff", "\n"), ("", "\r"), ("", "\r\n"), ("\ufeff", "\r")])
def test_byte_order_mark_and_every_line_end_are_accepted(tmp_path: Path, suffix: str, bom: str, line_end: str) -> None:
    text = (
        RDF_XML_HEAD + '<rdf:Description rdf:about="http://example.org/a"><ex:b>x</ex:b></rdf:Description>\n'
        "</rdf:RDF>\n"
        if suffix == ".rdf"
        else statement(suffix)
    )
    plain, varied = new_graph(), new_graph()
    parse_into(plain, write(tmp_path, f"plain{suffix}", text))
    parse_into(varied, write(tmp_path, f"varied{suffix}", bom + text.replace("\n", line_end)))
    assert len(varied) == len(plain) > 0
    assert_isomorphic(varied, plain)


def test_an_error_in_a_file_with_old_mac_line_ends_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cr.nt", '<http://example.org/a> <http://example.org/b> "x" .\r<http://example.org/a> "\r')
    with pytest.raises(DataFileError, match=r"cr\.nt:2: syntax error: invalid line: <http://example.org/a> \""):
        parse_into(new_graph(), path)


EDGE_CASES = "\n".join(
    [
        '<http://example.org/a> <http://example.org/b> "plain" .',
        '<http://example.org/a> <http://example.org/b> "explicit"^^<http://www.w3.org/2001/XMLSchema#string> .',
        '<http://example.org/a> <http://example.org/b> "says ^^<http://www.w3.org/2001/XMLSchema#string> inside" .',
        '<http://example.org/a> <http://example.org/b> "English"@EN-gb .',
        '<http://example.org/a> <http://example.org/b> "français"@fr .',
        '<http://example.org/a> <http://example.org/b> "007"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        '<http://example.org/a> <http://example.org/b> "5"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .',
        '<http://example.org/a> <http://example.org/b> "1.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .',
        '<http://example.org/a> <http://example.org/b> "tab\\there \\"quoted\\" \\u00e9 \\U0001F600 \\\\" .',
        "<http://example.org/\\u00e9> <http://example.org/b> _:node .",
        "_:node <http://example.org/b> _:other .",
        '<http://example.org/a> <http://example.org/b> "in a graph" <http://example.org/g> .',
    ]
)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's own N-Quads reader, the reference here
def test_native_n_quads_give_exactly_the_graph_rdflib_reads(tmp_path: Path, shipped: KnowledgeGraph) -> None:
    text = shipped.export("ntriples").decode() + EDGE_CASES + "\n"
    path = write(tmp_path, "all.nq", text)
    native = new_graph()
    parse_into(native, path)
    expected = rdflib_reading(text, "nquads")
    assert len(native) == expected.triples("read") > len(shipped.asserted)
    expected.assert_isomorphic(native)
    objects = set(native.objects())
    assert Literal("explicit") in objects  # RDF 1.1: the same literal as "explicit"^^xsd:string
    assert Literal("plain") in objects
    assert any(isinstance(o, Literal) and o.language == "en-gb" for o in objects)  # normalised, as Oxigraph answers


def test_a_four_megabyte_line_is_read_by_the_native_parser_not_rdflib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """rdflib's reader takes about a minute for one 4 MB line (quadratic); Oxigraph's takes a tenth of a second."""

    def quadratic(*_arguments: object, **_options: object) -> None:
        raise AssertionError("rdflib's N-Triples reader was used")

    monkeypatch.setattr(rdflib.plugins.parsers.ntriples.W3CNTriplesParser, "parse", quadratic)
    value = "x" * 4_000_000
    for suffix in (".nt", ".nq"):
        path = write(tmp_path, f"long{suffix}", f'<http://example.org/a> <http://example.org/b> "{value}" .\n')
        graph = new_graph()
        assert parse_into(graph, path) == 1
        assert str(graph.value(URIRef("http://example.org/a"), URIRef("http://example.org/b"))) == value
    bad = write(tmp_path, "long-bad.nt", f'<http://example.org/a> <http://example.org/b> "{value} .\n')
    assert main(["stats", "--data", str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"kg: error: {bad}:1: syntax error: invalid line: <http://example.org/a>")
    assert len(error) < 1000  # the quoted line is cut short


def test_blank_nodes_of_two_files_stay_apart(tmp_path: Path) -> None:
    first = write(tmp_path, "first.nt", '_:b1 <http://example.org/p> "one" .\n')
    second = write(tmp_path, "second.nt", '_:b1 <http://example.org/p> "two" .\n')
    graph = KnowledgeGraph.load([first, second], packaged=False).asserted
    assert len(set(graph.subjects())) == 2


def test_a_fifo_or_a_link_to_an_endless_device_is_refused_not_read(tmp_path: Path) -> None:
    """Reading a FIFO without a writer blocks for ever, and /dev/zero never ends: both are refused unread."""
    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)
    endless = tmp_path / "zero.nt"
    endless.symlink_to("/dev/zero")
    # In a subprocess, which a timeout can end were the file read; one for the three commands (each costs a start).
    program = (
        "import contextlib, io, json, sys\nfrom kg.cli import main\nanswers = []\n"
        "for arguments in json.loads(sys.argv[1]):\n"
        "    with contextlib.redirect_stderr(io.StringIO()) as error:\n"
        "        answers.append([main(arguments), error.getvalue()])\n"
        "print(json.dumps(answers))\n"
    )
    commands = [["format", str(fifo)], ["format", str(endless)], ["stats", "--data", str(endless)]]
    run = subprocess.run([sys.executable, "-c", program, json.dumps(commands)], capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    answers = json.loads(run.stdout)
    assert len(answers) == len(commands)
    for code, error in answers:
        assert code == 2
        assert "is not a regular file" in error
        assert error.count("\n") == 1


#: Turtle statements of every kind, to repeat on one long line (prefixes on their own line, as usual).
TURTLE_HEAD = "@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
TURTLE_STATEMENTS = (
    'ex:s{n} ex:p "plain {n}", "English"@EN-gb, \'single\'@fr, 7, 1.50, 2e0, true, "007"^^xsd:integer, '
    '"explicit"^^<http://www.w3.org/2001/XMLSchema#string> . '
)
#: Blank nodes and lists, a few only: comparing graphs with many blank nodes takes rdflib minutes.
TURTLE_BLANK_NODES = 'ex:s{n} ex:q [ ex:r ( ex:a [ ex:b "nested" ] ) ] . '


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's TriG reader, the reference here
@pytest.mark.parametrize("suffix", [".ttl", ".trig"])
def test_a_long_turtle_line_is_read_natively_into_the_graph_rdflib_reads(tmp_path: Path, suffix: str) -> None:
    """The reference is rdflib's reading of the same statements one a line (on one line it takes minutes)."""
    statements = [TURTLE_STATEMENTS.format(n=n) for n in range(400)]
    statements += [TURTLE_BLANK_NODES.format(n=n) for n in range(3)]

    def document(separator: str) -> str:
        body = separator.join(statements)
        return TURTLE_HEAD + (f"ex:g {{ {body} }}" if suffix == ".trig" else body) + "\n"

    text = document(" ")
    assert max(len(line) for line in text.splitlines()) > 50_000
    native = new_graph()
    parse_into(native, write(tmp_path, f"long{suffix}", text))
    expected = rdflib_reading(document("\n"), "trig" if suffix == ".trig" else "turtle")
    assert len(native) == expected.triples("read") == 400 * 8 + 3 * 7  # "007" and 7 are one integer
    expected.assert_isomorphic(native)


def test_fifty_thousand_turtle_statements_on_one_line_are_not_read_by_rdflib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rdflib's Turtle reader took 17 s for these 1.8 MB (quadratic in the line); the native one a fraction."""

    def quadratic(*_arguments: object, **_options: object) -> None:
        raise AssertionError("rdflib's Turtle reader was used")

    monkeypatch.setattr(rdflib.plugins.parsers.notation3.TurtleParser, "parse", quadratic)
    line = " ".join(f'<http://example.org/a{n}> <http://example.org/b> "x" .' for n in range(50_000))
    # The reader parse_into uses, without the two seconds of adding 50,000 triples to an rdflib graph.
    read = ntriples_of(write(tmp_path, "one-line.ttl", line))
    assert len(read.splitlines()) == len(set(read.splitlines())) == 50_000


def test_deep_nesting_on_a_long_line_is_refused_as_rdflib_refuses_it(tmp_path: Path) -> None:
    depth = 8_000
    text = "@prefix ex: <http://example.org/> .\nex:a ex:p " + "[ ex:p " * depth + "ex:b" + " ]" * depth + " .\n"
    with pytest.raises(DataFileError, match=r"deep\.ttl: nested too deeply to read"):
        parse_into(new_graph(), write(tmp_path, "deep.ttl", text))
    long_list = "@prefix ex: <http://example.org/> .\nex:a ex:p (" + " ex:x" * 12_000 + ") .\n"
    read = ntriples_of(write(tmp_path, "list.ttl", long_list))  # parse_into's reader, without rdflib's adding
    assert len(read.splitlines()) == len(set(read.splitlines())) == 24_001


def test_an_error_on_a_long_turtle_line_names_file_and_line(tmp_path: Path) -> None:
    line = " ".join(f'<http://example.org/a{n}> <http://example.org/b> "x" .' for n in range(2_000))
    path = write(tmp_path, "bad.ttl", "@prefix ex: <http://example.org/> .\n" + line + " ex:a ex:b .\n")
    with pytest.raises(DataFileError, match=r"bad\.ttl:2: syntax error: "):
        parse_into(new_graph(), path)
