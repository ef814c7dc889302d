"""The query limits' values (time, rows, memory, queueing): read on the `kg query` path without starting workers."""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "DEFAULT",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_TIMEOUT",
    "QUEUE_SECONDS",
    "STORED_MAX_ROWS",
    "STORED_TIMEOUT",
    "WORKER_MEMORY_BYTES",
    "Default",
]

#: Seconds an ad-hoc query may run, on the API and the endpoint, unless the caller says otherwise.
DEFAULT_TIMEOUT: Final = 10.0
#: Rows (or triples, for CONSTRUCT and DESCRIBE) an ad-hoc query may return before it fails with ResultLimitError.
DEFAULT_MAX_ROWS: Final = 10_000
#: Seconds and rows for the stored queries: generous (each answers the packaged graph in milliseconds), but
#: finite, because user data can make a reviewed query run away (`nkg:causes rdfs:subPropertyOf owl:sameAs`
#: made one run past 120 s at 4.9 GB).
STORED_TIMEOUT: Final = 120.0
STORED_MAX_ROWS: Final = 1_000_000

#: Seconds a request to the endpoint waits for a free query worker before it gets 503 and Retry-After: two slow
#: queries holding both workers must not make every other client wait their whole time limit.
QUEUE_SECONDS: Final = 2.0

#: Memory (data segment) a query worker may take. An ORDER BY over a cartesian product grows by about half a
#: gigabyte a second, so the time limit alone would let one query take the machine's memory; past this cap an
#: allocation fails, the worker dies, and the caller gets a QueryError.
WORKER_MEMORY_BYTES: Final = 2_000_000_000


class Default(enum.Enum):
    """The type of DEFAULT: "not given, use the default limit", distinct from None ("no limit")."""

    DEFAULT = "default"


DEFAULT: Final = Default.DEFAULT
