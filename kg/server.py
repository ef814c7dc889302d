"""The read-only SPARQL 1.1 Protocol endpoint, stored queries as resources, and the query page (Starlette)."""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from importlib.resources import files

import anyio.to_thread
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, VOID, XSD, Namespace
from rdflib.term import Node
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.errors import InputError, KGError, QueryBusyError, QueryTimeoutError, ResultLimitError
from kg.export import canonical_ntriples, canonical_turtle, serialize
from kg.graph import KnowledgeGraph
from kg.limits import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, QUEUE_SECONDS, QueryWorkers
from kg.queries import StoredQuery, stored_queries
from kg.results import QueryResult
from kg.sandbox import network_isolation
from kg.store import new_graph
from kg.terms import PREFIXES

__all__ = ["create_app", "serve"]

LOGGER = logging.getLogger("kg.server")

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")


@dataclass(frozen=True)
class _Format:
    media_type: str
    write: Callable[[QueryResult], bytes]
    description_iri: URIRef


def _graph_writer(name: str) -> Callable[[QueryResult], bytes]:
    def write(result: QueryResult) -> bytes:
        graph = result.graph if result.graph is not None else new_graph()
        if name == "turtle":
            return canonical_turtle(graph)
        if name == "ntriples":
            return canonical_ntriples(graph)
        return serialize(graph, None, name)

    return write


#: Result formats for SELECT and ASK, by the short name the `format` parameter takes; the first is the default.
RESULT_FORMATS: dict[str, _Format] = {
    "json": _Format("application/sparql-results+json", lambda r: r.to_json().encode(), FORMATS.SPARQL_Results_JSON),
    "xml": _Format("application/sparql-results+xml", lambda r: r.to_xml().encode(), FORMATS.SPARQL_Results_XML),
    "csv": _Format("text/csv", lambda r: r.to_csv().encode(), FORMATS.SPARQL_Results_CSV),
    "tsv": _Format("text/tab-separated-values", lambda r: r.to_tsv().encode(), FORMATS.SPARQL_Results_TSV),
}
#: Graph formats for CONSTRUCT and DESCRIBE (and the service description); the first is the default.
GRAPH_FORMATS: dict[str, _Format] = {
    "turtle": _Format("text/turtle", _graph_writer("turtle"), FORMATS.Turtle),
    "ntriples": _Format("application/n-triples", _graph_writer("ntriples"), FORMATS["N-Triples"]),
    "jsonld": _Format("application/ld+json", _graph_writer("jsonld"), FORMATS["JSON-LD"]),
}
#: Other names clients send for the same formats.
_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "application/x-turtle": "text/turtle",
    "text/plain": "application/n-triples",
}

#: Other names for the `format` parameter, by (name, whether the result is a graph).
_FORMAT_NAMES = {
    ("json", True): "jsonld",
    ("json-ld", True): "jsonld",
    ("ttl", True): "turtle",
    ("nt", True): "ntriples",
    ("n-triples", True): "ntriples",
    ("srj", False): "json",
    ("srx", False): "xml",
}

_STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


