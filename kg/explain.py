"""Explanations for people: the rows of the stored query `derivation` arranged as trees down to the quotes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Literal
from rdflib.term import Node

from kg.results import QueryResult

__all__ = ["Explanation", "Quote", "Step"]


@dataclass(frozen=True)
class Quote:
    """A claim's words: the quote, its character offsets in the document, its references and qualifiers."""

    text: str
    start: str
    end: str
    references: str
    qualifiers: str

    def line(self) -> str:
        where = f"characters {self.start}–{self.end}"
        if self.references:
            where += f"; references {self.references}"
        hedge = f" ({self.qualifiers})" if self.qualifiers else ""
        return f'"{self.text}"{hedge} [{where}]'


@dataclass
class Step:
    """A triple of an explanation: derived (with its rule, and the steps it was derived from) or stated (quotes)."""

    subject: str
    predicate: str
    obj: str
    rule: str = ""
    hedge: str = ""
    quotes: list[Quote] = field(default_factory=list)
    premises: list[Step] = field(default_factory=list)

    @property
    def stated(self) -> bool:
        return not self.rule

    def lines(self, depth: int = 0) -> list[str]:
        indent = "  " * depth
        how = "stated" if self.stated else f"derived by {self.rule}"
        if self.hedge:
            how += f"; hedge: {self.hedge}"
        found = [f"{indent}{self.subject} —{self.predicate}→ {self.obj} ({how})"]
        found.extend(f"{indent}  {quote.line()}" for quote in self.quotes)
        for premise in self.premises:
            found.extend(premise.lines(depth + 1))
        return found


@dataclass
class Explanation:
    """Every link from one entity to another, each a tree of steps whose leaves are the claims' quotes."""

    links: list[Step]

    @classmethod
    def from_rows(cls, result: QueryResult) -> Explanation:
        """Build the trees from the rows of queries/derivation.rq (one row per step and claim)."""
        rows = result.dicts()
        steps: dict[tuple[Node, Node], Step] = {}  # (link, node) -> its step; claims of one triple share a step
        children: dict[tuple[Node, Node], list[Node]] = defaultdict(list)
        hedges: dict[Node, str] = {}
        order: list[Node] = []
        for row in rows:
            quoted = "quote" in row
            node = _triple_key(row) if quoted else row["step"]
            # a stated link is its claims: every claim of the same triple is one link
            link = node if quoted and row["link"] == row["step"] else row["link"]
            if link not in order:
                order.append(link)
            if "hedge" in row:
                hedges[link] = str(row["hedge"])
            rule = f"{row['ruleLabel']} of '{row['axiomOfLabel']}'" if "ruleLabel" in row else ""
            triple = (str(row["stepSubjectLabel"]), str(row["stepPredicateLabel"]), str(row["stepObjectLabel"]))
            step = steps.setdefault((link, node), Step(*triple, rule=rule, hedge=str(row.get("stepHedge", ""))))
            if quoted:
                qualifiers = (str(row[name]) for name in ("modality", "frequency", "circumstance") if name in row)
                quote = Quote(
                    str(row["quote"]),
                    str(row.get("start", "")),
                    str(row.get("end", "")),
                    str(row.get("references", "")),
                    "; ".join(qualifiers),
                )
                if quote not in step.quotes:
                    step.quotes.append(quote)
            parent = row.get("parent")
            if parent is not None and node not in children[(link, parent)]:
                children[(link, parent)].append(node)
        links = []
        for link in order:
            root = steps[(link, link)]
            root.hedge = hedges.get(link, root.hedge)
            _attach(root, (link, link), steps, children)
            links.append(root)
        return cls(links)

    def to_text(self) -> str:
        """The trees as indented lines, a blank line between links."""
        return "\n\n".join("\n".join(link.lines()) for link in self.links)


def _triple_key(row: dict[str, Node]) -> Node:
    """Claims of the same triple are one stated step: keyed by the triple, written as one string."""
    return Literal(f"{row['stepSubject']} {row['stepPredicate']} {row['stepObject']}")


def _attach(
    step: Step,
    key: tuple[Node, Node],
    steps: dict[tuple[Node, Node], Step],
    children: dict[tuple[Node, Node], list[Node]],
) -> None:
    """Hang each step's premises under it, in path order: the one that starts where the step starts comes first."""
    link = key[0]
    premises = [(steps[(link, child)], child) for child in children.get(key, [])]
    premises.sort(key=lambda pair: (pair[0].subject != step.subject, pair[0].obj == step.obj))
    for premise, child in premises:
        _attach(premise, (link, child), steps, children)
        step.premises.append(premise)
