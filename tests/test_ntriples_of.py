"""kg.load.ntriples_of: one RDF file of any syntax (also gzip-compressed) to exact N-Triples, read natively; what
the parser accepts but the graph must not hold is refused with file and line; XSD lexical forms checked."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from shared_graphs import assert_isomorphic

from kg import DataFileError
from kg.lexical import XSD, fits
from kg.load import FORMAT_BY_SUFFIX, ntriples_of, rdf_suffix
from kg.mappings import MAPPING, SSSOM
from kg.store import expand_paths
from kg.terms import PREFIXES

ROOT = Path(__file__).parents[1]
#: The real ontology (../shared/datasets/ beside the checkout, or beside the folder of worktrees).
DOID = next(
    (
        path
        for up in (ROOT.parent, ROOT.parent.parent)
        if (path := up / "shared/datasets/doid-2016-09-01.ttl.gz").exists()
    ),
    ROOT.parent / "shared/datasets/doid-2016-09-01.ttl.gz",
)
RDF_XML_HEAD = (
    '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:ex="http://example.org/">\n'
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_the_project_files_give_the_triples_rdflib_reads() -> None:
    for path in [*sorted((ROOT / "ontology").glob("*.ttl")), *sorted((ROOT / "data").glob("*.ttl"))]:
        native = Graph().parse(data=ntriples_of(path), format="nt")
        assert_isomorphic(native, Graph().parse(path, format="turtle"))


def test_literals_stay_exactly_as_written(tmp_path: Path) -> None:
    """A Store would write "5"^^xsd:nonNegativeInteger as an xsd:integer and "1.50" as "1.5"; the parser keeps them."""
    text = (
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n<http://example.org/a> <http://example.org/b> "
        '"5"^^xsd:nonNegativeInteger, "1.50"^^xsd:decimal, "007"^^xsd:integer .\n'
    )
    path = write(tmp_path, "exact.ttl", text)
    out = ntriples_of(path)
    assert f'"5"^^<{XSD}nonNegativeInteger>'.encode() in out
    assert f'"1.50"^^<{XSD}decimal>'.encode() in out
    assert f'"007"^^<{XSD}integer>'.encode() in out


def test_a_gzip_compressed_file_reads_as_its_syntax(tmp_path: Path) -> None:
    text = "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n"
    path = tmp_path / "small.ttl.gz"
    path.write_bytes(gzip.compress(text.encode()))
    assert ntriples_of(path) == b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
    assert rdf_suffix(path.name) == ".ttl.gz"
    assert FORMAT_BY_SUFFIX[".ttl.gz"] == "turtle"
    assert expand_paths([tmp_path]) == [path]
    broken = tmp_path / "broken.nt.gz"
    broken.write_bytes(gzip.compress(text.encode())[:20])
    with pytest.raises(DataFileError, match=r"broken\.nt\.gz: cannot decompress"):
        ntriples_of(broken)


@pytest.mark.skipif(not DOID.exists(), reason="the real ontology is not in ../shared/datasets/ here")
def test_the_disease_ontology_loads_whole() -> None:
    out = ntriples_of(DOID)
    assert out.count(b"\n") == 185_693  # as stated, 522 xref triples twice
    assert b"<http://purl.obolibrary.org/obo/DOID_4> " in out


def test_named_graphs_merge_into_one_set_of_triples(tmp_path: Path) -> None:
    text = (
        "@prefix ex: <http://example.org/> .\nex:g { ex:a ex:b ex:c . }\nex:h { ex:a ex:b ex:c . ex:a ex:b ex:d . }\n"
    )
    assert sorted(ntriples_of(write(tmp_path, "two.trig", text)).splitlines()) == [
        b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .",
        b"<http://example.org/a> <http://example.org/b> <http://example.org/d> .",
    ]


def test_blank_nodes_get_labels_of_their_own_per_read(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.nt", '_:b1 <http://example.org/p> "one" .\n')
    first, second = ntriples_of(path), ntriples_of(path)
    assert first != second
    assert b"_:b1 " not in first
    odd = write(tmp_path, "odd.jsonld", '{"@id": "_:;b", "http://example.org/p": "x"}')
    relabelled = Graph().parse(data=ntriples_of(odd), format="nt")  # a label N-Triples can write
    assert len(relabelled) == 1


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("relative.jsonld", '{"@id": "rel", "http://example.org/b": "x"}', r"relative\.jsonld:1: relative IRI <rel>"),
        (
            "relative.rdf",
            RDF_XML_HEAD + '<rdf:Description rdf:about="rel"><ex:b>x</ex:b></rdf:Description></rdf:RDF>\n',
            r"relative\.rdf:3: relative IRI <rel>",
        ),
        ("relative.ttl", "<rel> <http://example.org/b> 1 .\n", r"relative\.ttl:1: relative IRI <rel>"),
        ("space.ttl", "<http://example.org/\xa0s> <http://example.org/p> 1 .\n", r"space\.ttl:1: invalid IRI"),
        (
            "star.ttl",
            "<http://e.org/a> <http://e.org/b> <<( <http://e.org/a> <http://e.org/b> <http://e.org/c> )>> .\n",
            r"star\.ttl:1: RDF-star triple terms are not supported",
        ),
        ("leap.ttl", '<http://e.org/a> <http://e.org/b> "2023-02-29"^^<' + XSD + "date> .\n", r"leap\.ttl:1: '2023"),
        ("cut.rdf", RDF_XML_HEAD + '<rdf:Description rdf:about="http://e.org/a">\n', r"cut\.rdf:4: syntax error"),
    ],
)
def test_what_the_parser_accepts_but_the_graph_must_not_hold_is_refused(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(DataFileError, match=message):
        ntriples_of(write(tmp_path, name, text))


def test_a_no_break_space_inside_a_literal_is_text(tmp_path: Path) -> None:
    out = ntriples_of(write(tmp_path, "text.ttl", '<http://example.org/s> <http://example.org/p> "a\xa0b" .\n'))
    assert "a\xa0b".encode() in out


@pytest.mark.parametrize(
    ("form", "datatype"),
    [
        (" 42 ", "integer"),
        ("-0", "nonPositiveInteger"),
        ("255", "unsignedByte"),
        ("1.", "decimal"),
        ("-INF", "double"),
        ("1e5", "float"),
        ("1", "boolean"),
        ("2024-02-29", "date"),
        ("2024-01-01T24:00:00Z", "dateTime"),
        ("-0044-03-15", "date"),
        ("P1Y2M3DT4H5M6.5S", "duration"),
        ("PT1H", "dayTimeDuration"),
        ("--12-25", "gMonthDay"),
        ("0FB7", "hexBinary"),
        ("aGVsbG8=", "base64Binary"),
        ("anything", "string"),
        ("x", "unknownType"),
    ],
)
def test_lexical_forms_xsd_allows(form: str, datatype: str) -> None:
    assert fits(form, XSD + datatype)


@pytest.mark.parametrize(
    ("form", "datatype"),
    [
        ("forty-two", "integer"),
        ("4_2", "integer"),
        ("1", "negativeInteger"),
        ("256", "unsignedByte"),
        ("1.2.3", "decimal"),
        ("inf", "double"),
        ("maybe", "boolean"),
        ("yesterday", "date"),
        ("2023-02-29", "date"),
        ("2024-13-01", "date"),
        ("2024-01-01", "dateTime"),
        ("P", "duration"),
        ("P1Y", "dayTimeDuration"),
        ("0FB", "hexBinary"),
    ],
)
def test_lexical_forms_xsd_refuses(form: str, datatype: str) -> None:
    assert not fits(form, XSD + datatype)


def test_loading_and_mapping_triples_import_no_rdflib() -> None:
    program = (
        "import sys, kg.load, kg.mappings; from kg.mappings import mapping_ntriples, read_mapping_set; "
        "sys.exit('rdflib' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", program], check=False).returncode == 0
    assert str(SSSOM) == PREFIXES["sssom"]
    assert str(MAPPING) == PREFIXES["mapping"]
