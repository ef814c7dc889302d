"""Whether the lexical form of a typed literal fits its XSD datatype (the checks rdflib made, natively fast)."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["XSD", "fits"]

XSD = "http://www.w3.org/2001/XMLSchema#"

_INTEGER = r"[+-]?[0-9]+"
_DECIMAL = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_FLOAT = rf"(?:{_DECIMAL}(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN)"
_TIMEZONE = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12][0-9]|3[01])"
_TIME = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
_DURATION_DAYS = r"(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
_BASE64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"

#: Lexical spaces (XSD 1.1 part 2) after whitespace is collapsed; the value ranges of bounded integers beside them.
_PATTERNS: dict[str, str] = {
    "boolean": r"true|false|1|0",
    "decimal": _DECIMAL,
    "float": _FLOAT,
    "double": _FLOAT,
    "date": rf"{_YEAR}-{_MONTH}-{_DAY}{_TIMEZONE}",
    "dateTime": rf"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}{_TIMEZONE}",
    "dateTimeStamp": rf"{_YEAR}-{_MONTH}-{_DAY}T{_TIME}(?:Z|[+-][0-9]{{2}}:[0-9]{{2}})",
    "time": rf"{_TIME}{_TIMEZONE}",
    "gYear": rf"{_YEAR}{_TIMEZONE}",
    "gYearMonth": rf"{_YEAR}-{_MONTH}{_TIMEZONE}",
    "gMonth": rf"--{_MONTH}{_TIMEZONE}",
    "gMonthDay": rf"--{_MONTH}-{_DAY}{_TIMEZONE}",
    "gDay": rf"---{_DAY}{_TIMEZONE}",
    "duration": rf"-?P(?=[0-9T])(?:[0-9]+Y)?(?:[0-9]+M)?{_DURATION_DAYS}",
    "dayTimeDuration": rf"-?P(?=[0-9T]){_DURATION_DAYS}",
    "yearMonthDuration": r"-?P(?=[0-9])(?:[0-9]+Y)?(?:[0-9]+M)?",
    "hexBinary": r"(?:[0-9a-fA-F]{2})*",
    "base64Binary": _BASE64,
}
_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}
_COMPILED = {name: re.compile(pattern) for name, pattern in _PATTERNS.items()}
_INTEGER_FORM = re.compile(_INTEGER)
_WHITESPACE = re.compile(r"[ \t\n\r]+")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_CALENDAR_DATE = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})")


def _in_range(low: int | None, high: int | None) -> Callable[[str], bool]:
    def check(form: str) -> bool:
        if not _INTEGER_FORM.fullmatch(form):
            return False
        value = int(form)
        return (low is None or value >= low) and (high is None or value <= high)

    return check


_CHECKS: dict[str, Callable[[str], bool]] = {name: _in_range(*bounds) for name, bounds in _RANGES.items()}


def _real_date(form: str) -> bool:
    """No 30 February: the day must exist in its month (29 February only in a leap year)."""
    match = _CALENDAR_DATE.match(form)
    if match is None:
        return True
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if month == 2 and day == 29:
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return day <= _DAYS_IN_MONTH[month - 1]


def fits(form: str, datatype: str) -> bool:
    """Whether `form` is in the lexical space of `datatype` (an IRI); True for datatypes not checked here."""
    if not datatype.startswith(XSD):
        return True
    local = datatype[len(XSD) :]
    check = _CHECKS.get(local)
    pattern = _COMPILED.get(local)
    if check is None and pattern is None:
        return True
    collapsed = _WHITESPACE.sub(" ", form).strip(" ")
    if check is not None:
        return check(collapsed)
    assert pattern is not None
    if not pattern.fullmatch(collapsed):
        return False
    return _real_date(collapsed) if local in ("date", "dateTime", "dateTimeStamp") else True
