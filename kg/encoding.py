"""The text of an RDF file made uniform before parsing (byte-order mark, old Mac line ends, surrogate escapes)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kg.errors import DataFileError

__all__ = ["refuse_surrogates", "uniform_bytes"]

#: Syntaxes with \uXXXX escapes that their parsers read one UTF-16 unit at a time.
_ESCAPING_SYNTAXES = ("turtle", "trig", "nt", "nquads")
#: An escaped backslash (skipped, so `\\uD83D` stays text) or a high and low surrogate escape written as a pair.
_ESCAPED_PAIR = r"\\\\|\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"
#: An escaped backslash, or an escape of one surrogate (Turtle's \uD800, \U0000D800; JSON's \ud800).
_SURROGATE_ESCAPE = re.compile(r"\\\\|\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_PAIR_BYTES = re.compile(_ESCAPED_PAIR.encode())
_BOM = "\ufeff".encode()


def uniform_bytes(data: bytes, syntax: str) -> bytes:
    """The UTF-8 bytes of a file with a leading byte-order mark dropped, old Mac line ends (CR only, no LF anywhere)
    made LF, and UTF-16 surrogate pairs written as two escapes (`\\uD83D\\uDE00`) made one escape of the character
    they encode (`\\U0001F600`), which every parser reads. Line numbers stay; a copy only where something changes."""
    data = data.removeprefix(_BOM)
    if b"\r" in data and b"\n" not in data:
        data = data.replace(b"\r", b"\n")
    if syntax in _ESCAPING_SYNTAXES and b"\\u" in data:
        data = _ESCAPED_PAIR_BYTES.sub(_joined_bytes, data)
    return data


def _joined_bytes(match: re.Match[bytes]) -> bytes:
    if match.group(1) is None:
        return match.group(0)
    high, low = int(match.group(1), 16), int(match.group(2), 16)
    return b"\\U%08X" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def refuse_surrogates(name: str, text: str, terms: Iterable[str]) -> None:
    """A term holding a lone UTF-16 surrogate (from an escape such as `\\uD800`) is no Unicode text: it cannot be
    written as UTF-8, so exports, snapshots and queries would fail on it later. Refuse the file now."""
    if not any(_SURROGATE.search(str(term)) for term in terms):
        return
    line = None
    for match in _SURROGATE_ESCAPE.finditer(text):
        if match.group(0) != "\\\\":
            line = text.count("\n", 0, match.start()) + 1
            break
    raise DataFileError(
        name,
        "a lone UTF-16 surrogate escape (such as \\uD800) encodes no character",
        line=line,
        fix="write the character itself, or escape it as \\U0001F600 or as a pair \\uD83D\\uDE00",
    )
