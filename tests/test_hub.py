"""The hub of an in-memory graph: its store holds what queries here need, its workers read the graph from files."""

from __future__ import annotations

import gc
from pathlib import Path

from kg import KnowledgeGraph
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH

ASK_DERIVED = "ASK { entity:strict-vegetarian-diet nkg:predisposesTo entity:vitamin-b12-deficiency }"


def test_the_store_takes_the_inferred_graph_when_a_query_over_it_runs_here() -> None:
    graph = KnowledgeGraph.load()
    assert graph.query("neuropathy-types", inferred=False, timeout=None).rows
    stored = {quad.graph_name for quad in graph.store(inferred=False).quads_for_pattern(None, None, None)}
    assert stored == {ASSERTED_GRAPH}, "an asserted-only query (or a label lookup) loads the asserted graph only"
    assert graph.query(ASK_DERIVED, timeout=None).boolean is True
    stored = {quad.graph_name for quad in graph.store().quads_for_pattern(None, None, None)}
    assert stored == {ASSERTED_GRAPH, INFERRED_GRAPH}
    assert graph.query(ASK_DERIVED, inferred=False, timeout=None).boolean is False


def test_workers_stream_the_graph_from_files_that_go_with_their_pool() -> None:
    graph = KnowledgeGraph.load()
    assert graph.query(ASK_DERIVED).boolean is True  # under the default time limit: in a worker
    pool = graph.workers()
    source = pool._source
    assert source.ntriples == b"", "no copy of the graph's bytes is handed to (and held for) the workers"
    files = [Path(name) for name in source.files]
    assert b"".join(path.read_bytes() for path in files) == graph.ntriples(ASSERTED_GRAPH) + graph.ntriples(
        INFERRED_GRAPH
    )
    assert graph.query(ASK_DERIVED, inferred=False).boolean is False
    del graph, pool, source
    gc.collect()
    assert not any(path.exists() for path in files), "the files go with the graph and its workers"


def test_files_left_by_a_killed_process_are_removed_by_the_next() -> None:
    import subprocess
    import sys
    import tempfile

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = Path(tempfile.mkdtemp(prefix=f"kg-graph-{int(gone.stdout)}-"))
    (stale / "0.nt").write_bytes(b"")
    KnowledgeGraph.load().workers(inferred=False)
    assert not stale.exists()
