"""Every stored query answers the article's questions from the shipped data; headers parse; parameters are terms."""

from __future__ import annotations

import gzip
import os
import shutil
from functools import partial
from pathlib import Path

import pytest
from recorded import digest, replayed, versions

from kg import KnowledgeGraph, ParameterError, UnknownQueryError, engine, stored_queries, stored_query
from kg.engine import check_read_only
from kg.errors import DataFileError, QueryError
from kg.prefixes import PREFIXES
from kg.queries import parse_stored_query
from kg.screen import screen


def labels(graph: KnowledgeGraph, name: str, columns: tuple[str, ...], **params: str) -> set[tuple[str, ...]]:
    result = graph.query(name, **params)
    return {tuple(str(row.get(column, "")) for column in columns) for row in result.dicts()}


def test_neuropathy_types(shipped: KnowledgeGraph) -> None:
    assert labels(shipped, "neuropathy-types", ("typeLabel", "parentLabel")) == {
        ("mononeuropathy", "peripheral neuropathy"),
        ("polyneuropathy", "peripheral neuropathy"),
        ("carpal tunnel syndrome", "mononeuropathy"),
        ("peroneal nerve palsy", "mononeuropathy"),
    }


def test_causes_include_those_of_subtypes_with_qualifiers(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped,
        "causes",
        ("causeLabel", "targetLabel", "frequency", "modality", "circumstance"),
        condition="peripheral neuropathy",
    )
    assert rows == {
        # "most often" and "most commonly" qualify "physical injury or accident-related trauma" and "a disease or
        # injury" together, so neither is put on one cause (a curator's note on each claim says so)
        ("accident-related trauma", "mononeuropathy", "", "", ""),
        ("physical injury", "mononeuropathy", "", "", ""),
        ("prolonged pressure on a nerve", "mononeuropathy", "very common", "", ""),
        ("physical injury", "peripheral neuropathy", "", "", ""),
        ("underlying disease", "peripheral neuropathy", "", "", ""),
        ("vitamin B12 deficiency", "peripheral neuropathy", "", "possible", ""),
        ("vitamin B12 deficiency", "peripheral neuropathy", "", "possible", "chronic"),
        ("exposure to toxins", "polyneuropathy", "", "can", "specific types of toxins"),
        ("kidney failure", "polyneuropathy", "", "can", "complications from"),
        ("poor nutrition", "polyneuropathy", "", "can", ""),
    }


def test_causes_of_the_deficiency_include_the_chain_derived_diet_link(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "causes", ("causeLabel", "relationLabel"), condition="B12 deficiency")
    assert ("strict vegetarian diet", "causes") in rows
    assert ("strict vegetarian diet", "predisposes to") in rows  # derived: excludes ∘ source of ∘ deficiency state
    assert {cause for cause, _ in rows} == {
        "autoimmune disease",
        "Crohn’s disease",
        "HIV infection",
        "gastritis",
        "malabsorption syndrome",
        "multiple sclerosis",
        "strict vegetarian diet",
    }


def test_consequences_direct_and_derived(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "consequences", ("effectLabel", "relationLabel"), condition="vitamin B12 deficiency")
    assert {
        ("peripheral neuropathy", "causes"),
        ("anemia", "increases risk of"),
        ("degeneration of the spinal cord", "increases risk of"),
        ("nerve damage", "increases risk of"),
        ("permanent debilitation", "leads to"),
    } <= rows
    # symptoms are shown by 'symptoms', not as consequences: 'has symptom' is not a kind of 'leads to'
    assert {effect for effect, _ in rows} == {
        "anemia",
        "degeneration of the spinal cord",
        "nerve damage",
        "peripheral neuropathy",
        "permanent debilitation",
    }


def test_symptoms_stated_and_through_mechanisms(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "symptoms", ("symptomLabel", "viaLabel"), condition="peripheral neuropathy")
    assert {symptom for symptom, _ in rows} == {
        "burning sensation",
        "cramps",
        "impaired ability to feel pain",
        "inability to feel joint position",
        "inability to feel warning pain",
        "lack of coordination",
        "loss of muscle control",
        "loss of muscle mass",
        "loss of sensation",
        "loss of sense of taste",
        "nerve pain",
        "numbness",
        "tingling",
    }
    assert ("cramps", "") in rows
    assert ("tingling", "damage to sensory fibres") in rows
    assert ("tingling", "loss of nerve function") in rows


