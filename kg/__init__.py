"""neuropathy-kg: a provenance-first knowledge graph of peripheral neuropathy and vitamin B12 deficiency."""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

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
from kg.progress import progress, stage
from kg.queries import Parameter, StoredQuery, stored_queries, stored_query

if TYPE_CHECKING:
    from kg.diagram import causal_network, diagram
    from kg.docs import reference_html, write_reference
    from kg.explain import Explanation
    from kg.graph import KnowledgeGraph
    from kg.kgx import write_kgx
    from kg.limits import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT, STORED_MAX_ROWS, STORED_TIMEOUT
    from kg.load import ntriples_of
    from kg.mappings import mapping_ntriples
    from kg.qc import QCFinding, QCReport, QCRule, qc_rules, run_qc
    from kg.release import release_files, write_release
    from kg.remote import RemoteGraph
    from kg.results import QueryResult
    from kg.sandbox import network_isolation
    from kg.sssom_formats import export_mapping_set
    from kg.validate import ValidationReport, ValidationResult

#: Names imported on first use, not with the package: the engines behind them (rdflib's SPARQL parser, owlrl,
#: pyshacl, curies, starlette) take most of a second to import, and `kg query` on a snapshot needs none of them.
_LAZY = {
    "DEFAULT_MAX_ROWS": "kg.limits",
    "DEFAULT_TIMEOUT": "kg.limits",
    "Explanation": "kg.explain",
    "KnowledgeGraph": "kg.graph",
    "QCFinding": "kg.qc",
    "QCReport": "kg.qc",
    "QCRule": "kg.qc",
    "QueryResult": "kg.results",
    "RemoteGraph": "kg.remote",
    "STORED_MAX_ROWS": "kg.limits",
    "STORED_TIMEOUT": "kg.limits",
    "ValidationReport": "kg.validate",
    "ValidationResult": "kg.validate",
    "causal_network": "kg.diagram",
    "diagram": "kg.diagram",
    "export_mapping_set": "kg.sssom_formats",
    "mapping_ntriples": "kg.mappings",
    "network_isolation": "kg.sandbox",
    "ntriples_of": "kg.load",
    "qc_rules": "kg.qc",
    "reference_html": "kg.docs",
    "release_files": "kg.release",
    "run_qc": "kg.qc",
    "write_kgx": "kg.kgx",
    "write_reference": "kg.docs",
    "write_release": "kg.release",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


try:
    __version__ = version("neuropathy-kg")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree that was never installed
    __version__ = "0+unknown"

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
