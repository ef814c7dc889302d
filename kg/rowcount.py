"""Counting the rows of SPARQL results as Oxigraph writes them, so a natively written result keeps the row limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pyoxigraph as ox

__all__ = ["NATIVE_FORMATS", "RowCountingWriter", "RowLimitReachedError"]


@dataclass(frozen=True)
class _Grammar:
    """Where rows show in one format's bytes: `marks` occur once per row outside quoted text (`offset` corrects
    for a header line); `quoted` formats hide marks inside double quotes, `escapes` ones escape quotes with `\\`."""

    format: ox.QueryResultsFormat
    marks: tuple[bytes, ...]
    offset: int = 0
    quoted: bool = False
    escapes: bool = False


#: The result formats Oxigraph writes, by the endpoint's short name, with how to count their rows:
#: JSON rows are the objects of the bindings array (`[{` opens the first, `},{` each next: outside strings these
#: occur nowhere else); XML has one <result> per row (text escapes `<`); CSV ends each row with CRLF outside quotes;
#: TSV writes terms N-Triples style, newlines escaped, so each row is one line. CSV and TSV start with a header.
_GRAMMARS: Final = {
    "json": _Grammar(ox.QueryResultsFormat.JSON, (b"[{", b"},{"), quoted=True, escapes=True),
    "xml": _Grammar(ox.QueryResultsFormat.XML, (b"<result>",)),
    "csv": _Grammar(ox.QueryResultsFormat.CSV, (b"\r\n",), offset=-1, quoted=True),
    "tsv": _Grammar(ox.QueryResultsFormat.TSV, (b"\n",), offset=-1),
}
NATIVE_FORMATS: Final = frozenset(_GRAMMARS)


class RowLimitReachedError(Exception):
    """Raised from inside Oxigraph's writer at the first chunk past the row limit: the query stops there."""


class RowCountingWriter:
    """A binary file for `QuerySolutions.serialize` that keeps what is written and counts its rows on the way."""

    def __init__(self, name: str, max_rows: int | None) -> None:
        self.grammar = _GRAMMARS[name]
        self.max_rows = max_rows
        self.chunks: list[bytes] = []
        self._marks = 0
        self._in_quotes = False
        self._pending = b""  # trailing backslashes: an escape the next chunk completes
        self._tail = b""  # the end of the text outside quotes, where a mark may continue into the next chunk

    @property
    def format(self) -> ox.QueryResultsFormat:
        return self.grammar.format

    @property
    def rows(self) -> int:
        return max(0, self._marks + self.grammar.offset)

    def write(self, chunk: bytes) -> int:
        self.chunks.append(bytes(chunk))
        self._count(bytes(chunk))
        if self.max_rows is not None and self.rows > self.max_rows:
            raise RowLimitReachedError
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the chunks are kept in memory."""

    def getvalue(self) -> bytes:
        return b"".join(self.chunks)

    def _count(self, chunk: bytes) -> None:
        grammar = self.grammar
        if grammar.escapes:
            chunk = self._pending + chunk
            kept = chunk.rstrip(b"\\")
            self._pending = chunk[len(kept) :]
            chunk = kept.replace(b"\\\\", b"").replace(b'\\"', b"")
        if grammar.quoted:
            parts = chunk.split(b'"')
            chunk = b"".join(parts[1 if self._in_quotes else 0 :: 2])
            self._in_quotes ^= len(parts) % 2 == 0
        text = self._tail + chunk
        longest = max(len(mark) for mark in grammar.marks)
        for mark in grammar.marks:
            self._marks += text.count(mark) - self._tail.count(mark)
        self._tail = text[-(longest - 1) :] if longest > 1 else b""