def test_treatments_tell_symptomatic_relief_from_treating_the_cause(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped, "treatments", ("treatmentLabel", "approachLabel", "targetLabel"), condition="peripheral neuropathy"
    )
    assert rows == {
        ("anti-seizure medication", "symptomatic treatment", "nerve pain"),
        ("antidepressant", "symptomatic treatment", "nerve pain"),
        ("lidocaine patch", "symptomatic treatment", "nerve pain"),
        ("general pain reliever", "symptomatic treatment", "nerve pain"),
        ("treatment of the underlying cause", "cause-directed treatment", "peripheral neuropathy"),
        ("correction of vitamin B12 deficiency", "cause-directed treatment", "nerve pain"),
        ("increasing vitamin B12 intake", "cause-directed treatment", "vitamin B12 deficiency"),
        ("oral vitamin B12 therapy", "cause-directed treatment", "vitamin B12 deficiency"),
        ("vitamin B12 injection", "cause-directed treatment", "vitamin B12 deficiency"),
    }


def test_dietary_sources(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "dietary-sources", ("sourceLabel", "kindLabel", "excludedBy"), nutrient="cobalamin")
    assert rows == {
        ("dairy products", "food", "strict vegetarian diet"),
        ("eggs", "food", "strict vegetarian diet"),
        ("fish", "food", "strict vegetarian diet"),
        ("poultry", "food", "strict vegetarian diet"),
        ("red meat", "food", "strict vegetarian diet"),
        ("vitamin B12 supplement", "dietary supplement", ""),
    }


def test_mechanisms_of_damage_and_of_treatment(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "mechanisms", ("mechanismLabel", "roleLabel"), condition="peripheral neuropathy")
    assert rows == {
        ("damage to sensory fibres", "pathological process"),
        ("disruption of nerve signals from the brain and spinal cord to the muscles", "pathological process"),
        ("loss of nerve function", "pathological process"),
        ("regeneration of nerve cells", "therapeutic process"),
        ("restoration of nerve sheaths", "therapeutic process"),
    }


def test_affected_body_parts(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "affected-body-parts", ("partLabel", "frequency"), condition="peripheral neuropathy")
    assert rows == {
        ("foot", "often"),
        ("hand", "often"),
        ("long nerves", "usually"),
        ("muscles of the limbs", ""),
        ("sensory nerve fibres", ""),
    }
    carpal = labels(shipped, "affected-body-parts", ("partLabel",), condition="carpal tunnel syndrome")
    assert carpal == {("nerves of the wrist",)}


def test_causal_chain_from_diet_to_neuropathy(shipped: KnowledgeGraph) -> None:
    chain = {"from": "strict vegetarian diet", "to": "peripheral neuropathy"}
    rows = labels(shipped, "causal-chain", ("sourceLabel", "relationLabel", "targetLabel", "stated"), **chain)
    assert rows == {
        ("strict vegetarian diet", "causes", "vitamin B12 deficiency", "true"),
        ("strict vegetarian diet", "predisposes to", "vitamin B12 deficiency", "false"),
        ("vitamin B12 deficiency", "causes", "peripheral neuropathy", "true"),
    }
    depths = [int(str(row["depth"])) for row in shipped.query("causal-chain", **chain).dicts()]
    assert depths == sorted(depths)
    # a symptom is not a step of a causal chain
    assert len(shipped.query("causal-chain", **{"from": "strict vegetarian diet", "to": "tingling"})) == 0


def test_evidence_gives_quote_offsets_references_and_qualifiers(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped,
        "evidence",
        ("start", "end", "references", "modality", "circumstance", "organisationLabel"),
        subject="vitamin B12 deficiency",
        object="peripheral neuropathy",
    )
    assert rows == {("491", "578", "2,3", "possible", "", ""), ("1594", "1680", "1,2,3,4", "possible", "chronic", "")}


def test_evidence_names_the_organisation(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "evidence", ("organisationLabel",), subject="peripheral neuropathy", object="long nerves")
    assert rows == {("Pain Clinic",)}


def test_claims_by_source(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped, "claims-by-source", ("subjectLabel", "objectLabel"), source="American Academy of Family Physicians"
    )
    assert rows == {("vitamin B12", "essential nutrient")}
    by_reference_one = labels(shipped, "claims-by-source", ("subjectLabel", "objectLabel"), source="reference 1")
    assert by_reference_one == {
        ("vitamin B12", "essential nutrient"),
        ("vitamin B12 deficiency", "peripheral neuropathy"),
    }


