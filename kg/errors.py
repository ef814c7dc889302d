"""The one exception hierarchy of the package, with the CLI exit code each error maps to."""

from __future__ import annotations

__all__ = [
    "DataFileError",
    "InconsistentDataError",
    "InputError",
    "KGError",
    "NoResultsError",
    "ParameterError",
    "QueryBusyError",
    "QueryError",
    "QueryTimeoutError",
    "ResultLimitError",
    "UnknownQueryError",
    "ValidationFailedError",
]


class KGError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 2


class InputError(KGError):
    """A file, argument or value given by the user cannot be used."""


class DataFileError(InputError):
    """An RDF or mapping file cannot be read; the message names the file and, where known, the line."""

    def __init__(self, path: str, problem: str, line: int | None = None, fix: str | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        message = f"{where}: {problem}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


class QueryError(InputError):
    """A SPARQL query is malformed, refused, or failed while running."""


class QueryTimeoutError(QueryError):
    """A query ran past its time limit and was stopped."""


class QueryBusyError(QueryTimeoutError):
    """Every query worker stayed busy past the wait allowed; `retry_after` is a fair guess, in seconds."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ResultLimitError(QueryError):
    """A query's result has more rows (or triples) than its row limit allows."""


class UnknownQueryError(QueryError):
    """No stored query has the requested name."""


class ParameterError(QueryError):
    """A stored query parameter is missing, unexpected, or names no entity of the graph."""


class ValidationFailedError(KGError):
    """The graph does not conform to the SHACL shapes."""

    exit_code = 1


class InconsistentDataError(KGError):
    """The data contradicts itself (a member of owl:Nothing, two disjoint classes, …): reasoning cannot answer."""

    exit_code = 1


class NoResultsError(KGError):
    """A command that must produce results found none."""

    exit_code = 1
