"""User data that redefines the project or makes the graph inconsistent, found by rules (queries/integrity/*.rq)."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING

from kg.engine import OxigraphEngine
from kg.errors import DataFileError, InconsistentDataError
from kg.export import canonical_ntriples
from kg.integrity_lines import what_graph_rules_read, what_user_rules_read
from kg.packaged import data_files, integrity_query_files, ontology_files
from kg.prefixes import compact
from kg.validate import ValidationResult

if TYPE_CHECKING:  # rdflib holds a finding's terms, made only when a rule finds something
    from rdflib import Graph
    from rdflib.term import Node

__all__ = [
    "IntegrityFinding",
    "IntegrityRule",
    "as_validation_results",
    "check_graph",
    "check_ntriples",
    "check_user_files",
    "integrity_rules",
    "refuse_inconsistency",
]

_HEADER_LINE = re.compile(r"^#\s?(?P<key>[a-z]+):\s*(?P<value>.*)$")
_SCOPES = ("user", "graph")
#: Where a finding comes from when no user file holds or mentions it.
PACKAGED = "the packaged ontology and data"


@dataclass(frozen=True)
class IntegrityRule:
    """One rule: a SELECT of ?entity ?property ?value over the user's files ("user") or the reasoned graph
    ("graph"); rules named inconsistent-* find contradictions, which stop reasoning."""

    name: str
    title: str
    problem: str
    fix: str
    scope: str
    sparql: str

    @property
    def inconsistency(self) -> bool:
        return self.name.startswith("inconsistent-")


@dataclass(frozen=True)
class IntegrityFinding:
    """One statement a rule found, and the file it came from (or that mentions its subject, when inferred)."""

    rule: IntegrityRule
    entity: Node
    property: Node
    value: Node
    file: str
    inferred: bool = False

    def statement(self) -> str:
        return " ".join(_short(term) for term in (self.entity, self.property, self.value))

    def describe(self) -> str:
        """One line: the file, the statement, the problem and its fix."""
        where = (
            f"{self.file} (inferred from what it states about {_short(self.entity)})" if self.inferred else self.file
        )
        return f"{where}: {self.statement()}: {self.rule.title} ({self.rule.fix})"


def _short(term: Node) -> str:
    from rdflib import URIRef

    if isinstance(term, URIRef):
        return compact(str(term)) or f"<{term}>"
    return str(term.n3()) if hasattr(term, "n3") else str(term)


def _parse_rule(entry: Traversable) -> IntegrityRule:
    origin = f"queries/integrity/{entry.name}"
    text = entry.read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {"title": [], "description": [], "level": [], "scope": []}
    last = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        if last == "description" and line.startswith("#   "):
            fields[last].append(line[1:].strip())
            continue
        match = _HEADER_LINE.match(line)
        if match is None or match.group("key") not in fields:
            raise DataFileError(origin, f"unreadable header line {line!r}", line=number)
        last = match.group("key")
        fields[last].append(match.group("value").strip())
    scope = " ".join(fields["scope"])
    if not fields["title"] or scope not in _SCOPES:
        raise DataFileError(origin, "a rule needs '# title:' and '# scope: user' or '# scope: graph'", line=1)
    problem, _, fix = " ".join(fields["description"]).partition(" Fix: ")
    return IntegrityRule(entry.name.removesuffix(".rq"), fields["title"][0], problem, fix.rstrip("."), scope, text)


def integrity_rules(scope: str | None = None) -> list[IntegrityRule]:
    """The shipped rules sorted by name, all or those of one scope."""
    rules = [_parse_rule(entry) for entry in integrity_query_files()]
    return [rule for rule in rules if scope is None or rule.scope == scope]


def _rows(data: bytes, rules: list[IntegrityRule]) -> list[tuple[IntegrityRule, Node, Node, Node]]:
    if not rules or not data:
        return []
    engine = OxigraphEngine.from_ntriples(data)
    found = []
    for rule in rules:
        for entity, prop, value in engine.run(rule.sparql, {}, f"queries/integrity/{rule.name}.rq").rows:
            if entity is not None and prop is not None and value is not None:
                found.append((rule, entity, prop, value))
    return found


@functools.cache
def _packaged() -> Graph:
    from kg.store import new_graph, parse_into

    graph = new_graph()
    for entry in [*ontology_files(), *data_files()]:
        parse_into(graph, entry, label=f"kg/{entry.name}")
    return graph


def check_user_files(files: Sequence[Path], read: Mapping[str, bytes] | None = None) -> list[IntegrityFinding]:
    """What the user's files state about the project's vocabulary, RDF/OWL themselves, or project entities'
    identity: each statement with the file it is in (statements the packaged files make too are left out).
    The rules run on Oxigraph over the few lines of each file they can match (`kg.integrity_lines`): those
    `read` holds for the file's name (kept when the file was loaded, `kg.assemble.asserted_ntriples`), else the
    file is read for them."""
    if not files:
        return []
    per_file = [(str(path), _rule_lines(path, read or {})) for path in files]
    rows = _rows(b"".join(data for _name, data in per_file), integrity_rules("user"))
    if not rows:
        return []
    from rdflib import BNode

    from kg.store import new_graph

    graphs = [(name, new_graph().parse(data=data, format="nt")) for name, data in per_file]
    packaged = _packaged()
    findings = []
    for rule, entity, prop, value in rows:
        if not any(isinstance(term, BNode) for term in (entity, value)) and (entity, prop, value) in packaged:
            continue
        for name, graph in graphs:
            if _holds(graph, entity, prop, value):
                findings.append(IntegrityFinding(rule, entity, prop, value, name))
    return _sorted(findings)


def _rule_lines(path: Path, read: Mapping[str, bytes]) -> bytes:
    if str(path) in read:
        return read[str(path)]
    from kg.load import ntriples_of

    return what_user_rules_read(ntriples_of(path))


def check_graph(asserted: Graph, inferred: Graph, files: Sequence[Path]) -> list[IntegrityFinding]:
    """`check_ntriples` for rdflib graphs (without the user-file rules, which `check_user_files` runs)."""
    return _graph_findings(canonical_ntriples(asserted), canonical_ntriples(inferred), files)


def check_ntriples(
    asserted: bytes, inferred: bytes, user_files: Sequence[Path], read: Mapping[str, bytes] | None = None
) -> list[IntegrityFinding]:
    """What the user's files state about the project (`check_user_files`, `read` as there), then contradictions
    (and merged project entities) in the asserted and inferred N-Triples together, each named with the user file
    that states it, or that mentions its subject when it is inferred. The rules run on Oxigraph."""
    return check_user_files(user_files, read) + _graph_findings(asserted, inferred, user_files)


def _graph_findings(asserted: bytes, inferred: bytes, files: Sequence[Path]) -> list[IntegrityFinding]:
    rules = integrity_rules("graph")
    engine = OxigraphEngine.from_ntriples(what_graph_rules_read((asserted, inferred)))
    rows = [
        (rule, entity, prop, value)
        for rule in rules
        for entity, prop, value in engine.run(rule.sparql, {}, f"queries/integrity/{rule.name}.rq").rows
        if entity is not None and prop is not None and value is not None
    ]
    if not rows:
        return []
    from kg.store import new_graph, parse_into  # a contradiction found: name the files that state it

    per_file: list[tuple[str, Graph]] = []
    for path in files:
        graph = new_graph()
        parse_into(graph, path)
        per_file.append((str(path), graph))
    findings = []
    for rule, entity, prop, value in rows:
        stated = [name for name, graph in per_file if _holds(graph, entity, prop, value)]
        mentioned = [name for name, graph in per_file if (entity, None, None) in graph or (None, None, entity) in graph]
        for name in stated or mentioned or [PACKAGED]:
            findings.append(IntegrityFinding(rule, entity, prop, value, name, inferred=not stated))
    return _sorted(findings)


def _holds(graph: Graph, entity: Node, prop: Node, value: Node) -> bool:
    """Whether `graph` states the triple; a blank node (relabelled by the query engine) matches any."""
    from rdflib import BNode

    pattern = tuple(None if isinstance(term, BNode) else term for term in (entity, prop, value))
    return next(iter(graph.triples(pattern)), None) is not None  # type: ignore[arg-type]


def _sorted(findings: list[IntegrityFinding]) -> list[IntegrityFinding]:
    unique = {(f.rule.name, f.file, f.statement(), f.inferred): f for f in findings}
    return [unique[key] for key in sorted(unique)]


def refuse_inconsistency(findings: Sequence[IntegrityFinding]) -> None:
    """Raise InconsistentDataError naming the first contradiction found, if any: nothing reasoned from an
    inconsistent graph can be trusted, since anything follows from it."""
    clashes = sorted((f for f in findings if f.rule.inconsistency), key=lambda f: f.inferred)  # stated first
    if clashes:
        more = f" (and {len(clashes) - 1} more; run 'kg validate' for all)" if len(clashes) > 1 else ""
        raise InconsistentDataError(
            f"the graph is inconsistent, so reasoning cannot answer: {clashes[0].describe()}{more}"
        )


def as_validation_results(findings: Sequence[IntegrityFinding]) -> tuple[ValidationResult, ...]:
    """The findings as rows of a validation report (a violation each, the file named in the message)."""
    return tuple(
        ValidationResult(
            severity="sh:Violation",
            focus_node=_short(finding.entity),
            path=_short(finding.property),
            value=_short(finding.value),
            message=f"{finding.rule.title}, in {finding.file}{' (inferred)' if finding.inferred else ''}. "
            f"Fix: {finding.rule.fix}.",
            source_shape=f"queries/integrity/{finding.rule.name}.rq",
            constraint="integrity",
        )
        for finding in findings
    )
