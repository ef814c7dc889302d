"""Remote SPARQL 1.1 stores: the stored queries run there over HTTP, and `push` uploads the graph in chunks."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox

from kg.assemble import asserted_ntriples
from kg.errors import InputError, ParameterError, QueryError, QueryTimeoutError
from kg.hub import Hub
from kg.nodes import Term
from kg.progress import progress
from kg.queries import StoredQuery, stored_query
from kg.querying import Queryable
from kg.results import QueryResult, read_results_json
from kg.skolem import SKOLEM_NAMESPACE, triples_of
from kg.skolem import chunks as _chunks
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH
from kg.sparql_text import bind_values, sparql_term, with_prefixes

__all__ = ["PUSH_PROTOCOLS", "SKOLEM_NAMESPACE", "RemoteGraph", "bind_values", "sparql_term"]

PUSH_PROTOCOLS = ("update", "graph-store")

_STORED_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"


class RemoteGraph:
    """A SPARQL 1.1 server holding the graph: stored queries run there, parameters resolved here.

    `endpoint` answers queries (SPARQL 1.1 Protocol); `update_endpoint` (SPARQL Update) or `graph_store`
    (Graph Store Protocol) is where `push` uploads. `default_graph` queries a named graph as the default one.
    Labels in parameters resolve against `local` (default: the packaged graph plus `extra` files, loaded on
    first need); an IRI or CURIE the local graph lacks is sent as given.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store: str | None = None,
        default_graph: str | None = None,
        extra: Iterable[str | Path] = (),
        local: Queryable | None = None,
        timeout: float = 60.0,
    ) -> None:
        for url in (endpoint, update_endpoint, graph_store):
            if url is not None and not url.startswith(("http://", "https://")):
                raise InputError(f"{url!r} is not an http(s) URL of a SPARQL endpoint")
        self.endpoint = endpoint
        self.update_endpoint = update_endpoint
        self.graph_store = graph_store
        self.default_graph = default_graph
        self.timeout = timeout
        self._extra = tuple(extra)
        self._local = local

    # ------------------------------------------------------------------ queries

    def query(self, name_or_sparql: str, /, **params: str) -> QueryResult:
        """Run a stored query by name (parameters bound as RDF terms in a VALUES block), or SPARQL text."""
        if _STORED_NAME.match(name_or_sparql.strip()):
            stored = stored_query(name_or_sparql.strip())
            sparql = bind_values(stored.sparql, self._bind(stored, params))
            return self.sparql(sparql, origin=f"queries/{stored.name}.rq")
        if params:
            raise ParameterError("parameters go with stored queries; write the values into ad-hoc SPARQL")
        return self.sparql(name_or_sparql, origin="query")

    def sparql(self, text: str, *, origin: str = "query") -> QueryResult:
        """Send SPARQL text to the endpoint (the project's prefixes predeclared) and read the answer."""
        from rdflib.plugins.sparql.parser import parseQuery  # the query's form, from the reference parser

        text = with_prefixes(text)
        try:
            form = parseQuery(text)[1].name
        except Exception as error:
            raise QueryError(f"{origin}: not a valid SPARQL query: {str(error).strip().splitlines()[0]}") from None
        graph_result = form in ("ConstructQuery", "DescribeQuery")
        fields = [("query", text)]
        if self.default_graph:
            fields.append(("default-graph-uri", self.default_graph))
        body = self._send(
            self.endpoint,
            urllib.parse.urlencode(fields).encode("utf-8"),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": _NTRIPLES if graph_result else _RESULTS_JSON,
            },
            origin,
        )
        if graph_result:
            try:
                triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
            except (SyntaxError, ValueError) as error:
                raise QueryError(f"{origin}: the endpoint's answer is not N-Triples: {error}") from None
            return QueryResult(variables=(), triples=triples)
        return read_results_json(body, origin, ask=form == "AskQuery")

    def _bind(self, stored: StoredQuery, params: Mapping[str, str]) -> dict[str, Term]:
        stored.check_arguments(dict(params))
        if all(stored.parameter(name).kind == "literal" for name in params):
            return {name: _non_empty(name, value) for name, value in params.items()}  # no need to load labels
        local = self._local_graph()
        bound: dict[str, Term] = {}
        for name, value in params.items():
            kind = stored.parameter(name).kind
            if kind == "literal":
                bound[name] = _non_empty(name, value)
            elif kind == "iri":
                bound[name] = local._expand(value, name)
            else:
                try:
                    bound[name] = local._resolve(value, name)
                except ParameterError:
                    # the remote store may hold resources the local copy lacks: an IRI or CURIE is taken as given
                    try:
                        bound[name] = local._expand(value, name)
                    except ParameterError:
                        raise ParameterError(
                            f"{name}={value!r} names nothing in the local graph; give an IRI or CURIE"
                        ) from None
        return bound

    def _local_graph(self) -> Queryable:
        """The packaged graph plus `extra`, asserted triples only: what labels resolve against."""
        if self._local is None:
            local = Queryable("oxigraph")
            asserted, _sources, _own = asserted_ntriples(self._extra)
            local._set(ASSERTED_GRAPH, asserted)
            self._local = local
        return self._local

    # ------------------------------------------------------------------ push

    def push(
        self,
        graph: Hub,
        *,
        graph_iri: str | None = None,
        inferred: bool = True,
        replace: bool = False,
        chunk_triples: int = 1_000,
    ) -> int:
        """Upload the asserted (and inferred) triples in chunks; returns how many triples were sent.

        Uses the Graph Store Protocol when `graph_store` is set, else SPARQL Update at `update_endpoint`.
        `replace` first empties the target graph (the default graph unless `graph_iri`). Blank nodes travel as
        Skolem IRIs under SKOLEM_NAMESPACE, named after the triples around them: every store takes them (Virtuoso
        refuses blank nodes in INSERT DATA), and pushing the same graph again adds nothing.
        """
        if self.graph_store is None and self.update_endpoint is None:
            raise InputError("push needs update_endpoint (SPARQL Update) or graph_store (Graph Store Protocol)")
        if graph_iri is not None:
            sparql_term(_iri(graph_iri))  # refuses an IRI that cannot be written
        data = graph.ntriples(ASSERTED_GRAPH) + (graph.ntriples(INFERRED_GRAPH) if inferred else b"")
        chunks = list(_chunks(triples_of(data), chunk_triples, skolemise=True))
        send = self._send_to_graph_store if self.graph_store is not None else self._send_update
        if replace and self.graph_store is None:
            target = f"GRAPH <{graph_iri}>" if graph_iri else "DEFAULT"
            self._send_update_text(f"CLEAR SILENT {target}")
        sent = 0
        for number, (chunk, count) in enumerate(progress(chunks, total=len(chunks), label="push")):
            send(chunk, graph_iri, replace and number == 0)
            sent += count
        return sent

    def _send_to_graph_store(self, chunk: bytes, graph_iri: str | None, first_replaces: bool) -> None:
        assert self.graph_store is not None
        target = urllib.parse.urlencode({"graph": graph_iri}) if graph_iri else "default"
        separator = "&" if "?" in self.graph_store else "?"
        url = f"{self.graph_store}{separator}{target}"
        self._send(url, chunk, {"Content-Type": _NTRIPLES}, "push", method="PUT" if first_replaces else "POST")

    def _send_update(self, chunk: bytes, graph_iri: str | None, first_replaces: bool) -> None:
        data = chunk.decode("utf-8")
        if graph_iri:
            data = f"GRAPH <{graph_iri}> {{\n{data}}}"
        self._send_update_text(f"INSERT DATA {{\n{data}}}")

    def _send_update_text(self, update: str) -> None:
        assert self.update_endpoint is not None
        headers = {"Content-Type": "application/sparql-update"}
        self._send(self.update_endpoint, update.encode("utf-8"), headers, "push")

    # ------------------------------------------------------------------ HTTP

    def _send(self, url: str, body: bytes, headers: Mapping[str, str], origin: str, method: str = "POST") -> bytes:
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data: bytes = response.read()
                return data
        except urllib.error.HTTPError as error:
            reason = _store_reason(error.read(), error.headers.get("content-type", "")) or error.reason
            raise QueryError(f"{origin}: {url} answered {error.code}: {reason}") from None
        except TimeoutError:
            raise QueryTimeoutError(f"{origin}: {url} did not answer within {self.timeout:g} s") from None
        except urllib.error.URLError as error:
            raise InputError(f"{origin}: cannot reach {url}: {error.reason}") from None


def _store_reason(body: bytes, content_type: str, limit: int = 400) -> str:
    """The text of a store's error answer on one line, at most `limit` characters: HTML (Virtuoso) without its
    markup, and without the copy of the request some stores append (Virtuoso's "SPARQL query:" echo)."""
    text = body.decode("utf-8", "replace")
    if "html" in content_type.lower() or re.match(r"\s*<(!doctype|html)", text, re.IGNORECASE):
        text = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", text)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.split(r"\n\s*SPARQL (?:query|update):", text, maxsplit=1)[0]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _non_empty(name: str, value: str) -> ox.Literal:
    if not value.strip():
        raise ParameterError(f"{name} must not be empty")
    return ox.Literal(value)


def _iri(text: str) -> Term:
    try:
        return ox.NamedNode(text)
    except ValueError:
        raise ParameterError(f'{text!r} is not a valid IRI (it contains a space or one of <>"{{}}|^`\\)') from None
