"""Query results in the W3C SPARQL 1.1 result formats (JSON, XML, CSV, TSV; JSON read too) and as a text table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.errors import QueryError

__all__ = ["RESULT_FORMATS", "QueryResult", "format_table", "read_results_json"]

RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")


@dataclass(frozen=True)
class QueryResult:
    """The variables and rows of a SELECT, the answer of an ASK (`boolean`) or a CONSTRUCT's `graph`."""

    variables: tuple[str, ...]
    rows: tuple[tuple[Node | None, ...], ...]
    boolean: bool | None = None
    graph: Graph | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def dicts(self) -> list[dict[str, Node]]:
        """Rows as {variable: term}, leaving out unbound variables."""
        return [
            {name: term for name, term in zip(self.variables, row, strict=True) if term is not None}
            for row in self.rows
        ]

    def column(self, variable: str) -> list[Node | None]:
        index = self.variables.index(variable)
        return [row[index] for row in self.rows]

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
        if self.boolean is not None:
            return json.dumps({"head": {}, "boolean": self.boolean}, indent=2) + "\n"
        bindings = [{name: _json_term(term) for name, term in row.items()} for row in self.dicts()]
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
            for row in self.dicts():
                out.append("    <result>")
                for name, term in row.items():
                    out.append(f"      <binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
                out.append("    </result>")
            out.append("  </results>")
        out.append("</sparql>")
        return "\n".join(out) + "\n"

    def to_csv(self) -> str:
        """SPARQL 1.1 CSV: plain values, no datatypes or language tags."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        if self.boolean is not None:
            writer.writerow(["boolean"])
            writer.writerow(["true" if self.boolean else "false"])
            return buffer.getvalue()
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow(["" if term is None else _plain(term) for term in row])
        return buffer.getvalue()

    def to_tsv(self) -> str:
        """SPARQL 1.1 TSV: terms in Turtle/N-Triples syntax, tabs between them."""
        lines = ["\t".join(f"?{name}" for name in self.variables)]
        for row in self.rows:
            lines.append("\t".join("" if term is None else _tsv_term(term) for term in row))
        return "\n".join(lines) + "\n"

    def to_table(self, labels: Mapping[str, str] | None = None) -> str:
        """A fixed-width table for terminals; IRIs shortened with `labels` (IRI → CURIE) where given."""
        if self.boolean is not None:
            return "yes" if self.boolean else "no"
        shorten = labels or {}
        cells = [[_cell(term, shorten) for term in row] for row in self.rows]
        table = format_table(list(self.variables), cells, max_width=70, cut=True)
        return table + f"\n({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})"


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


def _cell(term: Node | None, shorten: Mapping[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return shorten.get(str(term), str(term))
    return str(term)


def _plain(term: Node) -> str:
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv_term(term: Node) -> str:
    text = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n")


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    value: dict[str, str] = {"type": "literal", "value": str(term)}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype:
        value["datatype"] = str(term.datatype)
    return value


def _xml_term(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(str(term))}</literal>"
    if term.datatype:
        return f"<literal datatype={quoteattr(str(term.datatype))}>{escape(str(term))}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def read_results_json(body: bytes, origin: str, *, ask: bool = False) -> QueryResult:
    """A result read from the SPARQL 1.1 Query Results JSON Format, as a remote store sends it. Virtuoso's ways
    are read as the standard's, so the same query gives the same answer anywhere: booleans written 1 and 0 read as
    true and false, and the answer to an ASK (`ask`) sent as a one-cell table reads as the boolean it holds."""
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
        if len(cells) != 1 or not isinstance(cells[0], Literal):
            raise QueryError(f"{origin}: the endpoint answered an ASK with {len(rows)} rows instead of a boolean")
        return QueryResult(variables=(), rows=(), boolean=str(cells[0]) in ("1", "true"))
    return QueryResult(variables=variables, rows=rows)


_XSD_STRING = str(XSD.string)
_XSD_BOOLEAN = str(XSD.boolean)
_BOOLEAN_SPELLINGS = {"1": "true", "0": "false", "true": "true", "false": "false"}


def _read_term(value: Mapping[str, str], origin: str) -> Node:
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        language = value.get("xml:lang")
        datatype = value.get("datatype")
        if language:
            return Literal(value["value"], lang=language)
        if datatype == _XSD_BOOLEAN:
            return Literal(_BOOLEAN_SPELLINGS.get(value["value"].strip(), value["value"]), datatype=XSD.boolean)
        if datatype and datatype != _XSD_STRING:
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise QueryError(f"{origin}: unknown term type {kind!r} in SPARQL JSON results")
