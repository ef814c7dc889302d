"""KnowledgeGraph: the packaged ontology and data (plus the user's files), reasoned, validated and queried."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF
from rdflib.term import Node

from kg import reason as reasoning
from kg.engine import ENGINES, OxigraphEngine, check_read_only, run_with_rdflib
from kg.errors import InputError, ParameterError
from kg.export import serialize
from kg.mappings import converter_of, mappings_graph, read_mapping_set
from kg.packaged import data_files, mapping_file, ontology_files, shapes_files
from kg.queries import StoredQuery, stored_query
from kg.resolve import LabelIndex
from kg.results import QueryResult
from kg.store import expand_paths, new_graph, parse_into
from kg.terms import NKG, PREFIXES
from kg.validate import ValidationReport, validate

__all__ = ["KnowledgeGraph"]

_STORED_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class KnowledgeGraph:
    """Asserted triples (ontology + data + extra files) and, once reasoned, the inferred triples kept apart."""

    def __init__(self, asserted: Graph, sources: Iterable[str] = (), *, engine: str = "oxigraph") -> None:
        if engine not in ENGINES:
            raise InputError(f"unknown query engine {engine!r} (use one of {', '.join(ENGINES)})")
        self.asserted = asserted
        self.sources = tuple(sources)
        self.engine = engine
        self._engines: dict[str, OxigraphEngine] = {}
        self._inferred: Graph | None = None
        self._union: Graph | None = None
        self._labels: LabelIndex | None = None

    @classmethod
    def load(
        cls, extra: Iterable[str | Path] = (), *, packaged: bool = True, engine: str = "oxigraph"
    ) -> KnowledgeGraph:
        """The packaged ontology and data, plus RDF files or folders in `extra` (syntax chosen by suffix)."""
        graph = new_graph()
        sources: list[str] = []
        if packaged:
            for entry in [*ontology_files(), *data_files()]:
                parse_into(graph, entry, label=f"kg/{entry.name}")
                sources.append(f"package:{entry.name}")
            metadata, rows = read_mapping_set(mapping_file())
            graph += mappings_graph(metadata, rows)
            sources.append(f"package:{mapping_file().name}")
        for path in expand_paths(extra):
            parse_into(graph, path)
            sources.append(str(path))
        return cls(graph, sources, engine=engine)

    # ------------------------------------------------------------------ reasoning

    def reason(self, *, cache: bool = True, cache_dir: Path | None = None) -> Graph:
        """OWL 2 RL entailments not already asserted, without axiomatic noise; cached on disk by input hash."""
        if self._inferred is None:
            if cache:
                self._inferred = reasoning.infer_cached(self.asserted, cache_dir)
            else:
                self._inferred = reasoning.infer(self.asserted)
            self._union = None
            self._engines.clear()
        return self._inferred

    @property
    def inferred(self) -> Graph:
        """The inferred triples (reasoning first if needed)."""
        return self.reason()

    def graph(self, *, inferred: bool = True) -> Graph:
        """The asserted triples, with the inferred ones merged in unless `inferred` is False."""
        if not inferred:
            return self.asserted
        if self._union is None:
            self._union = self.asserted + self.reason()
        return self._union

    # ------------------------------------------------------------------ validation

    def validate(self) -> ValidationReport:
        """SHACL validation of the asserted triples against the packaged shapes."""
        shapes = new_graph()
        for entry in shapes_files():
            parse_into(shapes, entry, label=f"kg/{entry.name}")
        return validate(self.asserted, shapes)

    # ------------------------------------------------------------------ queries

    @property
    def labels(self) -> LabelIndex:
        if self._labels is None:
            metadata, _rows = read_mapping_set(mapping_file())
            prefixes = {**converter_of(metadata).prefix_map, **PREFIXES}
            self._labels = LabelIndex(self.graph(inferred=False), prefixes)
        return self._labels

    def resolve(self, value: str, parameter: str = "value") -> URIRef:
        """The IRI named by a label, synonym, CURIE or IRI (case-insensitive for labels)."""
        return self.labels.resolve(value, parameter)

    def query(self, name_or_sparql: str, /, *, inferred: bool = True, **params: str) -> QueryResult:
        """Run a stored query by name, or a SPARQL string; `params` are bound as RDF terms, never spliced in."""
        if _STORED_NAME.match(name_or_sparql.strip()):
            stored = stored_query(name_or_sparql.strip())
            stored.check_arguments(params)
            bindings = self._bind(stored, params)
            return self._run(stored.sparql, bindings, inferred, origin=f"queries/{stored.name}.rq")
        resolved: dict[str, Node] = {name: self.resolve(value, name) for name, value in params.items()}
        return self._run(name_or_sparql, resolved, inferred, origin="query")

    def _bind(self, stored: StoredQuery, params: dict[str, str]) -> dict[str, Node]:
        bound: dict[str, Node] = {}
        for name, value in params.items():
            parameter = stored.parameter(name)
            if parameter.kind == "literal":
                if not value.strip():
                    raise ParameterError(f"{name} must not be empty")
                bound[name] = Literal(value)
            elif parameter.kind == "iri":
                bound[name] = self.labels.expand(value, name)
            else:
                bound[name] = self.resolve(value, name)
        return bound

    def _run(self, sparql: str, bindings: dict[str, Node], inferred: bool, origin: str) -> QueryResult:
        check_read_only(sparql, origin)
        if self.engine == "rdflib":
            return run_with_rdflib(self.graph(inferred=inferred), sparql, bindings, origin)
        key = "inferred" if inferred else "asserted"
        if key not in self._engines:
            self._engines[key] = OxigraphEngine(self.graph(inferred=inferred))
        return self._engines[key].run(sparql, bindings, origin)

    def describe(self, entity: str) -> QueryResult:
        """Every fact about an entity, with the claims behind it and its external mappings."""
        return self.query("describe", entity=entity)

    # ------------------------------------------------------------------ export and statistics

    def export(self, format: str = "turtle", *, inferred: bool = False) -> bytes:
        """The asserted graph (plus inferred triples if asked) in turtle, ntriples, jsonld, rdfxml or trig."""
        return serialize(self.asserted, self.reason() if inferred else None, format)

    def stats(self) -> dict[str, int]:
        """Counts of triples and of resources per project class."""
        counts: dict[str, int] = {
            "asserted triples": len(self.asserted),
            "inferred triples": len(self.reason()),
        }
        classes = Counter(
            str(cls).removeprefix(str(NKG))
            for cls in self.asserted.objects(None, RDF.type)
            if isinstance(cls, URIRef) and str(cls).startswith(str(NKG))
        )
        for cls_name in sorted(classes):
            counts[f"{cls_name} resources"] = len(set(self.asserted.subjects(RDF.type, NKG[cls_name])))
        counts["OWL classes"] = len(set(self.asserted.subjects(RDF.type, OWL.Class)))
        counts["object properties"] = len(set(self.asserted.subjects(RDF.type, OWL.ObjectProperty)))
        return counts