def test_describe_lists_facts_with_their_provenance(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped,
        "describe",
        ("direction", "predicateLabel", "valueLabel", "references"),
        entity="vitamin B12 deficiency",
    )
    assert ("outgoing", "causes", "peripheral neuropathy", "1,2,3,4") in rows
    assert ("outgoing", "treated by", "oral vitamin B12 therapy", "") in rows  # derived
    assert ("incoming", "causes", "Crohn’s disease", "") in rows


def test_search_is_case_insensitive_on_labels_and_synonyms(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "search", ("entityLabel", "matched"), text="TINGL")
    assert rows == {("tingling", "tingling"), ("tingling", "painful tingling")}


def test_every_stored_query_runs_on_its_example_and_returns_rows(shipped: KnowledgeGraph) -> None:
    for query in stored_queries():
        params = {parameter.name: parameter.example or "" for parameter in query.parameters}
        assert all(params.values()), f"{query.name}: every parameter needs an example"
        assert len(shipped.query(query.name, **params)) > 0, query.name


def test_every_entity_column_has_a_label_column(shipped: KnowledgeGraph) -> None:
    for query in stored_queries():
        params = {parameter.name: parameter.example or "" for parameter in query.parameters}
        result = shipped.query(query.name, **params)
        for row in result.dicts():
            for variable, term in row.items():
                if str(term).startswith("https://w3id.org/neuropathy-kg/entity/") and variable not in ("value",):
                    assert f"{variable}Label" in result.variables, f"{query.name}: ?{variable} has no ?{variable}Label"


def test_headers_document_title_description_and_parameters() -> None:
    queries = {query.name: query for query in stored_queries()}
    assert {
        "neuropathy-types",
        "causes",
        "consequences",
        "symptoms",
        "treatments",
        "dietary-sources",
        "mechanisms",
        "affected-body-parts",
        "causal-chain",
        "evidence",
        "claims-by-source",
        "describe",
        "search",
        "derivation",
    } <= set(queries)
    assert [p.name for p in queries["derivation"].parameters] == ["subject", "object"]
    assert [p.name for p in queries["causal-chain"].parameters] == ["from", "to"]
    assert queries["search"].parameters[0].kind == "literal"
    assert queries["symptoms"].title == "Symptoms of a condition"


def test_header_without_title_names_file_and_line() -> None:
    with pytest.raises(DataFileError, match=r"queries/x.rq:1: header has no '# title:' line"):
        parse_stored_query("x", "# description: d\nSELECT * WHERE { ?s ?p ?o }", "queries/x.rq")


def test_header_parameter_must_be_used() -> None:
    with pytest.raises(DataFileError, match="never used"):
        parse_stored_query("x", "# title: t\n# description: d\n# param thing: t\nSELECT * {?s ?p ?o}", "q.rq")


def test_unknown_query_suggests_close_names(shipped: KnowledgeGraph) -> None:
    with pytest.raises(UnknownQueryError, match="did you mean symptoms"):
        shipped.query("symptom", condition="x")


def test_missing_and_unknown_parameters(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="needs --param condition"):
        shipped.query("symptoms")
    with pytest.raises(ParameterError, match="has no parameter 'disease'"):
        shipped.query("symptoms", condition="peripheral neuropathy", disease="x")


def test_unknown_value_lists_the_closest_labels(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="closest labels: 'peripheral neuropathy'"):
        shipped.query("symptoms", condition="peripheral neuropaty")


def test_synonyms_resolve_case_insensitively(shipped: KnowledgeGraph) -> None:
    assert shipped.resolve("Lack of Vitamin B12") == shipped.resolve("vitamin B12 deficiency")
    assert shipped.resolve("Crohn's disease") == shipped.resolve("Crohn’s disease")


@pytest.mark.parametrize(
    "value",
    [
        "peripheral neuropathy",
        "PERIPHERAL NEUROPATHY",
        "entity:peripheral-neuropathy",
        "https://w3id.org/neuropathy-kg/entity/peripheral-neuropathy",
        "<https://w3id.org/neuropathy-kg/entity/peripheral-neuropathy>",
    ],
)
def test_parameter_may_be_label_synonym_curie_or_iri(shipped: KnowledgeGraph, value: str) -> None:
    assert shipped.resolve(value) == shipped.resolve("peripheral neuropathy")


