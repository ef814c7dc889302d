"""KGX export: Biolink nodes and edges in KGX TSV, checked offline against the Biolink Model of the biolink-model
package (categories and predicates exist, are concrete, and predicate domains and ranges fit), deterministic."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kg import KnowledgeGraph
from kg.cli import main
from kg.errors import DataFileError
from kg.kgx import (
    EDGE_COLUMNS,
    NODE_COLUMNS,
    NTriplesView,
    biolink_mapping_file,
    kgx_tables,
    read_biolink_mapping,
)
from kg.mappings import read_mapping_set
from kg.packaged import mapping_file

Table = list[dict[str, str]]


@cache
def _biolink() -> dict[str, Any]:
    """The Biolink Model YAML that the biolink-model package ships (the kgx tool would download it instead)."""
    biolink_model = pytest.importorskip("biolink_model", reason="pip install -e '.[test]' installs biolink-model")
    path = Path(next(iter(biolink_model.__path__))) / "schema" / "biolink_model.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    model: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return model


def _camel(name: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in name.split(" "))


@cache
def _classes() -> dict[str, dict[str, Any]]:
    """Biolink classes by their category CURIE (biolink:DiseaseOrPhenotypicFeature)."""
    return {f"biolink:{_camel(name)}": {"name": name, **(body or {})} for name, body in _biolink()["classes"].items()}


@cache
def _slots() -> dict[str, dict[str, Any]]:
    """Biolink slots by their predicate CURIE (biolink:has_phenotype)."""
    return {
        f"biolink:{name.replace(' ', '_')}": {"name": name, **(body or {})}
        for name, body in _biolink()["slots"].items()
    }


def _class_ancestors(name: str) -> set[str]:
    """A Biolink class and every class it is (is_a and mixins, transitively), by name."""
    found, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        body = _biolink()["classes"].get(current) or {}
        todo += [*([body["is_a"]] if body.get("is_a") else []), *(body.get("mixins") or [])]
    return found


def _inherited(slot: str, key: str) -> str | None:
    """A slot's domain or range, from the slot itself or the nearest slot it is_a."""
    body: dict[str, Any] = _biolink()["slots"].get(slot) or {}
    while body:
        if body.get(key):
            return str(body[key])
        body = _biolink()["slots"].get(body.get("is_a", "")) or {}
    return None


def biolink_problems(nodes: Table, edges: Table) -> list[str]:
    """Everything in the KGX tables that the Biolink Model does not allow; empty when all is well."""
    problems = []
    categories_of: dict[str, list[str]] = {}
    for node in nodes:
        categories_of[node["id"]] = node["category"].split("|")
        for category in categories_of[node["id"]]:
            body = _classes().get(category)
            if body is None or body.get("abstract") or body.get("mixin"):
                problems.append(f"{node['id']}: {category} is not a concrete Biolink class")
    levels = _biolink()["enums"]["KnowledgeLevelEnum"]["permissible_values"]
    agents = _biolink()["enums"]["AgentTypeEnum"]["permissible_values"]
    for edge in edges:
        slot = _slots().get(edge["predicate"])
        if slot is None or slot.get("abstract") or slot.get("mixin") or slot.get("deprecated"):
            problems.append(f"{edge['id']}: {edge['predicate']} is not a usable Biolink predicate")
            continue
        for end, key in (("subject", "domain"), ("object", "range")):
            wanted = _inherited(slot["name"], key)
            have = [_classes()[c]["name"] for c in categories_of.get(edge[end], []) if c in _classes()]
            if wanted and not any(wanted in _class_ancestors(name) for name in have):
                problems.append(f"{edge['id']}: {edge[end]} ({', '.join(have)}) is outside the {key} {wanted}")
        if edge["knowledge_level"] not in levels or edge["agent_type"] not in agents:
            problems.append(f"{edge['id']}: knowledge_level or agent_type not in Biolink's enumerations")
    return problems


def _read(text: str) -> Table:
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def tables(shipped: KnowledgeGraph) -> tuple[str, str]:
    return kgx_tables(
        shipped.asserted, read_biolink_mapping(biolink_mapping_file()), read_mapping_set(mapping_file())[1]
    )


def test_the_export_fits_the_biolink_model(tables: tuple[str, str]) -> None:
    nodes, edges = (_read(text) for text in tables)
    assert len(nodes) > 50
    assert len(edges) > 80
    assert biolink_problems(nodes, edges) == []


