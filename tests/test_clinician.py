"""A clinician's acceptance test: the questions a reader of the article asks, answered by the stored queries.

Each question names the rows that MUST appear (the article says so, directly or by a chain of its own
statements) and the rows that MUST NOT (the article does not say so: a symptom chained into a cause, a body part
the signals merely come from, a tautology). Derived rows must show the hedge of the claims they come from: those
assertions read the derivation records (nkg:Derivation) of the reasoned graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from rdflib import URIRef

from kg import KnowledgeGraph
from kg.terms import ENTITY, NKG


@dataclass(frozen=True)
class Question:
    """A reader's question, the stored query that answers it, and what its answer must and must not contain."""

    ask: str
    query: str
    params: dict[str, str]
    column: str  # the label column whose values are the answer
    must: frozenset[str]
    must_not: frozenset[str] = frozenset()
    #: (answer, column, value) cells that must be in the answer's rows, such as a qualifier or the relation
    cells: tuple[tuple[str, str, str], ...] = ()
    #: (answer, column, value) cells that must not be in any of the answer's rows
    not_cells: tuple[tuple[str, str, str], ...] = ()


SYMPTOMS_OF_NEUROPATHY = frozenset(
    {
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
)
#: What B12 deficiency leads to in the article: its stated consequences and what those can progress to.
AFTER_B12_DEFICIENCY = frozenset(
    {"anemia", "degeneration of the spinal cord", "nerve damage", "peripheral neuropathy", "permanent debilitation"}
)

QUESTIONS = [
    Question(
        "What does multiple sclerosis lead to?",
        "consequences",
        {"condition": "multiple sclerosis"},
        "effectLabel",
        must=frozenset({"vitamin B12 deficiency"}) | AFTER_B12_DEFICIENCY,
        # a cause of B12 deficiency does not lead to the symptoms of the neuropathy the deficiency may cause
        must_not=SYMPTOMS_OF_NEUROPATHY | {"accident"},
        cells=(
            ("vitamin B12 deficiency", "relationLabel", "causes"),
            ("peripheral neuropathy", "relationLabel", "leads to"),
        ),
    ),
    Question(
        "What does physical injury lead to?",
        "consequences",
        {"condition": "physical injury"},
        "effectLabel",
        must=frozenset({"mononeuropathy", "peripheral neuropathy"}),
        must_not=SYMPTOMS_OF_NEUROPATHY | {"accident", "accident-related trauma"},
    ),
    Question(
        "What does vitamin B12 deficiency lead to?",
        "consequences",
        {"condition": "vitamin B12 deficiency"},
        "effectLabel",
        must=AFTER_B12_DEFICIENCY,
        must_not=SYMPTOMS_OF_NEUROPATHY | {"accident"},
        cells=(
            ("peripheral neuropathy", "relationLabel", "causes"),
            ("anemia", "relationLabel", "increases risk of"),
            ("permanent debilitation", "relationLabel", "leads to"),
        ),
    ),
    Question(
        "What does a strict vegetarian diet lead to?",
        "consequences",
        {"condition": "strict vegetarian diet"},
        "effectLabel",
        must=frozenset({"vitamin B12 deficiency"}) | AFTER_B12_DEFICIENCY,
        must_not=SYMPTOMS_OF_NEUROPATHY,
        cells=(("vitamin B12 deficiency", "relationLabel", "causes"),),
    ),
    Question(
        "What does a lack of coordination lead to?",
        "consequences",
        {"condition": "lack of coordination"},
        "effectLabel",
        must=frozenset({"accident"}),
        must_not=frozenset({"peripheral neuropathy", "vitamin B12 deficiency"}),
    ),
    Question(
        "Which body parts does peripheral neuropathy affect?",
        "affected-body-parts",
        {"condition": "peripheral neuropathy"},
        "partLabel",
        must=frozenset({"foot", "hand", "long nerves", "muscles of the limbs", "sensory nerve fibres"}),
        # the disrupted signals come FROM the brain and spinal cord (S1); the article does not say they are affected
        must_not=frozenset({"brain", "spinal cord", "nervous system"}),
        cells=(("hand", "frequency", "often"), ("long nerves", "frequency", "usually")),
    ),
    Question(
        "How is vitamin B12 deficiency treated?",
        "treatments",
        {"condition": "vitamin B12 deficiency"},
        "treatmentLabel",
        must=frozenset({"increasing vitamin B12 intake", "oral vitamin B12 therapy", "vitamin B12 injection"}),
        # "addressing B12 deficiency treats B12 deficiency" is a tautology, not a treatment the article names
        must_not=frozenset({"correction of vitamin B12 deficiency"}),
    ),
    Question(
        "What is the most direct treatment of vitamin B12 deficiency?",
        "evidence",
        {"subject": "increasing vitamin B12 intake", "object": "vitamin B12 deficiency"},
        "predicateLabel",
        must=frozenset({"treats"}),
        cells=(
            ("treats", "circumstance", "most direct"),
            ("treats", "start", "3360"),  # "Addressing vitamin B12 deficiency can help eliminate pain…"
            ("treats", "end", "3550"),  # "…The most direct treatment is increasing the intake of B12."
        ),
    ),
    Question(
        "Are oral B12 therapy and injections options?",
        "evidence",
        {"subject": "vitamin B12 injection", "object": "vitamin B12 deficiency"},
        "predicateLabel",
        must=frozenset({"treats"}),
        cells=(("treats", "modality", "viable"),),
    ),
    Question(
        "What are the symptoms of peripheral neuropathy?",
        "symptoms",
        {"condition": "peripheral neuropathy"},
        "symptomLabel",
        must=SYMPTOMS_OF_NEUROPATHY,
        # consequences of the symptoms are not symptoms, nor is what the deficiency puts one at risk of
        must_not=frozenset({"accident", "permanent debilitation", "anemia"}),
        cells=(
            ("lack of coordination", "viaLabel", "damage to sensory fibres"),
            ("loss of sense of taste", "viaLabel", "loss of nerve function"),
        ),
    ),
    Question(
        "What causes peripheral neuropathy?",
        "causes",
        {"condition": "peripheral neuropathy"},
        "causeLabel",
        must=frozenset(
            {
                "vitamin B12 deficiency",
                "physical injury",
                "underlying disease",
                "accident-related trauma",
                "prolonged pressure on a nerve",
                "poor nutrition",
                "kidney failure",
                "exposure to toxins",
            }
        ),
        # only the article's direct causes: what those are caused by is in 'causal-chain'; symptoms cause nothing here
        must_not=frozenset({"multiple sclerosis", "strict vegetarian diet", "lack of coordination", "tingling"}),
        cells=(
            ("vitamin B12 deficiency", "modality", "possible"),
            ("vitamin B12 deficiency", "circumstance", "chronic"),
            ("prolonged pressure on a nerve", "frequency", "very common"),
        ),
        # "most commonly" qualifies "a disease or injury" together, "most often" "physical injury or trauma"
        not_cells=(
            ("physical injury", "frequency", "most commonly"),
            ("physical injury", "frequency", "most often"),
            ("underlying disease", "frequency", "most commonly"),
        ),
    ),
    Question(
        "What causes vitamin B12 deficiency?",
        "causes",
        {"condition": "vitamin B12 deficiency"},
        "causeLabel",
        must=frozenset(
            {
                "autoimmune disease",
                "Crohn’s disease",
                "HIV infection",
                "gastritis",
                "malabsorption syndrome",
                "multiple sclerosis",
                "strict vegetarian diet",
            }
        ),
        cells=(
            ("multiple sclerosis", "modality", "can"),
            ("strict vegetarian diet", "relationLabel", "predisposes to"),
        ),
    ),
    Question(
        "What relieves the pain of peripheral neuropathy?",
        "treatments",
        {"condition": "peripheral neuropathy"},
        "treatmentLabel",
        must=frozenset(
            {
                "anti-seizure medication",
                "antidepressant",
                "lidocaine patch",
                "general pain reliever",
                "correction of vitamin B12 deficiency",
                "treatment of the underlying cause",
            }
        ),
        cells=(("lidocaine patch", "approachLabel", "symptomatic treatment"),),
    ),
    Question(
        "What can the anti-seizure medication do for the pain?",
        "evidence",
        {"subject": "anti-seizure medication", "object": "nerve pain"},
        "predicateLabel",
        must=frozenset({"relieves"}),
        cells=(("relieves", "modality", "can"), ("relieves", "references", "2,3")),
    ),
    Question(
        "Where does peripheral neuropathy start, and why there?",
        "evidence",
        {"subject": "hand", "object": "nerve damage"},
        "predicateLabel",
        must=frozenset({"susceptible to"}),
        cells=(
            ("susceptible to", "circumstance", "most susceptible"),
            ("susceptible to", "organisationLabel", "Pain Clinic"),
        ),
    ),
    Question(
        "What are the types of peripheral neuropathy?",
        "neuropathy-types",
        {},
        "typeLabel",
        must=frozenset({"mononeuropathy", "polyneuropathy", "carpal tunnel syndrome", "peroneal nerve palsy"}),
    ),
]


def answer(graph: KnowledgeGraph, question: Question) -> list[dict[str, str]]:
    return [
        {column: str(value) for column, value in row.items()}
        for row in graph.query(question.query, **question.params).dicts()
    ]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda question: question.ask)
