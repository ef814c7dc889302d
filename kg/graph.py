"""KnowledgeGraph: the packaged ontology and data (plus the user's files), reasoned, validated and queried."""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF
from rdflib.term import Node

from kg import reason as reasoning
from kg.derive import DERIVATION_SHAPES, validation_data
from kg.engine import ENGINES, OxigraphEngine, check_read_only, run_with_rdflib
from kg.errors import InputError, ParameterError
from kg.export import canonical_ntriples, serialize
from kg.limits import DEFAULT, DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, Default, QueryWorkers
from kg.mappings import mappings_graph, read_mapping_set
from kg.packaged import data_files, mapping_file, ontology_files, shapes_files
from kg.queries import StoredQuery, stored_query
from kg.resolve import LabelIndex
from kg.results import QueryResult
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, Snapshot, read_inputs, snapshot_key
from kg.store import expand_paths, new_graph, parse_into
from kg.terms import NKG, PREFIXES
from kg.validate import ValidationReport, validate

if TYPE_CHECKING:
    from kg.explain import Explanation
    from kg.remote import RemoteGraph

__all__ = ["KnowledgeGraph"]

_STORED_NAME = re.compile(r"^[a-z][a-z0-9-]*$")

#: Resources whose label or synonym reads `?key` once lower-cased with spaces collapsed, in LabelIndex's terms:
#: whether it is a synonym, and whether the resource is an ontology term rather than data.
_LABEL_LOOKUP = """
SELECT ?key ?resource ?synonym ?term WHERE {
    VALUES ?predicate { rdfs:label skos:altLabel }
    ?resource ?predicate ?label .
    FILTER(isIRI(?resource) && LCASE(REPLACE(REPLACE(STR(?label), "’", "'"), "\\\\s+", " ")) = ?key)
    BIND(?predicate = skos:altLabel AS ?synonym)
    BIND(EXISTS {
        VALUES ?termType { owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty owl:Ontology }
        ?resource a ?termType .
    } AS ?term)
}
"""

#: The triples label lookups read: labels, synonyms, types (what makes a resource known) and mappings.
_NAMING_TRIPLES = """
CONSTRUCT { ?resource ?predicate ?value } WHERE {
    VALUES ?predicate { rdfs:label skos:altLabel rdf:type
                        skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch }
    ?resource ?predicate ?value .
}
"""


