"""The row limit of natively written results: kg.rowcount counts exactly the rows Oxigraph writes, in every format,
whatever the literals hold and wherever the chunks break."""

from __future__ import annotations

from typing import IO, cast

import pyoxigraph as ox
import pytest

from kg.rowcount import NATIVE_FORMATS, RowCountingWriter, RowLimitReachedError

EX = "http://example.org/"
#: Literals that look like each format's row marks, quotes and escapes.
NASTY = [
    "plain",
    'with "quotes" and \\"escaped\\" ones',
    "ends with a backslash \\",
    '\\\\"',
    '}},{"s":{"type":"uri"}},{',
    "[{}]",
    "<result></result>",
    "line\nbreak\r\nand CRLF\r\n",
    'a,"b",c\r\n"d"',
    "tab\there",
    "",
]


def store_with_rows(count: int) -> ox.Store:
    store = ox.Store()
    for index in range(count):
        value = NASTY[index % len(NASTY)] + f" #{index}"
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{index}"), ox.NamedNode(f"{EX}p"), ox.Literal(value, language="en")))
    return store


def written_rows(store: ox.Store, query: str, name: str, max_rows: int | None, chunk: int) -> int:
    """Write the answer through a RowCountingWriter in chunks of `chunk` bytes (as small as one byte)."""
    whole = RowCountingWriter(name, None)
    store.query(query).serialize(cast("IO[bytes]", whole), whole.format)
    data = whole.getvalue()
    counter = RowCountingWriter(name, max_rows)
    for start in range(0, len(data), chunk):
        counter.write(data[start : start + chunk])
    return counter.rows


@pytest.mark.parametrize("name", sorted(NATIVE_FORMATS))
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 8192])
def test_rows_are_counted_exactly_in_every_format(name: str, chunk: int) -> None:
    store = store_with_rows(40)
    assert written_rows(store, "SELECT ?s ?o WHERE { ?s ?p ?o }", name, None, chunk) == 40
    assert written_rows(store, "SELECT ?s ?o WHERE { ?s ?p ?o } LIMIT 1", name, None, chunk) == 1
    assert written_rows(store, "SELECT ?s WHERE { ?s <urn:none> ?o }", name, None, chunk) == 0
    # rows with nothing bound, and a mix of bound and unbound
    assert written_rows(store, "SELECT ?x WHERE { ?s ?p ?o }", name, None, chunk) == 40
    assert written_rows(store, "SELECT ?s ?x WHERE { ?s ?p ?o OPTIONAL { ?s <urn:none> ?x } }", name, None, chunk) == 40
    assert written_rows(store, "ASK { ?s ?p ?o }", name, None, chunk) == 0


@pytest.mark.parametrize("name", sorted(NATIVE_FORMATS))
def test_oxigraph_stops_writing_at_the_first_chunk_past_the_limit(name: str) -> None:
    store = store_with_rows(5000)
    writer = RowCountingWriter(name, 100)
    with pytest.raises(RowLimitReachedError):
        store.query("SELECT ?s ?o WHERE { ?s ?p ?o }").serialize(cast("IO[bytes]", writer), writer.format)
    assert 100 < writer.rows < 5000
    exact = RowCountingWriter(name, 5000)
    store.query("SELECT ?s ?o WHERE { ?s ?p ?o }").serialize(cast("IO[bytes]", exact), exact.format)
    assert exact.rows == 5000
