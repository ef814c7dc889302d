"""KnowledgeGraph: the packaged ontology and data (plus the user's files), reasoned, validated and queried."""

from __future__ import annotations

import contextlib
import re
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF
from rdflib.term import Node

from kg import reason as reasoning
from kg.derive import DERIVATION_SHAPES, validation_data
from kg.engine import ENGINES, OxigraphEngine, check_untrusted, run_with_rdflib
from kg.errors import InputError, ParameterError
from kg.export import canonical_ntriples, serialize
from kg.integrity import IntegrityFinding, as_validation_results, check_graph, check_user_files, refuse_inconsistency
from kg.limits import (
    DEFAULT,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    STORED_MAX_ROWS,
    STORED_TIMEOUT,
    Default,
    QueryWorkers,
)
from kg.mappings import mappings_graph, read_mapping_set
from kg.packaged import data_files, mapping_file, ontology_files, shapes_files
from kg.queries import StoredQuery, stored_query
from kg.resolve import LabelIndex
from kg.results import QueryResult
from kg.sandbox import confined, on_big_stack
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, Snapshot, read_inputs, snapshot_key
from kg.store import expand_paths, new_graph, parse_into
from kg.terms import NKG, PREFIXES
from kg.validate import ValidationReport, sort_key, validate
from kg.worker import GraphSource

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
        #: The user's files (not the packaged ones), so findings about their statements can name the file.
        self.user_files: tuple[Path, ...] = ()

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
        loaded = cls(graph, sources, engine=engine)
        loaded.user_files = tuple(own)
        return loaded

    @classmethod
    def open(
        cls,
        extra: Iterable[str | Path] = (),
        *,
        engine: str = "oxigraph",
        building: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> KnowledgeGraph:
        """`load` plus `reason`, kept on disk as a snapshot keyed by the input files' bytes: the next `open` of
        the same files neither parses nor reasons, it opens the snapshot (milliseconds) and queries it.
        `building` is entered around the first build's slow part, reasoning (the CLI says what it is doing).

        The asserted and inferred graphs are read from the snapshot only when asked for; once `asserted` has
        been handed out (it may be changed), queries run on it rather than on the snapshot.
        """
        own = expand_paths(extra)
        inputs = read_inputs([*ontology_files(), *data_files(), mapping_file(), *own])
        key, directory = snapshot_key(inputs), reasoning.cache_directory()
        snapshot = Snapshot.open(directory, key)
        if snapshot is None:
            graph = cls.load(own, engine=engine)  # a file that fails to load is reported before any notice
            with building():
                inferred = graph.reason()
                asserted, closure = canonical_ntriples(graph.asserted), canonical_ntriples(inferred)
                with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
                    graph._snapshot = Snapshot.build(directory, key, asserted, closure)
            return graph
        graph = cls(new_graph(), [name for name, _data in inputs], engine=engine)
        graph.user_files = tuple(own)
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
                inferred = reasoning.infer_cached(self.asserted, cache_dir, method)
            else:
                inferred = reasoning.infer(self.asserted, method)
            # From a contradiction anything follows: say so rather than answer (snapshots are never built then).
            refuse_inconsistency(check_graph(self.asserted, inferred, self.user_files))
            self._inferred = inferred
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
        report = validate(self.asserted, shapes, method)
        # Only the user's files can redefine the project (the packaged graph is tested free of it), and a graph
        # built in memory names no file: the checks, which need the reasoned graph, run when there are files.
        findings = as_validation_results(self.integrity()) if self.user_files else ()
        return ValidationReport(
            report.conforms and not findings, tuple(sorted(report.results + findings, key=sort_key))
        )

    def integrity(self) -> list[IntegrityFinding]:
        """Statements of the user's files that redefine the project's vocabulary or merge its entities, and
        contradictions in the asserted and inferred graph, each with the file it came from (kg.integrity)."""
        inferred = self._inferred
        if inferred is None and self._snapshot is not None:
            inferred = self._from_snapshot(INFERRED_GRAPH)
        if inferred is None:
            inferred = reasoning.infer_cached(self.asserted)
        return check_user_files(self.user_files) + check_graph(self.asserted, inferred, self.user_files)

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
        DEFAULT_MAX_ROWS (10,000), and stored queries STORED_TIMEOUT (120 s) and STORED_MAX_ROWS (1,000,000).

        Ad-hoc SPARQL always runs in a sandboxed worker process (kg.sandbox: no network), even without a time
        limit, and is screened there (kg.screen): updates (LOAD included), FROM, SERVICE and nesting past the
        budget are refused. `allow_service=True` lets SERVICE call other SPARQL endpoints, from a worker that
        keeps its network, and then only at literal http(s) IRIs, never files.
        """
        if _STORED_NAME.match(name_or_sparql.strip()):
            stored = stored_query(name_or_sparql.strip())
            bindings = self.bindings(stored, params)
            limits = (
                STORED_TIMEOUT if timeout is DEFAULT else timeout,
                STORED_MAX_ROWS if max_rows is DEFAULT else max_rows,
            )
            # Stored queries are the package's own reviewed files (a test checks each is read-only), so they
            # skip the screen, and run in this process when no time limit applies.
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
        # In this process: stored queries without a time limit, and ad-hoc ones once this process has cut itself
        # off the network (the one-shot CLI does, under its watchdog); every other query goes to a worker.
        here = (trusted and timeout is None) or (not trusted and not allow_service and confined())
        if not here:
            pool = self.workers(inferred=inferred, network=allow_service)
            return pool.run(
                sparql,
                bindings,
                origin,
                timeout=timeout,
                max_rows=max_rows,
                trusted=trusted,
                allow_service=allow_service,
            )
        if not trusted:
            check_untrusted(sparql, origin, self.engine)
        return on_big_stack(lambda: self._run_here(sparql, bindings, inferred, origin, max_rows))

    def _run_here(
        self, sparql: str, bindings: dict[str, Node], inferred: bool, origin: str, max_rows: int | None
    ) -> QueryResult:
        if self.engine == "rdflib":
            return run_with_rdflib(self.graph(inferred=inferred), sparql, bindings, origin, max_rows=max_rows)
        if self._snapshot is not None:
            return self._snapshot_engine(inferred).run(sparql, bindings, origin, max_rows=max_rows)
        key = "inferred" if inferred else "asserted"
        if key not in self._engines:
            self._engines[key] = OxigraphEngine(self.graph(inferred=inferred))
        return self._engines[key].run(sparql, bindings, origin, max_rows=max_rows)

    def _snapshot_engine(self, inferred: bool) -> OxigraphEngine:
        assert self._snapshot is not None
        graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ASSERTED_GRAPH]
        if inferred:
            graphs.append(INFERRED_GRAPH)
        return OxigraphEngine.over_store(self._snapshot.store, graphs)

    def workers(
        self, *, inferred: bool = True, size: int = 1, network: bool = False, queue_seconds: float | None = None
    ) -> QueryWorkers:
        """Sandboxed worker processes holding this graph (kept and reused per graph and settings); `network`
        keeps their network (only for a caller who opted into SERVICE)."""
        key = f"{'inferred' if inferred else 'asserted'}/{size}/{network}/{queue_seconds}"
        if key not in self._workers:
            if self._snapshot is not None and self.engine == "oxigraph":
                source = GraphSource(snapshot=str(self._snapshot.path), inferred=inferred)
            else:
                source = GraphSource(ntriples=canonical_ntriples(self.graph(inferred=inferred)))
            pool = QueryWorkers(source, size=size, engine=self.engine, network=network, queue_seconds=queue_seconds)
            weakref.finalize(self, pool.close)  # a graph dropped takes its idle workers with it
            self._workers[key] = pool
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
