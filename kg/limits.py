"""Query time and row limits: their defaults, and sandboxed worker processes killed when a query runs too long."""

from __future__ import annotations

import enum
import functools
import math
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from typing import Final

from kg.engine import ENGINES
from kg.errors import InputError, KGError, QueryBusyError, QueryError, QueryTimeoutError
from kg.nodes import Term
from kg.results import QueryResult
from kg.worker import GraphSource, Request, memory_in_use, result_of, serve

__all__ = [
    "DEFAULT",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "QUEUE_SECONDS",
    "STORED_MAX_ROWS",
    "STORED_TIMEOUT",
    "WORKER_MEMORY_BYTES",
    "Default",
    "QueryWorkers",
]

#: Seconds an ad-hoc query may run, on the API and the endpoint, unless the caller says otherwise.
DEFAULT_TIMEOUT: Final = 10.0
#: Rows (or triples, for CONSTRUCT and DESCRIBE) an ad-hoc query may return before it fails with ResultLimitError.
DEFAULT_MAX_ROWS: Final = 10_000
#: Seconds and rows for the stored queries: generous (each answers the packaged graph in milliseconds), but
#: finite, because user data can make a reviewed query run away (`nkg:causes rdfs:subPropertyOf owl:sameAs`
#: made one run past 120 s at 4.9 GB).
STORED_TIMEOUT: Final = 120.0
STORED_MAX_ROWS: Final = 1_000_000

