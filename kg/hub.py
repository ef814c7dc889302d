"""The graph's triples: exact N-Triples per named graph, one Oxigraph store over both, rdflib views on request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pyoxigraph as ox

from kg.errors import InputError
from kg.sandbox import give_back_freed_memory
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, Snapshot

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["Hub"]

GraphName = ox.NamedNode
T = TypeVar("T")


class Hub:
    """What a KnowledgeGraph holds: per named graph (ASSERTED_GRAPH, INFERRED_GRAPH) its exact N-Triples (in
    memory, or the files of a snapshot) and one Oxigraph store holding both, which queries read directly.

    rdflib views (`view`) are made on request and watched: the rule is that a view a caller changed is the graph.
    Before the next query or N-Triples read, the changed view's triples replace that graph's N-Triples and the
    store is rebuilt from them (kg.views counts changes to views; a graph built elsewhere and handed to the
    constructor is watched by its size).
    """

    def __init__(self) -> None:
        self._ntriples: dict[GraphName, bytes] = {}
        #: Graphs whose exact N-Triples are held in a file (the query workers' copy) rather than in memory.
        self._spilled: dict[GraphName, str] = {}
        self._snapshot: Snapshot | None = None
        self._store: ox.Store | None = None
        self._stored: set[GraphName] = set()  # the named graphs `_store` holds
        self._views: dict[GraphName, Graph] = {}
        self._seen: dict[GraphName, tuple[int, int]] = {}
        self._union: tuple[tuple[object, ...], Graph] | None = None

    def _changed(self) -> None:
        """Called when the triples changed: whatever was derived from them goes (Queryable drops labels, workers)."""

    def _has(self, name: GraphName) -> bool:
        return self._snapshot is not None or name in self._ntriples or name in self._spilled or name in self._views

    def ntriples(self, name: GraphName = ASSERTED_GRAPH) -> bytes:
        """The exact N-Triples of ASSERTED_GRAPH or INFERRED_GRAPH (UTF-8, one triple a line, sorted)."""
        self._sync()
        if name in self._ntriples:
            return self._ntriples[name]
        if name in self._spilled:
            with open(self._spilled[name], "rb") as spilled:
                return spilled.read()
        if self._snapshot is not None:
            return self._snapshot.ntriples(name)
        raise InputError(f"this graph holds no {name.value.rsplit('/', 1)[-1]} triples yet")

    def view(self, name: GraphName) -> Graph:
        """An rdflib graph of `name`'s triples, made on first request and kept (changes to it are seen)."""
        self._sync()
        if name not in self._views:
            from kg.views import version_of, view_of  # rdflib loads only for a caller who asks for a view

            view = view_of(self.ntriples(name))
            self._views[name] = view
            self._seen[name] = version_of(view)
        return self._views[name]

    def union_view(self) -> Graph:
        """Asserted plus inferred triples as one rdflib graph (made again only when either changed)."""
        asserted, inferred = self.view(ASSERTED_GRAPH), self.view(INFERRED_GRAPH)
        from kg.views import version_of

        key = (id(asserted), version_of(asserted), id(inferred), version_of(inferred))
        if self._union is None or self._union[0] != key:
            self._union = (key, asserted + inferred)
        return self._union[1]

    def store(self, inferred: bool = True) -> ox.Store:
        """The Oxigraph store holding both named graphs: the snapshot's, or one built in memory, which takes in
        the inferred graph only once a query over it runs here (label lookups read the asserted one, and
        queries under a time limit run in workers: at 1M triples the inferred graph is 0.7 GiB of store)."""
        self._sync()
        if self._snapshot is not None:
            return self._snapshot.query_store()  # on disk, or read into memory once that pays (kg.snapshot)
        if self._store is None:
            self._store, self._stored = ox.Store(), set()
        for name in (ASSERTED_GRAPH, INFERRED_GRAPH) if inferred else (ASSERTED_GRAPH,):
            if name not in self._stored and (name in self._ntriples or name in self._spilled):
                data = self.ntriples(name)
                if data:
                    self._store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
                self._stored.add(name)
        return self._store

    def release_store(self) -> None:
        """Let the store built in memory go (0.4 GiB at 1M asserted triples); the next query builds it again."""
        self._store, self._stored = None, set()
        give_back_freed_memory()

    def _timed(self, run: Callable[[], T]) -> T:
        """`run()`, its CPU time counted against the snapshot's store on disk (see kg.snapshot.Snapshot)."""
        if self._snapshot is None:
            return run()
        started = time.process_time()
        try:
            return run()
        finally:
            self._snapshot.spent(time.process_time() - started)

    def _set(self, name: GraphName, ntriples: bytes, view: Graph | None = None) -> None:
        """Replace `name`'s triples (`view`, if given, is an rdflib graph of the same triples)."""
        self._sync()
        self._leave_snapshot()
        self._unspill()  # before the view of `name` goes: one a caller holds must still find its triples
        self._ntriples[name] = ntriples
        self._views.pop(name, None)
        if view is not None:
            from kg.views import version_of

            self._views[name] = view
            self._seen[name] = version_of(view)
        if self._store is not None and name in self._stored:
            self._store.clear_graph(name)
            if ntriples:
                self._store.bulk_load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
        self._changed()

    def _sync(self) -> None:
        """Take in the changes made to views since they were handed out (see the class docstring)."""
        if not self._views:
            return
        from kg.views import as_ntriples, version_of

        for name, view in list(self._views.items()):
            version = version_of(view)
            if self._seen.get(name) != version:
                self._leave_snapshot()
                self._ntriples[name] = as_ntriples(view)
                self._spilled.pop(name, None)
                self._seen[name] = version
                self._store = None
                self._changed()

    def _spill(self, name: GraphName, path: str) -> None:
        """`name`'s N-Triples were written to `path` (which stays as long as the graph's query workers): read them
        from there when asked, rather than hold them beside the workers' copy (0.45 GiB at 1M triples); a view
        not read yet (the one `reason()` returns) reads them from there too."""
        if name in self._ntriples:
            del self._ntriples[name]
            self._spilled[name] = path
            if name in self._views:
                from kg.views import read_from

                read_from(self._views[name], path)

    def _unspill(self) -> None:
        """Hold the spilled N-Triples in memory again (their files are about to go)."""
        for name in list(self._spilled):
            self._ntriples[name] = self.ntriples(name)
            del self._spilled[name]
            if name in self._views:
                from kg.views import read_from

                read_from(self._views[name], self._ntriples[name])

    def _leave_snapshot(self) -> None:
        """From now on the triples are held here: the snapshot no longer speaks for the graph."""
        if self._snapshot is None:
            return
        for name in (ASSERTED_GRAPH, INFERRED_GRAPH):
            if name not in self._ntriples:
                self._ntriples[name] = self._snapshot.ntriples(name)
        self._snapshot = None
        self._store = None
