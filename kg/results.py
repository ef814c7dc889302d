"""Query results in the W3C SPARQL 1.1 result formats (JSON, XML, CSV, TSV; JSON read too) and as a text table."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import QueryError
from kg.nodes import XSD_STRING, Term, to_native, to_rdflib
from kg.term_text import cell, json_term, plain, quoteattr, tsv_term, xml_term

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

__all__ = ["RESULT_FORMATS", "QueryResult", "format_table", "read_results_json"]

RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")


class QueryResult:
    """The variables and rows of a SELECT, the answer of an ASK (`boolean`) or a CONSTRUCT's `graph`.

    Engines give pyoxigraph terms (rows, or `triples` for a graph); the rdflib terms of `rows`, `dicts()`,
    `column()` and `graph` are made on first read, so rendering a result (`serialize`) never imports rdflib.
    """

    __slots__ = ("_graph", "_native", "_rows", "_triples", "boolean", "variables")

    def __init__(
        self,
        variables: tuple[str, ...],
        rows: Sequence[Sequence[Term | Node | None]] = (),
        boolean: bool | None = None,
        graph: Graph | None = None,
        *,
        triples: Sequence[ox.Triple] | None = None,
    ) -> None:
        self.variables = tuple(variables)
        self.boolean = boolean
        self._native: tuple[tuple[Term | None, ...], ...] | None = None
        self._rows: tuple[tuple[Node | None, ...], ...] | None = None
        given = tuple(tuple(row) for row in rows)
        first = next((term for row in given for term in row if term is not None), None)
        if first is None or isinstance(first, _NATIVE):
            self._native = given  # type: ignore[assignment]
        else:
            self._rows = given  # type: ignore[assignment]
        self._graph = graph
        self._triples = None if triples is None else tuple(triples)

    def __repr__(self) -> str:
        return f"QueryResult(variables={self.variables!r}, rows={len(self)}, boolean={self.boolean!r})"

    def __len__(self) -> int:
        held = self._native if self._native is not None else self._rows
        return len(held or ())

    @property
    def native_rows(self) -> tuple[tuple[Term | None, ...], ...]:
        """The rows as pyoxigraph terms."""
        if self._native is None:
            self._native = tuple(tuple(None if t is None else to_native(t) for t in row) for row in self._rows or ())
        return self._native

    @property
    def rows(self) -> tuple[tuple[Node | None, ...], ...]:
        """The rows as rdflib terms (made on first read)."""
        if self._rows is None:
            self._rows = tuple(tuple(None if t is None else to_rdflib(t) for t in row) for row in self._native or ())
        return self._rows

    @property
    def graph(self) -> Graph | None:
        """A CONSTRUCT's or DESCRIBE's triples as an rdflib graph (made on first read); None for SELECT and ASK."""
        if self._graph is None and self._triples is not None:
            from kg.store import new_graph

            graph = new_graph()
            for triple in self._triples:
                graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
            self._graph = graph
        return self._graph

    def ntriples(self) -> bytes:
        """A CONSTRUCT's or DESCRIBE's triples as N-Triples, each once (b"" for SELECT and ASK); without rdflib
        when the engine gave pyoxigraph triples, which is what `kg query` and the endpoint write graphs from."""
        if self._triples is not None:
            return ox.serialize(dict.fromkeys(self._triples), format=ox.RdfFormat.N_TRIPLES) or b""
        if self._graph is not None:
            return self._graph.serialize(format="nt", encoding="utf-8")
        return b""

    @property
    def is_graph(self) -> bool:
        """Whether this is a CONSTRUCT's or DESCRIBE's result (without building the graph)."""
        return self._graph is not None or self._triples is not None

    def dicts(self) -> list[dict[str, Node]]:
        """Rows as {variable: term}, leaving out unbound variables."""
        return [
            {name: term for name, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.rows
        ]

    def column(self, variable: str) -> list[Node | None]:
        index = self.variables.index(variable)
        return [row[index] for row in self.rows]

    def _native_dicts(self) -> list[dict[str, Term]]:
        return [
            {name: term for name, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.native_rows
        ]

    def serialize(self, format: str, labels: Mapping[str, str] | None = None) -> str:
        """The result in `format`: one of RESULT_FORMATS."""
        writers = {
            "table": lambda: self.to_table(labels or {}),
            "csv": self.to_csv,
            "tsv": self.to_tsv,
            "json": self.to_json,
            "xml": self.to_xml,
        }
        return writers[format]()

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON Format."""
        import json

        if self.boolean is not None:
            return json.dumps({"head": {}, "boolean": self.boolean}, indent=2) + "\n"
        bindings = [{name: json_term(term) for name, term in row.items()} for row in self._native_dicts()]
        document = {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def to_xml(self) -> str:
        """SPARQL Query Results XML Format."""
        out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "  <head>"]
        out += [f"    <variable name={quoteattr(name)}/>" for name in self.variables]
        out.append("  </head>")
        if self.boolean is not None:
            out.append(f"  <boolean>{'true' if self.boolean else 'false'}</boolean>")
        else:
            out.append("  <results>")
            for row in self._native_dicts():
                out.append("    <result>")
                for name, term in row.items():
                    out.append(f"      <binding name={quoteattr(name)}>{xml_term(term)}</binding>")
                out.append("    </result>")
            out.append("  </results>")
        out.append("</sparql>")
        return "\n".join(out) + "\n"

    def to_csv(self) -> str:
        """SPARQL 1.1 CSV: plain values, no datatypes or language tags."""
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if self.boolean is not None:
            writer.writerow(["boolean"])
            writer.writerow(["true" if self.boolean else "false"])
            return buffer.getvalue()
        writer.writerow(self.variables)
        for row in self.native_rows:
            writer.writerow(["" if term is None else plain(term) for term in row])
        return buffer.getvalue()

    def to_tsv(self) -> str:
        """SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax, tabs between them."""
        lines = ["\t".join(f"?{name}" for name in self.variables)]
        for row in self.native_rows:
            lines.append("\t".join("" if term is None else tsv_term(term) for term in row))
        return "\n".join(lines) + "\n"

    def to_table(self, labels: Mapping[str, str] | None = None, *, shorten: Callable[[str], str] | None = None) -> str:
        """A fixed-width table for terminals; IRIs shortened with `labels` (IRI → CURIE) or `shorten` where given."""
        if self.boolean is not None:
            return "yes" if self.boolean else "no"
        given = labels or {}
        short = shorten or (lambda iri: given.get(iri, iri))
        cells = [[cell(term, short) for term in row] for row in self.native_rows]
        table = format_table(list(self.variables), cells, max_width=70, cut=True)
        return table + f"\n({len(self)} row{'s' if len(self) != 1 else ''})"


