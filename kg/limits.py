"""Query time and row limits: their defaults, and sandboxed worker processes killed when a query runs too long."""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Mapping

from kg.engine import ENGINES
from kg.errors import InputError, QueryBusyError, QueryError, QueryTimeoutError
from kg.limit_values import (
    DEFAULT,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    QUEUE_SECONDS,
    STORED_MAX_ROWS,
    STORED_TIMEOUT,
    WORKER_MEMORY_BYTES,
    Default,
)
from kg.nodes import Term
from kg.results import QueryResult
from kg.worker import GraphSource, Request, reply_of
from kg.workerprocess import WorkerDiedError, WorkerProcess

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
        self._idle: queue.Queue[WorkerProcess] = queue.Queue()
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
        result = self.run_written(
            sparql, bindings, origin, timeout=timeout, max_rows=max_rows, trusted=trusted, allow_service=allow_service
        )
        assert isinstance(result, QueryResult)
        return result

    def run_written(
        self,
        sparql: str,
        bindings: Mapping[str, Term],
        origin: str,
        *,
        timeout: float | None,
        max_rows: int | None,
        trusted: bool = False,
        allow_service: bool = False,
        written: str | None = None,
        deadline: float | None = None,
    ) -> QueryResult | bytes:
        """As `run`, but a SELECT or ASK answer comes back as bytes in the result format `written` names (one of
        kg.rowcount.NATIVE_FORMATS), written by Oxigraph in the worker under the same row limit; graphs, and every
        answer of the rdflib engine, still come back as a QueryResult. `deadline` (time.monotonic) is when `timeout`
        ends for a caller whose clock started before this call (the endpoint counts the wait for a turn)."""
        if timeout is not None and timeout <= 0:  # no time at all: not started (a fast worker could still answer)
            raise QueryTimeoutError(_stopped(origin, timeout))
        if deadline is None:  # else the caller's clock started earlier (it waited its turn): `timeout` is the limit
            deadline = None if timeout is None else time.monotonic() + timeout
        request = Request(sparql, dict(bindings), origin, max_rows, trusted, allow_service, written)
        try:
            return self._run_once(request, deadline, timeout)
        except WorkerDiedError:
            # A worker can die of what earlier queries left in it (seen as SIGABRT under load): the query gets one
            # fresh worker before its own death is reported.
            try:
                return self._run_once(request, deadline, timeout)
            except WorkerDiedError as again:
                raise QueryError(f"{origin}: the query worker stopped unexpectedly: {again}") from None

    def _run_once(self, request: Request, deadline: float | None, timeout: float | None) -> QueryResult | bytes:
        origin = request.origin
        worker = self._checkout(deadline, origin, timeout)
        healthy = False
        with self._lock:
            self._busy_until[id(worker)] = math.inf if deadline is None else deadline
        try:
            worker.connection.send(request)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not worker.connection.poll(remaining):
                raise QueryTimeoutError(_stopped(origin, timeout))
            reply = worker.connection.recv()
            healthy = True
        except (EOFError, OSError):
            raise WorkerDiedError(worker.death()) from None
        finally:
            with self._lock:
                self._busy_until.pop(id(worker), None)
            if healthy and not self._closed and not worker.holds_too_much():
                self._idle.put(worker)
            else:
                worker.kill()
                with self._lock:
                    self._started -= 1
                if not self._closed:  # its replacement starts now, not under the next query
                    threading.Thread(target=self._refill, name="kg worker refill", daemon=True).start()
        return reply_of(reply)

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

    def release_idle(self) -> int:
        """Stop the idle workers, each holding its own copy of the graph (1 GiB at a million triples), and say how
        many; the pool stays open, and the next query starts a worker again (busy ones go on)."""
        released = 0
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return released
            worker.kill()
            with self._lock:
                self._started -= 1
            released += 1

    def _new_worker(self) -> WorkerProcess:
        try:
            worker = WorkerProcess(self._source, self._engine, self._network, WORKER_MEMORY_BYTES)
        except BaseException:
            with self._lock:
                self._started -= 1
            raise
        self.isolated = worker.isolated
        return worker

    def _checkout(self, deadline: float | None, origin: str, timeout: float | None) -> WorkerProcess:
        """An idle worker, a new one if the pool is not full, else the first one that becomes idle."""
        if self._closed:
            raise QueryError("the query workers have been closed")
        waits = [
            None if deadline is None else deadline,
            None if self.queue_seconds is None else time.monotonic() + self.queue_seconds,
        ]
        give_up = min((w for w in waits if w is not None), default=math.inf)
        while True:
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
            left = give_up - time.monotonic()
            if left <= 0:
                raise self.refusal(origin, timeout, deadline)
            # Short waits: a replacement that dies while starting frees its place without filling the queue.
            try:
                return self._idle.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue

    def refusal(self, origin: str, timeout: float | None, deadline: float | None) -> QueryBusyError | QueryTimeoutError:
        """What a query that waited in vain for a worker gets: QueryBusyError (with Retry-After: when the soonest
        busy worker's query reaches its limit) once it waited `queue_seconds`, QueryTimeoutError once its own
        time limit, ending at `deadline`, has passed."""
        if self.queue_seconds is not None and (deadline is None or time.monotonic() < deadline):
            with self._lock:
                soonest = min(self._busy_until.values(), default=math.inf)
            retry = soonest - time.monotonic() if soonest < math.inf else self.queue_seconds
            return QueryBusyError(
                f"{origin}: every query worker is busy; try again in a few seconds",
                retry_after=max(1, math.ceil(retry)),
            )
        return QueryTimeoutError(
            f"{origin}: every query worker stayed busy for the whole time limit ({timeout or 0:g} s); try again later"
        )


def _stopped(origin: str, timeout: float | None) -> str:
    return (
        f"{origin}: stopped after {timeout or 0:g} s (the time limit); "
        "narrow the query (fewer patterns, a LIMIT) or raise the limit"
    )
