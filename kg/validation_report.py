"""The SHACL validation report every validator returns: typed results that render as a readable table."""

from __future__ import annotations

from dataclasses import dataclass

from kg.results import format_table

__all__ = ["ValidationReport", "ValidationResult", "sort_key"]


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