def test_the_answer_says_what_the_article_says_and_no_more(shipped: KnowledgeGraph, question: Question) -> None:
    rows = answer(shipped, question)
    answers = {row.get(question.column, "") for row in rows}
    assert question.must - answers == set(), "missing"
    assert answers & question.must_not == set(), "the article does not say so"
    cells = {(row.get(question.column, ""), column, value) for row in rows for column, value in row.items()}
    assert set(question.cells) - cells == set(), "missing qualifier or relation"
    assert cells & set(question.not_cells) == set(), "a qualifier the article does not put on this row"


def test_no_symptom_is_a_consequence_of_anything(shipped: KnowledgeGraph) -> None:
    """Manifestation is not causation: 'consequences' never lists a symptom of what it starts from."""
    for start in ("multiple sclerosis", "physical injury", "strict vegetarian diet", "vitamin B12 deficiency"):
        effects = {
            row["effectLabel"]
            for row in answer(shipped, Question("", "consequences", {"condition": start}, "", frozenset()))
        }
        assert effects & SYMPTOMS_OF_NEUROPATHY == set(), start


# ---------------------------------------------------------------------------------------------- hedges


@dataclass(frozen=True)
class Hedge:
    """A derived row and the hedge it must show: one of `modality` (the weakest word of its premises is one of
    these), and every word of `circumstance`."""

    ask: str
    subject: str
    predicate: URIRef
    object: str
    modality: frozenset[str]
    circumstance: frozenset[str] = field(default=frozenset())


