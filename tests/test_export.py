"""Exports: standard formats, byte-identical Turtle, parsed to the same graph by rdflib and by Oxigraph."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import pathlib
import random

import pyoxigraph
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from recorded import replayed
from shared_graphs import Reading, Written, live_reading, parse, reading_key, writing_key

from kg import InputError, KnowledgeGraph
from kg.export import export_ntriples, serialize, write_ntriples_as
from kg.nt_lines import merged_lines, rdflib_term, split_line
from kg.packaged import data_files, ontology_files
from kg.snapshot import INFERRED_GRAPH
from kg.terms import GRAPH


@functools.cache  # several tests read the same export
def read_back(data: bytes, rdflib_format: str) -> Reading:
    """rdflib's reading of an export: replayed when recorded for exactly these bytes (tests/shared_graphs.py)."""
    key = reading_key(data, rdflib_format)
    summary = replayed("rdflib-read", key, lambda: live_reading(data, rdflib_format))
    return Reading(summary, lambda: parse(data, rdflib_format))


@pytest.fixture(scope="module")
def two_loads() -> tuple[KnowledgeGraph, KnowledgeGraph]:
    """The packaged graph loaded twice: each load gives the ontology's blank nodes labels of its own."""
    return KnowledgeGraph.load(), KnowledgeGraph.load()


def test_turtle_is_byte_identical_across_runs(two_loads: tuple[KnowledgeGraph, KnowledgeGraph]) -> None:
    first, second = two_loads
    assert first.export("turtle") == second.export("turtle")


def test_turtle_parses_to_the_same_graph_in_rdflib_and_oxigraph(shipped: KnowledgeGraph) -> None:
    data = shipped.export("turtle")
    read_back(data, "turtle").assert_isomorphic(shipped.asserted)
    labels: dict[str, str] = {}  # Oxigraph's blank nodes (random labels) numbered as they come: the same every run

    def written(term: pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal) -> str:
        if isinstance(term, pyoxigraph.BlankNode):
            return labels.setdefault(term.value, f"_:b{len(labels)}")
        return str(term)

    triples = pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE)
    ntriples = "".join(f"{written(quad.subject)} {quad.predicate} {written(quad.object)} .\n" for quad in triples)
    assert labels, "the test would prove nothing about blank nodes"
    read_back(ntriples.encode("utf-8"), "nt").assert_isomorphic(shipped.asserted)  # so: the same as rdflib's


@pytest.mark.parametrize(("name", "rdflib_format"), [("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")])
def test_other_formats_round_trip(shipped: KnowledgeGraph, name: str, rdflib_format: str) -> None:
    read_back(shipped.export(name), rdflib_format).assert_isomorphic(shipped.asserted)


def test_inferred_export_adds_the_inferred_triples(shipped: KnowledgeGraph) -> None:
    data = shipped.export("ntriples", inferred=True)
    assert len(data.splitlines()) == len(shipped.asserted) + len(shipped.inferred)


def test_trig_keeps_asserted_and_inferred_in_named_graphs(shipped: KnowledgeGraph) -> None:
    dataset = read_back(shipped.export("trig", inferred=True), "trig")
    assert dataset.triples(str(GRAPH.asserted)) == len(shipped.asserted)
    assert dataset.triples(str(GRAPH.inferred)) == len(shipped.inferred)


def test_jsonld_is_json(shipped: KnowledgeGraph) -> None:
    assert isinstance(json.load(io.BytesIO(shipped.export("jsonld"))), list | dict)


def test_unknown_format_is_an_input_error(shipped: KnowledgeGraph) -> None:
    with pytest.raises(InputError, match="unknown export format"):
        shipped.export("yaml")


# ---------------------------------------------------------------- exports streamed from exact N-Triples