def format_table(
    headers: Sequence[str], cells: Sequence[Sequence[str]], *, max_width: int | None = None, cut: bool = False
) -> str:
    """Columns as wide as their widest cell (at most `max_width`), two spaces apart, under a dashed ruler.

    With `cut`, a cell wider than its column ends in "…"; without, it runs on past the column.
    """
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    if max_width is not None:
        widths = [min(max_width, width) for width in widths]

    def line(values: Sequence[str]) -> str:
        parts = [(v[: w - 1] + "…" if cut and len(v) > w else v).ljust(w) for v, w in zip(values, widths, strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(row) for row in cells])


def read_results_json(body: bytes, origin: str, *, ask: bool = False) -> QueryResult:
    """A result read from the SPARQL 1.1 Query Results JSON Format, as a remote store sends it. Virtuoso's ways
    are read as the standard's, so the same query gives the same answer anywhere: booleans written 1 and 0 read as
    true and false, and the answer to an ASK (`ask`) sent as a one-cell table reads as the boolean it holds."""
    import json

    try:
        document = json.loads(body)
        if "boolean" in document:
            return QueryResult(variables=(), rows=(), boolean=bool(document["boolean"]))
        variables = tuple(document["head"]["vars"])
        rows = tuple(
            tuple(_read_term(binding[name], origin) if name in binding else None for name in variables)
            for binding in document["results"]["bindings"]
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise QueryError(f"{origin}: the endpoint's answer is not SPARQL JSON results: {error}") from None
    if ask:
        cells = [cell for row in rows for cell in row]
        if len(cells) != 1 or not isinstance(cells[0], ox.Literal):
            raise QueryError(f"{origin}: the endpoint answered an ASK with {len(rows)} rows instead of a boolean")
        return QueryResult(variables=(), rows=(), boolean=cells[0].value in ("1", "true"))
    return QueryResult(variables=variables, rows=rows)


_XSD_BOOLEAN = ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")
_BOOLEAN_SPELLINGS = {"1": "true", "0": "false", "true": "true", "false": "false"}
_NATIVE = (ox.NamedNode, ox.BlankNode, ox.Literal, ox.Triple)


def _read_term(value: Mapping[str, str], origin: str) -> Term:
    kind = value["type"]
    if kind == "uri":
        return ox.NamedNode(value["value"])
    if kind == "bnode":
        return _blank_node(value["value"])
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang")
        datatype = value.get("datatype")
        if language:
            return ox.Literal(value["value"], language=language)
        if datatype == _XSD_BOOLEAN.value:
            return ox.Literal(_BOOLEAN_SPELLINGS.get(value["value"].strip(), value["value"]), datatype=_XSD_BOOLEAN)
        if datatype and datatype != XSD_STRING:
            return ox.Literal(value["value"], datatype=ox.NamedNode(datatype))
        return ox.Literal(value["value"])
    raise QueryError(f"{origin}: unknown term type {kind!r} in SPARQL JSON results")


def _blank_node(label: str) -> ox.BlankNode:
    """A blank node keeping the store's label where it is valid N-Triples (Virtuoso writes "nodeID://b1")."""
    try:
        return ox.BlankNode(label)
    except ValueError:
        return ox.BlankNode("x" + label.encode("utf-8").hex())
