"""Stored SPARQL queries: their documented headers, and running them with parameters bound as RDF terms."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, NamedTuple

from kg.errors import DataFileError, ParameterError, UnknownQueryError
from kg.packaged import query_files

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["Parameter", "StoredQuery", "parse_stored_query", "queries_reference", "stored_queries", "stored_query"]

_HEADER_LINE = re.compile(
    r"^#\s?(?P<key>[a-z]+)(?:\s+(?P<name>[a-z][a-z0-9_]*))?(?:\s+\((?P<kind>[a-z]+)\))?:\s*(?P<value>.*)$"
)
_KINDS = ("entity", "iri", "literal")

# Named tuples, not dataclasses: every `kg query` reads a stored query first, and dataclasses imports inspect,
# a sizeable part of a cold start.


class Parameter(NamedTuple):
    """A value the caller supplies: `entity` resolves a label, synonym, CURIE or IRI to a graph resource;
    `iri` expands a CURIE or IRI as given (an external identifier); `literal` is used as text."""

    name: str
    description: str
    kind: str = "entity"
    example: str | None = None


class StoredQuery(NamedTuple):
    """A SPARQL query shipped in queries/, with the title, question and parameters from its comment header."""

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    sparql: str

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        expected = ", ".join(p.name for p in self.parameters) or "none"
        raise ParameterError(f"query {self.name!r} has no parameter {name!r} (its parameters: {expected})")

    def check_arguments(self, given: dict[str, str]) -> None:
        """Every declared parameter is given, and nothing else."""
        for name in given:
            self.parameter(name)
        missing = [p for p in self.parameters if p.name not in given]
        if missing:
            hints = "; ".join(f"--param {p.name}=VALUE ({p.description})" for p in missing)
            raise ParameterError(f"query {self.name!r} needs {hints}")


def parse_stored_query(name: str, text: str, origin: str) -> StoredQuery:
    """Read the comment header that opens a stored query: title, description, param lines, example lines."""
    fields: dict[str, list[str]] = {"title": [], "description": []}
    parameters: list[Parameter] = []
    examples: dict[str, str] = {}
    last_key: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        if line.strip() == "#":
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            if last_key in fields and line.startswith("#   "):
                fields[last_key].append(line[1:].strip())  # continuation of a long description
                continue
            raise DataFileError(origin, f"unreadable header line {line!r}", line=number, fix=_HEADER_HELP)
        key, param_name, kind, value = match.group("key", "name", "kind", "value")
        last_key = key
        if key in fields:
            fields[key].append(value.strip())
        elif key == "param" and param_name:
            kind = kind or "entity"
            if kind not in _KINDS:
                raise DataFileError(origin, f"unknown parameter kind {kind!r}", line=number, fix=_HEADER_HELP)
            parameters.append(Parameter(param_name, value.strip(), kind))
        elif key == "example" and param_name:
            examples[param_name] = value.strip()
        else:
            raise DataFileError(origin, f"unknown header field {key!r}", line=number, fix=_HEADER_HELP)
    for key in ("title", "description"):
        if not fields[key]:
            raise DataFileError(origin, f"header has no '# {key}:' line", line=1, fix=_HEADER_HELP)
    parameters = [Parameter(p.name, p.description, p.kind, examples.get(p.name)) for p in parameters]
    for parameter in parameters:
        if not re.search(rf"\?{parameter.name}\b", text):
            raise DataFileError(origin, f"parameter {parameter.name!r} is never used as ?{parameter.name}")
    return StoredQuery(
        name=name,
        title=" ".join(fields["title"]),
        description=" ".join(fields["description"]),
        parameters=tuple(parameters),
        sparql=text,
    )


_HEADER_HELP = (
    "a stored query opens with '# title: …', '# description: …', then '# param NAME: …' "
    "or '# param NAME (literal): …' and '# example NAME: …' lines"
)


def _load(entry: Traversable) -> StoredQuery:
    name = entry.name.removesuffix(".rq")
    return parse_stored_query(name, entry.read_text(encoding="utf-8"), f"queries/{entry.name}")


def stored_queries() -> list[StoredQuery]:
    """Every stored query shipped with the package, sorted by name."""
    return [_load(entry) for entry in query_files()]


@functools.cache
def _query_files() -> dict[str, Traversable]:
    """The packaged queries by name, listed once a process: listing them cost more than running a small one."""
    return {entry.name.removesuffix(".rq"): entry for entry in query_files()}


def stored_query(name: str) -> StoredQuery:
    """The stored query called `name` (the file name without .rq)."""
    files = _query_files()
    if name in files:
        return _load(files[name])  # only this one: a cold `kg query` reads one header, not all of them
    import difflib

    close = difflib.get_close_matches(name, files, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownQueryError(f"no stored query named {name!r}{hint} ('kg queries' lists them)")


def queries_reference() -> str:
    """docs/queries.md, generated from the stored queries' headers so that the list cannot drift from queries/."""
    queries = stored_queries()
    lines = [
        "# Stored queries",
        "",
        "<!-- Generated from the headers of queries/*.rq by `kg queries --format markdown > docs/queries.md`;",
        "     tests/test_readme.py fails when this file is out of date. Edit the .rq headers, not this file. -->",
        "",
        "Each file in `queries/` answers one question and opens with a comment header (`# title:`,",
        "`# description:`, `# param NAME:` and `# example NAME:` lines) that `kg queries` reads. Parameters are bound",
        "as RDF terms, never pasted into the query text; a value may be a label or synonym (case-insensitive), a CURIE",
        "(`entity:fish`) or a full IRI. An unknown value is an error naming the labels it was likely meant to be.",
        "Queries run on Oxigraph over the asserted plus inferred triples (`--asserted-only` leaves the inferred out).",
        "",
        "| name | parameters | question |",
        "|---|---|---|",
    ]
    for query in queries:
        names = ", ".join(f"`{parameter.name}`" for parameter in query.parameters) or "–"
        lines.append(f"| [`{query.name}`](#{query.name}) | {names} | {query.title} |")
    for query in queries:
        lines += ["", f"## {query.name}", "", f"**{query.title}.** {query.description}", ""]
        for parameter in query.parameters:
            example = f" (example: {parameter.example})" if parameter.example else ""
            lines.append(f"- `{parameter.name}` ({parameter.kind}): {parameter.description}{example}")
        if query.parameters:
            lines.append("")
        command = f"kg query {query.name}" + "".join(
            f' --param {parameter.name}="{parameter.example}"' for parameter in query.parameters
        )
        if all(parameter.example for parameter in query.parameters):
            lines += ["```bash", command, "```"]
        else:
            lines.append(f"`{command}`")
        lines += ["", f"Source: [queries/{query.name}.rq](../queries/{query.name}.rq)"]
    return "\n".join(lines) + "\n"
