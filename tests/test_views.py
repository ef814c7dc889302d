"""rdflib views of exact N-Triples: read on first use, and every change after that counted."""

from __future__ import annotations

from rdflib import Literal, URIRef
from rdflib.namespace import RDFS
from rdflib.plugins.stores.memory import Memory

from kg.views import as_ntriples, version_of, view_of

DATA = (
    b'<https://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "a" .\n'
    b"<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n"
)
A, B = URIRef("https://example.org/a"), URIRef("https://example.org/b")


def test_a_view_holds_nothing_until_it_is_read() -> None:
    view = view_of(DATA)
    assert Memory.__len__(view.store) == 0, "a view nobody reads (reason()'s, at a million triples) costs nothing"
    assert len(view) == 2
    assert (A, RDFS.label, Literal("a")) in view
    assert as_ntriples(view) == DATA
    assert version_of(view) == (0, 0), "reading the triples in is not a change"


def test_each_change_to_a_view_is_counted_the_first_one_included() -> None:
    added = view_of(DATA)
    added.add((B, RDFS.label, Literal("b")))
    assert version_of(added) == (1, 0)
    assert len(added) == 3
    removed = view_of(DATA)
    removed.remove((A, RDFS.label, None))
    assert version_of(removed) == (1, 0)
    assert set(removed) == {(A, URIRef("https://example.org/p"), B)}


def test_a_view_of_nothing_is_empty() -> None:
    empty = view_of(b"")
    assert len(empty) == 0
    assert version_of(empty) == (0, 0)
