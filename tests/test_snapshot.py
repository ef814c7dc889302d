"""Snapshots: the reasoned graph on disk, keyed by its inputs, never half-written and never read when damaged."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, UNION_GRAPH, Snapshot, read_inputs, snapshot_key

ASSERTED = (
    b'<https://example.org/a> <https://example.org/p> "5"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .\n'
)
INFERRED = b"<https://example.org/b> <https://example.org/q> <https://example.org/a> .\n"


def test_key_depends_on_every_name_and_byte() -> None:
    base = snapshot_key([("a.ttl", b"x"), ("b.ttl", b"y")])
    assert base == snapshot_key([("a.ttl", b"x"), ("b.ttl", b"y")])
    assert base != snapshot_key([("a.ttl", b"x"), ("b.ttl", b"z")])
    assert base != snapshot_key([("a.ttl", b"x"), ("c.ttl", b"y")])
    assert base != snapshot_key([("a.ttl", b"xb.ttl"), ("", b"y")]), "names and contents must not run together"


def test_user_files_are_named_by_absolute_path(tmp_path: Path) -> None:
    file = tmp_path / "extra.ttl"
    file.write_bytes(b"# nothing\n")
    assert read_inputs([file]) == [(str(file.resolve()), b"# nothing\n")]


def test_built_snapshot_opens_read_only_with_graphs_apart(tmp_path: Path) -> None:
    built = Snapshot.build(tmp_path, "k1", ASSERTED, INFERRED)
    reopened = Snapshot.open(tmp_path, "k1")
    assert reopened is not None
    assert reopened.path == built.path
    graphs = {quad.graph_name for quad in reopened.store}
    assert graphs == {ASSERTED_GRAPH, INFERRED_GRAPH, UNION_GRAPH}, "on disk, queries over both read one graph"
    assert len(reopened.store) == 4
    assert reopened.ntriples(ASSERTED_GRAPH) == ASSERTED, "the exact triples, datatypes included"
    assert reopened.ntriples(INFERRED_GRAPH) == INFERRED
    with pytest.raises(RuntimeError, match="read-write"):
        reopened.store.add(
            ox.Quad(ox.NamedNode("https://example.org/c"), ox.NamedNode("https://example.org/p"), ox.Literal("x"))
        )
    assert not [entry for entry in tmp_path.iterdir() if entry.name.startswith(".snapshot-")], "scratch left behind"


def test_missing_or_unfinished_snapshot_is_not_opened(tmp_path: Path) -> None:
    assert Snapshot.open(tmp_path, "absent") is None
    Snapshot.build(tmp_path, "k2", ASSERTED, INFERRED)
    (tmp_path / "snapshot-k2" / "complete").unlink()  # as if the process died before finishing
    assert Snapshot.open(tmp_path, "k2") is None


def test_damaged_snapshot_is_rebuilt(tmp_path: Path) -> None:
    Snapshot.build(tmp_path, "k3", ASSERTED, INFERRED)
    (tmp_path / "snapshot-k3" / "complete").write_text("another key", encoding="utf-8")
    assert Snapshot.open(tmp_path, "k3") is None
    rebuilt = Snapshot.build(tmp_path, "k3", ASSERTED, INFERRED)
    assert len(rebuilt.store) == 4


def test_a_failing_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with pytest.raises(SyntaxError):
        Snapshot.build(tmp_path, "k4", ASSERTED, b"this is not N-Triples\n")
    assert Snapshot.open(tmp_path, "k4") is None
    assert list(tmp_path.iterdir()) == []


def test_queries_move_into_memory_once_disk_time_would_have_paid_for_it(tmp_path: Path) -> None:
    snapshot = Snapshot.build(tmp_path, "k5", ASSERTED, INFERRED)
    assert snapshot.query_store() is snapshot.store, "a first query reads the store on disk"
    assert snapshot.default_graph(inferred=True) == [UNION_GRAPH]
    snapshot.spent(0.0)
    assert snapshot.query_store() is snapshot.store
    snapshot.spent(60.0)  # far more than reading two triples into memory costs
    in_memory = snapshot.query_store()
    assert in_memory is not snapshot.store
    assert snapshot.default_graph(inferred=True) == [ASSERTED_GRAPH, INFERRED_GRAPH], "in memory, no union copy"
    assert {(quad.graph_name, str(quad.object)) for quad in in_memory} == {
        (ASSERTED_GRAPH, '"5"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        (INFERRED_GRAPH, "<https://example.org/a>"),
    }
