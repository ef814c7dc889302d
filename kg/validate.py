"""SHACL validation with pyshacl, returning a typed report that renders as a readable table."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.errors import InputError
from kg.results import format_table
from kg.terms import SH, compact

__all__ = [
    "FAST_THRESHOLD",
    "VALIDATORS",
    "ValidationReport",
    "ValidationResult",
    "choose_validator",
    "sort_key",
    "validate",
]

#: Validation methods: pyshacl (the reference), fast (kg.fast_validate: pyrudof, proven to report the same
#: focus nodes, paths and shapes on the benchmark graphs), auto (fast above FAST_THRESHOLD triples, else pyshacl).
VALIDATORS = ("auto", "pyshacl", "fast")
#: pyshacl runs the shapes' SPARQL constraints through rdflib's engine: about two minutes for 10,000 triples.
FAST_THRESHOLD = 5_000


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
        table = format_table(headers, rows, max_width=60)
        return f"{table}\n{len(rows)} result(s); the graph does not conform."


def choose_validator(data: Graph, method: str = "auto") -> str:
    """The validator to run, "pyshacl" or "fast": the one asked for, or for "auto" the one that suits the size."""
    if method not in VALIDATORS:
        raise InputError(f"unknown validator {method!r} (use one of {', '.join(VALIDATORS)})")
    if method == "auto":
        return "fast" if len(data) > FAST_THRESHOLD else "pyshacl"
    return method


def validate(data: Graph, shapes: Graph, method: str = "auto") -> ValidationReport:
    """Validate `data` (ontology and instances together, so class hierarchies apply) against `shapes`."""
    if choose_validator(data, method) == "fast":
        from kg.fast_validate import fast_validate  # kg.fast_validate imports this module

        return fast_validate(data, shapes)
    from pyshacl import validate as pyshacl_validate  # imported here: only validation needs it

    conforms, report_graph, _text = pyshacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    results = tuple(sorted(_results(report_graph), key=sort_key))
    return ValidationReport(conforms=bool(conforms), results=results)


def sort_key(result: ValidationResult) -> tuple[str, ...]:
    """The order of results in a report: severity, focus node, path, value, shape, constraint, message."""
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
