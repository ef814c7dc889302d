"""neuropathy-kg: a provenance-first knowledge graph of peripheral neuropathy and vitamin B12 deficiency."""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kg.diagram import causal_network, diagram
    from kg.docs import reference_html, write_reference
    from kg.errors import (
        DataFileError,
        InconsistentDataError,
        InputError,
        KGError,
        NoResultsError,
        ParameterError,
        QueryBusyError,
        QueryError,
        QueryTimeoutError,
        ResultLimitError,
        UnknownQueryError,
        ValidationFailedError,
    )
    from kg.explain import Explanation
    from kg.graph import KnowledgeGraph
    from kg.kgx import write_kgx
    from kg.limits import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, STORED_MAX_ROWS, STORED_TIMEOUT
    from kg.load import ntriples_of
    from kg.mappings import mapping_ntriples
    from kg.progress import progress, stage
    from kg.qc import QCFinding, QCReport, QCRule, qc_rules, run_qc
    from kg.queries import Parameter, StoredQuery, stored_queries, stored_query
    from kg.release import release_files, write_release
    from kg.remote import RemoteGraph
    from kg.results import QueryResult
    from kg.sandbox import network_isolation
    from kg.sssom_formats import export_mapping_set
    from kg.validate import ValidationReport, ValidationResult

    __version__: str

#: Every public name is imported on first use, not with the package (PEP 562): `kg query` on a built store needs
#: none of the engines behind most of them (rdflib, owlrl, pyshacl, curies, starlette take most of a second).
_LAZY = {
    "DEFAULT_MAX_ROWS": "kg.limits",
    "DEFAULT_TIMEOUT": "kg.limits",
    "DataFileError": "kg.errors",
    "Explanation": "kg.explain",
    "InconsistentDataError": "kg.errors",
    "InputError": "kg.errors",
    "KGError": "kg.errors",
    "KnowledgeGraph": "kg.graph",
    "NoResultsError": "kg.errors",
    "Parameter": "kg.queries",
    "ParameterError": "kg.errors",
    "QCFinding": "kg.qc",
    "QCReport": "kg.qc",
    "QCRule": "kg.qc",
    "QueryBusyError": "kg.errors",
    "QueryError": "kg.errors",
    "QueryResult": "kg.results",
    "QueryTimeoutError": "kg.errors",
    "RemoteGraph": "kg.remote",
    "ResultLimitError": "kg.errors",
    "STORED_MAX_ROWS": "kg.limits",
    "STORED_TIMEOUT": "kg.limits",
    "StoredQuery": "kg.queries",
    "UnknownQueryError": "kg.errors",
    "ValidationFailedError": "kg.errors",
    "ValidationReport": "kg.validate",
    "ValidationResult": "kg.validate",
    "causal_network": "kg.diagram",
    "diagram": "kg.diagram",
    "export_mapping_set": "kg.sssom_formats",
    "mapping_ntriples": "kg.mappings",
    "network_isolation": "kg.sandbox",
    "ntriples_of": "kg.load",
    "progress": "kg.progress",
    "qc_rules": "kg.qc",
    "reference_html": "kg.docs",
    "release_files": "kg.release",
    "run_qc": "kg.qc",
    "stage": "kg.progress",
    "stored_queries": "kg.queries",
    "stored_query": "kg.queries",
    "write_kgx": "kg.kgx",
    "write_reference": "kg.docs",
    "write_release": "kg.release",
}


def __getattr__(name: str) -> object:
    if name == "__version__":
        value: object = _version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def _version() -> str:
    """The installed distribution's version (importlib.metadata takes a cold start tens of milliseconds)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neuropathy-kg")
    except PackageNotFoundError:  # pragma: no cover - only when run from a source tree that was never installed
        return "0+unknown"


__all__ = [
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "STORED_MAX_ROWS",
    "STORED_TIMEOUT",
    "DataFileError",
    "Explanation",
    "InconsistentDataError",
    "InputError",
    "KGError",
    "KnowledgeGraph",
    "NoResultsError",
    "Parameter",
    "ParameterError",
    "QCFinding",
    "QCReport",
    "QCRule",
    "QueryBusyError",
    "QueryError",
    "QueryResult",
    "QueryTimeoutError",
    "RemoteGraph",
    "ResultLimitError",
    "StoredQuery",
    "UnknownQueryError",
    "ValidationFailedError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "causal_network",
    "diagram",
    "export_mapping_set",
    "mapping_ntriples",
    "network_isolation",
    "ntriples_of",
    "progress",
    "qc_rules",
    "reference_html",
    "release_files",
    "run_qc",
    "stage",
    "stored_queries",
    "stored_query",
    "write_kgx",
    "write_reference",
    "write_release",
]