class _HTTPProblemError(Exception):
    """A request the endpoint answers with an error status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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
    graph.labels  # noqa: B018 -- build the label index now, not under the first request
    endpoint = _Endpoint(graph, pool, queries, timeout, max_rows, max_request_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(pool.start)
        try:
            yield
        finally:
            pool.close()

    routes = [
        Route("/", _page, methods=["GET"]),
        Route("/static/{name}", _static, methods=["GET"]),
        Route("/sparql", endpoint.sparql, methods=["GET", "POST"]),
        Route("/queries", endpoint.list_queries, methods=["GET"]),
        Route("/queries/{name}", endpoint.stored, methods=["GET"]),
        Route("/prefixes", _prefixes, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    if cors:
        app.add_middleware(
            CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Accept", "Content-Type"]
        )
    app.add_middleware(_AccessLog)
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
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info")


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

    async def sparql(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol: GET ?query=, POST as a form or as application/sparql-query."""
        try:
            text = await self._query_text(request)
            if text is None:
                return self._service_description(request)
            return await self._run(request, text, {}, "query")
        except _HTTPProblemError as problem:
            return _problem(problem.status, str(problem))

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
            }
            for query in self.queries.values()
        ]
        return JSONResponse(listing)

    async def stored(self, request: Request) -> Response:
        """GET /queries/NAME?param=value: a stored query, its parameters bound as RDF terms."""
        name = request.path_params["name"]
        try:
            if name not in self.queries:
                raise _HTTPProblemError(404, f"no stored query named {name!r} (GET /queries lists them)")
            params: dict[str, str] = {}
            for key, value in request.query_params.multi_items():
                if key == "format":
                    continue
                if key in params:
                    raise _HTTPProblemError(400, f"parameter {key!r} given twice")
                params[key] = value
            stored = self.queries[name]
            try:
                bindings = self.graph.bindings(stored, params)
            except KGError as error:
                raise _HTTPProblemError(400, str(error)) from None
            return await self._run(request, stored.sparql, bindings, f"queries/{name}.rq")
        except _HTTPProblemError as problem:
            return _problem(problem.status, str(problem))

    async def _query_text(self, request: Request) -> str | None:
        """The query a request carries, None for a bare GET (the service description); refusals as _HTTPProblemError."""
        if request.method == "GET":
            if len(request.url.query) > self.max_request_bytes:
                raise _HTTPProblemError(414, f"the query string is longer than {self.max_request_bytes} bytes")
            if "update" in request.query_params:
                raise _HTTPProblemError(403, "this endpoint is read-only: SPARQL Update is refused")
            return _single(request.query_params.getlist("query"), "query", allow_none=True)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await self._body(request)
        if media_type == "application/sparql-update":
            raise _HTTPProblemError(403, "this endpoint is read-only: SPARQL Update is refused")
        if media_type == "application/x-www-form-urlencoded":
            try:
                fields = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
            except (UnicodeDecodeError, ValueError):
                raise _HTTPProblemError(400, "the form is not valid UTF-8 URL-encoded text") from None
            if "update" in fields:
                raise _HTTPProblemError(403, "this endpoint is read-only: SPARQL Update is refused")
            _no_dataset(fields)
            text = _single(fields.get("query", []), "query", allow_none=False)
            assert text is not None
            return text
        if media_type == "application/sparql-query":
            _no_dataset(request.query_params)
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                raise _HTTPProblemError(400, "the query is not valid UTF-8") from None
        raise _HTTPProblemError(
            415,
            "POST a query as application/x-www-form-urlencoded (query=…) or as application/sparql-query",
        )

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_request_bytes:
            raise _HTTPProblemError(413, f"the request body is larger than {self.max_request_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > self.max_request_bytes:
                    raise _HTTPProblemError(413, f"the request body is larger than {self.max_request_bytes} bytes")
                chunks.append(chunk)
        except ClientDisconnect:
            # nobody is left to read an answer; 499 (nginx's "client closed request") tells the log what happened
            raise _HTTPProblemError(499, "the client disconnected before sending the whole request") from None
        return b"".join(chunks)

    async def _run(self, request: Request, sparql: str, bindings: dict[str, Node], origin: str) -> Response:
        _no_dataset(request.query_params)
        wanted = request.query_params.get("format")
        run = functools.partial(self.pool.run, sparql, bindings, origin, timeout=self.timeout, max_rows=self.max_rows)
        try:
            result = await anyio.to_thread.run_sync(run)
        except QueryBusyError as error:
            busy = _problem(503, str(error))
            busy.headers["Retry-After"] = str(error.retry_after)
            return busy
        except QueryTimeoutError as error:
            return _problem(503, str(error))
        except ResultLimitError as error:
            return _problem(422, str(error))
        except KGError as error:
            return _problem(400, str(error))
        formats = GRAPH_FORMATS if result.graph is not None else RESULT_FORMATS
        chosen = _negotiate(formats, request.headers.get("accept", "*/*"), wanted)
        if chosen is None:
            offered = ", ".join(f.media_type for f in formats.values())
            return _problem(406, f"cannot answer in the accepted media types; this result comes as {offered}")
        return Response(chosen.write(result), media_type=chosen.media_type, headers={"Vary": "Accept"})

    def _service_description(self, request: Request) -> Response:
        """A SPARQL 1.1 Service Description of this endpoint (Turtle unless another RDF format is asked for)."""
        description = new_graph()
        description.bind("sd", SD)
        description.bind("void", VOID)
        description.bind("formats", FORMATS)
        service = BNode("service")
        dataset = BNode("dataset")
        default_graph = BNode("defaultGraph")
        endpoint = URIRef(str(request.url.replace(query="", fragment="")).rstrip("?"))
        description.add((service, RDF.type, SD.Service))
        description.add((service, SD.endpoint, endpoint))
        description.add((service, SD.supportedLanguage, SD.SPARQL11Query))
        for result_format in [*RESULT_FORMATS.values(), *GRAPH_FORMATS.values()]:
            description.add((service, SD.resultFormat, result_format.description_iri))
        description.add((service, SD.defaultDataset, dataset))
        description.add((dataset, RDF.type, SD.Dataset))
        description.add((dataset, SD.defaultGraph, default_graph))
        description.add((default_graph, RDF.type, SD.Graph))
        triples = len(self.graph.graph(inferred=True))
        description.add((default_graph, VOID.triples, Literal(triples, datatype=XSD.integer)))
        chosen = _negotiate(GRAPH_FORMATS, request.headers.get("accept", "*/*"), request.query_params.get("format"))
        chosen = chosen or GRAPH_FORMATS["turtle"]
        rdflib_format = {"text/turtle": "turtle", "application/n-triples": "nt"}.get(chosen.media_type, "json-ld")
        body = description.serialize(format=rdflib_format, encoding="utf-8")  # with the sd:, void: prefixes
        return Response(body, media_type=chosen.media_type, headers={"Vary": "Accept"})


def _single(values: list[str], name: str, *, allow_none: bool) -> str | None:
    if len(values) > 1:
        raise _HTTPProblemError(400, f"give one {name!r} parameter, not {len(values)}")
    if not values:
        if allow_none:
            return None
        raise _HTTPProblemError(400, f"the request has no {name!r} parameter")
    return values[0]


def _no_dataset(params: Mapping[str, object]) -> None:
    for key in ("default-graph-uri", "named-graph-uri"):
        if key in params:
            raise _HTTPProblemError(400, f"{key} is not supported: this endpoint serves one default graph")


def _negotiate(formats: Mapping[str, _Format], accept: str, wanted: str | None) -> _Format | None:
    """The format named by `wanted` (the page's download links), else the best match for the Accept header."""
    if wanted:
        # SPARQLWrapper and others send format=json (or xml) whatever the query form: JSON means JSON-LD for a graph
        wanted = _FORMAT_NAMES.get((wanted.lower(), formats is GRAPH_FORMATS), wanted.lower())
        if wanted not in formats:
            raise _HTTPProblemError(
                400, f"format={wanted!r} does not fit this result (use one of {', '.join(formats)})"
            )
        return formats[wanted]
    best: tuple[float, int] | None = None
    chosen: _Format | None = None
    for range_text in accept.split(","):
        media_range, *parameters = [part.strip() for part in range_text.split(";")]
        media_range = _ALIASES.get(media_range.lower(), media_range.lower())
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or not media_range:
            continue
        for preference, candidate in enumerate(formats.values()):
            kind, _, _subtype = candidate.media_type.partition("/")
            if media_range in (candidate.media_type, "*/*", f"{kind}/*"):
                specificity = 2 if media_range == candidate.media_type else 0
                # a higher quality wins, then an exact media type over a wildcard, then the server's own order
                rank = (quality + specificity / 10, -preference)
                if best is None or rank > best:
                    best, chosen = rank, candidate
    return chosen


def _problem(status: int, message: str) -> Response:
    return PlainTextResponse(message.splitlines()[0] + "\n", status_code=status)


async def _page(request: Request) -> Response:
    html = files("kg").joinpath("static", "index.html").read_bytes()
    return Response(html, media_type="text/html; charset=utf-8")


async def _static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC:
        return _problem(404, f"no static file {name!r}")
    return Response(files("kg").joinpath("static", name).read_bytes(), media_type=_STATIC[name])


async def _prefixes(request: Request) -> Response:
    return JSONResponse(dict(PREFIXES))


class _AccessLog:
    """One log line per request: client, method, path and query (shortened), status, milliseconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            if len(target) > 200:
                target = target[:199] + "…"
            client = scope.get("client") or ("-", 0)
            milliseconds = (time.perf_counter() - started) * 1000
            LOGGER.info("%s %s %s %d %.1fms", client[0], scope["method"], target, status, milliseconds)