class KnowledgeGraph:
    """Asserted triples (ontology + data + extra files) and, once reasoned, the inferred triples kept apart."""

    def __init__(self, asserted: Graph, sources: Iterable[str] = (), *, engine: str = "oxigraph") -> None:
        if engine not in ENGINES:
            raise InputError(f"unknown query engine {engine!r} (use one of {', '.join(ENGINES)})")
        self._asserted: Graph | None = asserted
        self._snapshot: Snapshot | None = None
        self.sources = tuple(sources)
        self.engine = engine
        self._engines: dict[str, OxigraphEngine] = {}
        self._workers: dict[str, QueryWorkers] = {}
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
        # The user's files are read first, so a bad one is reported before any time goes into the packaged ones.
        own = expand_paths(extra)
        for path in own:
            parse_into(graph, path)
        if packaged:
            for entry in [*ontology_files(), *data_files()]:
                parse_into(graph, entry, label=f"kg/{entry.name}")
                sources.append(f"package:{entry.name}")
            metadata, rows = read_mapping_set(mapping_file())
            graph += mappings_graph(metadata, rows)
            sources.append(f"package:{mapping_file().name}")
        sources.extend(str(path) for path in own)
        return cls(graph, sources, engine=engine)

    @classmethod
    def open(cls, extra: Iterable[str | Path] = (), *, engine: str = "oxigraph") -> KnowledgeGraph:
        """`load` plus `reason`, kept on disk as a snapshot keyed by the input files' bytes: the next `open` of
        the same files neither parses nor reasons, it opens the snapshot (milliseconds) and queries it.

        The asserted and inferred graphs are read from the snapshot only when asked for; once `asserted` has
        been handed out (it may be changed), queries run on it rather than on the snapshot.
        """
        own = expand_paths(extra)
        inputs = read_inputs([*ontology_files(), *data_files(), mapping_file(), *own])
        key, directory = snapshot_key(inputs), reasoning.cache_directory()
        snapshot = Snapshot.open(directory, key)
        if snapshot is None:
            graph = cls.load(own, engine=engine)
            inferred = graph.reason()
            asserted, closure = canonical_ntriples(graph.asserted), canonical_ntriples(inferred)
            with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
                graph._snapshot = Snapshot.build(directory, key, asserted, closure)
            return graph
        graph = cls(new_graph(), [name for name, _data in inputs], engine=engine)
        graph._asserted = None
        graph._snapshot = snapshot
        return graph

    @property
    def asserted(self) -> Graph:
        """The asserted triples: ontology, data, mappings and the user's files."""
        if self._asserted is None:
            self._asserted = self._from_snapshot(ASSERTED_GRAPH)
        self._snapshot = None  # the caller may change the graph now, so the snapshot no longer speaks for it
        return self._asserted

    def _from_snapshot(self, name: ox.NamedNode) -> Graph:
        if self._snapshot is None:
            raise InputError("this graph has neither its triples nor a snapshot to read them from")
        graph = new_graph()
        data = self._snapshot.ntriples(name)
        if data:
            graph.parse(data=data.decode("utf-8"), format="nt")
        return graph

    # ------------------------------------------------------------------ reasoning

    def reason(self, *, cache: bool = True, cache_dir: Path | None = None, method: str = "auto") -> Graph:
        """OWL 2 RL entailments not already asserted, without axiomatic noise; cached on disk by input hash.

        `method`: "owlrl" (the reference), "fast" (native, kg.fast_reason) or "auto" (fast for large graphs).
        """
        if self._inferred is None and self._snapshot is not None:
            self._inferred = self._from_snapshot(INFERRED_GRAPH)
        if self._inferred is None:
            if cache:
                self._inferred = reasoning.infer_cached(self.asserted, cache_dir, method)
            else:
                self._inferred = reasoning.infer(self.asserted, method)
            self._union = None
            self._engines.clear()
            self._close_workers()
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

    def validate(self, *, method: str = "auto") -> ValidationReport:
        """SHACL validation of the asserted triples against the packaged shapes.

        `method`: "pyshacl" (the reference), "fast" (pyrudof, kg.fast_validate) or "auto" (fast for large graphs).
        """
        shapes = new_graph()
        for entry in shapes_files():
            if entry.name != DERIVATION_SHAPES:
                parse_into(shapes, entry, label=f"kg/{entry.name}")
        return validate(self.asserted, shapes, method)

    def validate_derivations(self, *, method: str = "auto") -> ValidationReport:
        """SHACL validation of the derivations (ontology/shapes-derivations.ttl) over asserted plus inferred
        triples: every inferred domain triple has a derivation, whose premises exist (kg.derive). Unless the graph
        is reasoned already, the native reasoner does it: the same triples as owlrl (tests/test_fast_reason.py),
        in seconds rather than half a minute, for a command that only validates."""
        shapes = new_graph()
        for entry in shapes_files():
            if entry.name == DERIVATION_SHAPES:
                parse_into(shapes, entry, label=f"kg/{entry.name}")
        return validate(validation_data(self.asserted, self.reason(method="fast")), shapes, method)

    # ------------------------------------------------------------------ queries

    @property
    def labels(self) -> LabelIndex:
        if self._labels is None:
            metadata, _rows = read_mapping_set(mapping_file())
            curie_map = metadata.get("curie_map")
            prefixes = {**(curie_map if isinstance(curie_map, dict) else {}), **PREFIXES}
            if self._snapshot is not None:  # only what lookups read, rather than the whole asserted graph
                naming = self._snapshot_engine(inferred=False).run(_NAMING_TRIPLES, {}, "labels").graph
                self._labels = LabelIndex(naming if naming is not None else new_graph(), prefixes)
            else:
                self._labels = LabelIndex(self.graph(inferred=False), prefixes)
        return self._labels

    def resolve(self, value: str, parameter: str = "value") -> URIRef:
        """The IRI named by a label, synonym, CURIE or IRI (case-insensitive for labels)."""
        if self._snapshot is not None and self._labels is None:
            found = self._look_up_label(value)
            if found is not None:
                return found
        return self.labels.resolve(value, parameter)

    def _look_up_label(self, value: str) -> URIRef | None:
        """One label lookup in the snapshot, instead of building the whole label index for one parameter.

        Only a plain label that names exactly one resource is answered here; anything else (a CURIE, no match,
        several) goes to the LabelIndex, which gives the same answer or the full error with suggestions.
        """
        text = " ".join(value.replace("’", "'").casefold().split())
        if not text or ":" in text or "<" in text:
            return None
        rows = self._snapshot_engine(inferred=False).run(_LABEL_LOOKUP, {"key": Literal(text)}, "labels").dicts()
        for synonym, term in ((False, False), (True, False), (False, True), (True, True)):
            matches = {
                row["resource"] for row in rows if row["synonym"] == Literal(synonym) and row["term"] == Literal(term)
            }
            if matches:
                [found] = matches if len(matches) == 1 else [None]
                return found if isinstance(found, URIRef) else None
        return None

    def query(
        self,
        name_or_sparql: str,
        /,
        *,
        inferred: bool = True,
        timeout: float | Default | None = DEFAULT,
        max_rows: int | Default | None = DEFAULT,
        allow_service: bool = False,
        **params: str,
    ) -> QueryResult:
        """Run a stored query by name, or a SPARQL string; `params` are bound as RDF terms, never spliced in.

        Limits: `timeout` in seconds (QueryTimeoutError past it; the query then runs in a worker process that
        is killed at the deadline) and `max_rows` (ResultLimitError when a SELECT has more rows, or a CONSTRUCT
        more triples). None lifts a limit. Left out, ad-hoc SPARQL gets kg.limits.DEFAULT_TIMEOUT (10 s) and
        DEFAULT_MAX_ROWS (10,000), and stored queries (the project's own reviewed files) run unlimited.

        Updates (LOAD included) and FROM are always refused; SERVICE only runs with `allow_service=True`, and
        then only against http(s) endpoints, never files.
        """
        if _STORED_NAME.match(name_or_sparql.strip()):
            stored = stored_query(name_or_sparql.strip())
            bindings = self.bindings(stored, params)
            limits = (None if timeout is DEFAULT else timeout, None if max_rows is DEFAULT else max_rows)
            # Stored queries are the package's own reviewed files (a test checks each is read-only), so they
            # skip the check, which would cost a SPARQL parse in pure Python on every run.
            return self._run(stored.sparql, bindings, inferred, f"queries/{stored.name}.rq", *limits, trusted=True)
        resolved: dict[str, Node] = {name: self.resolve(value, name) for name, value in params.items()}
        limits = (
            DEFAULT_TIMEOUT if timeout is DEFAULT else timeout,
            DEFAULT_MAX_ROWS if max_rows is DEFAULT else max_rows,
        )
        return self._run(name_or_sparql, resolved, inferred, "query", *limits, allow_service=allow_service)

    def bindings(self, stored: StoredQuery, params: Mapping[str, str]) -> dict[str, Node]:
        """A stored query's arguments as RDF terms: checked against its header, labels resolved, CURIEs expanded."""
        stored.check_arguments(dict(params))
        return self._bind(stored, dict(params))

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

    def _run(
        self,
        sparql: str,
        bindings: dict[str, Node],
        inferred: bool,
        origin: str,
        timeout: float | None = None,
        max_rows: int | None = None,
        *,
        allow_service: bool = False,
        trusted: bool = False,
    ) -> QueryResult:
        if not trusted:
            check_read_only(sparql, origin, allow_service=allow_service)
        key = "inferred" if inferred else "asserted"
        if timeout is not None:
            return self.workers(inferred=inferred).run(sparql, bindings, origin, timeout=timeout, max_rows=max_rows)
        if self.engine == "rdflib":
            return run_with_rdflib(self.graph(inferred=inferred), sparql, bindings, origin, max_rows=max_rows)
        if self._snapshot is not None:
            return self._snapshot_engine(inferred).run(sparql, bindings, origin, max_rows=max_rows)
        if key not in self._engines:
            self._engines[key] = OxigraphEngine(self.graph(inferred=inferred))
        return self._engines[key].run(sparql, bindings, origin, max_rows=max_rows)

    def _snapshot_engine(self, inferred: bool) -> OxigraphEngine:
        assert self._snapshot is not None
        graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ASSERTED_GRAPH]
        if inferred:
            graphs.append(INFERRED_GRAPH)
        return OxigraphEngine.over_store(self._snapshot.store, graphs)

    def workers(self, *, inferred: bool = True, size: int = 1, check: bool = False) -> QueryWorkers:
        """Worker processes holding this graph, for queries under a time limit (kept and reused per graph)."""
        key = f"{'inferred' if inferred else 'asserted'}/{size}/{check}"
        if key not in self._workers:
            data = canonical_ntriples(self.graph(inferred=inferred))
            self._workers[key] = QueryWorkers(data, size=size, engine=self.engine, check=check)
        return self._workers[key]

    def _close_workers(self) -> None:
        for workers in self._workers.values():
            workers.close()
        self._workers.clear()

    @classmethod
    def connect(
        cls,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store: str | None = None,
        extra: Iterable[str | Path] = (),
    ) -> RemoteGraph:
        """A SPARQL 1.1 server holding this graph (see kg.remote.RemoteGraph): the same stored queries run there.

        `update_endpoint` (SPARQL Update) or `graph_store` (Graph Store Protocol) is where `push` uploads;
        parameters are resolved against the local packaged graph plus `extra` files.
        """
        from kg.remote import RemoteGraph  # kg.remote builds on this module

        return RemoteGraph(endpoint, update_endpoint=update_endpoint, graph_store=graph_store, extra=extra)

    def explain(self, subject: str, obj: str) -> Explanation:
        """Why the graph links `subject` to `obj`: each stated or derived link, as a tree down to the claims' quotes
        (the stored query `derivation`, arranged by kg.explain)."""
        from kg.explain import Explanation  # kg.explain reads query results; imported when asked for

        return Explanation.from_rows(self.query("derivation", subject=subject, object=obj))

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
