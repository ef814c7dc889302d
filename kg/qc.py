"""Quality control in the spirit of ROBOT report: stored rules (queries/qc/*.rq) with ERROR and WARN levels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from rdflib.term import Node

from kg.errors import DataFileError, UnknownQueryError
from kg.graph import KnowledgeGraph
from kg.packaged import qc_query_files
from kg.progress import progress
from kg.results import format_table
from kg.terms import compact

__all__ = ["LEVELS", "QCFinding", "QCReport", "QCRule", "parse_qc_rule", "qc_rules", "run_qc"]

#: Levels in order of severity; only ERROR fails the check.
LEVELS = ("ERROR", "WARN")

_HEADER_LINE = re.compile(r"^#\s?(?P<key>[a-z]+):\s*(?P<value>.*)$")
_HEADER_HELP = (
    "a QC rule opens with '# title: …', '# description: …' (the problem and its fix) and '# level: ERROR' "
    "or '# level: WARN', and selects ?entity ?property ?value"
)
_COLUMNS = ("entity", "property", "value")


@dataclass(frozen=True)
class QCRule:
    """One quality rule: a SELECT of ?entity ?property ?value, each row a problem found."""

    name: str
    title: str
    description: str
    level: str
    sparql: str


@dataclass(frozen=True)
class QCFinding:
    """One problem: the rule that found it, and the resource, property and value concerned."""

    level: str
    rule: str
    entity: str
    property: str
    value: str


@dataclass(frozen=True)
class QCReport:
    """Every finding of every rule, ERRORs first, then by rule, entity, property and value."""

    rules: tuple[QCRule, ...]
    findings: tuple[QCFinding, ...]

    @property
    def errors(self) -> tuple[QCFinding, ...]:
        return tuple(finding for finding in self.findings if finding.level == "ERROR")

    @property
    def warnings(self) -> tuple[QCFinding, ...]:
        return tuple(finding for finding in self.findings if finding.level == "WARN")

    @property
    def passed(self) -> bool:
        """True when no ERROR was found (warnings do not fail the check)."""
        return not self.errors

    def to_table(self) -> str:
        """A plain-text table (IRIs shortened with the project prefixes) and a closing count line."""
        summary = (
            f"{len(self.rules)} rules: {len(self.errors)} error(s), {len(self.warnings)} warning(s)"
            f"{'' if self.passed else ' - QC failed'}"
        )
        if not self.findings:
            return f"No problems found. {summary}."
        header = ("level", "rule", "entity", "property", "value")
        rows = [
            (f.level, f.rule, _short(f.entity), _short(f.property), _short(f.value).replace("\n", " "))
            for f in self.findings
        ]
        return f"{format_table(header, rows)}\n\n{summary}"

    def to_tsv(self) -> str:
        """One finding a line, tab-separated, with full IRIs, under a header line."""
        lines = ["level\trule\tentity\tproperty\tvalue"]
        lines += [
            "\t".join(_tsv_cell(cell) for cell in (f.level, f.rule, f.entity, f.property, f.value))
            for f in self.findings
        ]
        return "\n".join(lines) + "\n"


def parse_qc_rule(name: str, text: str, origin: str) -> QCRule:
    """Read a rule's comment header (title, description with indented continuation lines, level)."""
    fields: dict[str, list[str]] = {"title": [], "description": [], "level": []}
    last_key: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        if last_key == "description" and line.startswith("#   "):
            fields["description"].append(line[1:].strip())
            continue
        match = _HEADER_LINE.match(line)
        if match is None or match.group("key") not in fields:
            raise DataFileError(origin, f"unreadable header line {line!r}", line=number, fix=_HEADER_HELP)
        last_key = match.group("key")
        fields[last_key].append(match.group("value").strip())
    for key, values in fields.items():
        if not values:
            raise DataFileError(origin, f"header has no '# {key}:' line", line=1, fix=_HEADER_HELP)
    level = fields["level"][0]
    if level not in LEVELS:
        raise DataFileError(origin, f"unknown level {level!r}", fix=_HEADER_HELP)
    select = re.search(r"SELECT\s+(?:DISTINCT\s+)?(.*?)\s+WHERE", text, flags=re.IGNORECASE | re.DOTALL)
    if select is None or tuple(select.group(1).replace("?", "").split()) != _COLUMNS:
        raise DataFileError(origin, "a QC rule must SELECT ?entity ?property ?value", fix=_HEADER_HELP)
    return QCRule(name, " ".join(fields["title"]), " ".join(fields["description"]), level, text)


def _load(entry: Traversable) -> QCRule:
    return parse_qc_rule(entry.name.removesuffix(".rq"), entry.read_text(encoding="utf-8"), f"queries/qc/{entry.name}")


def qc_rules(names: tuple[str, ...] | list[str] = ()) -> list[QCRule]:
    """The shipped QC rules sorted by name, or only those named (an unknown name is an error)."""
    rules = [_load(entry) for entry in qc_query_files()]
    if not names:
        return rules
    known = {rule.name: rule for rule in rules}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UnknownQueryError(f"no QC rule named {', '.join(unknown)} (rules: {', '.join(known)})")
    return [known[name] for name in names]


def run_qc(graph: KnowledgeGraph, rules: list[QCRule] | None = None) -> QCReport:
    """Run each rule over the asserted triples (what the files say, not what the reasoner adds); without a
    choice of rules, also report user files that redefine the project or contradict it (kg.integrity)."""
    chosen = qc_rules() if rules is None else rules
    findings: list[QCFinding] = []
    for rule in progress(chosen, label="quality rules"):
        result = graph.query_packaged(rule.sparql, f"queries/qc/{rule.name}.rq", inferred=False)
        for row in result.rows:
            entity, prop, value = (_text(term) for term in row)
            findings.append(QCFinding(rule.level, rule.name, entity, prop, value))
    if rules is None and graph.user_files:  # the packaged graph is tested free of these
        for found in graph.integrity():
            terms = (_text(found.entity), _text(found.property), f"{_text(found.value)} (in {found.file})")
            findings.append(QCFinding("ERROR", f"integrity/{found.rule.name}", *terms))
    findings.sort(key=lambda f: (LEVELS.index(f.level), f.rule, f.entity, f.property, f.value))
    return QCReport(tuple(chosen), tuple(findings))


def _text(term: Node | None) -> str:
    return "" if term is None else str(term)


def _short(text: str) -> str:
    return compact(text) or text


def _tsv_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
