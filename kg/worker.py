"""Inside a query worker process: cut off the network, cap memory, open the graph, answer queries one at a time."""

from __future__ import annotations

import contextlib
import re
import resource
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import pyoxigraph as ox

from kg.engine import OxigraphEngine, check_untrusted, query_planned, run_with_rdflib
from kg.errors import KGError, QueryError, ResultLimitError
from kg.nodes import Term
from kg.results import QueryResult
from kg.rowcount import NATIVE_FORMATS, RowCountingWriter, RowLimitReachedError
from kg.sandbox import BIG_STACK_BYTES, confine_network
from kg.snapshot import Snapshot

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from rdflib import Graph

__all__ = ["GraphSource", "Request", "cap_memory", "memory_in_use", "reply_of", "result_of", "serve"]


@dataclass(frozen=True)
class GraphSource:
    """What a worker queries: a snapshot folder opened read-only (milliseconds), or N-Triples to load: bytes, or
    files (read as they stream into the store, so neither process holds the text)."""

    ntriples: bytes = b""
    snapshot: str | None = None
    files: tuple[str, ...] = ()
    inferred: bool = True


@dataclass(frozen=True)
class Request:
    """One query for a worker; `trusted` (the package's stored queries) skips the screen. `written` names a result
    format of kg.rowcount: a SELECT or ASK answer comes back written in it by Oxigraph (bytes), not as rows."""

    sparql: str
    bindings: Mapping[str, Term]
    origin: str
    max_rows: int | None
    trusted: bool = False
    allow_service: bool = False
    written: str | None = None