def _ntriples(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def _sorted_ntriples(graph: Graph) -> bytes:
    """rdflib's N-Triples with the lines sorted. rdflib writes them in an order of its own every run, which the
    JSON-LD, RDF/XML and TriG writers keep (kg.export): sorted, the export is the same document every run, and
    rdflib's reading of it can be replayed (tests/recorded.py)."""
    return b"".join(sorted(_ntriples(graph).splitlines(keepends=True)))


def serialized(asserted: Graph, inferred: Graph | None) -> Written:
    """`serialize(asserted, inferred, "turtle")`, rdflib's writer: the reference, its digest replayed when
    recorded for these triples (tests/shared_graphs.py; the awkward graphs below are written live)."""

    def live() -> bytes:
        return serialize(asserted, inferred, "turtle")

    key = writing_key("serialize turtle", asserted, *([] if inferred is None else [inferred]))
    return Written(replayed("rdflib-write", key, lambda: hashlib.sha256(live()).hexdigest()), live)


def test_turtle_from_ntriples_is_byte_identical_to_serialize(shipped: KnowledgeGraph) -> None:
    asserted, inferred = _ntriples(shipped.asserted), _ntriples(shipped.inferred)
    serialized(shipped.asserted, None).assert_written(export_ntriples(asserted, None, "turtle"))
    serialized(shipped.asserted, shipped.inferred).assert_written(export_ntriples(asserted, inferred, "turtle"))


@pytest.mark.parametrize("name", [*sorted(f.name for f in ontology_files()), *sorted(f.name for f in data_files())])
def test_canonical_files_come_back_byte_for_byte_from_oxigraphs_ntriples(name: str) -> None:
    entry = next(entry for entry in [*ontology_files(), *data_files()] if entry.name == name)
    data = entry.read_bytes()
    ntriples = pyoxigraph.serialize(pyoxigraph.parse(data, format=pyoxigraph.RdfFormat.TURTLE), format=_NT)
    assert ntriples is not None
    assert export_ntriples(ntriples, None, "turtle") == data


_NT = pyoxigraph.RdfFormat.N_TRIPLES
_BLANK = b"""<http://ex.org/a> <http://ex.org/p> _:x .
_:x <http://ex.org/q> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://ex.org/a> <http://ex.org/list> _:l1 .
_:l1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> "one"@en .
_:l1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:l2 .
_:l2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> <http://ex.org/b> .
_:l2 <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> <http://www.w3.org/1999/02/22-rdf-syntax-ns#nil> .
_:shared <http://ex.org/r> "two\\nlines" .
<http://ex.org/a> <http://ex.org/s> _:shared .
<http://ex.org/b> <http://ex.org/s> _:shared .
"""


def test_blank_nodes_are_written_the_same_whatever_the_parser_named_them() -> None:
    renamed = _BLANK.replace(b"_:x", b"_:zz9").replace(b"_:l1", b"_:a").replace(b"_:shared", b"_:b0")
    first = export_ntriples(_BLANK, None, "turtle")
    assert export_ntriples(renamed, None, "turtle") == first
    assert b'ns1:list ( "one"@en ns1:b )' in first
    assert b"ns1:p [ ns1:q 1 ]" in first
    assert first.count(b"_:b") == 3  # the node used twice keeps a label, numbered by first appearance
    assert isomorphic(
        Graph().parse(data=first.decode("utf-8"), format="turtle"), Graph().parse(data=_BLANK, format="nt")
    )


def test_a_replayed_reading_or_writing_settles_only_a_match_and_anything_else_is_decided_live() -> None:
    """tests/shared_graphs.py: a recorded summary of rdflib's reading (Reading) or digest of a writer's bytes
    (Written) that matches passes at once; one that does not is decided by the reading or writer, run live."""
    graph = Graph().parse(data=_BLANK, format="nt")
    smaller = Graph().parse(data=_BLANK, format="nt")
    smaller.remove(next(iter(smaller)))
    for summary in (live_reading(_BLANK, "nt"), live_reading(_BLANK.replace(b'"1"', b'"2"'), "nt")):
        reading = Reading(summary, lambda: parse(_BLANK, "nt"))
        reading.assert_isomorphic(graph)
        with pytest.raises(AssertionError, match="the graphs differ"):
            reading.assert_isomorphic(smaller)
    assert len(Reading(live_reading(_BLANK, "nt"), lambda: {})) == len(graph)
    for sha256 in (hashlib.sha256(b"written").hexdigest(), hashlib.sha256(b"stale").hexdigest()):
        Written(sha256, lambda: b"written").assert_written(b"written")
        with pytest.raises(AssertionError):
            Written(sha256, lambda: b"written").assert_written(b"other")


def test_lines_out_of_oxigraphs_form_read_the_same() -> None:
    loose = b"# a comment\n" + _BLANK.replace(b"> <", b">\t<").replace(b" .\n", b".\n\n")
    for format in ("turtle", "ntriples"):
        assert export_ntriples(loose, None, format) == export_ntriples(_BLANK, None, format)


def test_ntriples_export_is_sorted_and_without_repeats(shipped: KnowledgeGraph) -> None:
    asserted = _ntriples(shipped.asserted)
    lines = export_ntriples(asserted + asserted, None, "ntriples").decode("utf-8").split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == sorted(set(lines[:-1]))
    assert len(lines) - 1 == len(shipped.asserted)


@pytest.mark.parametrize(("name", "rdflib_format"), [("jsonld", "json-ld"), ("rdfxml", "xml"), ("turtle", "turtle")])
def test_every_format_from_ntriples_reads_back_as_the_graph(
    shipped: KnowledgeGraph, name: str, rdflib_format: str
) -> None:
    data = export_ntriples(_sorted_ntriples(shipped.asserted), _sorted_ntriples(shipped.inferred), name)
    read_back(data, rdflib_format).assert_isomorphic(shipped.graph())


def test_trig_from_ntriples_keeps_the_named_graphs(shipped: KnowledgeGraph) -> None:
    data = export_ntriples(_sorted_ntriples(shipped.asserted), _sorted_ntriples(shipped.inferred), "trig")
    dataset = read_back(data, "trig")
    dataset.assert_isomorphic(shipped.asserted, str(GRAPH.asserted))
    dataset.assert_isomorphic(shipped.inferred, str(GRAPH.inferred))


def test_write_ntriples_as_writes_what_export_ntriples_returns(shipped: KnowledgeGraph) -> None:
    stream = io.BytesIO()
    write_ntriples_as(_ntriples(shipped.asserted), None, "ttl", stream)
    assert stream.getvalue() == export_ntriples(_ntriples(shipped.asserted), None, "turtle")
    with pytest.raises(InputError, match="unknown export format"):
        write_ntriples_as(b"", None, "yaml", stream)


_NAMESPACES = ("https://w3id.org/neuropathy-kg/entity/", "https://w3id.org/neuropathy-kg/", "http://example.org/x/")
_LOCALS = ("a", "b", "type", "1x", "-x", "a.b", "a.", "a%20b", "a%zz", "a(b)", "é", "_a", "", "a/b", "a-b", "·a")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_LITERALS = (
    '"x"',
    '"x"@en',
    '"y"@fr',
    '"a\\nb"',
    '"q\\"\\"\\"r\\ns"',
    '"t\\tb\\\\"',
    '"ends\\n\\""',
    f'"05"^^<{_XSD}integer>',
    f'"5"^^<{_XSD}nonNegativeInteger>',
    f'"1.50"^^<{_XSD}decimal>',
    f'"1e3"^^<{_XSD}double>',
    f'"INF"^^<{_XSD}double>',
    f'"1"^^<{_XSD}boolean>',
    f'"2020-01-01T00:00:00Z"^^<{_XSD}dateTime>',
    f'"abc"^^<{_XSD}integer>',
    f'"x"^^<{_XSD}string>',
)


def _random_ntriples(seed: int) -> bytes:
    """A small graph of awkward terms: odd local names, every literal form, blank nodes, lists, rdfs:Class."""
    rng = random.Random(seed)
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    blank = [f"_:n{index}" for index in range(rng.randint(0, 5))]

    def iri() -> str:
        return f"<{rng.choice(_NAMESPACES)}{rng.choice(_LOCALS)}>"

    lines = []
    for _ in range(rng.randint(1, 30)):
        subject = rng.choice(blank) if blank and rng.random() < 0.3 else iri()
        predicate = f"<{rng.choice(_NAMESPACES)}{rng.choice(('a', 'p', 'label'))}>"
        chance = rng.random()
        obj = rng.choice(blank) if blank and chance < 0.2 else rng.choice(_LITERALS) if chance < 0.6 else iri()
        lines.append(f"{subject} {predicate} {obj} .")
    items = [iri() for _ in range(rng.randint(0, 3))]
    for index, item in enumerate(items):
        rest = f"_:l{index + 1}" if index + 1 < len(items) else f"<{rdf}nil>"
        lines += [f"_:l{index} <{rdf}first> {item} .", f"_:l{index} <{rdf}rest> {rest} ."]
    if items:
        lines.append(f"{iri()} <https://w3id.org/neuropathy-kg/list> _:l0 .")
    lines.append(f"{iri()} <{rdf}type> <http://www.w3.org/2000/01/rdf-schema#Class> .")
    rng.shuffle(lines)
    kept = []
    for line in lines:  # what Oxigraph accepts, as Oxigraph writes it
        with contextlib.suppress(SyntaxError):
            kept.append(pyoxigraph.serialize(pyoxigraph.parse(line.encode("utf-8"), format=_NT), format=_NT) or b"")
    return b"".join(kept)


@pytest.mark.parametrize("seed", range(40))
def test_turtle_from_ntriples_matches_rdflibs_writer_on_awkward_graphs(seed: int) -> None:
    ntriples = _random_ntriples(seed)
    graph = Graph(bind_namespaces="none")
    for line in merged_lines(ntriples):  # blank nodes labelled as the writer numbers them, so both order alike
        subject, predicate, obj = (rdflib_term(term) for term in split_line(line))
        graph.add((subject, predicate, obj))
    assert export_ntriples(ntriples, None, "turtle") == serialize(graph, None, "turtle")


@pytest.mark.parametrize("export_format", ["ntriples", "jsonld", "rdfxml", "trig"])
def test_every_format_gives_the_same_bytes_on_every_load(
    two_loads: tuple[KnowledgeGraph, KnowledgeGraph], export_format: str
) -> None:
    """Each load gives the ontology's blank nodes new labels (and sorts its lines by them): the exports order
    and number blank nodes by what is said about them, so two loads write the same bytes."""
    first, second = two_loads
    assert first.ntriples() != second.ntriples()  # the parser's labels differ: the test would prove nothing
    inferred = export_format == "trig"
    assert first.export(export_format, inferred=inferred) == second.export(export_format, inferred=inferred)


@pytest.mark.parametrize("export_format", ["turtle", "ntriples", "jsonld", "rdfxml", "trig"])
@pytest.mark.parametrize("inferred", [False, True])
def test_export_to_writes_the_bytes_export_returns(
    shipped: KnowledgeGraph, tmp_path: pathlib.Path, export_format: str, inferred: bool
) -> None:
    """`export_to` (a path, replaced atomically, or an open binary file) writes as it goes what the in-memory
    writer returns, and says how many bytes it wrote."""
    expected = export_ntriples(
        shipped.ntriples(), shipped.ntriples(INFERRED_GRAPH) if inferred else None, export_format
    )
    path = tmp_path / f"graph.{export_format}"
    path.write_bytes(b"an older export")
    assert shipped.export_to(path, export_format, inferred=inferred) == len(expected)
    assert path.read_bytes() == expected
    stream = io.BytesIO()
    assert shipped.export_to(stream, export_format, inferred=inferred) == len(expected)
    assert stream.getvalue() == expected
    assert shipped.export(export_format, inferred=inferred) == expected
    assert shipped.export_to(os.devnull, export_format, inferred=inferred) == len(expected)


def test_export_to_refuses_an_unknown_format_before_touching_the_file(
    shipped: KnowledgeGraph, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "graph.yaml"
    path.write_bytes(b"kept")
    with pytest.raises(InputError, match="unknown export format"):
        shipped.export_to(path, "yaml")
    assert path.read_bytes() == b"kept"


def test_ntriples_merged_from_sorted_parts_are_what_sorting_every_line_gives(shipped: KnowledgeGraph) -> None:
    """The graph's N-Triples are sorted, so the export merges them as they stand; lines in any other order are
    sorted instead: both give the same bytes, blank nodes numbered alike, a triple both asserted and inferred once."""
    asserted, inferred = shipped.ntriples(), shipped.ntriples(INFERRED_GRAPH)
    assert b"_:" in asserted  # the ontology's restrictions and lists: numbered by content either way

    def shuffled(data: bytes) -> bytes:
        lines = data.split(b"\n")[:-1]
        random.Random(7).shuffle(lines)
        return b"\n".join(lines) + b"\n"

    for parts in ((asserted, None), (asserted, inferred)):
        merged = export_ntriples(*parts, "ntriples")
        assert merged == export_ntriples(*(part and shuffled(part) for part in parts), "ntriples")
        lines = merged.split(b"\n")[:-1]
        assert lines == sorted(set(lines))
    both = export_ntriples(asserted, inferred, "ntriples")
    assert export_ntriples(asserted, asserted + inferred, "ntriples") == both
    assert export_ntriples(asserted, asserted, "ntriples") == export_ntriples(asserted, None, "ntriples")
