"""A linear-time lexical screen of ad-hoc SPARQL: nesting budget, and clear refusals of updates, FROM and SERVICE."""

from __future__ import annotations

import functools
import re
from typing import Final

from kg.errors import QueryError

__all__ = ["MAX_CHAIN", "MAX_NESTING", "screen", "unescape_codepoints"]

#: Brackets ( { [ open at once. Oxigraph parses and evaluates recursively: on a thread's default 8 MB stack 10,000
#: nested groups, a 10,000-term `&&` chain or a 10,000-pattern group overflow it and kill the process (SIGSEGV),
#: 1,000 do not; queries run on a 256 MB stack (kg.sandbox.BIG_STACK_BYTES), where 60,000 still pass.
MAX_NESTING: Final = 500
#: Operators, separators (. ; ,) and patterns (OPTIONAL, UNION, FILTER, a nested group…) chained inside the
#: brackets open at one point, summed over those brackets: the depth the engine's recursion can reach.
MAX_CHAIN: Final = 5_000

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

#: One token per match, tried in order: comments, strings, IRIs, variables, words (keywords and prefixed names),
#: numbers, operators, brackets, and any other single character.
_TOKEN_PATTERN = r"""\s*(?:
      (?P<comment>\#[^\n\r]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
                |"(?:[^"\\\n\r]|\\.)*(?:"|\Z)|'(?:[^'\\\n\r]|\\.)*(?:'|\Z))
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<variable>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
    | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[\w:](?:[\w:%\-]|\\.|\.(?=[\w:%\\\-]))*)
    | (?P<operator>&&|\|\||!=|<=|>=|\^\^|[=<>!+\-*/|^])
    | (?P<open>[({\[])
    | (?P<close>[)}\]])
    | (?P<separator>[.;,])
    | (?P<other>.)
    )\s*"""

#: Words that start a pattern the engine nests (one more level of recursion each).
_PATTERN_WORDS: Final = frozenset(
    {"OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "GRAPH", "SERVICE", "VALUES", "EXISTS", "NOT", "IN"}
)
_UPDATE_WORDS: Final = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
_PROLOGUE_WORDS: Final = frozenset({"PREFIX", "BASE"})
#: Other keywords: not terms, so two of them in a row are no collection.
_KEYWORDS: Final = frozenset(
    {
        "SELECT",
        "CONSTRUCT",
        "DESCRIBE",
        "ASK",
        "WHERE",
        "DISTINCT",
        "REDUCED",
        "AS",
        "ORDER",
        "GROUP",
        "BY",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "ASC",
        "DESC",
        "SILENT",
        "UNDEF",
        "A",
        "NAMED",
    }
)
_OPERANDS: Final = frozenset({"number", "string", "iri", "variable"})


@functools.cache
def _tokens() -> re.Pattern[str]:
    """The token pattern, compiled on first use (a cold `kg query` never screens, so never pays for it)."""
    return re.compile(_TOKEN_PATTERN, re.VERBOSE | re.DOTALL)


def unescape_codepoints(sparql: str) -> str:
    r"""The query after SPARQL's codepoint-escape step (\uXXXX, \UXXXXXXXX), which the grammar applies first."""

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)

    return _CODEPOINT.sub(replace, sparql)


def screen(sparql: str, origin: str, *, allow_service: bool = False) -> None:
    """Refuse, with a clear QueryError, what no engine should see: nesting past the budget, updates, FROM, SERVICE.

    The text is read twice, as written and after codepoint escapes are applied, so whichever way an engine
    reads escapes it meets nothing the screen did not see. The screen is conservative (a SERVICE keyword
    spelled through escapes is refused even where an engine would read it as part of a string); the guarantee
    that no query reaches the network is the sandbox (kg.sandbox), not this screen.
    """
    readings = [sparql]
    unescaped = unescape_codepoints(sparql)
    if unescaped != sparql:
        readings.append(unescaped)
    for text in readings:
        _screen_one(text, origin, allow_service)


def _screen_one(text: str, origin: str, allow_service: bool) -> None:
    # per open bracket: the bracket, and how many operators, separators and patterns are chained inside it
    brackets: list[str] = ["{"]
    chains: list[int] = [0]
    total = 0  # sum(chains), kept as we go so the scan stays linear
    in_prologue = True
    previous_operand = False
    list_start = True  # just after ( or a comma: a + or - there is a sign, not a link of a chain
    for match in _tokens().finditer(text):
        kind = match.lastgroup
        if kind == "comment":
            continue
        token = match.group(match.lastindex or 0)
        inside = brackets[-1]
        operand = kind in _OPERANDS
        if kind == "word":
            _refuse_keyword(token, origin, allow_service, in_prologue)
            in_prologue = in_prologue and (token.upper() in _PROLOGUE_WORDS or ":" in token)
            upper = token.upper()
            operand = upper not in _PATTERN_WORDS and upper not in _KEYWORDS
            counted = upper in _PATTERN_WORDS or (operand and previous_operand and inside == "(")
        elif kind == "operator":
            # at a pattern level a sign belongs to a number (VALUES ?x { -1 -2 }); paths chain with / | ^
            sign = token in ("+", "-")
            counted = not sign or (inside == "(" and not list_start)
        elif kind == "separator":
            counted = token != "," or inside != "("  # commas of IN lists and function arguments are flat
        elif kind == "open":
            if len(brackets) > MAX_NESTING:
                raise QueryError(
                    f"{origin}: the query nests brackets more than {MAX_NESTING} deep (at character "
                    f"{match.start()}); the engine would run out of stack: flatten it"
                )
            counted = token == "{" or inside == "("  # not the rows of VALUES or a FILTER's own parentheses
            if counted:
                total = _count(chains, total, origin, match.start())
            brackets.append(token)
            chains.append(0)
            previous_operand, list_start = False, True
            continue
        elif kind == "close":
            if len(brackets) > 1:
                brackets.pop()
                total -= chains.pop()
            previous_operand, list_start = True, False
            continue
        else:
            counted = operand and previous_operand and inside == "("  # a collection ( 1 2 3 ), or 1 -1 -1
        if counted:
            total = _count(chains, total, origin, match.start())
        previous_operand, list_start = operand, token == ","


def _count(chains: list[int], total: int, origin: str, position: int) -> int:
    chains[-1] += 1
    if total + 1 > MAX_CHAIN:
        raise QueryError(
            f"{origin}: the query chains more than {MAX_CHAIN} operators or patterns (at character {position}); "
            "the engine would run out of stack: use VALUES or IN lists, or split the query"
        )
    return total + 1


def _refuse_keyword(token: str, origin: str, allow_service: bool, in_prologue: bool) -> None:
    upper = token.upper()
    if in_prologue and upper in _UPDATE_WORDS:
        raise QueryError(
            f"{origin}: not a valid SPARQL query but an update ({upper}): updates are refused, a query never "
            "changes the graph"
        )
    if upper == "FROM":
        raise QueryError(
            f"{origin}: FROM and FROM NAMED are refused: the graph queried is fixed, and naming another one would "
            "make the engine read that URL or file"
        )
    if upper == "SERVICE" and not allow_service:
        raise QueryError(f"{origin}: SERVICE (federated query) is refused: it would make this process fetch URLs")
