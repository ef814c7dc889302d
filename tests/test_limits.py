"""Resource limits on the API: a cartesian product stops at the row or time limit, and memory stays bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from kg import KnowledgeGraph, QueryError, QueryTimeoutError, ResultLimitError
from kg.limits import DEFAULT_MAX_ROWS, WORKER_MEMORY_BYTES

#: Every triple with every triple with every triple: about 10^11 rows on the shipped graph.
CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: The same product counted: one row at the end, so only the time limit can stop it.
COUNTED = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Sorting the product must hold all of it: memory grows by about half a gigabyte a second until stopped.
SORTED = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1"


def _descendants(generations: int = 99) -> set[int]:
    """This process's children, grandchildren and so on, up to `generations` down."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found: set[int] = set()
    frontier = {os.getpid()}
    for _generation in range(generations):
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _status(pid: int, field: str) -> int:
    """A /proc/PID/status field in bytes (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextmanager
def peak_memory() -> Iterator[dict[str, int]]:
    """The highest resident memory of this process and of its descendants, sampled every 20 ms while inside."""
    peaks = {"self": 0, "descendants": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks["self"] = max(peaks["self"], _status(os.getpid(), "VmRSS"))
            for pid in _descendants():
                peaks["descendants"] = max(peaks["descendants"], _status(pid, "VmRSS"))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peaks
    finally:
        done.set()
        sampler.join()


def test_a_cartesian_product_stops_at_the_default_row_limit(shipped: KnowledgeGraph) -> None:
    before = _status(os.getpid(), "VmRSS")
    with peak_memory() as peaks, pytest.raises(ResultLimitError, match=f"more than {DEFAULT_MAX_ROWS} rows"):
        shipped.query(CARTESIAN)
    # 10,000 rows of nine terms is a few megabytes; the full product would be terabytes
    assert peaks["self"] - before < 100_000_000
    assert peaks["descendants"] < 300_000_000


def test_a_cartesian_product_stops_at_a_row_limit_in_process(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ResultLimitError, match="more than 500 rows"):
        shipped.query(CARTESIAN, timeout=None, max_rows=500)
    with pytest.raises(ResultLimitError, match="more than 500 rows"):
        shipped.query("CONSTRUCT { ?a ?b ?i } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=None, max_rows=500)


def test_a_counted_cartesian_product_stops_at_the_time_limit_and_the_next_query_runs(shipped: KnowledgeGraph) -> None:
    shipped.query("ASK { ?s ?p ?o }", timeout=30)  # a worker is up, so the limit measures the query alone
    started = time.monotonic()
    with peak_memory() as peaks, pytest.raises(QueryTimeoutError, match="stopped after 1 s"):
        shipped.query(COUNTED, timeout=1.0)
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 4.0
    assert peaks["descendants"] < 300_000_000  # counting streams: memory stays flat while it runs
    assert shipped.query("ASK { entity:tingling ?p ?o }", timeout=30).boolean is True


def test_query_workers_run_under_a_memory_cap(shipped: KnowledgeGraph) -> None:
    shipped.query("ASK { ?s ?p ?o }", timeout=30)
    assert _capped_workers(), "no descendant process runs with the query worker's memory cap"


def test_the_memory_cap_stops_a_sort_of_a_cartesian_product() -> None:
    """The cap a worker sets on itself, lowered to 300 MB so the test is quick: the process dies at the cap."""
    cap = 300_000_000
    program = (
        "import sys\nimport pyoxigraph\nfrom kg.graph import KnowledgeGraph\nfrom kg.export import canonical_ntriples\n"
        "from kg.worker import cap_memory\n"
        "store = pyoxigraph.Store()\n"
        "store.bulk_load(canonical_ntriples(KnowledgeGraph.load().asserted), format=pyoxigraph.RdfFormat.N_TRIPLES)\n"
        f"cap_memory({cap})\nprint('ready', flush=True)\nlist(store.query(sys.argv[1]))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program, SORTED], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    peak = 0
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        peak = max(peak, _status(process.pid, "VmHWM"))
        time.sleep(0.02)
    if process.poll() is None:
        process.kill()
        pytest.fail("the capped process was still sorting after 30 s")
    process.stdout.close()
    assert process.returncode == -signal.SIGABRT  # an allocation failed at the cap
    assert 0 < peak < cap + 100_000_000


def _capped_workers() -> list[int]:
    """This process's own query workers (grandchildren, under the fork server; not those of a `kg serve` child)."""
    found = []
    for pid in _descendants(generations=2) - _descendants(generations=1):
        try:
            with open(f"/proc/{pid}/limits") as limits:
                lines = [line.split() for line in limits if line.startswith("Max data size")]
        except OSError:
            continue
        if lines and lines[0][3] == str(WORKER_MEMORY_BYTES):
            found.append(pid)
    return found


def test_a_worker_that_runs_out_of_memory_is_a_query_error_and_is_replaced(shipped: KnowledgeGraph) -> None:
    """What the caller sees when the cap stops a query: a QueryError, and the next query is answered."""
    shipped.query("ASK { ?s ?p ?o }", timeout=30)

    def abort_soon() -> None:
        time.sleep(0.3)
        for pid in _capped_workers():
            os.kill(pid, signal.SIGABRT)  # what the allocator does when an allocation fails at the cap

    threading.Thread(target=abort_soon, daemon=True).start()
    with pytest.raises(QueryError, match="stopped unexpectedly"):
        shipped.query(COUNTED, timeout=10)
    assert shipped.query("ASK { entity:tingling ?p ?o }", timeout=30).boolean is True
