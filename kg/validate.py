"""SHACL validation with pyshacl, returning a typed report that renders as a readable table."""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate as pyshacl_validate
from rdflib import Graph
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.terms import SH, compact

__all__ = ["ValidationReport", "ValidationResult", "validate"]


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result: which node broke which shape's constraint, and how."""

    severity: str
    focus_node: str
    path: str | None
    value: str | None
    message: str
    source_shape: str
    constraint: str


@dataclass(frozen=True)
class ValidationReport:
    """Whether the graph conforms, and every result, sorted."""

    conforms: bool
    results: tuple[ValidationResult, ...]

    def to_table(self) -> str:
        """The report as a plain-text table (one row per result), or one line saying it conforms."""
        if self.conforms:
            return "Conforms: no SHACL violations."
        headers = ("severity", "focus node", "path", "value", "source shape", "message")
        rows = [
            (r.severity, r.focus_node, r.path or "", r.value or "", r.source_shape, r.message) for r in self.results
        ]
        widths = [min(60, max(len(h), *(len(row[i]) for row in rows))) for i, h in enumerate(headers)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.append(f"{len(rows)} result(s); the graph does not conform.")
        return "\n".join(lines)


def validate(data: Graph, shapes: Graph) -> ValidationReport:
    """Validate `data` (ontology and instances together, so class hierarchies apply) against `shapes`."""
    conforms, report_graph, _text = pyshacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    results = tuple(sorted(_results(report_graph), key=_sort_key))
    return ValidationReport(conforms=bool(conforms), results=results)


def _sort_key(result: ValidationResult) -> tuple[str, ...]:
    return (
        result.severity,
        result.focus_node,
        result.path or "",
        result.value or "",
        result.source_shape,
        result.constraint,
        result.message,
    )


def _results(report: Graph) -> list[ValidationResult]:
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        found.append(
            ValidationResult(
                severity=_short(report.value(result, SH.resultSeverity)) or "sh:Violation",
                focus_node=_short(report.value(result, SH.focusNode)) or "",
                path=_short(report.value(result, SH.resultPath)),
                value=_short(report.value(result, SH.value)),
                message=str(report.value(result, SH.resultMessage) or ""),
                source_shape=_short(report.value(result, SH.sourceShape)) or "",
                constraint=_short(report.value(result, SH.sourceConstraintComponent)) or "",
            )
        )
    return found


def _short(term: Node | None) -> str | None:
    """A CURIE where a project prefix fits, else the term's N-Triples form."""
    if term is None:
        return None
    text = str(term)
    return compact(text) or (str(term.n3()) if hasattr(term, "n3") else text)
