"""The read-only SPARQL 1.1 Protocol endpoint, stored queries as resources, and the query page (Starlette)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping

import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kg.errors import InputError, KGError, QueryBusyError, QueryTimeoutError, ResultLimitError
from kg.graph import KnowledgeGraph
from kg.limits import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, QUEUE_SECONDS, QueryWorkers
from kg.nodes import Term
from kg.pages import PAGE_ROUTES, AccessLog, runnable
from kg.protocol import (
    FORMAT_PARAMETERS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    HTTPProblemError,
    negotiate,
    no_dataset,
    problem,
    query_request,
    requested_formats,
    service_description,
)
from kg.queries import StoredQuery, stored_queries
from kg.results import QueryResult
from kg.sandbox import network_isolation
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH

__all__ = ["create_app", "serve"]

LOGGER = logging.getLogger("kg.server")


def create_app(
    graph: KnowledgeGraph,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    workers: int = 2,
    max_request_bytes: int = 1_000_000,
    cors: bool = False,
    queue_seconds: float | None = QUEUE_SECONDS,
) -> Starlette:
    """The endpoint over `graph` (asserted plus inferred triples); every query runs in one of `workers`
    processes, stopped after `timeout` seconds, and fails past `max_rows` rows (None: no limit).
    `cors` lets pages from any origin (YASGUI, say) query it from the browser."""
    pool = graph.workers(inferred=True, size=workers, queue_seconds=queue_seconds)
    queries = {query.name: query for query in stored_queries()}
    graph.label_keys()  # the label index made now, not under the first request
    endpoint = _Endpoint(graph, pool, queries, timeout, max_rows, max_request_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(pool.start)
        try:
            yield
        finally:
            pool.close()

    routes = [
        *PAGE_ROUTES,
        Route("/sparql", endpoint.sparql, methods=["GET", "POST"]),
        Route("/queries", endpoint.list_queries, methods=["GET"]),
        Route("/queries/{name}", endpoint.stored, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    if cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Accept", "Content-Type"],
        )
    app.add_middleware(AccessLog)
    return app


def serve(
    graph: KnowledgeGraph,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    workers: int = 2,
    max_request_bytes: int = 1_000_000,
    cors: bool = False,
    queue_seconds: float | None = QUEUE_SECONDS,
) -> None:
    """Serve the endpoint with uvicorn until interrupted; one log line per request on standard error."""
    import uvicorn

    _check_free(host, port)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    app = create_app(
        graph,
        timeout=timeout,
        max_rows=max_rows,
        workers=workers,
        max_request_bytes=max_request_bytes,
        cors=cors,
        queue_seconds=queue_seconds,
    )
    LOGGER.info("ad-hoc queries: %s", network_isolation())
    # h11, not httptools even where it is installed: h11 refuses a request head past 16 kB with 431 and answers
    # garbage with 400, where httptools reads any head and drops garbage silently (tests/test_server_faults.py)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", http="h11")


def _check_free(host: str, port: int) -> None:
    """Fail with a one-line InputError, before any worker starts, when the address cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise InputError(f"--host {host!r} is not an address of this machine: {error.strerror}") from None
    family, kind, protocol, _, address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise InputError(f"cannot listen on {host}:{port}: {error.strerror} (choose another --port)") from None


