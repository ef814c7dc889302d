"""rdflib Graph views of the hub's exact N-Triples, counting their changes so the hub sees what a user changed."""

from __future__ import annotations

import weakref
from typing import Any

from rdflib import Graph
from rdflib.plugins.stores.memory import Memory

from kg.export import canonical_ntriples
from kg.prefixes import PREFIXES

__all__ = ["as_ntriples", "read_from", "version_of", "view_of"]


class _CountingMemory(Memory):
    """rdflib's in-memory store, counting additions and removals (every change to a Graph passes through them).

    It reads its N-Triples on first use, not when made: `reason()` returns a view that most callers never read,
    and at a million triples rdflib needs gigabytes and minutes to hold one (docs/performance.md)."""

    def __init__(self, ntriples: bytes) -> None:
        super().__init__()
        self.changes = 0
        self._pending: bytes | str = ntriples  # or the path of a file holding them (`read_from`)
        self._graph: weakref.ref[Graph] | None = None
        self._filling = False

    def _fill(self) -> None:
        """Read the pending N-Triples into the view (not counted as changes: they are the graph as handed out)."""
        graph = self._graph() if self._graph is not None else None
        data, self._pending = self._pending, b""
        if graph is None or not data:
            return
        if isinstance(data, str):
            with open(data, "rb") as pending:
                data = pending.read()
        self._filling = True
        try:
            graph.parse(data=data.decode("utf-8"), format="nt")
        finally:
            self._filling = False

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        if self._pending:
            self._fill()
        if not self._filling:
            self.changes += 1
        super().add(triple, context, quoted)

    def remove(self, triple: Any, context: Any = None) -> None:
        if self._pending:
            self._fill()
        self.changes += 1
        super().remove(triple, context)

    def triples(self, triple_pattern: Any, context: Any = None) -> Any:
        if self._pending:
            self._fill()
        return super().triples(triple_pattern, context)

    def __len__(self, context: Any = None) -> int:
        if self._pending:
            self._fill()
        return super().__len__(context)

    def contexts(self, triple: Any = None) -> Any:
        if self._pending:
            self._fill()
        return super().contexts(triple)


def view_of(ntriples: bytes) -> Graph:
    """An rdflib graph of the triples, with the project's prefixes bound, whose changes `version_of` counts;
    the triples are read into it when it is first used."""
    store = _CountingMemory(ntriples)
    graph = Graph(store=store, bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    store._graph = weakref.ref(graph)
    return graph


def read_from(graph: Graph, source: bytes | str) -> None:
    """A view not read yet takes its N-Triples from `source`: the same bytes, or the path of a file holding them
    (so that the view holds no copy of a graph kept in a file: kg.hub.Hub._spill)."""
    store = graph.store
    if isinstance(store, _CountingMemory) and store._pending:
        store._pending = source


def version_of(graph: Graph) -> tuple[int, int]:
    """What changes when the graph changes: the count of changes to a view, the size of a graph built elsewhere."""
    store = graph.store
    return (store.changes, 0) if isinstance(store, _CountingMemory) else (-1, len(graph))


def as_ntriples(graph: Graph) -> bytes:
    """The graph's exact N-Triples, one triple a line, sorted."""
    return canonical_ntriples(graph)
