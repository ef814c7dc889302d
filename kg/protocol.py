"""SPARQL 1.1 Protocol details of the endpoint: result formats, content negotiation, the service description."""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, SH, VOID, XSD, Namespace
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from kg.export import export_ntriples
from kg.results import QueryResult
from kg.store import new_graph
from kg.terms import PREFIXES

__all__ = [
    "FORMAT_PARAMETERS",
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "SD",
    "HTTPProblemError",
    "ResultFormat",
    "negotiate",
    "no_dataset",
    "problem",
    "query_request",
    "requested_formats",
    "service_description",
]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

#: The parameters clients name a result format with: `format` (Virtuoso, SPARQLWrapper, our download links) and
#: `output` (Fuseki, sparqler); SPARQLWrapper sends both, each with a short name and, for some, a media type too.
FORMAT_PARAMETERS = ("format", "output")


@dataclass(frozen=True)
class ResultFormat:
    """A format the endpoint writes: its media type, its writer, its W3C format IRI and rdflib's name for it."""

    media_type: str
    write: Callable[[QueryResult], bytes]
    description_iri: URIRef
    rdflib_name: str = ""


class HTTPProblemError(Exception):
    """A request the endpoint answers with an error status and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _graph_writer(name: str) -> Callable[[QueryResult], bytes]:
    def write(result: QueryResult) -> bytes:
        return export_ntriples(result.ntriples(), None, name)

    return write


#: Result formats for SELECT and ASK, by the short name the `format` parameter takes; the first is the default.
RESULT_FORMATS: dict[str, ResultFormat] = {
    "json": ResultFormat(
        "application/sparql-results+json", lambda r: r.to_json().encode(), FORMATS.SPARQL_Results_JSON
    ),
    "xml": ResultFormat("application/sparql-results+xml", lambda r: r.to_xml().encode(), FORMATS.SPARQL_Results_XML),
    "csv": ResultFormat("text/csv", lambda r: r.to_csv().encode(), FORMATS.SPARQL_Results_CSV),
    "tsv": ResultFormat("text/tab-separated-values", lambda r: r.to_tsv().encode(), FORMATS.SPARQL_Results_TSV),
}
#: Graph formats for CONSTRUCT and DESCRIBE (and the service description); the first is the default.
GRAPH_FORMATS: dict[str, ResultFormat] = {
    "turtle": ResultFormat("text/turtle", _graph_writer("turtle"), FORMATS.Turtle, "turtle"),
    "ntriples": ResultFormat("application/n-triples", _graph_writer("ntriples"), FORMATS["N-Triples"], "nt"),
    "jsonld": ResultFormat("application/ld+json", _graph_writer("jsonld"), FORMATS["JSON-LD"], "json-ld"),
    "rdfxml": ResultFormat("application/rdf+xml", _graph_writer("rdfxml"), FORMATS.RDF_XML, "xml"),
}

#: Other media types clients send for the same formats, by whether the result is a graph.
_MEDIA_ALIASES = {
    False: {
        "application/json": "application/sparql-results+json",
        "application/xml": "application/sparql-results+xml",
        "text/xml": "application/sparql-results+xml",
    },
    True: {
        "application/json": "application/ld+json",
        "application/x-json+ld": "application/ld+json",
        "application/xml": "application/rdf+xml",
        "text/xml": "application/rdf+xml",
        "application/x-turtle": "text/turtle",
        "application/turtle": "text/turtle",
        "text/n3": "text/turtle",  # Turtle is N3
        "text/rdf+n3": "text/turtle",
        "text/plain": "application/n-triples",
    },
}
#: Short names for the `format` parameter besides the keys of the two tables, by whether the result is a graph.
_NAME_ALIASES = {
    False: {"srj": "json", "srx": "xml", "sparql-results+json": "json", "sparql-results+xml": "xml"},
    True: {
        "json": "jsonld",  # SPARQLWrapper sends format=json (or xml) whatever the query form
        "json-ld": "jsonld",
        "xml": "rdfxml",
        "rdf+xml": "rdfxml",
        "rdf": "rdfxml",
        "ttl": "turtle",
        "n3": "turtle",
        "nt": "ntriples",
        "n-triples": "ntriples",
    },
}


def _named(formats: Mapping[str, ResultFormat], value: str) -> ResultFormat | None:
    """The format a `format=` value names, by short name or media type; None when it names none of `formats`."""
    graph = formats is GRAPH_FORMATS
    name = value.split(";")[0].strip().lower()
    if "/" in name:
        media_type = _MEDIA_ALIASES[graph].get(name, name)
        return next((f for f in formats.values() if f.media_type == media_type), None)
    return formats.get(_NAME_ALIASES[graph].get(name, name))


def negotiate(formats: Mapping[str, ResultFormat], accept: str, wanted: Iterable[str] = ()) -> ResultFormat | None:
    """The first `wanted` value (`format=`/`output=`) that names one of `formats`, else the best match for the
    Accept header. Values that name no format of this result are ignored, as Virtuoso and Fuseki do: clients such
    as SPARQLWrapper send every spelling they know, and the header still says what they can read."""
    for value in wanted:
        named = _named(formats, value)
        if named is not None:
            return named
    aliases = _MEDIA_ALIASES[formats is GRAPH_FORMATS]
    best: tuple[float, int] | None = None
    chosen: ResultFormat | None = None
    for range_text in accept.split(","):
        media_range, *parameters = [part.strip() for part in range_text.split(";")]
        media_range = aliases.get(media_range.lower(), media_range.lower())
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


async def query_request(
    request: Request, read_body: Callable[[], Awaitable[bytes]], max_request_bytes: int
) -> tuple[str | None, list[str]]:
    """The query a request carries (None for a bare GET: the service description) and the result formats it
    names; refusals as HTTPProblemError."""
    if request.method in ("GET", "HEAD"):
        if len(request.url.query) > max_request_bytes:
            raise HTTPProblemError(414, f"the query string is longer than {max_request_bytes} bytes")
        if "update" in request.query_params:
            raise HTTPProblemError(403, "this endpoint is read-only: SPARQL Update is refused")
        return _single(request.query_params.getlist("query"), "query", allow_none=True), requested_formats(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_body()
    if media_type == "application/sparql-update":
        raise HTTPProblemError(403, "this endpoint is read-only: SPARQL Update is refused")
    if media_type == "application/x-www-form-urlencoded":
        try:
            fields = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise HTTPProblemError(400, "the form is not valid UTF-8 URL-encoded text") from None
        if "update" in fields:
            raise HTTPProblemError(403, "this endpoint is read-only: SPARQL Update is refused")
        no_dataset(fields)
        text = _single(fields.get("query", []), "query", allow_none=False)
        assert text is not None
        return text, requested_formats(request, fields)
    if media_type == "application/sparql-query":
        no_dataset(request.query_params)
        try:
            return body.decode("utf-8"), requested_formats(request)
        except UnicodeDecodeError:
            raise HTTPProblemError(400, "the query is not valid UTF-8") from None
    raise HTTPProblemError(
        415,
        "POST a query as application/x-www-form-urlencoded (query=…) or as application/sparql-query",
    )


def _single(values: list[str], name: str, *, allow_none: bool) -> str | None:
    if len(values) > 1:
        raise HTTPProblemError(400, f"give one {name!r} parameter, not {len(values)}")
    if not values:
        if allow_none:
            return None
        raise HTTPProblemError(400, f"the request has no {name!r} parameter")
    return values[0]


def no_dataset(params: Mapping[str, object]) -> None:
    for key in ("default-graph-uri", "named-graph-uri"):
        if key in params:
            raise HTTPProblemError(400, f"{key} is not supported: this endpoint serves one default graph")


def requested_formats(request: Request, form: Mapping[str, list[str]] | None = None) -> list[str]:
    """The result formats a request names with `format=` or `output=`, in the form first, then in the URL."""
    names = [value for key in FORMAT_PARAMETERS for value in (form or {}).get(key, [])]
    return names + [value for key in FORMAT_PARAMETERS for value in request.query_params.getlist(key)]


def service_description(endpoint: str, triples: int, accept: str, wanted: Iterable[str] = ()) -> Response:
    """A SPARQL 1.1 Service Description of the endpoint, with the project's prefixes as SHACL declarations
    (sh:declare, as SPARQL example collections publish them) for clients that must parse a query before sending
    it; Turtle unless another RDF format is asked for."""
    description = new_graph()
    for short, vocabulary in (("sd", SD), ("void", VOID), ("formats", FORMATS), ("sh", SH), ("xsd", XSD)):
        description.bind(short, vocabulary)
    service = BNode("service")
    dataset = BNode("dataset")
    default_graph = BNode("defaultGraph")
    description.add((service, RDF.type, SD.Service))
    description.add((service, SD.endpoint, URIRef(endpoint)))
    description.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for result_format in [*RESULT_FORMATS.values(), *GRAPH_FORMATS.values()]:
        description.add((service, SD.resultFormat, result_format.description_iri))
    description.add((service, SD.defaultDataset, dataset))
    description.add((dataset, RDF.type, SD.Dataset))
    description.add((dataset, SD.defaultGraph, default_graph))
    description.add((default_graph, RDF.type, SD.Graph))
    description.add((default_graph, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for prefix, namespace in PREFIXES.items():
        declaration = BNode(f"prefix-{prefix}")
        description.add((URIRef(endpoint), SH.declare, declaration))
        description.add((declaration, SH.prefix, Literal(prefix)))
        description.add((declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))
    chosen = negotiate(GRAPH_FORMATS, accept, wanted) or GRAPH_FORMATS["turtle"]
    body = description.serialize(format=chosen.rdflib_name, encoding="utf-8")  # with the sd:, void: prefixes
    return Response(body, media_type=chosen.media_type, headers={"Vary": "Accept"})


def problem(status: int, message: str) -> Response:
    """An error answer: one line of plain text."""
    return PlainTextResponse(message.splitlines()[0] + "\n", status_code=status)
