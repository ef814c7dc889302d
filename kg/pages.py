"""The pages of `kg serve`: the SPARQL editor (YASGUI), the stored-query form page, static files, the access log."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.errors import KGError
from kg.graph import KnowledgeGraph
from kg.protocol import problem
from kg.queries import StoredQuery
from kg.remote import bind_values
from kg.terms import PREFIXES

__all__ = ["PAGE_ROUTES", "AccessLog", "runnable"]

LOGGER = logging.getLogger("kg.server")

_STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "editor.css": "text/css; charset=utf-8",
    "editor.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
#: YASGUI's npm build (@zazuko/yasgui), shipped in the wheel so the editor page needs nothing from the network.
_YASGUI = {
    "yasgui.min.css": "text/css; charset=utf-8",
    "yasgui.min.js": "text/javascript; charset=utf-8",
}


def runnable(graph: KnowledgeGraph, query: StoredQuery) -> str | None:
    """The stored query as SPARQL any client can run as it is: the example values of its parameters bound in a
    VALUES block (as `kg query --endpoint` sends them) and the project prefixes it uses declared."""
    examples = {parameter.name: parameter.example for parameter in query.parameters}
    if any(example is None for example in examples.values()):
        return None
    try:
        bound = bind_values(query.sparql, graph.bindings(query, {k: v for k, v in examples.items() if v}))
    except KGError:
        return None
    declared = {name.lower() for name in re.findall(r"\bPREFIX\s+([\w.-]*):", bound, re.IGNORECASE)}
    used = [
        prefix for prefix in PREFIXES if prefix not in declared and re.search(rf"(?<![\w-]){re.escape(prefix)}:", bound)
    ]
    return "".join(f"PREFIX {prefix}: <{PREFIXES[prefix]}>\n" for prefix in used) + bound


def _html(name: str) -> Callable[[Request], Awaitable[Response]]:
    """A page of kg/static, served as it is."""

    async def page(request: Request) -> Response:
        html = files("kg").joinpath("static", name).read_bytes()
        return Response(html, media_type="text/html; charset=utf-8")

    return page


def _files(
    folder: tuple[str, ...], media_types: dict[str, str], missing: str, headers: dict[str, str] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """The files of a folder of kg/static named in `media_types`, any other name a 404 (`missing` says which)."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in media_types:
            return problem(404, missing.format(name=repr(name)))
        data = files("kg").joinpath(*folder, name).read_bytes()
        return Response(data, media_type=media_types[name], headers=headers)

    return serve


async def _prefixes(request: Request) -> Response:
    return JSONResponse(dict(PREFIXES))


PAGE_ROUTES = [
    Route("/", _html("editor.html"), methods=["GET"]),
    Route("/stored", _html("index.html"), methods=["GET"]),
    Route(
        "/static/yasgui/{name}",
        _files(("static", "yasgui"), _YASGUI, "no file {name} in the YASGUI build", {"Cache-Control": "max-age=86400"}),
        methods=["GET"],
    ),
    Route("/static/{name}", _files(("static",), _STATIC, "no static file {name}"), methods=["GET"]),
    Route("/prefixes", _prefixes, methods=["GET"]),
]


class AccessLog:
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