#: Seconds a request to the endpoint waits for a free query worker before it gets 503 and Retry-After: two slow
#: queries holding both workers must not make every other client wait their whole time limit.
QUEUE_SECONDS: Final = 2.0

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
    """A pool of sandboxed processes, each holding the graph and running one query at a time.

    pyoxigraph cannot cancel a running query (signals wait for it), so the only sure way to stop one at its
    deadline is to kill the process running it. The killed worker is replaced by a fresh one; queries running
    in the other workers go on undisturbed. Workers start on first use and are daemons: they end with this
    process. Each cuts itself off the network (kg.sandbox) before it reads a query, unless `network` is set
    (a caller who opted into SERVICE).
    """

    def __init__(
        self,
        source: GraphSource | bytes,
        *,
        size: int = 1,
        engine: str = "oxigraph",
        network: bool = False,
        queue_seconds: float | None = None,
    ) -> None:
        """`queue_seconds`: how long a query waits for a busy pool before QueryBusyError (None: its whole limit)."""
        if engine not in ENGINES:
            raise InputError(f"unknown query engine {engine!r} (use one of {', '.join(ENGINES)})")
        if size < 1:
            raise InputError(f"a query worker pool needs at least one worker, not {size}")
        self._source = source if isinstance(source, GraphSource) else GraphSource(ntriples=source)
        self._engine = engine
        self._network = network
        self.queue_seconds = queue_seconds
        self.size = size
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._busy_until: dict[int, float] = {}  # id(worker) -> its query's deadline, for Retry-After
        self._lock = threading.Lock()
        self._closed = False
        self.isolated: bool | None = None  # whether the workers could cut themselves off (None: none started yet)

    def start(self) -> None:
        """Start every worker now rather than on first use (a server does, so its first answer is quick)."""
        while True:
            with self._lock:
                if self._closed or self._started >= self.size:
                    return
                self._started += 1
            self._idle.put(self._new_worker())

    def run(
        self,
        sparql: str,
        bindings: Mapping[str, Term],
        origin: str,
        *,
        timeout: float | None,
        max_rows: int | None,
        trusted: bool = False,
        allow_service: bool = False,
    ) -> QueryResult:
        """Run the query in a worker (screened there unless `trusted`); QueryTimeoutError once `timeout` seconds
        have passed (waiting included), QueryBusyError when every worker stays busy past `queue_seconds`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        request = Request(sparql, dict(bindings), origin, max_rows, trusted, allow_service)
        try:
            return self._run_once(request, deadline, timeout)
        except _WorkerDiedError:
            # A worker can die of what earlier queries left in it (seen as SIGABRT under load): the query gets one
            # fresh worker before its own death is reported.
            try:
                return self._run_once(request, deadline, timeout)
            except _WorkerDiedError as again:
                raise QueryError(f"{origin}: the query worker stopped unexpectedly: {again}") from None

    def _run_once(self, request: Request, deadline: float | None, timeout: float | None) -> QueryResult:
        origin = request.origin
        worker = self._checkout(deadline, origin, timeout)
        healthy = False
        with self._lock:
            self._busy_until[id(worker)] = math.inf if deadline is None else deadline
        try:
            worker.connection.send(request)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not worker.connection.poll(remaining):
                raise QueryTimeoutError(
                    f"{origin}: stopped after {timeout:g} s (the time limit); "
                    "narrow the query (fewer patterns, a LIMIT) or raise the limit"
                )
            reply = worker.connection.recv()
            healthy = True
        except (EOFError, OSError):
            raise _WorkerDiedError(worker.death()) from None
        finally:
            with self._lock:
                self._busy_until.pop(id(worker), None)
            # The allocator keeps what a big query took: a worker left holding over half its cap is replaced, or
            # the next query would fail for want of memory the last one used.
            if healthy and not self._closed and memory_in_use(worker.process.pid or 0) < WORKER_MEMORY_BYTES // 2:
                self._idle.put(worker)
            else:
                worker.kill()
                with self._lock:
                    self._started -= 1
                if not self._closed:  # its replacement starts now, not under the next query
                    threading.Thread(target=self._refill, name="kg worker refill", daemon=True).start()
        return result_of(reply)

    def _refill(self) -> None:
        with self._lock:
            if self._closed or self._started >= self.size:
                return
            self._started += 1
        try:
            worker = self._new_worker()
        except Exception:  # the next query starts one itself, and reports why it cannot
            return
        if self._closed:
            worker.kill()
        else:
            self._idle.put(worker)

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when their query ends or the process exits."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return

    def _new_worker(self) -> _Worker:
        try:
            worker = _Worker(self._source, self._engine, self._network)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise
        self.isolated = worker.isolated
        return worker

    def _checkout(self, deadline: float | None, origin: str, timeout: float | None) -> _Worker:
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
            return self._new_worker()
        now = time.monotonic()
        waits = [None if deadline is None else max(0.0, deadline - now), self.queue_seconds]
        wait = min((w for w in waits if w is not None), default=None)
        try:
            return self._idle.get(timeout=wait)
        except queue.Empty:
            pass
        if self.queue_seconds is not None and (deadline is None or time.monotonic() < deadline):
            with self._lock:
                soonest = min(self._busy_until.values(), default=math.inf)
            retry = soonest - time.monotonic() if soonest < math.inf else self.queue_seconds
            raise QueryBusyError(
                f"{origin}: every query worker is busy; try again in a few seconds",
                retry_after=max(1, math.ceil(retry)),
            )
        raise QueryTimeoutError(
            f"{origin}: every query worker stayed busy for the whole time limit ({timeout:g} s); try again later"
        )


class _WorkerDiedError(Exception):
    """A worker process ended while running a query; the message says how (kg.limits._Worker.death)."""


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, source: GraphSource, engine: str, network: bool) -> None:
        context = _context()
        self.connection, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=serve, args=(child_end, engine, network, WORKER_MEMORY_BYTES), name="kg query worker", daemon=True
        )
        self.process.start()
        child_end.close()
        try:
            self.connection.send(source)
            if not self.connection.poll(_STARTUP_SECONDS):
                raise QueryError(f"a query worker did not load the graph within {_STARTUP_SECONDS:g} s")
            ready = self.connection.recv()
        except (EOFError, OSError):
            self.kill()
            raise QueryError(f"a query worker stopped while loading the graph: {self.death()}") from None
        except BaseException:
            self.kill()
            raise
        if isinstance(ready, KGError):
            self.kill()
            raise ready
        self.isolated = bool(ready[1])

    def death(self) -> str:
        """Why the process ended, in words: a signal (a crash, or the memory cap), or its exit code."""
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code >= 0:
            return f"it exited with status {code}"
        number = -code
        name = signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
        if number == signal.SIGABRT:
            return f"killed by {name}: an allocation failed at its memory cap ({WORKER_MEMORY_BYTES:,} bytes)"
        if number == signal.SIGSEGV:
            return f"killed by {name}: a crash in the engine (please report the query)"
        return f"killed by {name}"

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