@pytest.mark.parametrize("hostile", ['b12" } UNION { ?s ?p ?o', "b12 }\n#", "' ; DROP ALL", "x\\u0022"])
def test_literal_parameters_are_bound_as_terms_not_spliced(shipped: KnowledgeGraph, hostile: str) -> None:
    assert len(shipped.query("search", text=hostile)) == 0


def test_ad_hoc_sparql_with_project_prefixes(shipped: KnowledgeGraph) -> None:
    result = shipped.query("SELECT ?n WHERE { ?n a nkg:Neuropathy } ORDER BY ?n")
    assert len(result) == 5
    assert shipped.query("ASK { entity:fish nkg:isDietarySourceOf entity:vitamin-b12 }").boolean is True


def test_service_and_updates_are_refused(shipped: KnowledgeGraph) -> None:
    with pytest.raises(QueryError, match="SERVICE"):
        shipped.query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match="updates are refused"):
        shipped.query("DROP ALL")


def test_stored_query_lookup_by_name() -> None:
    assert stored_query("symptoms").parameters[0].name == "condition"


def test_xref_finds_the_entity_for_an_external_identifier(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "xref", ("entityLabel", "predicate"), id="MESH:D014806")
    assert rows == {("vitamin B12 deficiency", "http://www.w3.org/2004/02/skos/core#exactMatch")}
    assert len(shipped.query("xref", id="http://id.nlm.nih.gov/mesh/D014806")) == 1


def test_entity_parameters_accept_external_curies(shipped: KnowledgeGraph) -> None:
    assert shipped.resolve("HP:0009830") == shipped.resolve("peripheral neuropathy")


def test_xref_rejects_an_unknown_prefix(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ParameterError, match="not an IRI or a CURIE with a known prefix"):
        shipped.query("xref", id="NOPE:123")


def test_describe_shows_mappings(shipped: KnowledgeGraph) -> None:
    rows = shipped.query("describe", entity="vitamin B12 deficiency").dicts()
    mapped = {str(row["value"]) for row in rows if str(row["predicate"]).endswith("exactMatch")}
    assert "http://id.nlm.nih.gov/mesh/D014806" in mapped


def _read_only(sparql: str, origin: str) -> str:
    check_read_only(sparql, origin)
    return "read-only"


def test_every_stored_query_is_read_only() -> None:
    """Stored queries skip the read-only check and the screen at run time, so each must pass both here.

    The check parses with rdflib (a second for the fifteen queries): its verdict is replayed when recorded for
    exactly this query text, kg/engine.py, the prefixes and rdflib (tests/recorded.py), and it runs otherwise."""
    code = Path(engine.__file__).read_bytes()
    for query in stored_queries():
        origin = f"queries/{query.name}.rq"
        key = digest(versions(), code, repr(sorted(PREFIXES.items())), query.sparql)
        assert replayed("read-only", key, partial(_read_only, query.sparql, origin)) == "read-only"
        screen(query.sparql, origin)


# ---------------------------------------------------------------------- hedges of derived rows

DERIVATION = "https://w3id.org/neuropathy-kg/derivation/"


def test_consequences_carry_the_hedge_of_what_was_derived(shipped: KnowledgeGraph) -> None:
    stated = labels(
        shipped, "consequences", ("effectLabel", "relationLabel", "modality"), condition="vitamin B12 deficiency"
    )
    assert ("peripheral neuropathy", "causes", "possible") in stated  # the claim's own modality
    rows = labels(
        shipped,
        "consequences",
        ("effectLabel", "relationLabel", "quote", "derivation", "hedge"),
        condition="strict vegetarian diet",
    )
    # diet causes ("can") B12 deficiency, "one possible cause" of neuropathy if "chronic": never a plain "leads to"
    assert (
        "peripheral neuropathy",
        "leads to",
        "",
        f"{DERIVATION}strict-vegetarian-diet--leadsTo--peripheral-neuropathy",
        "possible; chronic",
    ) in rows
    assert all(row[3].startswith(DERIVATION) for row in rows if not row[2])  # every row without a quote is derived


def test_causes_name_the_derivation_of_a_derived_cause(shipped: KnowledgeGraph) -> None:
    rows = labels(shipped, "causes", ("causeLabel", "relationLabel", "derivation", "hedge"), condition="B12 deficiency")
    derived = {(row[0], row[1]): row[2] for row in rows}
    assert derived[("strict vegetarian diet", "predisposes to")] == (
        f"{DERIVATION}strict-vegetarian-diet--predisposesTo--vitamin-b12-deficiency"
    )
    assert ("strict vegetarian diet", "causes", "", "") in rows


