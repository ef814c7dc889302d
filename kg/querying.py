"""Querying the graph: labels, CURIEs and IRIs resolved to terms, stored and ad-hoc queries run where they may."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.engine import OxigraphEngine, check_untrusted, run_with_rdflib
from kg.errors import ParameterError
from kg.hub import Hub
from kg.label_keys import LabelKeys
from kg.limit_values import DEFAULT, DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, STORED_MAX_ROWS, STORED_TIMEOUT, Default
from kg.nodes import Term, to_rdflib
from kg.prefixes import PREFIXES
from kg.queries import StoredQuery, stored_query
from kg.resolve import NAMING_TRIPLES, LabelIndex, as_iri, look_up_iri
from kg.results import QueryResult
from kg.sandbox import confined, on_big_stack
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, label_keys

if TYPE_CHECKING:
    from rdflib import Graph, URIRef

    from kg.explain import Explanation
    from kg.limits import QueryWorkers
    from kg.worker import GraphSource

__all__ = ["Queryable"]

_STORED_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class Queryable(Hub):
    """What KnowledgeGraph answers queries with: its engine and the store of kg.hub; labels resolved in the store."""

    engine: str

    def __init__(self, engine: str) -> None:
        super().__init__()
        self.engine = engine
        self._labels: LabelIndex | None = None
        self._label_keys: LabelKeys | None = None
        self._prefixes: dict[str, str] | None = None
        self._workers: dict[str, QueryWorkers] = {}

    def _changed(self) -> None:
        self._labels = None
        self._label_keys = None
        self._close_workers()

    def _infer(self) -> None:
        """Fill the inferred graph (KnowledgeGraph defines it: reasoning)."""
        raise NotImplementedError

    def graph(self, *, inferred: bool = True) -> Graph:
        """The asserted triples, with the inferred ones unless `inferred` is False (KnowledgeGraph defines it)."""
        raise NotImplementedError

    def _engine(self, inferred: bool) -> OxigraphEngine:
        """The store, with the asserted graph (plus the inferred one) as the default graph queries see."""
        if inferred:
            self._infer()
        store = self.store(inferred)
        if self._snapshot is not None:
            return OxigraphEngine.over_store(store, self._snapshot.default_graph(inferred))
        graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ASSERTED_GRAPH]
        if inferred:
            graphs.append(INFERRED_GRAPH)
        return OxigraphEngine.over_store(store, graphs)

    @property
    def prefixes(self) -> dict[str, str]:
        """The prefixes CURIEs may use: the project's and those of the mapping set."""
        if self._prefixes is None:
            from kg.mappings import read_mapping_set  # the SSSOM reader, only for a CURIE of a mapped vocabulary
            from kg.packaged import mapping_file

            metadata, _rows = read_mapping_set(mapping_file())
            curie_map = metadata.get("curie_map")
            self._prefixes = {**(curie_map if isinstance(curie_map, dict) else {}), **PREFIXES}
        return self._prefixes

    def _prefixes_for(self, text: str) -> Mapping[str, str]:
        """The project's prefixes, unless `text` may be a CURIE of a mapped vocabulary (then those too)."""
        prefix, colon, _local = text.partition(":")
        if not colon or prefix in PREFIXES or " " in text or text.startswith(("<", "http://", "https://", "urn:")):
            return PREFIXES
        return self.prefixes

    @property
    def labels(self) -> LabelIndex:
        if self._labels is None:
            naming = self._engine(inferred=False).run(NAMING_TRIPLES, {}, "labels").graph
            assert naming is not None
            self._labels = LabelIndex(naming, self.prefixes)
        return self._labels

    def label_keys(self) -> LabelKeys:
        """The index of labels and synonyms that resolves a plain label (kg.label_keys), made once per change."""
        store = self.store(inferred=False)  # takes in changed views first, which drops a stale index
        self._label_keys = self._label_keys or label_keys(self._snapshot, store)
        return self._label_keys

    def resolve(self, value: str, parameter: str = "value") -> URIRef:
        """The IRI named by a label, synonym, CURIE or IRI (case-insensitive for labels)."""
        return to_rdflib(self._resolve(value, parameter))  # type: ignore[return-value]

    def _resolve(self, value: str, parameter: str) -> ox.NamedNode:
        """`resolve` in the store: a CURIE or an IRI by one query, a label by the index of kg.label_keys; the
        LabelIndex (rdflib) only for a label naming none or several (its error lists suggestions)."""
        text = value.strip()
        iri = as_iri(text, self._prefixes_for(text), parameter)
        if iri is not None:
            return self._timed(lambda: look_up_iri(self._engine(inferred=False), iri, text, parameter))
        found = self.label_keys().find(value)
        if found is None:
            found = ox.NamedNode(str(self.labels.resolve(value, parameter)))
        return found

    def _expand(self, value: str, parameter: str) -> ox.NamedNode:
        text = value.strip()
        iri = as_iri(text, self._prefixes_for(text), parameter)
        if iri is None:
            known = ", ".join(sorted(self.prefixes))
            raise ParameterError(f"{parameter}={value!r} is not an IRI or a CURIE with a known prefix ({known})")
        return ox.NamedNode(iri)

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
        resolved: dict[str, Term] = {name: self._resolve(value, name) for name, value in params.items()}
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

    def bindings(self, stored: StoredQuery, params: Mapping[str, str]) -> dict[str, Term]:
        """A stored query's arguments as RDF terms: checked against its header, labels resolved, CURIEs expanded."""
        stored.check_arguments(dict(params))
        bound: dict[str, Term] = {}
        for name, value in params.items():
            parameter = stored.parameter(name)
            if parameter.kind == "literal":
                if not value.strip():
                    raise ParameterError(f"{name} must not be empty")
                bound[name] = ox.Literal(value)
            elif parameter.kind == "iri":
                bound[name] = self._expand(value, name)
            else:
                bound[name] = self._resolve(value, name)
        return bound

    def _run(
        self,
        sparql: str,
        bindings: Mapping[str, Term],
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
        return on_big_stack(lambda: self._run_here(sparql, bindings, inferred, origin, max_rows), len(sparql))

    def _run_here(
        self, sparql: str, bindings: Mapping[str, Term], inferred: bool, origin: str, max_rows: int | None
    ) -> QueryResult:
        if self.engine == "rdflib":
            return run_with_rdflib(self.graph(inferred=inferred), sparql, bindings, origin, max_rows=max_rows)
        return self._timed(lambda: self._engine(inferred).run(sparql, bindings, origin, max_rows=max_rows))

    def workers(
        self, *, inferred: bool = True, size: int = 1, network: bool = False, queue_seconds: float | None = None
    ) -> QueryWorkers:
        """Sandboxed worker processes holding this graph (kept and reused per graph and settings); `network`
        keeps their network (only for a caller who opted into SERVICE). They open the snapshot, when the graph
        is one, or load its N-Triples."""
        from kg.limits import QueryWorkers  # the worker machinery loads only when a query needs a worker
        from kg.worker import GraphSource

        self._sync()
        if inferred:
            self._infer()
        key = f"{'inferred' if inferred else 'asserted'}/{size}/{network}/{queue_seconds}"
        if key not in self._workers:
            if self._snapshot is not None and self.engine == "oxigraph":
                source, folder = GraphSource(snapshot=str(self._snapshot.path), inferred=inferred), None
            else:
                folder, source = self._graph_files(inferred)
            pool = QueryWorkers(source, size=size, engine=self.engine, network=network, queue_seconds=queue_seconds)
            weakref.finalize(self, pool.close)  # a graph dropped takes its idle workers with it
            if folder is not None:  # the files outlive no pool that may start a worker on them
                weakref.finalize(pool, shutil.rmtree, folder, True)
            self._workers[key] = pool
        return self._workers[key]

    def _graph_files(self, inferred: bool) -> tuple[str, GraphSource]:
        """The N-Triples in files of a new folder, streamed into workers' stores, read from there now (Hub._spill)."""
        from kg.output import remove_folders_of_dead_processes
        from kg.worker import GraphSource

        remove_folders_of_dead_processes(os.path.join(tempfile.gettempdir(), "kg-graph-*-*"))
        folder = tempfile.mkdtemp(prefix=f"kg-graph-{os.getpid()}-")
        files: list[str] = []
        for name in (ASSERTED_GRAPH, INFERRED_GRAPH) if inferred else (ASSERTED_GRAPH,):
            path = os.path.join(folder, f"{len(files)}.nt")
            with open(path, "wb") as out:
                out.write(self.ntriples(name))
            files.append(path)
            self._spill(name, path)
        return folder, GraphSource(files=tuple(files))

    def release_workers(self) -> int:
        """Stop the idle query workers (each holds the graph: 1 GiB at 1M), say how many; a query restarts one."""
        return sum(pool.release_idle() for pool in self._workers.values())

    def _close_workers(self) -> None:
        self._unspill()  # the workers' files go with them
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
