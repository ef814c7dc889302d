"""SHACL validation at native speed with pyrudof (Rust), reported in the same form as the pyshacl reference."""

from __future__ import annotations

from rdflib import Graph

from kg.terms import compact
from kg.validate import ValidationReport, ValidationResult, sort_key

__all__ = ["fast_validate"]


def fast_validate(data: Graph, shapes: Graph) -> ValidationReport:
    """Validate `data` against `shapes` with pyrudof's native engine, SHACL-SPARQL constraints included.

    The data travel as N-Triples text, never as a file name or URL: pyrudof would fetch a URL.
    """
    import pyrudof  # imported here: the package is needed only when the fast path runs

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(_ntriples(data), format=pyrudof.RDFFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    rudof.read_shacl(_ntriples(shapes), format=pyrudof.ShaclFormat.NTriples, reader_mode=pyrudof.ReaderMode.Strict)
    report = rudof.validate_shacl(mode=pyrudof.ShaclValidationMode.Native)
    results = {
        ValidationResult(
            severity=f"sh:{entry.severity}",
            focus_node=_short(entry.focus_node) or "",
            path=_short(entry.path),
            value=_short(entry.value),
            message=_unquoted(entry.message or ""),
            source_shape=_short(entry.source_shape) or "",
            constraint=_short(entry.constraint_component) or "",
        )
        for entry in report.violations
    }
    return ValidationReport(conforms=bool(report.conforms), results=tuple(sorted(results, key=sort_key)))


def _ntriples(graph: Graph) -> str:
    return graph.serialize(format="nt", encoding="utf-8").decode("utf-8")


def _short(term: str | None) -> str | None:
    """pyrudof writes IRIs bare and literals quoted; the report shows CURIEs, <IRI>s and quoted literals."""
    if term is None:
        return None
    if term.startswith(('"', "_:")):
        return term
    return compact(term) or f"<{term}>"


def _unquoted(message: str) -> str:
    return message[1:-1] if len(message) >= 2 and message[0] == message[-1] == '"' else message