def test_causal_chain_gives_qualifiers_of_stated_links_and_hedges_of_derived_ones(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped,
        "causal-chain",
        ("sourceLabel", "relationLabel", "stated", "modality", "derivation"),
        **{"from": "strict vegetarian diet", "to": "peripheral neuropathy"},
    )
    assert ("vitamin B12 deficiency", "causes", "true", "possible", "") in rows
    derived = [row for row in rows if row[2] == "false"]
    assert derived
    assert all(row[4].startswith(DERIVATION) for row in derived)


def test_symptoms_and_treatments_name_derivations(shipped: KnowledgeGraph) -> None:
    symptoms = labels(
        shipped, "symptoms", ("symptomLabel", "viaLabel", "derivation"), condition="peripheral neuropathy"
    )
    assert (
        "tingling",
        "damage to sensory fibres",
        f"{DERIVATION}peripheral-neuropathy--hasSymptom--tingling",
    ) in symptoms
    assert ("cramps", "", "") in symptoms  # stated of the condition itself
    treatments = labels(
        shipped,
        "treatments",
        ("treatmentLabel", "targetLabel", "modality", "derivation"),
        condition="peripheral neuropathy",
    )
    assert ("lidocaine patch", "nerve pain", "can", "") in treatments


def test_describe_shows_qualifiers_and_derivations(shipped: KnowledgeGraph) -> None:
    rows = labels(
        shipped,
        "describe",
        ("direction", "predicateLabel", "valueLabel", "modality", "derivation", "hedge"),
        entity="strict vegetarian diet",
    )
    assert ("outgoing", "causes", "vitamin B12 deficiency", "can", "", "") in rows
    assert (
        "outgoing",
        "leads to",
        "peripheral neuropathy",
        "",
        f"{DERIVATION}strict-vegetarian-diet--leadsTo--peripheral-neuropathy",
        "possible; chronic",
    ) in rows


# ------------------------------------------------------------------ joining with a real ontology

ROOT = Path(__file__).resolve().parents[1]
DOID_QUERY = ROOT / "docs" / "examples" / "doid-ancestors.rq"


def doid_release() -> Path:
    """The Disease Ontology release in the shared datasets folder (real public data, not in the repository)."""
    folder = Path(os.environ.get("KG_DATASETS") or ROOT.parent / "shared" / "datasets")
    path = folder / "doid-2016-09-01.ttl.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared datasets folder is not here (KG_DATASETS names another one)")
    return path


def test_readme_shows_the_doid_join_as_it_is_in_docs_examples() -> None:
    query = DOID_QUERY.read_text(encoding="utf-8")
    assert query[query.index("PREFIX") :] in (ROOT / "README.md").read_text(encoding="utf-8")


def test_doid_join_places_every_mapped_disorder_in_the_disease_ontology(tmp_path: Path) -> None:
    # A plain copy: reading .gz is the loader's to test, this is about the join.
    release = tmp_path / "doid.ttl"
    with gzip.open(doid_release(), "rb") as compressed, release.open("wb") as plain:
        shutil.copyfileobj(compressed, plain)
    graph = KnowledgeGraph.load(extra=[release])
    result = graph.query(DOID_QUERY.read_text(encoding="utf-8"), inferred=False, timeout=None)
    rows = {(str(row["entityLabel"]), str(row["doid"]).rsplit("_", 1)[1]): row for row in result.dicts()}
    mapped = {
        (line.split("\t")[1], line.split("\t")[3].removeprefix("DOID:"))
        for line in (ROOT / "data" / "mappings.sssom.tsv").read_text(encoding="utf-8").splitlines()
        if "\tDOID:" in line and not line.startswith("#")
    }
    assert set(rows) == mapped
    assert len(rows) == 16
    neuropathy = rows["peripheral neuropathy", "870"]
    assert (str(neuropathy["doidLabel"]), str(neuropathy["ancestors"])) == (
        "neuropathy",
        "peripheral nervous system disease < nervous system disease < disease of anatomical entity < disease",
    )
    assert str(rows["vitamin B12 deficiency", "0050731"]["ancestors"]).endswith("disease of metabolism < disease")
    assert str(rows["autoimmune disease", "417"]["doidLabel"]) == "hypersensitivity reaction type II disease"
    assert "ancestors" not in rows["underlying disease", "4"]  # DOID:4 'disease' is the root
