"""Seeded generator of synthetic graphs shaped like the shipped one, for benchmarks and equivalence tests.

The generated Turtle holds only synthetic instance data; it is meant to be loaded together with the packaged
ontology and data (`KnowledgeGraph.load(extra=[file])`), and the size counts the whole asserted graph.
Each *cluster* repeats the article's pattern with its own entities: a diet excludes foods that are dietary
sources of a nutrient, whose deficiency a disease causes and which causes a neuropathy with subtypes,
mechanisms, symptoms, affected body parts and treatments; every statement has a claim that quotes a synthetic
document, cites its references and may carry the article's qualifiers. Clusters share only a hub neuropathy,
a few documents and organisations, so the OWL 2 RL closure grows linearly with the size. Mappings reuse the
identifiers of the shipped mapping set: nothing here invents an identifier of an external vocabulary.

The violation variant breaks a known set of nodes; `Generated.violations` lists the expected
(focus node, result path, source shape) of every SHACL result.

    python benchmarks/generate.py --triples 10k --seed 8 -o /tmp/graph-10k.ttl [--violations]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CLUSTER_TRIPLES", "Generated", "baseline_triples", "generate", "parse_size"]

NKG = "https://w3id.org/neuropathy-kg/"
ENTITY = NKG + "entity/"
CLAIM = NKG + "claim/"
SOURCE = NKG + "source/"
SHAPE = NKG + "shape/"
ORGANISATION = NKG + "organisation/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"

_PREFIXES = {
    "claim": CLAIM,
    "dcterms": "http://purl.org/dc/terms/",
    "entity": ENTITY,
    "nkg": NKG,
    "oa": OA,
    "organisation": ORGANISATION,
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "source": SOURCE,
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

#: Roughly how many triples one cluster adds; used to size the graph before it is built.
CLUSTER_TRIPLES = 430
_CLUSTERS_PER_DOCUMENT = 40
_REFERENCES_PER_DOCUMENT = 8
_ORGANISATIONS = 4
_MODALITIES = ("can", "may", "possible")
_FREQUENCIES = ("most often", "usually", "often")

# (key, label, classes): the entities of one cluster.
_ENTITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("diet", "diet", ("Diet",)),
    ("food-a", "food A", ("Food",)),
    ("food-b", "food B", ("Food",)),
    ("supplement", "supplement", ("DietarySupplement",)),
    ("nutrient", "nutrient", ("EssentialNutrient",)),
    ("deficiency", "nutrient deficiency", ("NutrientDeficiency",)),
    ("disease", "disease", ("Disorder",)),
    ("neuropathy", "neuropathy", ("Neuropathy",)),
    ("polyneuropathy", "polyneuropathy", ("Neuropathy",)),
    ("mononeuropathy", "mononeuropathy", ("Neuropathy",)),
    ("outcome", "outcome", ("Outcome",)),
    ("pain", "pain", ("Symptom",)),
    ("numbness", "numbness", ("Symptom",)),
    ("tingling", "tingling", ("Symptom",)),
    ("nerve-damage", "nerve damage", ("PathologicalProcess",)),
    ("nerve-repair", "nerve repair", ("TherapeuticProcess",)),
    ("nerve", "nerve", ("AnatomicalEntity",)),
    ("limb", "limb", ("AnatomicalEntity",)),
    ("symmetry", "symmetric involvement", ("ClinicalFeature",)),
    ("pain-reliever", "pain reliever", ("Medication", "SymptomaticTreatment")),
    ("supplementation", "supplementation", ("CauseDirectedTreatment",)),
    ("injury", "injury", ("Injury",)),
)

# (subject key, property, object key): the statements of one cluster; "hub" is the shared neuropathy.
_STATEMENTS: tuple[tuple[str, str, str], ...] = (
    ("diet", "excludes", "food-a"),
    ("diet", "excludes", "food-b"),
    ("food-a", "isDietarySourceOf", "nutrient"),
    ("food-b", "isDietarySourceOf", "nutrient"),
    ("supplement", "isDietarySourceOf", "nutrient"),
    ("deficiency", "deficiencyOf", "nutrient"),
    ("disease", "causes", "deficiency"),
    ("deficiency", "causes", "neuropathy"),
    ("deficiency", "increasesRiskOf", "outcome"),
    ("neuropathy", "subtypeOf", "hub"),
    ("polyneuropathy", "subtypeOf", "neuropathy"),
    ("mononeuropathy", "subtypeOf", "neuropathy"),
    ("polyneuropathy", "moreCommonThan", "mononeuropathy"),
    ("neuropathy", "hasSymptom", "pain"),
    ("neuropathy", "involvesMechanism", "nerve-damage"),
    ("nerve-damage", "hasSymptom", "numbness"),
    ("nerve-damage", "hasSymptom", "tingling"),
    ("nerve-damage", "affects", "nerve"),
    ("neuropathy", "affects", "limb"),
    ("neuropathy", "hasClinicalFeature", "symmetry"),
    ("pain-reliever", "relieves", "pain"),
    ("supplementation", "increasesIntakeOf", "nutrient"),
    ("supplementation", "actsThrough", "nerve-repair"),
    ("nerve-repair", "affects", "nerve"),
    ("injury", "causes", "mononeuropathy"),
    ("numbness", "causes", "injury"),
)
_MAPPED = ("deficiency", "neuropathy", "pain")


@dataclass
class Generated:
    """A synthetic graph as Turtle, with query parameters that hit it and the violations it was built with."""

    turtle: str
    triples: int
    clusters: int
    parameters: dict[str, dict[str, str]]
    violations: list[tuple[str, str | None, str]] = field(default_factory=list)

    def manifest(self) -> dict[str, object]:
        return {
            "triples": self.triples,
            "clusters": self.clusters,
            "parameters": self.parameters,
            "violations": [list(v) for v in self.violations],
        }


def parse_size(text: str) -> int:
    """'10k' → 10000, '1M' → 1000000, '2500' → 2500."""
    value = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    number = value[:-1] if factor > 1 else value
    return int(float(number) * factor)


def baseline_triples() -> int:
    """Triples of the packaged ontology, data and mappings, which every generated graph is loaded with."""
    from kg import KnowledgeGraph

    return KnowledgeGraph.load().ntriples().count(b"\n")  # one triple a line: no rdflib graph to count them


def _mapping_targets() -> list[tuple[str, str]]:
    """(SKOS predicate, object IRI) pairs of the shipped mapping set: real identifiers, checked by curators."""
    from kg.mappings import converter_of, read_mapping_set
    from kg.packaged import mapping_file

    metadata, rows = read_mapping_set(mapping_file())
    converter = converter_of(metadata)
    return sorted(
        (converter.expand(row.predicate_id) or row.predicate_id, converter.expand(row.object_id) or row.object_id)
        for row in rows
    )


class _Builder:
    """Subjects with their predicate-object pairs, in insertion order; terms are already written as Turtle."""

    def __init__(self) -> None:
        self.subjects: dict[str, list[tuple[str, str]]] = {}
        self.count = 0

    def add(self, subject: str, predicate: str, obj: str) -> None:
        self.subjects.setdefault(subject, []).append((predicate, obj))
        self.count += 1

    def remove(self, subject: str, predicate: str, obj: str | None = None) -> None:
        pairs = self.subjects[subject]
        kept = [(p, o) for p, o in pairs if not (p == predicate and (obj is None or o == obj))]
        self.count -= len(pairs) - len(kept)
        self.subjects[subject] = kept

    def drop_subject(self, subject: str) -> None:
        self.count -= len(self.subjects.pop(subject))

    def turtle(self) -> str:
        lines = [f"@prefix {prefix}: <{iri}> ." for prefix, iri in sorted(_PREFIXES.items())]
        lines.append("")
        for subject, pairs in self.subjects.items():
            if not pairs:
                continue
            body = " ;\n    ".join(f"{p} {o}" for p, o in pairs)
            lines.append(f"{subject} {body} .\n")
        return "\n".join(lines)


def _literal(text: str, language: str | None = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{language}' if language else f'"{escaped}"'


def _entity(cluster: int, key: str) -> str:
    return "entity:synthetic-hub-neuropathy" if key == "hub" else f"entity:synthetic-{cluster}-{key}"


def _document(number: int) -> str:
    return f"source:synthetic-document-{number}"


def _quote_iri(document: int, start: int, end: int) -> str:
    return f"<{SOURCE}synthetic-document-{document}/quote/{start}-{end}>"


def _reference(document: int, number: int) -> str:
    return f"<{SOURCE}synthetic-document-{document}/reference/{number}>"


def _add_documents(builder: _Builder, documents: int) -> None:
    for number in range(_ORGANISATIONS):
        organisation = f"organisation:synthetic-organisation-{number}"
        builder.add(organisation, "a", "nkg:Organisation")
        builder.add(organisation, "rdfs:label", _literal(f"synthetic organisation {number}"))
    for document in range(documents):
        iri = _document(document)
        builder.add(iri, "a", "nkg:Document")
        builder.add(iri, "rdfs:label", _literal(f"synthetic document {document}"))
        builder.add(iri, "dcterms:title", _literal(f"Synthetic document {document}"))
        builder.add(iri, "nkg:localPath", _literal(f"source/synthetic-document-{document}.txt", None))
        checksum = hashlib.sha256(f"synthetic document {document}".encode()).hexdigest()
        builder.add(iri, "nkg:sha256", _literal(checksum, None))
        for number in range(1, _REFERENCES_PER_DOCUMENT + 1):
            reference = _reference(document, number)
            builder.add(reference, "a", "nkg:Reference")
            builder.add(reference, "rdfs:label", _literal(f"synthetic document {document} reference {number}"))
            builder.add(reference, "nkg:referenceNumber", f'"{number}"^^xsd:positiveInteger')
            builder.add(reference, "nkg:referenceOf", iri)


def _add_cluster(builder: _Builder, cluster: int, rng: random.Random, mappings: list[tuple[str, str]]) -> None:
    document = cluster // _CLUSTERS_PER_DOCUMENT
    for key, label, classes in _ENTITIES:
        iri = _entity(cluster, key)
        builder.add(iri, "a", "owl:NamedIndividual")
        for cls in classes:
            builder.add(iri, "a", f"nkg:{cls}")
        builder.add(iri, "rdfs:label", _literal(f"synthetic {label} {cluster}"))
        if rng.random() < 0.5:
            builder.add(iri, "skos:altLabel", _literal(f"{label} of cluster {cluster}"))
    for key in _MAPPED:
        predicate, target = mappings[rng.randrange(len(mappings))]
        builder.add(_entity(cluster, key), f"<{predicate}>", f"<{target}>")
    offset = (cluster % _CLUSTERS_PER_DOCUMENT) * 10_000
    quote: tuple[int, int] | None = None
    for index, (subject_key, prop, object_key) in enumerate(_STATEMENTS):
        subject, obj = _entity(cluster, subject_key), _entity(cluster, object_key)
        builder.add(subject, f"nkg:{prop}", obj)
        if quote is None or rng.random() < 0.6:  # several claims often quote the same sentence, as in the article
            start = offset + index * 300
            quote = (start, start + 40 + rng.randrange(200))
            _add_quote(builder, document, cluster, index, quote)
        claim = f"claim:synthetic-{cluster}-{subject_key}--{prop}--{object_key}"
        builder.add(claim, "a", "nkg:Claim")
        builder.add(claim, "rdf:subject", subject)
        builder.add(claim, "rdf:predicate", f"nkg:{prop}")
        builder.add(claim, "rdf:object", obj)
        builder.add(claim, "nkg:statedIn", _document(document))
        builder.add(claim, "nkg:hasQuote", _quote_iri(document, *quote))
        for number in sorted(rng.sample(range(1, _REFERENCES_PER_DOCUMENT + 1), rng.randrange(3))):
            builder.add(claim, "nkg:citesReference", _reference(document, number))
        if rng.random() < 0.3:
            builder.add(claim, "nkg:modality", _literal(rng.choice(_MODALITIES)))
        if rng.random() < 0.2:
            builder.add(claim, "nkg:frequency", _literal(rng.choice(_FREQUENCIES)))
        if rng.random() < 0.2:
            builder.add(
                claim, "nkg:attributedTo", f"organisation:synthetic-organisation-{rng.randrange(_ORGANISATIONS)}"
            )


def _add_quote(builder: _Builder, document: int, cluster: int, index: int, span: tuple[int, int]) -> None:
    iri = _quote_iri(document, *span)
    if iri in builder.subjects:
        return
    position, text = iri[:-1] + "-position>", iri[:-1] + "-text>"
    builder.add(iri, "a", "oa:SpecificResource")
    builder.add(iri, "oa:hasSelector", position)
    builder.add(iri, "oa:hasSelector", text)
    builder.add(iri, "oa:hasSource", _document(document))
    builder.add(position, "a", "oa:TextPositionSelector")
    builder.add(position, "oa:start", f'"{span[0]}"^^xsd:nonNegativeInteger')
    builder.add(position, "oa:end", f'"{span[1]}"^^xsd:nonNegativeInteger')
    builder.add(text, "a", "oa:TextQuoteSelector")
    builder.add(text, "oa:exact", _literal(f"Synthetic sentence {index} of cluster {cluster}.", None))


def _full(term: str) -> str:
    """The IRI of a prefixed name or <IRI> as written in the builder."""
    if term.startswith("<"):
        return term[1:-1]
    prefix, _, local = term.partition(":")
    return _PREFIXES[prefix] + local


def _break(builder: _Builder, clusters: int, rng: random.Random) -> list[tuple[str, str | None, str]]:
    """Known violations, each in a different cluster (never cluster 0, which the query parameters use)."""
    expected: list[tuple[str, str | None, str]] = []
    picks: Iterator[int] = iter(rng.sample(range(1, clusters), min(clusters - 1, 8)))

    def cluster() -> int:
        return next(picks, 1)

    # A claim without its quote.
    number = cluster()
    claim = f"claim:synthetic-{number}-disease--causes--deficiency"
    builder.remove(claim, "nkg:hasQuote")
    expected.append((_full(claim), NKG + "hasQuote", SHAPE + "Claim-quote"))
    # An entity without a label.
    entity = _entity(cluster(), "outcome")
    builder.remove(entity, "rdfs:label")
    expected.append((_full(entity), RDFS + "label", SHAPE + "Entity-label"))
    # An entity with a second label.
    entity = _entity(cluster(), "limb")
    builder.add(entity, "rdfs:label", _literal("second label"))
    expected.append((_full(entity), RDFS + "label", SHAPE + "Entity-label"))
    # A statement without a claim.
    number = cluster()
    claim = f"claim:synthetic-{number}-neuropathy--affects--limb"
    builder.drop_subject(claim)
    expected.append((_full(_entity(number, "neuropathy")), NKG + "affects", SHAPE + "StatementHasClaim"))
    # A claim of a triple that is not asserted.
    number = cluster()
    builder.remove(_entity(number, "pain-reliever"), "nkg:relieves")
    expected.append((_full(f"claim:synthetic-{number}-pain-reliever--relieves--pain"), None, SHAPE + "Claim"))
    # A treatment that is neither symptomatic nor cause-directed.
    entity = _entity(cluster(), "supplementation")
    builder.remove(entity, "a", "nkg:CauseDirectedTreatment")
    builder.add(entity, "a", "nkg:Medication")
    expected.append((_full(entity), None, SHAPE + "Treatment"))
    # A synonym without a language tag.
    entity = _entity(cluster(), "tingling")
    builder.add(entity, "skos:altLabel", _literal("plain synonym", None))
    expected.append((_full(entity), SKOS + "altLabel", SHAPE + "Entity-synonym"))
    # A reference number that is not a positive integer.
    reference = _reference(0, 1)
    builder.remove(reference, "nkg:referenceNumber")
    builder.add(reference, "nkg:referenceNumber", '"one"')
    expected.append((_full(reference), NKG + "referenceNumber", SHAPE + "Reference-number"))
    return sorted(expected, key=lambda v: (v[0], v[1] or "", v[2]))


def generate(triples: int, *, seed: int = 8, violations: bool = False, baseline: int | None = None) -> Generated:
    """A synthetic graph that, loaded with the packaged graph, holds about `triples` asserted triples."""
    rng = random.Random(seed)
    base = baseline_triples() if baseline is None else baseline
    clusters = max(2, round((triples - base) / CLUSTER_TRIPLES))
    documents = (clusters - 1) // _CLUSTERS_PER_DOCUMENT + 1
    mappings = _mapping_targets()
    builder = _Builder()
    hub = _entity(0, "hub")
    builder.add(hub, "a", "owl:NamedIndividual")
    builder.add(hub, "a", "nkg:Neuropathy")
    builder.add(hub, "rdfs:label", _literal("synthetic hub neuropathy"))
    _add_documents(builder, documents)
    for cluster in range(clusters):
        _add_cluster(builder, cluster, rng, mappings)
    expected = _break(builder, clusters, rng) if violations else []
    label = "synthetic {} 0"
    parameters: dict[str, dict[str, str]] = {
        "affected-body-parts": {"condition": label.format("neuropathy")},
        "causal-chain": {"from": label.format("diet"), "to": label.format("neuropathy")},
        "causes": {"condition": "synthetic hub neuropathy"},
        "claims-by-source": {"source": "synthetic document 0 reference 1"},
        "consequences": {"condition": label.format("nutrient deficiency")},
        "derivation": {"subject": label.format("diet"), "object": label.format("neuropathy")},
        "describe": {"entity": label.format("neuropathy")},
        "dietary-sources": {"nutrient": label.format("nutrient")},
        "evidence": {"subject": label.format("nutrient deficiency"), "object": label.format("neuropathy")},
        "mechanisms": {"condition": label.format("neuropathy")},
        "neuropathy-types": {},
        "search": {"text": "synthetic tingling 1"},
        "symptoms": {"condition": label.format("neuropathy")},
        "treatments": {"condition": label.format("neuropathy")},
        "xref": {"id": mappings[0][1]},
    }
    return Generated(
        turtle=builder.turtle(),
        triples=base + builder.count,
        clusters=clusters,
        parameters=parameters,
        violations=expected,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--triples", default="10k", help="asserted triples with the packaged graph: 10k, 100k, 1M")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--violations", action="store_true", help="break a known set of nodes (see the manifest)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="Turtle file; the manifest goes to .json")
    args = parser.parse_args()
    generated = generate(parse_size(args.triples), seed=args.seed, violations=args.violations)
    args.output.write_text(generated.turtle, encoding="utf-8")
    args.output.with_suffix(".json").write_text(json.dumps(generated.manifest(), indent=2) + "\n", encoding="utf-8")
    print(f"{args.output}: {generated.triples} triples with the packaged graph, {generated.clusters} clusters")


if __name__ == "__main__":
    main()