HEDGES = [
    Hedge(
        "multiple sclerosis may lead to peripheral neuropathy: 'can' cause the deficiency, a 'possible' cause",
        "multiple-sclerosis",
        NKG.leadsTo,
        "peripheral-neuropathy",
        frozenset({"can", "possible"}),
    ),
    Hedge(
        "multiple sclerosis and anaemia: 'can' cause the deficiency, 'at risk' of anaemia",
        "multiple-sclerosis",
        NKG.leadsTo,
        "anemia",
        frozenset({"can", "at risk of"}),
    ),
    Hedge(
        "a strict vegetarian diet may lead to peripheral neuropathy",
        "strict-vegetarian-diet",
        NKG.leadsTo,
        "peripheral-neuropathy",
        frozenset({"can", "possible"}),
    ),
    Hedge(
        "B12 deficiency and permanent debilitation: at risk of nerve damage, which 'may' develop 'if left untreated'",
        "vitamin-b12-deficiency",
        NKG.leadsTo,
        "permanent-debilitation",
        frozenset({"at risk of", "may", "can"}),
        frozenset({"if left untreated"}),
    ),
    Hedge(
        "a strict vegetarian diet and permanent debilitation keep the 'if left untreated'",
        "strict-vegetarian-diet",
        NKG.leadsTo,
        "permanent-debilitation",
        frozenset({"can", "at risk of", "may"}),
        frozenset({"if left untreated"}),
    ),
    Hedge(
        "peripheral neuropathy 'may' bring a loss of taste (through the loss of nerve function)",
        "peripheral-neuropathy",
        NKG.hasSymptom,
        "loss-of-taste",
        frozenset({"may"}),
    ),
]


DERIVATIONS = """
SELECT ?derivation ?modality ?circumstance WHERE {
    ?derivation a nkg:Derivation ; rdf:subject <%s> ; rdf:predicate <%s> ; rdf:object <%s> .
    OPTIONAL { ?derivation nkg:modality ?modality }
    OPTIONAL { ?derivation nkg:circumstance ?circumstance }
}
"""


@pytest.mark.parametrize("hedge", HEDGES, ids=lambda hedge: hedge.ask)
def test_a_derived_row_shows_the_hedge_of_its_premises(shipped: KnowledgeGraph, hedge: Hedge) -> None:
    subject, obj = ENTITY[hedge.subject], ENTITY[hedge.object]
    assert (subject, hedge.predicate, obj) in shipped.inferred, "the row is derived"
    rows = shipped.query(DERIVATIONS % (subject, hedge.predicate, obj), timeout=None).dicts()
    records: dict[str, tuple[set[str], set[str]]] = {}
    for row in rows:
        modalities, circumstances = records.setdefault(str(row["derivation"]), (set(), set()))
        if row.get("modality") is not None:
            modalities.add(str(row["modality"]))
        if row.get("circumstance") is not None:
            circumstances.add(str(row["circumstance"]))
    assert records, "every derived row has a derivation record"
    for derivation, (modalities, circumstances) in records.items():
        assert modalities & hedge.modality, f"{derivation} drops the hedge {sorted(hedge.modality)}"
        assert hedge.circumstance <= circumstances, f"{derivation} drops {sorted(hedge.circumstance)}"
