"""Resource limits: a cartesian product stops at the row or time limit, memory stays bounded, deep queries are
refused before they reach a native stack, and stored queries have limits too (API and CLI)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from serving import descendants

from kg import KnowledgeGraph, QueryError, QueryTimeoutError, ResultLimitError
from kg.limits import DEFAULT_MAX_ROWS, STORED_MAX_ROWS, STORED_TIMEOUT, WORKER_MEMORY_BYTES
from kg.snapshot import ASSERTED_GRAPH

#: Every triple with every triple with every triple: about 10^11 rows on the shipped graph.
CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: The same product counted: one row at the end, so only the time limit can stop it.
COUNTED = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: Sorting the product must hold all of it: memory grows by about half a gigabyte a second until stopped.
SORTED = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i LIMIT 1"


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


def _cpu_seconds(pid: int) -> float:
    """The CPU time process `pid` has used (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def peak_memory() -> Iterator[dict[str, int]]:
    """The highest resident memory of this process and of its descendants, sampled every 20 ms while inside."""
    peaks = {"self": 0, "descendants": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks["self"] = max(peaks["self"], _status(os.getpid(), "VmRSS"))
            for pid in descendants(os.getpid()):
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
        # the default row limit, under a time limit a starved machine cannot reach (10 s, the default, it did)
        shipped.query(CARTESIAN, timeout=120)
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


@pytest.fixture(scope="module")
def asserted_file(shipped: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shipped graph's asserted triples in an N-Triples file: what a child process sorts the product of (read
    from here, the child parses and serializes nothing of its own)."""
    path = tmp_path_factory.mktemp("asserted") / "asserted.nt"
    path.write_bytes(shipped.ntriples(ASSERTED_GRAPH))
    return str(path)


def test_the_memory_cap_stops_a_sort_of_a_cartesian_product(asserted_file: str) -> None:
    """The cap a worker sets on itself, lowered to 300 MB so the test is quick: the process dies at the cap."""
    cap = 300_000_000
    program = (
        "import sys\nimport pyoxigraph\nfrom kg.worker import cap_memory\n"
        "store = pyoxigraph.Store()\n"
        "store.bulk_load(path=sys.argv[2], format=pyoxigraph.RdfFormat.N_TRIPLES)\n"
        f"cap_memory({cap})\nprint('ready', flush=True)\nlist(store.query(sys.argv[1]))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", program, SORTED, asserted_file], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
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
    for pid in descendants(os.getpid(), 2) - descendants(os.getpid(), 1):
        try:
            with open(f"/proc/{pid}/limits") as limits:
                lines = [line.split() for line in limits if line.startswith("Max data size")]
        except OSError:
            continue
        if lines and lines[0][3] == str(WORKER_MEMORY_BYTES):
            found.append(pid)
    return found


@pytest.mark.parametrize(
    ("signal_number", "explained"),
    [(signal.SIGABRT, "killed by SIGABRT: an allocation failed at its memory cap"), (signal.SIGSEGV, "SIGSEGV")],
)
def test_a_worker_killed_by_a_signal_is_a_query_error_naming_it_and_is_replaced(
    shipped: KnowledgeGraph, signal_number: int, explained: str
) -> None:
    """What the caller sees when the cap (SIGABRT) or a crash (SIGSEGV) ends a worker, and then its fresh
    replacement too: a QueryError that says which, not a guess, and the next query is answered."""
    shipped.query("ASK { ?s ?p ?o }", timeout=30)
    stop = threading.Event()

    def kill_until_stopped() -> None:
        while not stop.wait(0.3):
            for pid in _capped_workers():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal_number)

    threading.Thread(target=kill_until_stopped, daemon=True).start()
    try:
        with pytest.raises(QueryError, match=r"stopped (unexpectedly|while loading the graph)") as caught:
            shipped.query(COUNTED, timeout=30)
    finally:
        stop.set()
    assert explained in str(caught.value)
    assert shipped.query("ASK { entity:tingling ?p ?o }", timeout=30).boolean is True


#: A researcher's quick script: no `if __name__ == "__main__":`, a limited query, and its main module as it was after.
QUICK_SCRIPT = """\
from kg import KnowledgeGraph
before = (globals().get("__file__"), __spec__)
rows = KnowledgeGraph.open().query("neuropathy-types", timeout=30).rows
print(len(rows), (globals().get("__file__"), __spec__) == before)
"""


@pytest.mark.parametrize("how", ["a file", "standard input"])
def test_a_script_without_a_main_guard_runs_limited_queries(how: str, tmp_path: Path) -> None:
    """Workers start through multiprocessing, which would run the caller's script again in each (a script without
    a main guard then starts its queries there, and one from standard input has no file to run): neither happens."""
    script = tmp_path / "quick.py"
    script.write_text(QUICK_SCRIPT, encoding="utf-8")
    command, stdin = ([sys.executable, str(script)], None) if how == "a file" else ([sys.executable, "-"], QUICK_SCRIPT)
    run = subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (0, "4 True\n", "")


def test_a_query_whose_worker_dies_once_gets_a_fresh_worker(shipped: KnowledgeGraph) -> None:
    """A worker can die of what earlier queries left in it; the query then runs again on a new worker (here it
    runs on until its time limit, instead of failing at the first death)."""
    shipped.query("ASK { ?s ?p ?o }", timeout=30)

    def kill_once() -> None:
        time.sleep(0.3)
        killed = set(_capped_workers())
        for pid in killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGABRT)
        # The fresh worker runs the query again, until the limit. Once it has spent more CPU than loading the graph
        # takes (a tenth of a second), it is running the query, which need not run at all: stopped, it is killed
        # at the limit all the same (a worker still loading is never stopped: its start has no deadline).
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            running = [pid for pid in set(_capped_workers()) - killed if _cpu_seconds(pid) > 0.3]
            for pid in running:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            if running:
                return
            time.sleep(0.1)

    threading.Thread(target=kill_once, daemon=True).start()
    with pytest.raises(QueryTimeoutError, match="stopped after 5 s"):
        shipped.query(COUNTED, timeout=5.0)
    assert shipped.query("ASK { entity:tingling ?p ?o }", timeout=30).boolean is True


# ---------------------------------------------------------------------- deep and large queries

#: Shapes that overflowed Oxigraph's stack (SIGSEGV) at 10,000 on a default 8 MB thread stack.
DEEP = {
    "a 10,000-term && chain": "SELECT * WHERE { ?s ?p ?o FILTER(" + " && ".join(["true"] * 10_000) + ") }",
    "10,000 nested parentheses": "ASK { FILTER(" + "(" * 10_000 + "true" + ")" * 10_000 + ") }",
    "10,000 nested groups": "SELECT * WHERE " + "{" * 10_000 + "?s ?p ?o" + "}" * 10_000,
    "10,000 groups in a row": "SELECT * WHERE { " + " ".join(["{ ?s ?p ?o }"] * 10_000) + " }",
    "a 10,000-pattern group": "SELECT * WHERE { " + " . ".join(f"?s{i} ?p ?o" for i in range(10_000)) + " }",
    "10,000 UNIONs": "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10_000) + " }",
    "10,000 negations": "ASK { FILTER(" + "!" * 10_000 + "true) }",
    "a 10,000-item collection": "ASK { ?s ?p (" + " 1" * 10_000 + ") }",
    "10,000 nested subqueries": "SELECT * WHERE " + "{ SELECT * WHERE " * 10_000 + "{ ?s ?p ?o }" + "}" * 10_000,
}


@pytest.mark.parametrize("what", sorted(DEEP))
def test_deep_queries_are_refused_before_they_reach_the_engine(shipped: KnowledgeGraph, what: str) -> None:
    for timeout in (60.0, None):
        with pytest.raises(QueryError, match="the engine would run out of stack"):
            shipped.query(DEEP[what], timeout=timeout)


def test_long_flat_lists_are_not_deep(shipped: KnowledgeGraph) -> None:
    """VALUES and IN lists are flat however long: the screen lets them through."""
    values = " ".join(f"<http://example.org/item/{i}>" for i in range(20_000))
    assert len(shipped.query(f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}", max_rows=None, timeout=60)) == 20_000
    numbers = ", ".join(str(-i) for i in range(20_000))
    assert shipped.query(f"ASK {{ FILTER(-19999 IN ({numbers})) }}", timeout=60).boolean is True


def test_a_deep_query_does_not_crash_kg_sparql_without_a_time_limit() -> None:
    """It was SIGSEGV (exit 139); now one line and exit 2."""
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "sparql", "--timeout", "0", DEEP["a 10,000-term && chain"]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("kg: error: query: the query chains more than")
    assert done.stderr.count("\n") == 1


def test_a_two_megabyte_values_query_is_answered_or_stopped_at_the_limit(shipped: KnowledgeGraph) -> None:
    """Screening, parsing and running all count against the limit (the screen runs in the worker, not here)."""
    values = " ".join(f"<http://example.org/item/{i}>" for i in range(70_000))
    sparql = f"SELECT ?x WHERE {{ VALUES ?x {{ {values} }} }}"
    assert len(sparql) > 2_000_000
    try:
        answered = len(shipped.query(sparql, timeout=20, max_rows=None))
    except QueryTimeoutError as error:
        answered = str(error)
    assert answered in (
        70_000,
        "query: stopped after 20 s (the time limit); narrow the query (fewer patterns, a LIMIT) or raise the limit",
    )


def test_kg_sparql_stops_at_its_time_limit_with_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "sparql", "--timeout", "1", COUNTED],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert done.stderr == "kg: error: query stopped after 1 s (the time limit); narrow the query or raise --timeout\n"


def test_the_one_shot_watchdog_stops_a_sort_at_its_memory_limit(asserted_file: str) -> None:
    """The watchdog `kg sparql` and `kg query` run under, with the limit lowered to 300 MB so the test is quick."""
    program = (
        "import os, sys, pyoxigraph\nfrom kg.sandbox import watchdog\n"
        "store = pyoxigraph.Store()\n"
        "store.bulk_load(path=sys.argv[2], format=pyoxigraph.RdfFormat.N_TRIPLES)\n"
        "def stop(reason):\n    print(reason, file=sys.stderr, flush=True)\n    os._exit(2)\n"
        "with watchdog(None, 300_000_000, stop):\n    list(store.query(sys.argv[1]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, SORTED, asserted_file], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2
    assert done.stderr.startswith("stopped at 300,000,000 bytes of memory (the memory limit)")


# ---------------------------------------------------------------------- stored queries


def test_stored_queries_have_default_limits(shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    import kg.querying

    assert (STORED_TIMEOUT, STORED_MAX_ROWS) == (120.0, 1_000_000)
    monkeypatch.setattr(kg.querying, "STORED_MAX_ROWS", 2)
    with pytest.raises(ResultLimitError, match="more than 2 rows"):
        shipped.query("neuropathy-types")
    assert len(shipped.query("neuropathy-types", max_rows=None)) == 4
    monkeypatch.setattr(kg.querying, "STORED_TIMEOUT", 0.0)
    with pytest.raises(QueryTimeoutError, match="stopped after 0 s"):
        shipped.query("neuropathy-types", max_rows=None)
    assert len(shipped.query("neuropathy-types", timeout=None, max_rows=None)) == 4


def test_kg_query_limits_can_be_overridden() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "neuropathy-types", "--max-rows", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "more than 2 rows" in done.stderr
    assert done.stderr.count("\n") == 1
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "neuropathy-types", "--max-rows", "0", "--timeout", "0"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0
    assert "(4 rows)" in done.stdout


def test_a_worker_left_holding_over_half_its_memory_cap_is_replaced(
    shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big query's memory stays with the worker after it answers; the next query must not fail for want of it."""
    pool = shipped.workers(inferred=False, size=1, queue_seconds=30.0)
    ask = "ASK { ?s ?p ?o }"
    pool.run(ask, {}, "query", timeout=60.0, max_rows=None)
    [first] = list(pool._idle.queue)
    monkeypatch.setattr("kg.workerprocess.memory_in_use", lambda pid: WORKER_MEMORY_BYTES)  # the query took it all
    pool.run(ask, {}, "query", timeout=60.0, max_rows=None)
    assert not first.process.is_alive(), "the bloated worker is stopped"
    monkeypatch.undo()
    assert pool.run(ask, {}, "query", timeout=60.0, max_rows=None).boolean is True  # its replacement answers


def test_a_worker_whose_graph_alone_is_big_is_kept_between_queries(
    shipped: KnowledgeGraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker is replaced for what queries left behind, not for the graph it loaded: at a million triples the
    graph alone is 1.6 of the 2 GB cap, and replacing the worker after each query reloaded the graph every time."""
    pool = shipped.workers(inferred=False, size=1, queue_seconds=30.0)
    ask = "ASK { ?s ?p ?o }"
    pool.run(ask, {}, "query", timeout=60.0, max_rows=None)
    [worker] = list(pool._idle.queue)
    worker.loaded_bytes = WORKER_MEMORY_BYTES * 8 // 10
    monkeypatch.setattr("kg.workerprocess.memory_in_use", lambda pid: WORKER_MEMORY_BYTES * 8 // 10 + 1_000_000)
    pool.run(ask, {}, "query", timeout=60.0, max_rows=None)
    assert list(pool._idle.queue) == [worker]
    assert worker.process.is_alive()
    monkeypatch.setattr("kg.workerprocess.memory_in_use", lambda pid: WORKER_MEMORY_BYTES * 95 // 100)
    pool.run(ask, {}, "query", timeout=60.0, max_rows=None)
    assert not worker.process.is_alive(), "past half its headroom, it is replaced"
