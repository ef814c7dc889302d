"""Query time and row limits: their defaults, and worker processes that are killed when a query runs too long."""

from __future__ import annotations

import contextlib
import enum
import functools
import multiprocessing
import queue
import resource
import signal
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Final

from rdflib.term import Node

from kg.engine import ENGINES, OxigraphEngine, check_read_only, run_with_rdflib
from kg.errors import InputError, KGError, QueryError, QueryTimeoutError
from kg.results import QueryResult
from kg.store import new_graph

__all__ = ["DEFAULT", "DEFAULT_MAX_ROWS", "DEFAULT_TIMEOUT", "WORKER_MEMORY_BYTES", "Default", "QueryWorkers"]

#: Seconds an ad-hoc query may run, on the API and the endpoint, unless the caller says otherwise.
DEFAULT_TIMEOUT: Final = 10.0
#: Rows (or triples, for CONSTRUCT and DESCRIBE) an ad-hoc query may return before it fails with ResultLimitError.
DEFAULT_MAX_ROWS: Final = 10_000

#: Memory (data segment) a query worker may take. An ORDER BY over a cartesian product grows by about half a
#: gigabyte a second, so the time limit alone would let one query take the machine's memory; past this cap an
#: allocation fails, the worker dies, and the caller gets a QueryError.
WORKER_MEMORY_BYTES: Final = 2_000_000_000

#: How long a new worker may take to load the graph before the pool gives up on it.
_STARTUP_SECONDS = 120.0


class Default(enum.Enum):
    """The type of DEFAULT: "not given, use the default limit", distinct from None ("no limit")."""

    DEFAULT = "default"


DEFAULT: Final = Default.DEFAULT


