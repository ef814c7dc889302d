"""Inside a query worker process: cut off the network, cap memory, open the graph, answer queries one at a time."""

from __future__ import annotations

import contextlib
import re
import resource
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.engine import OxigraphEngine, check_untrusted, run_with_rdflib
from kg.errors import KGError, QueryError
from kg.nodes import Term
from kg.results import QueryResult
from kg.sandbox import confine_network, on_big_stack
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

__all__ = ["GraphSource", "Request", "cap_memory", "memory_in_use", "result_of", "serve"]


@dataclass(frozen=True)
class GraphSource:
    """What a worker queries: a snapshot folder opened read-only (milliseconds), or N-Triples to load."""

    ntriples: bytes = b""
    snapshot: str | None = None
    inferred: bool = True


@dataclass(frozen=True)
class Request:
    """One query for a worker; `trusted` (the package's stored queries) skips the screen."""

    sparql: str
    bindings: Mapping[str, Term]
    origin: str
    max_rows: int | None
    trusted: bool = False
    allow_service: bool = False


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
                result.variables,
                result.native_rows,  # pyoxigraph terms: the parent needs no rdflib to read them
                result.boolean,
                None if result.graph is None else list(result.graph),
            )
        except KGError as error:
            # QueryError and its subclasses pickle as they are; others may need constructor arguments pickle lacks
            reply = error if isinstance(error, QueryError) else QueryError(str(error))
        except Exception as error:  # whatever the engines raise must reach the caller as a one-line QueryError
            reply = QueryError(f"{request.origin}: query failed: {error}")
        connection.send(reply)


class _Runner:
    def __init__(self, source: GraphSource, engine: str) -> None:
        from kg.store import new_graph  # rdflib, for the rdflib engine only

        self._engine = engine
        self._oxigraph: OxigraphEngine | None = None
        self._graph = new_graph()
        if engine == "oxigraph" and source.snapshot is not None:
            graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ASSERTED_GRAPH]
            if source.inferred:
                graphs.append(INFERRED_GRAPH)
            self._oxigraph = OxigraphEngine.over_store(ox.Store.read_only(source.snapshot), graphs)
        elif engine == "oxigraph":
            self._oxigraph = OxigraphEngine.from_ntriples(source.ntriples)
        elif source.ntriples:
            self._graph.parse(data=source.ntriples, format="nt")

    def answer(self, request: Request) -> QueryResult:
        if not request.trusted:
            check_untrusted(request.sparql, request.origin, self._engine, allow_service=request.allow_service)
        return on_big_stack(lambda: self._run(request.sparql, request.bindings, request.origin, request.max_rows))

    def _run(self, sparql: str, bindings: Mapping[str, Term], origin: str, max_rows: int | None) -> QueryResult:
        if self._oxigraph is not None:
            return self._oxigraph.run(sparql, bindings, origin, max_rows=max_rows)
        return run_with_rdflib(self._graph, sparql, bindings, origin, max_rows=max_rows)


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
    if isinstance(reply, BaseException):
        raise reply
    assert isinstance(reply, tuple)
    variables, rows, boolean, triples = reply
    graph = None
    if triples is not None:
        from kg.store import new_graph

        graph = new_graph()
        for triple in triples:
            graph.add(triple)
    return QueryResult(variables=variables, rows=rows, boolean=boolean, graph=graph)
