"""The SSSOM mapping set: valid for sssom-py, consistent with the entities, round-trips, and checked by SHACL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SKOS

from kg.errors import DataFileError
from kg.mappings import (
    COLUMNS,
    MappingRow,
    Metadata,
    converter_of,
    mappings_graph,
    mappings_json,
    read_mapping_set,
    rows_from_graph,
    write_mapping_set,
)
from kg.store import new_graph, parse_into
from kg.validate import validate

ROOT = Path(__file__).parents[1]
MAPPINGS = ROOT / "data" / "mappings.sssom.tsv"
ENTITIES = ROOT / "data" / "entities.ttl"
SHAPES = ROOT / "ontology" / "shapes-mappings.ttl"
FIXTURES = Path(__file__).parent / "fixtures" / "mappings"

SKOS_MAPPING_PREDICATES = {
    "skos:exactMatch",
    "skos:closeMatch",
    "skos:broadMatch",
    "skos:narrowMatch",
    "skos:relatedMatch",
}
#: A comment that explains a second exactMatch into one vocabulary must say so in these words.
SECOND_EXACT_EXPLAINED = "second exactMatch"


@cache
def _mapping_set() -> tuple[Metadata, list[MappingRow]]:
    return read_mapping_set(MAPPINGS)


@cache
def _graph(path: Path) -> Graph:
    graph = new_graph()
    parse_into(graph, path)
    return graph


# ---------------------------------------------------------------------- sssom-py


def test_file_passes_sssom_py_validation() -> None:
    pytest.importorskip("sssom")
    from sssom.parsers import parse_sssom_table, to_mapping_set_document
    from sssom.validators import validate as sssom_validate

    metadata, rows = _mapping_set()
    msdf = parse_sssom_table(MAPPINGS)
    reports = sssom_validate(msdf, fail_on_error=False)
    assert reports, "sssom-py ran no validation"
    for kind, report in reports.items():
        assert not report.results, f"{kind}: {report.results}"
    assert len(msdf.df) == len(rows)
    assert msdf.metadata["mapping_set_id"] == metadata["mapping_set_id"]
    assert msdf.metadata["mapping_set_version"] == "2026-11-23"
    prefixes = metadata["curie_map"]
    assert isinstance(prefixes, dict)
    for prefix, namespace in prefixes.items():  # sssom-py kept the file's own prefixes, not its built-in ones
        assert msdf.converter.expand(f"{prefix}:x") == namespace + "x", prefix
    document = to_mapping_set_document(msdf)
    assert len(document.mapping_set.mappings or []) == len(rows)


def test_header_parser_agrees_with_pyyaml() -> None:
    yaml = pytest.importorskip("yaml")
    header = "\n".join(line[1:] for line in MAPPINGS.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    metadata, _rows = _mapping_set()
    assert yaml.safe_load(header) == metadata


# ---------------------------------------------------------------------- content


def test_metadata() -> None:
    metadata, _rows = _mapping_set()
    assert metadata["mapping_set_id"] == "https://w3id.org/neuropathy-kg/mappings.sssom.tsv"
    assert metadata["mapping_set_version"] == "2026-11-23"
    assert metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["creator_id"] == ["nkg:contributors"]


def test_curie_map_has_exactly_the_prefixes_used() -> None:
    metadata, rows = _mapping_set()
    prefixes = metadata["curie_map"]
    assert isinstance(prefixes, dict)
    creators = metadata["creator_id"]
    assert isinstance(creators, list)
    curies = [
        *creators,
        *(c for r in rows for c in (r.subject_id, r.predicate_id, r.object_id, r.mapping_justification)),
    ]
    assert {curie.split(":", 1)[0] for curie in curies} == set(prefixes)
    assert prefixes["entity"] == "https://w3id.org/neuropathy-kg/entity/"
    assert prefixes["MONDO"] == "http://purl.obolibrary.org/obo/MONDO_"
    assert prefixes["MESH"] == "http://id.nlm.nih.gov/mesh/"


def test_every_subject_is_an_entity_with_that_label() -> None:
    _metadata, rows = _mapping_set()
    entities = _graph(ENTITIES)
    converter = converter_of(_metadata)
    for row in rows:
        iri = URIRef(converter.expand_strict(row.subject_id))
        labels = {str(label) for label in entities.objects(iri, RDFS.label)}
        assert labels, f"{row.subject_id} is not an entity of data/entities.ttl"
        assert row.subject_label in labels, f"{row.subject_id}: subject_label {row.subject_label!r} is not {labels}"


def test_rows_are_sorted_and_unique() -> None:
    _metadata, rows = _mapping_set()
    keys = [(row.subject_id, row.object_id) for row in rows]
    duplicates = [key for key, count in Counter(keys).items() if count > 1]
    assert not duplicates, f"subject and object given twice: {duplicates}"
    assert keys == sorted(keys), "rows must be sorted by subject_id, then object_id"


def test_every_row_is_a_documented_manual_skos_mapping() -> None:
    _metadata, rows = _mapping_set()
    for row in rows:
        assert row.predicate_id in SKOS_MAPPING_PREDICATES, row
        assert row.mapping_justification == "semapv:ManualMappingCuration", row
        assert row.object_label, row
        assert row.comment.startswith("verified in: "), row


def test_at_most_one_exact_match_per_vocabulary() -> None:
    _metadata, rows = _mapping_set()
    exact: dict[tuple[str, str], list[MappingRow]] = {}
    for row in rows:
        if row.predicate_id == "skos:exactMatch":
            exact.setdefault((row.subject_id, row.object_id.split(":", 1)[0]), []).append(row)
    for (subject, vocabulary), group in exact.items():
        if len(group) > 1:
            assert all(SECOND_EXACT_EXPLAINED in row.comment for row in group), (
                f"{subject} has {len(group)} exactMatch objects in {vocabulary} with no comment explaining why"
            )


# ---------------------------------------------------------------------- round trips


def test_tsv_round_trip_is_byte_identical() -> None:
    metadata, rows = _mapping_set()
    assert write_mapping_set(metadata, rows) == MAPPINGS.read_text(encoding="utf-8")


def test_tsv_to_rdf_to_rows() -> None:
    metadata, rows = _mapping_set()
    graph = mappings_graph(metadata, rows)
    skos_triples = [
        t
        for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch, SKOS.narrowMatch)
        for t in graph.triples((None, p, None))
    ]
    assert len(skos_triples) == len(rows)
    assert rows_from_graph(graph, metadata) == rows
    reparsed = Graph()
    reparsed.parse(data=graph.serialize(format="turtle"), format="turtle")
    assert rows_from_graph(reparsed, metadata) == rows


def test_mapping_triples_use_the_expanded_iris() -> None:
    metadata, rows = _mapping_set()
    graph = mappings_graph(metadata, rows)
    triple = (
        URIRef("https://w3id.org/neuropathy-kg/entity/carpal-tunnel-syndrome"),
        SKOS.exactMatch,
        URIRef("http://purl.bioontology.org/ontology/ICD10CM/G56.0"),
    )
    assert triple in graph


def test_json_has_metadata_and_every_mapping() -> None:
    metadata, rows = _mapping_set()
    document = json.loads(mappings_json(metadata, rows))
    assert document["metadata"] == metadata
    assert [MappingRow(**mapping) for mapping in document["mappings"]] == rows


# ---------------------------------------------------------------------- the parser reports bad rows


@pytest.mark.parametrize(
    ("edit", "line", "problem"),
    [
        (lambda lines: [*lines, "entity:arm\tarm\tskos:exactMatch"], "last", "cells"),
        (
            lambda lines: [*lines, "entity:arm\tarm\tskos:exactMatch\tFOO:1\tx\tsemapv:ManualMappingCuration\t\tc"],
            "last",
            "FOO:1",
        ),
        (
            lambda lines: [*lines, "\tarm\tskos:exactMatch\tHP:0000001\tx\tsemapv:ManualMappingCuration\t\tc"],
            "last",
            "empty subject_id",
        ),
        (lambda lines: [line.replace("\tcomment", "\tremark") for line in lines], "columns", "columns"),
        (lambda lines: ["#license https://example.org/", *lines], 1, "key: value"),
    ],
    ids=["short-row", "unknown-prefix", "empty-subject", "bad-columns", "bad-header"],
)
def test_malformed_file_names_file_and_line(
    tmp_path: Path, edit: Callable[[list[str]], list[str]], line: int | str, problem: str
) -> None:
    lines = MAPPINGS.read_text(encoding="utf-8").splitlines()
    edited = edit(lines)
    path = tmp_path / "bad.sssom.tsv"
    path.write_text("\n".join(edited) + "\n", encoding="utf-8")
    expected_line = {"last": len(edited), "columns": 1 + sum(ln.startswith("#") for ln in edited)}.get(str(line), line)
    with pytest.raises(DataFileError) as raised:
        read_mapping_set(path)
    assert raised.value.path == str(path)
    assert raised.value.line == expected_line
    assert problem in str(raised.value)


def test_columns_are_the_mapping_row_fields() -> None:
    assert COLUMNS[:5] == ("subject_id", "subject_label", "predicate_id", "object_id", "object_label")
    assert MAPPINGS.read_text(encoding="utf-8").splitlines()[sum(1 for _ in _header_lines())] == "\t".join(COLUMNS)


def _header_lines() -> list[str]:
    return [line for line in MAPPINGS.read_text(encoding="utf-8").splitlines() if line.startswith("#")]


# ---------------------------------------------------------------------- SHACL


def test_shapes_reject_a_malformed_mondo_iri() -> None:
    report = validate(_graph(FIXTURES / "bad-mondo-id.ttl"), _graph(SHAPES))
    assert not report.conforms
    assert [(r.focus_node, r.value, r.source_shape) for r in report.results] == [
        ("entity:peripheral-neuropathy", "obo:MONDO_5244", "shape:Mapping-MONDO")
    ], report.to_table()
    assert "MONDO" in report.results[0].message


def test_shipped_mappings_conform_to_the_shapes() -> None:
    metadata, rows = _mapping_set()
    report = validate(mappings_graph(metadata, rows), _graph(SHAPES))
    assert report.conforms, report.to_table()


#: One malformed object IRI per vocabulary shape of shapes-mappings.ttl (the fixture file covers MONDO too).
MALFORMED_OBJECTS: dict[str, str] = {
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_x176843",
    "CL": "http://purl.obolibrary.org/obo/CL_540",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "FOODON": "http://purl.obolibrary.org/obo/FOODON_0001256",
    "HP": "http://purl.obolibrary.org/obo/HP_09830",
    "ICD10CM": "http://purl.bioontology.org/ontology/ICD10CM/G56-0",
    "MESH": "http://id.nlm.nih.gov/mesh/D0148",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_00052440",
    "NCIT": "http://purl.obolibrary.org/obo/NCIT_12439",
    "UBERON": "http://purl.obolibrary.org/obo/UBERON_955",
}


@pytest.mark.parametrize("vocabulary", sorted(MALFORMED_OBJECTS))
def test_each_vocabulary_shape_rejects_a_malformed_iri(vocabulary: str) -> None:
    data = new_graph()
    subject = URIRef("https://w3id.org/neuropathy-kg/entity/peripheral-neuropathy")
    data.add((subject, SKOS.closeMatch, URIRef(MALFORMED_OBJECTS[vocabulary])))
    report = validate(data, _graph(SHAPES))
    assert [r.source_shape for r in report.results] == [f"shape:Mapping-{vocabulary}"], report.to_table()


def test_every_vocabulary_shape_is_tested() -> None:
    shapes = _graph(SHAPES)
    prefix = "https://w3id.org/neuropathy-kg/shape/Mapping-"
    named = {str(s).removeprefix(prefix) for s in shapes.subjects(None, None) if str(s).startswith(prefix)}
    assert named == set(MALFORMED_OBJECTS)