class _Endpoint:
    """The handlers that run queries, sharing the graph, the worker pool and the limits."""

    def __init__(
        self,
        graph: KnowledgeGraph,
        pool: QueryWorkers,
        queries: Mapping[str, StoredQuery],
        timeout: float | None,
        max_rows: int | None,
        max_request_bytes: int,
    ) -> None:
        self.graph = graph
        self.pool = pool
        self.queries = dict(queries)
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_request_bytes = max_request_bytes
        self._turns = asyncio.Semaphore(pool.size)

    async def sparql(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol: GET (or HEAD) ?query=, POST as a form or as application/sparql-query."""
        try:
            text, wanted = await query_request(request, functools.partial(self._body, request), self.max_request_bytes)
            if text is None:
                return self._service_description(request)
            return await self._run(request, text, {}, "query", wanted)
        except HTTPProblemError as refusal:
            return problem(refusal.status, str(refusal))

    async def list_queries(self, request: Request) -> Response:
        """The stored queries' headers: name, title, description, parameters (with kind and example), text."""
        listing = [
            {
                "name": query.name,
                "title": query.title,
                "description": query.description,
                "parameters": [
                    {"name": p.name, "description": p.description, "kind": p.kind, "example": p.example}
                    for p in query.parameters
                ],
                "sparql": query.sparql,
                "runnable": runnable(self.graph, query),
            }
            for query in self.queries.values()
        ]
        return JSONResponse(listing)

    async def stored(self, request: Request) -> Response:
        """GET /queries/NAME?param=value: a stored query, its parameters bound as RDF terms."""
        name = request.path_params["name"]
        try:
            if name not in self.queries:
                raise HTTPProblemError(404, f"no stored query named {name!r} (GET /queries lists them)")
            params: dict[str, str] = {}
            for key, value in request.query_params.multi_items():
                if key in FORMAT_PARAMETERS:
                    continue
                if key in params:
                    raise HTTPProblemError(400, f"parameter {key!r} given twice")
                params[key] = value
            stored = self.queries[name]
            try:
                bindings = self.graph.bindings(stored, params)
            except KGError as error:
                raise HTTPProblemError(400, str(error)) from None
            # the package's reviewed text with its parameters bound as RDF terms, never spliced in: no screen to
            # pass (the time and row limits still hold, in the worker)
            origin = f"queries/{name}.rq"
            return await self._run(request, stored.sparql, bindings, origin, requested_formats(request), trusted=True)
        except HTTPProblemError as refusal:
            return problem(refusal.status, str(refusal))

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_request_bytes:
            raise HTTPProblemError(413, f"the request body is larger than {self.max_request_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_request_bytes:
                    raise HTTPProblemError(413, f"the request body is larger than {self.max_request_bytes} bytes")
                chunks.append(chunk)
        except ClientDisconnect:
            # nobody is left to read an answer; 499 (nginx's "client closed request") tells the log what happened
            raise HTTPProblemError(499, "the client disconnected before sending the whole request") from None
        return b"".join(chunks)

    async def _run(
        self,
        request: Request,
        sparql: str,
        bindings: dict[str, Term],
        origin: str,
        wanted: list[str],
        *,
        trusted: bool = False,
    ) -> Response:
        no_dataset(request.query_params)
        accept = request.headers.get("accept", "*/*")
        # The worker writes a SELECT or ASK answer itself, in the format negotiated here for results, so the rows
        # never become Python objects; a graph comes back as one and is negotiated below.
        result_format = negotiate(RESULT_FORMATS, accept, wanted)
        written = next((name for name, f in RESULT_FORMATS.items() if f is result_format), None)
        try:
            result = await self._in_turn(sparql, bindings, origin, written, trusted)
        except QueryBusyError as error:
            busy = problem(503, str(error))
            busy.headers["Retry-After"] = str(error.retry_after)
            return busy
        except QueryTimeoutError as error:
            return problem(503, str(error))
        except ResultLimitError as error:
            return problem(422, str(error))
        except KGError as error:
            return problem(400, str(error))
        if isinstance(result, bytes):
            assert result_format is not None
            return Response(result, media_type=result_format.media_type, headers={"Vary": "Accept"})
        formats = GRAPH_FORMATS if result.is_graph else RESULT_FORMATS
        chosen = negotiate(formats, accept, wanted)
        if chosen is None:
            offered = ", ".join(f.media_type for f in formats.values())
            return problem(406, f"cannot answer in the accepted media types; this result comes as {offered}")
        return Response(chosen.write(result), media_type=chosen.media_type, headers={"Vary": "Accept"})

    async def _in_turn(
        self, sparql: str, bindings: dict[str, Term], origin: str, written: str | None, trusted: bool
    ) -> QueryResult | bytes:
        """The query run in the pool once one of its workers is free. Requests wait for their turn here, on the
        event loop, rather than each in a thread blocked on the pool (with 50 clients and 2 workers, 48 threads
        contending for the GIL). The waiting counts toward the time limit, and past the pool's queue wait it is
        a 503 with Retry-After, as in the pool itself."""
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        wait = min((w for w in (self.timeout, self.pool.queue_seconds) if w is not None), default=None)
        try:  # wait_for runs the wait as a task of its own (CPU on every request): only when there is a wait
            await (asyncio.wait_for(self._turns.acquire(), wait) if self._turns.locked() else self._turns.acquire())
        except TimeoutError:
            raise self.pool.refusal(origin, self.timeout, deadline) from None
        try:
            if deadline is not None and deadline <= time.monotonic():
                raise self.pool.refusal(origin, self.timeout, deadline)
            run = functools.partial(self.pool.run_written, sparql, bindings, origin, written=written, trusted=trusted)
            run = functools.partial(run, timeout=self.timeout, deadline=deadline, max_rows=self.max_rows)
            return await anyio.to_thread.run_sync(run)
        finally:
            self._turns.release()

    def _service_description(self, request: Request) -> Response:
        """A SPARQL 1.1 Service Description of this endpoint (Turtle unless another RDF format is asked for)."""
        endpoint = str(request.url.replace(query="", fragment="")).rstrip("?")
        triples = sum(self.graph.ntriples(name).count(b"\n") for name in (ASSERTED_GRAPH, INFERRED_GRAPH))
        return service_description(endpoint, triples, request.headers.get("accept", "*/*"), requested_formats(request))