def test_the_check_finds_what_biolink_does_not_allow(tables: tuple[str, str]) -> None:
    """The check must be able to fail: an unknown category, a mixin predicate, an end outside a domain."""
    nodes, edges = (_read(text) for text in tables)
    nodes[0] = {**nodes[0], "category": "biolink:Injury"}
    edges[0] = {**edges[0], "predicate": "biolink:treats"}  # a mixin in Biolink 4
    relieves = next(i for i, edge in enumerate(edges) if edge["predicate"] == "biolink:ameliorates_condition")
    edges[relieves] = {**edges[relieves], "subject": edges[relieves]["object"]}  # a symptom is no treatment
    problems = biolink_problems(nodes, edges)
    assert any("biolink:Injury is not a concrete Biolink class" in problem for problem in problems)
    assert any("biolink:treats is not a usable Biolink predicate" in problem for problem in problems)
    assert any("outside the domain chemical or drug or treatment" in problem for problem in problems)


def test_every_mapped_term_names_a_biolink_class_or_predicate() -> None:
    mapping = read_biolink_mapping(biolink_mapping_file())
    assert {c for c in mapping.categories.values() if c not in _classes()} == set()
    assert {p for p in mapping.predicates.values() if p is not None and p not in _slots()} == set()


def test_columns_follow_kgx_and_multiple_values_are_piped(tables: tuple[str, str]) -> None:
    nodes, edges = (_read(text) for text in tables)
    assert tuple(nodes[0]) == NODE_COLUMNS
    assert tuple(edges[0]) == EDGE_COLUMNS
    anemia = next(node for node in nodes if node["id"] == "entity:anemia")
    assert anemia["category"] == "biolink:Disease"
    assert "MONDO:0002280" in anemia["xref"].split("|")
    assert anemia["synonym"] == "anaemia"
    drug = next(node for node in nodes if node["id"] == "entity:anti-seizure-medication")
    assert drug["category"] == "biolink:Drug|biolink:Treatment"


def test_every_stated_claim_is_an_edge_with_its_quote_and_source(
    shipped: KnowledgeGraph, tables: tuple[str, str]
) -> None:
    edges = {edge["id"]: edge for edge in _read(tables[1])}
    edge = edges["claim:prolonged-nerve-compression--causes--mononeuropathy"]
    assert (edge["subject"], edge["predicate"], edge["object"]) == (
        "entity:prolonged-nerve-compression",
        "biolink:causes",
        "entity:mononeuropathy",
    )
    assert edge["supporting_text"] == "Pressure on a nerve for extended periods is also a very common cause."
    assert edge["frequency"] == "very common"
    assert edge["publications"] == "source:peripheral-neuropathy-and-vitamin-b12"
    assert (edge["knowledge_level"], edge["agent_type"]) == ("knowledge_assertion", "manual_agent")
    claims = shipped.query("SELECT ?c ?p WHERE { ?c a nkg:Claim ; rdf:predicate ?p }", inferred=False).rows
    # typing claims give categories; no Biolink predicate compares, nor says where a signal comes from or what a part
    # of the body is susceptible to (data/biolink-mapping.tsv)
    left_out = {"rdf:type", "nkg:moreCommonThan", "nkg:disruptsSignalsFrom", "nkg:susceptibleTo"}
    assert len(edges) == sum(1 for _claim, predicate in claims if _short(predicate) not in left_out)


def _short(iri: object) -> str:
    from kg.terms import compact

    return compact(str(iri)) or str(iri)


def test_kg_export_kgx_writes_the_same_bytes_again(tmp_path: Path) -> None:
    for run in ("first", "second"):
        assert main(["export", "--format", "kgx", "-o", str(tmp_path / run)]) == 0
    for name in ("nodes.tsv", "edges.tsv"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


@pytest.mark.parametrize("extra", [[], ["--inferred"], ["-o", "-"]])
def test_kgx_needs_a_folder_and_stated_edges(
    extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["export", "--format", "kgx", *extra]
    if "--inferred" in extra:
        arguments += ["-o", str(tmp_path)]
    assert main(arguments) == 2
    assert "give a folder with -o" in capsys.readouterr().err


def test_a_bad_mapping_row_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "biolink-mapping.tsv"
    bad.write_text("term\tbiolink\tcomment\nnkg:Disorder\tDisease\tno prefix\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"biolink-mapping\.tsv:2: 'Disease' is not biolink:Name"):
        read_biolink_mapping(bad)


def test_the_tables_read_from_exact_ntriples_are_the_tables_read_from_the_graph(
    shipped: KnowledgeGraph, tables: tuple[str, str]
) -> None:
    ntriples = shipped.asserted.serialize(format="nt", encoding="utf-8")
    view = NTriplesView(ntriples)
    assert kgx_tables(view, read_biolink_mapping(biolink_mapping_file()), read_mapping_set(mapping_file())[1]) == tables