class QueryWorkers:
    """A pool of processes, each holding the graph (from N-Triples) and running one query at a time.

    pyoxigraph cannot cancel a running query, so the only sure way to stop one at its deadline is to kill the
    process running it. The killed worker is replaced by a fresh one; queries running in the other workers go
    on undisturbed. Workers start on first use and are daemons: they end with this process.
    """

    def __init__(self, ntriples: bytes, *, size: int = 1, engine: str = "oxigraph", check: bool = False) -> None:
        """`check`: refuse updates and SERVICE inside the worker (so parsing runs beside, not in, the caller)."""
        if engine not in ENGINES:
            raise InputError(f"unknown query engine {engine!r} (use one of {', '.join(ENGINES)})")
        if size < 1:
            raise InputError(f"a query worker pool needs at least one worker, not {size}")
        self._ntriples = ntriples
        self._engine = engine
        self._check = check
        self.size = size
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> None:
        """Start every worker now rather than on first use (a server does, so its first answer is quick)."""
        while True:
            with self._lock:
                if self._closed or self._started >= self.size:
                    return
                self._started += 1
            try:
                worker = _Worker(self._ntriples, self._engine, self._check)
            except BaseException:
                with self._lock:
                    self._started -= 1
                raise
            self._idle.put(worker)

    def run(
        self,
        sparql: str,
        bindings: Mapping[str, Node],
        origin: str,
        *,
        timeout: float | None,
        max_rows: int | None,
    ) -> QueryResult:
        """Run the query in a worker; QueryTimeoutError once `timeout` seconds have passed (waiting included)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            worker = self._checkout(deadline)
        except queue.Empty:
            raise QueryTimeoutError(
                f"{origin}: every query worker stayed busy for the whole time limit ({timeout:g} s); try again later"
            ) from None
        healthy = False
        try:
            worker.connection.send((sparql, dict(bindings), origin, max_rows))
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not worker.connection.poll(remaining):
                raise QueryTimeoutError(
                    f"{origin}: stopped after {timeout:g} s (the time limit); "
                    "narrow the query (fewer patterns, a LIMIT) or raise the limit"
                )
            reply = worker.connection.recv()
            healthy = True
        except (EOFError, OSError):
            raise QueryError(f"{origin}: the query worker stopped unexpectedly (out of memory?)") from None
        finally:
            if healthy and not self._closed:
                self._idle.put(worker)
            else:
                worker.kill()
                with self._lock:
                    self._started -= 1
        return _result_of(reply)

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their query ends or the process exits."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return

    def _checkout(self, deadline: float | None) -> _Worker:
        """An idle worker, a new one if the pool is not full, else the first one that becomes idle."""
        if self._closed:
            raise QueryError("the query workers have been closed")
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            start_one = self._started < self.size
            if start_one:
                self._started += 1
        if start_one:
            try:
                return _Worker(self._ntriples, self._engine, self._check)
            except BaseException:
                with self._lock:
                    self._started -= 1
                raise
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._idle.get(timeout=remaining)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, ntriples: bytes, engine: str, check: bool) -> None:
        context = _context()
        self.connection, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child_end, engine, check), name="kg query worker", daemon=True
        )
        self.process.start()
        child_end.close()
        try:
            self.connection.send_bytes(ntriples)
            if not self.connection.poll(_STARTUP_SECONDS):
                raise QueryError(f"a query worker did not load the graph within {_STARTUP_SECONDS:g} s")
            ready = self.connection.recv()
        except (EOFError, OSError):
            self.kill()
            raise QueryError("a query worker stopped while loading the graph") from None
        except BaseException:
            self.kill()
            raise
        if isinstance(ready, KGError):
            self.kill()
            raise ready

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


@functools.cache
def _context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    """forkserver where there is one: a clean, single-threaded parent with the package preloaded, so a new
    worker starts in milliseconds, and no threads of the caller (a web server's, say) are forked along."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["kg.limits"])
        return context
    return multiprocessing.get_context("spawn")


# ---------------------------------------------------------------------- inside the worker process


def _cap_memory(limit: int) -> None:
    """Lower this process's data-segment limit to `limit` bytes (never above a hard limit already in force)."""
    with contextlib.suppress(ValueError, OSError):  # a platform without RLIMIT_DATA keeps the time limit only
        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        resource.setrlimit(resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _serve(connection: Connection, engine: str, check: bool) -> None:
    """The worker's loop: load the graph, then answer (sparql, bindings, origin, max_rows) requests until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent, which stops its workers itself
    _cap_memory(WORKER_MEMORY_BYTES)
    try:
        data = connection.recv_bytes()
        runner = _Runner(data, engine)
    except EOFError:
        return
    except Exception as error:
        connection.send(QueryError(f"the query worker could not load the graph: {error}"))
        return
    connection.send("ready")
    while True:
        try:
            sparql, bindings, origin, max_rows = connection.recv()
        except (EOFError, OSError):
            return
        try:
            if check:
                _check(sparql, origin)
            result = runner.run(sparql, bindings, origin, max_rows)
            reply: object = (
                result.variables,
                result.rows,
                result.boolean,
                None if result.graph is None else list(result.graph),
            )
        except KGError as error:
            # QueryError and its subclasses pickle as they are; others may need constructor arguments pickle lacks
            reply = error if isinstance(error, QueryError) else QueryError(str(error))
        except Exception as error:  # whatever the engines raise must reach the caller as a one-line QueryError
            reply = QueryError(f"{origin}: query failed: {error}")
        connection.send(reply)


@functools.lru_cache(maxsize=512)
def _refusal(sparql: str, origin: str) -> QueryError | None:
    try:
        check_read_only(sparql, origin)
    except QueryError as error:
        return error
    return None


def _check(sparql: str, origin: str) -> None:
    refusal = _refusal(sparql, origin)
    if refusal is not None:
        raise QueryError(str(refusal))


class _Runner:
    def __init__(self, data: bytes, engine: str) -> None:
        self._engine = engine
        self._oxigraph = OxigraphEngine.from_ntriples(data) if engine == "oxigraph" else None
        self._graph = new_graph()
        if engine == "rdflib" and data:
            self._graph.parse(data=data, format="nt")

    def run(self, sparql: str, bindings: Mapping[str, Node], origin: str, max_rows: int | None) -> QueryResult:
        if self._oxigraph is not None:
            return self._oxigraph.run(sparql, bindings, origin, max_rows=max_rows)
        return run_with_rdflib(self._graph, sparql, bindings, origin, max_rows=max_rows)


def _result_of(reply: object) -> QueryResult:
    if isinstance(reply, BaseException):
        raise reply
    assert isinstance(reply, tuple)
    variables, rows, boolean, triples = reply
    graph = None
    if triples is not None:
        graph = new_graph()
        for triple in triples:
            graph.add(triple)
    return QueryResult(variables=variables, rows=rows, boolean=boolean, graph=graph)
