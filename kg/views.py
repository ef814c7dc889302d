"""rdflib Graph views of the hub's exact N-Triples, counting their changes so the hub sees what a user changed."""

from __future__ import annotations

from typing import Any

from rdflib import Graph
from rdflib.plugins.stores.memory import Memory

from kg.export import canonical_ntriples
from kg.prefixes import PREFIXES

__all__ = ["as_ntriples", "version_of", "view_of"]


class _CountingMemory(Memory):
    """rdflib's in-memory store, counting additions and removals (every change to a Graph passes through them)."""

    def __init__(self) -> None:
        super().__init__()
        self.changes = 0

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        self.changes += 1
        super().add(triple, context, quoted)

    def remove(self, triple: Any, context: Any = None) -> None:
        self.changes += 1
        super().remove(triple, context)


def view_of(ntriples: bytes) -> Graph:
    """An rdflib graph of the triples, with the project's prefixes bound, whose changes `version_of` counts."""
    graph = Graph(store=_CountingMemory(), bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    if ntriples:
        graph.parse(data=ntriples.decode("utf-8"), format="nt")
    return graph


def version_of(graph: Graph) -> tuple[int, int]:
    """What changes when the graph changes: the count of changes to a view, the size of a graph built elsewhere."""
    store = graph.store
    return (store.changes, 0) if isinstance(store, _CountingMemory) else (-1, len(graph))


def as_ntriples(graph: Graph) -> bytes:
    """The graph's exact N-Triples, one triple a line, sorted."""
    return canonical_ntriples(graph)