def cap_memory(limit: int) -> None:
    """Lower this process's data-segment limit to `limit` bytes (never above a hard limit already in force)."""
    with contextlib.suppress(ValueError, OSError):  # a platform without RLIMIT_DATA keeps the time limit only
        _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        resource.setrlimit(resource.RLIMIT_DATA, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def serve(connection: Connection, engine: str, network: bool, memory_bytes: int) -> None:
    """The worker's loop: confine itself, open the graph, then answer Requests until EOF.

    The seccomp filter goes on before the first byte of a query is read, so nothing a query says can run in a
    process that can still open a network socket (unless the caller opted into SERVICE: `network`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the parent, which stops its workers itself
    isolated = False if network else confine_network()
    cap_memory(memory_bytes)
    # One thread on a big stack answers every query (Oxigraph recurses on the query's shape), rather than a new
    # thread per query; threads inherit the seccomp filter, and pyoxigraph's iterators stay on the thread that
    # made them.
    previous = threading.stack_size(BIG_STACK_BYTES)
    try:
        loop = threading.Thread(target=_loop, args=(connection, engine, isolated), name="kg query", daemon=True)
        loop.start()
    finally:
        threading.stack_size(previous)
    loop.join()


def _loop(connection: Connection, engine: str, isolated: bool) -> None:
    try:
        source: GraphSource = connection.recv()
        runner = _Runner(source, engine)
    except EOFError:
        return
    except Exception as error:
        connection.send(QueryError(f"the query worker could not load the graph: {error}"))
        return
    connection.send(("ready", isolated))
    while True:
        try:
            request: Request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            result = runner.answer(request)
            reply: object = (
                result
                if isinstance(result, bytes)
                else (
                    result.variables,
                    result.native_rows,  # pyoxigraph terms: the parent needs no rdflib to read them
                    result.boolean,
                    result.ntriples() if result.is_graph else None,
                )
            )
        except KGError as error:
            # QueryError and its subclasses pickle as they are; others may need constructor arguments pickle lacks
            reply = error if isinstance(error, QueryError) else QueryError(str(error))
        except Exception as error:  # whatever the engines raise must reach the caller as a one-line QueryError
            reply = QueryError(f"{request.origin}: query failed: {error}")
        connection.send(reply)


class _Runner:
    def __init__(self, source: GraphSource, engine: str) -> None:
        self._engine = engine
        self._inferred = source.inferred
        self._snapshot: Snapshot | None = None
        self._graph: Graph | None = None
        self._store: ox.Store | None = None
        self._default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph()]
        self._oxigraph: OxigraphEngine | None = None
        if engine == "oxigraph" and source.snapshot is not None:
            self._snapshot = Snapshot(Path(source.snapshot), ox.Store.read_only(source.snapshot))
        elif engine == "oxigraph":
            self._store = ox.Store()
            if source.ntriples:
                self._store.bulk_load(source.ntriples, format=ox.RdfFormat.N_TRIPLES)
            for path in source.files:
                self._store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES)
            self._oxigraph = OxigraphEngine.over_store(self._store, self._default_graph)
        else:
            from kg.store import new_graph  # rdflib, for the rdflib engine only

            self._graph = new_graph()
            if source.ntriples:
                self._graph.parse(data=source.ntriples, format="nt")
            for path in source.files:
                self._graph.parse(path, format="nt")

    def answer(self, request: Request) -> QueryResult | bytes:
        if not request.trusted:
            check_untrusted(request.sparql, request.origin, self._engine, allow_service=request.allow_service)
        if self._snapshot is None:
            return self._answer(request)
        # A snapshot is read on disk until the queries' CPU time would have paid for reading it into memory
        # (kg.snapshot.Snapshot): a busy server's workers then answer from memory.
        store, graphs = self._snapshot.query_store(), self._snapshot.default_graph(self._inferred)
        if store is not self._store or graphs != self._default_graph:
            self._store, self._default_graph = store, graphs
            self._oxigraph = OxigraphEngine.over_store(store, graphs)
        started = time.process_time()
        try:
            return self._answer(request)
        finally:
            self._snapshot.spent(time.process_time() - started)

    def _answer(self, request: Request) -> QueryResult | bytes:
        sparql, bindings, origin, max_rows = request.sparql, request.bindings, request.origin, request.max_rows
        if self._store is not None and request.written in NATIVE_FORMATS:
            return self._written(sparql, bindings, origin, max_rows, request.written)
        if self._oxigraph is not None:
            return self._oxigraph.run(sparql, bindings, origin, max_rows=max_rows)
        assert self._graph is not None
        return run_with_rdflib(self._graph, sparql, bindings, origin, max_rows=max_rows)

    def _written(
        self, sparql: str, bindings: Mapping[str, Term], origin: str, max_rows: int | None, name: str
    ) -> QueryResult | bytes:
        """A SELECT or ASK answer as Oxigraph writes it (no Python term per value), counted against `max_rows`;
        a graph (CONSTRUCT, DESCRIBE) as a QueryResult, which the caller writes."""
        assert self._store is not None
        writer = RowCountingWriter(name, max_rows)
        try:
            answer = query_planned(self._store, sparql, bindings, self._default_graph)
            if isinstance(answer, ox.QueryTriples):
                triples = []
                for count, triple in enumerate(answer, start=1):
                    if max_rows is not None and count > max_rows:
                        raise RowLimitReachedError
                    triples.append(triple)
                return QueryResult(variables=(), triples=triples)
            answer.serialize(cast("IO[bytes]", writer), writer.format)  # a file as far as Oxigraph can tell
        except RowLimitReachedError:
            raise ResultLimitError(
                f"{origin}: the result has more than {max_rows} rows (the row limit); "
                "add LIMIT/OFFSET to page through it, or raise the limit"
            ) from None
        except SyntaxError as error:
            raise QueryError(f"{origin}: not a valid SPARQL query: {_first_line(error)}") from None
        except (ValueError, OSError, RuntimeError) as error:
            raise QueryError(f"{origin}: query failed: {_first_line(error)}") from None
        return writer.getvalue()


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def memory_in_use(pid: int) -> int:
    """The data segment of process `pid` in bytes (what the memory cap limits), 0 where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            found = re.search(r"^VmData:\s+(\d+) kB", status.read(), re.MULTILINE)
    except OSError:
        return 0
    return int(found.group(1)) * 1024 if found else 0


def result_of(reply: object) -> QueryResult:
    """A worker's reply as a QueryResult; an error it sent back is raised here."""
    result = reply_of(reply)
    assert isinstance(result, QueryResult), "a written result where rows were asked for"
    return result


def reply_of(reply: object) -> QueryResult | bytes:
    """A worker's reply: a result it wrote (bytes) or a QueryResult; an error it sent back is raised here."""
    if isinstance(reply, BaseException):
        raise reply
    if isinstance(reply, bytes):
        return reply
    assert isinstance(reply, tuple)
    variables, rows, boolean, ntriples = reply
    if ntriples is None:
        return QueryResult(variables=variables, rows=rows, boolean=boolean)
    return QueryResult(variables=(), triples=list(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)))
