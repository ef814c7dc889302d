"""Remote SPARQL 1.1 stores: the stored queries run there over HTTP, and `push` uploads the graph in chunks."""

from __future__ import annotations

import hashlib
import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Node

from kg.errors import InputError, ParameterError, QueryError, QueryTimeoutError
from kg.progress import progress
from kg.queries import StoredQuery, stored_query
from kg.results import QueryResult, read_results_json
from kg.sparql_text import bind_values, sparql_term, with_prefixes
from kg.store import new_graph
from kg.terms import PROJECT_NAMESPACE

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["PUSH_PROTOCOLS", "SKOLEM_NAMESPACE", "RemoteGraph", "bind_values", "sparql_term"]

PUSH_PROTOCOLS = ("update", "graph-store")
#: Where the IRIs that stand for blank nodes in pushed triples live.
SKOLEM_NAMESPACE = PROJECT_NAMESPACE + ".well-known/genid/"

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
        local: KnowledgeGraph | None = None,
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
            graph = new_graph()
            graph.parse(data=body, format="nt")
            return QueryResult(variables=(), rows=(), graph=graph)
        return read_results_json(body, origin, ask=form == "AskQuery")

    def _bind(self, stored: StoredQuery, params: Mapping[str, str]) -> dict[str, Node]:
        stored.check_arguments(dict(params))
        if all(stored.parameter(name).kind == "literal" for name in params):
            return {name: _non_empty(name, value) for name, value in params.items()}  # no need to load labels
        local = self._local_graph()
        bound: dict[str, Node] = {}
        for name, value in params.items():
            kind = stored.parameter(name).kind
            if kind == "literal":
                bound[name] = _non_empty(name, value)
            elif kind == "iri":
                bound[name] = local.labels.expand(value, name)
            else:
                try:
                    bound[name] = local.resolve(value, name)
                except ParameterError:
                    # the remote store may hold resources the local copy lacks: an IRI or CURIE is taken as given
                    try:
                        bound[name] = local.labels.expand(value, name)
                    except ParameterError:
                        raise ParameterError(
                            f"{name}={value!r} names nothing in the local graph; give an IRI or CURIE"
                        ) from None
        return bound

    def _local_graph(self) -> KnowledgeGraph:
        if self._local is None:
            from kg.graph import KnowledgeGraph  # kg.graph imports this module lazily too

            self._local = KnowledgeGraph.load(self._extra)
        return self._local

    # ------------------------------------------------------------------ push

    def push(
        self,
        graph: KnowledgeGraph,
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
            sparql_term(URIRef(graph_iri))  # refuses an IRI that cannot be written
        triples = graph.graph(inferred=inferred)
        chunks = list(_chunks(triples, chunk_triples, skolemise=True))
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


def _non_empty(name: str, value: str) -> Literal:
    if not value.strip():
        raise ParameterError(f"{name} must not be empty")
    return Literal(value)


def _linked_groups(graph: Iterable[tuple[Node, Node, Node]]) -> list[list[tuple[Node, Node, Node]]]:
    """The triples in a stable order, grouped so that triples linked through blank nodes share a group."""
    parent: dict[BNode, BNode] = {}

    def root(node: BNode) -> BNode:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    triples = sorted(graph, key=lambda triple: tuple(term.n3() for term in triple))
    for subject, _predicate, value in triples:
        if isinstance(subject, BNode) and isinstance(value, BNode):
            parent[root(subject)] = root(value)
    groups: dict[object, list[tuple[Node, Node, Node]]] = {}
    for index, triple in enumerate(triples):
        blank = next((term for term in (triple[0], triple[2]) if isinstance(term, BNode)), None)
        groups.setdefault(index if blank is None else root(blank), []).append(triple)
    return list(groups.values())


def _skolemised(group: list[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
    """The group with each blank node replaced by a Skolem IRI (RDF 1.1 §3.5) named after the group's canonical
    form: the same triples give the same IRIs on every push, so pushing again adds nothing, and stores that refuse
    blank nodes in INSERT DATA (Virtuoso) take them."""
    if not any(isinstance(term, BNode) for triple in group for term in triple):
        return group
    linked = new_graph()
    for triple in group:
        linked.add(triple)
    canonical = sorted(to_canonical_graph(linked), key=lambda triple: tuple(term.n3() for term in triple))
    # canonical labels are unique within the group only: the IRI also carries a digest of the whole group
    group_digest = hashlib.sha256("\n".join(" ".join(t.n3() for t in triple) for triple in canonical).encode())

    def skolem(term: Node) -> Node:
        if not isinstance(term, BNode):
            return term
        digest = group_digest.copy()
        digest.update(str(term).encode())
        return URIRef(SKOLEM_NAMESPACE + digest.hexdigest()[:32])

    return [(skolem(subject), predicate, skolem(value)) for subject, predicate, value in canonical]


def _chunks(
    graph: Iterable[tuple[Node, Node, Node]], size: int, *, skolemise: bool = False
) -> Iterator[tuple[bytes, int]]:
    """N-Triples documents of about `size` triples each; triples linked through blank nodes stay together
    (or, with `skolemise`, have their blank nodes replaced by stable IRIs)."""
    chunk = new_graph()
    for group in _linked_groups(graph):
        if skolemise:
            group = _skolemised(group)
        if len(chunk) and len(chunk) + len(group) > size:
            yield chunk.serialize(format="nt", encoding="utf-8"), len(chunk)
            chunk = new_graph()
        for triple in group:
            chunk.add(triple)
    if len(chunk):
        yield chunk.serialize(format="nt", encoding="utf-8"), len(chunk)
