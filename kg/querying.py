"""Querying the graph: labels, CURIEs and IRIs resolved to terms, stored and ad-hoc queries run where they may."""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.engine import OxigraphEngine, check_untrusted, run_with_rdflib
from kg.errors import ParameterError
from kg.export import canonical_ntriples
from kg.limits import (
    DEFAULT,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    STORED_MAX_ROWS,
    STORED_TIMEOUT,
    Default,
    QueryWorkers,
)
from kg.mappings import read_mapping_set
from kg.packaged import mapping_file
from kg.queries import StoredQuery, stored_query
from kg.resolve import LabelIndex
from kg.results import QueryResult
from kg.sandbox import confined, on_big_stack
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, Snapshot
from kg.store import new_graph
from kg.terms import PREFIXES
from kg.worker import GraphSource

if TYPE_CHECKING:
    from kg.explain import Explanation

__all__ = ["Queryable"]

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


class Queryable:
    """What KnowledgeGraph answers queries with: its engine, its snapshot (if opened from one), and the graph."""

    engine: str
    _snapshot: Snapshot | None
    _labels: LabelIndex | None
    _engines: dict[str, OxigraphEngine]
    _workers: dict[str, QueryWorkers]

    def graph(self, *, inferred: bool = True) -> Graph:
        """The asserted triples, with the inferred ones unless `inferred` is False (KnowledgeGraph defines it)."""
        raise NotImplementedError

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

    def query_packaged(self, sparql: str, origin: str, *, inferred: bool = True) -> QueryResult:
        """One of the package's own reviewed queries that is not a stored query (a QC rule): run as stored queries
        run without a time limit, in this process and unscreened, under their row limit. tests/test_qc.py checks
        that each such file is read-only, as tests/test_queries.py does for the stored queries."""
        return self._run(sparql, {}, inferred, origin, None, STORED_MAX_ROWS, trusted=True)

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

    def explain(self, subject: str, obj: str) -> Explanation:
        """Why the graph links `subject` to `obj`: each stated or derived link, as a tree down to the claims' quotes
        (the stored query `derivation`, arranged by kg.explain)."""
        from kg.explain import Explanation  # kg.explain reads query results; imported when asked for

        return Explanation.from_rows(self.query("derivation", subject=subject, object=obj))

    def describe(self, entity: str) -> QueryResult:
        """Every fact about an entity, with the claims behind it and its external mappings."""
        return self.query("describe", entity=entity)
