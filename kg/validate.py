"""SHACL validation: native (kg.fast_validate) by default, pyshacl as the reference, on exact N-Triples."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from kg.errors import InputError
from kg.fast_validate import native_validate, rudof_validate
from kg.prefixes import compact
from kg.validation_report import ValidationReport, ValidationResult, sort_key

if TYPE_CHECKING:  # rdflib is the reference path's (pyshacl); the native path never imports it
    from rdflib import Graph
    from rdflib.term import Node

__all__ = [
    "FAST_THRESHOLD",
    "VALIDATORS",
    "ValidationReport",
    "ValidationResult",
    "choose_validator",
    "packaged_shapes",
    "sort_key",
    "validate",
    "validate_ntriples",
]

#: Validation methods: fast (kg.fast_validate: the shapes as SPARQL on Oxigraph, proven to report the same focus
#: nodes, paths and shapes as pyshacl on the benchmark graphs), pyshacl (the reference), pyrudof (to compare
#: against), auto (fast).
VALIDATORS = ("auto", "fast", "pyshacl", "pyrudof")
#: auto picks the fast path above this many triples: at every size, since it agrees with pyshacl and is faster.
FAST_THRESHOLD = 0


def choose_validator(data: Graph | bytes, method: str = "auto") -> str:
    """The validator to run, "fast", "pyshacl" or "pyrudof": the one asked for, or "fast" for "auto"."""
    if method not in VALIDATORS:
        raise InputError(f"unknown validator {method!r} (use one of {', '.join(VALIDATORS)})")
    return "fast" if method == "auto" else method


def validate_ntriples(data: bytes, shapes: bytes, method: str = "auto") -> ValidationReport:
    """Validate the exact N-Triples `data` (ontology and instances together, so class hierarchies apply) against
    the N-Triples `shapes`."""
    chosen = choose_validator(data, method)
    if chosen == "fast":
        return native_validate(data, shapes)
    if chosen == "pyrudof":
        return rudof_validate(data, shapes)
    return _pyshacl(_graph(data), _graph(shapes))


@cache  # the same bytes every time, so that what kg.shacl_sparql compiles from them is reused
def packaged_shapes(*, derivations: bool) -> bytes:
    """The N-Triples of the packaged derivation shapes, or of the other shapes files (blank nodes apart per file)."""
    from kg.derive import DERIVATION_SHAPES
    from kg.load import ntriples_of
    from kg.packaged import shapes_files

    wanted = [entry for entry in shapes_files() if (entry.name == DERIVATION_SHAPES) == derivations]
    return b"".join(ntriples_of(entry, label=f"kg/{entry.name}") for entry in wanted)


def validate(data: Graph, shapes: Graph, method: str = "auto") -> ValidationReport:
    """Validate the rdflib graph `data` against the rdflib graph `shapes` (see validate_ntriples)."""
    if choose_validator(data, method) == "pyshacl":
        return _pyshacl(data, shapes)
    return validate_ntriples(_ntriples(data), _ntriples(shapes), method)


def _pyshacl(data: Graph, shapes: Graph) -> ValidationReport:
    from pyshacl import validate as pyshacl_validate  # imported here: only the reference needs it

    conforms, report_graph, _text = pyshacl_validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    results = tuple(sorted(_results(report_graph), key=sort_key))
    return ValidationReport(conforms=bool(conforms), results=results)


def _graph(ntriples: bytes) -> Graph:
    from rdflib import Graph

    graph = Graph()
    graph.parse(data=ntriples, format="nt")
    return graph


def _ntriples(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def _results(report: Graph) -> list[ValidationResult]:
    from rdflib.namespace import RDF, SH

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
