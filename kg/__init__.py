"""neuropathy-kg: a provenance-first knowledge graph of peripheral neuropathy and vitamin B12 deficiency."""

from importlib.metadata import PackageNotFoundError, version

from kg.errors import (
    DataFileError,
    InputError,
    KGError,
    NoResultsError,
    ParameterError,
    QueryError,
    UnknownQueryError,
    ValidationFailedError,
)
from kg.graph import KnowledgeGraph
from kg.queries import Parameter, StoredQuery, stored_queries, stored_query
from kg.results import QueryResult
from kg.validate import ValidationReport, ValidationResult

try:
    __version__ = version("neuropathy-kg")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "DataFileError",
    "InputError",
    "KGError",
    "KnowledgeGraph",
    "NoResultsError",
    "Parameter",
    "ParameterError",
    "QueryError",
    "QueryResult",
    "StoredQuery",
    "UnknownQueryError",
    "ValidationFailedError",
    "ValidationReport",
    "ValidationResult",
    "__version__",
    "stored_queries",
    "stored_query",
]
