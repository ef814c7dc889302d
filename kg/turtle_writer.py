"""Canonical Turtle from exact N-Triples, written as it goes: byte for byte what rdflib's serializer writes."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from itertools import chain
from operator import itemgetter
from typing import BinaryIO

from kg.nt_lines import NotCanonicalError, merged_lines, names_blank_nodes
from kg.turtle_names import TYPE, Names, predicate_key, sorted_objects

__all__ = ["write_turtle"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# Terms are kept as N-Triples writes them: IRIs in angle brackets, blank nodes as _:label, literals quoted.
FIRST, REST, NIL = (f"<{_RDF}{name}>" for name in ("first", "rest", "nil"))
CLASS = "<http://www.w3.org/2000/01/rdf-schema#Class>"
_SUBJECT, _VERB, _OBJECT = 0, 1, 2
#: Subjects written between two writes to the output.
_BATCH = 4096
_BARE = itemgetter(slice(1, -1))
_NEXT_PREDICATE = " ;\n    "


def write_turtle(parts: tuple[bytes | None, ...], prefixes: Mapping[str, str], out: BinaryIO) -> None:
    """The union of the N-Triples `parts` as rdflib's Turtle serializer writes it with `prefixes` bound.

    Nothing but an index of the subjects' lines is held; the text is written a few thousand subjects at a time.
    (Run it with the garbage collector off, as kg.export does: it makes a million tuples and no cycles.)
    """
    try:
        if any(names_blank_nodes(data) for data in parts if data):  # numbered by first appearance: lines in order
            document = _Document(merged_lines(*parts), prefixes)
        else:  # sorted, a subject's lines are consecutive and a repeated line follows its twin: both cheap to see
            lines: list[str] = []
            for data in parts:
                if data:
                    lines += data.decode("utf-8").split("\n")
            lines.sort()
            document = _Document(lines, prefixes)
    except NotCanonicalError:
        document = _Document(merged_lines(*parts, rewrite=True), prefixes)
    document.write(out)


def _bare(term: str) -> str:
    """The sort key rdflib uses: an IRI without its brackets, a blank node without `_:`."""
    return term[1:-1] if term[0] == "<" else term[2:]


class _Document:
    """The triples by subject, each as (predicate, "object ."), the way the lines give them; names computed once."""

    def __init__(self, lines: list[str], prefixes: Mapping[str, str]) -> None:
        """`lines` is emptied as it is read: the lines and the terms split from them are never all held at once."""
        by_subject: dict[str, list[tuple[str, str]]] = {}
        entry_of, same_predicate = by_subject.get, dict[str, str]().setdefault  # a string a predicate, not a line
        last_line = last_subject = ""
        entry: list[tuple[str, str]] = []
        try:
            for index, line in enumerate(lines):
                lines[index] = ""
                if line == last_line or not line:
                    continue  # the same triple again (sorted lines), or the end of a part
                last_line = line
                subject, predicate, rest = line.split(" ", 2)
                predicate = same_predicate(predicate, predicate)
                if subject != last_subject:
                    last_subject = subject
                    found = entry_of(subject)
                    if found is None:
                        found = by_subject[subject] = []
                    entry = found
                entry.append((predicate, rest))
        except ValueError:
            raise NotCanonicalError("a line with fewer than three terms") from None
        self.by_subject = by_subject
        #: How often each object occurs, by "object ." (rdflib orders subjects by it, and inlines blank nodes by it)
        self.counts = counts = Counter(map(itemgetter(1), chain.from_iterable(by_subject.values())))
        predicates = set(map(itemgetter(0), chain.from_iterable(by_subject.values())))
        if any(term[0] != "<" or term[-1] != ">" for term in predicates) or any(
            term[0] != "<" and term[:2] != "_:" for term in by_subject
        ):
            raise NotCanonicalError("a subject or predicate that is not an IRI")
        self.names = names = Names(prefixes)
        # rdflib's preprocessing: every IRI is named once (predicates may bind new prefixes), datatypes too
        self.verbs = verbs = {TYPE: "a"}
        for predicate in sorted(predicates, key=_BARE):
            if predicate != TYPE:
                verbs[predicate] = names.pname(predicate[1:-1], generate=True) or predicate
        self.rank = {predicate: index for index, predicate in enumerate(sorted(predicates, key=predicate_key))}
        self.labels: dict[str, str] = {}
        labels = self.labels
        literal = names.literal
        blank_objects = False
        datatypes: set[str] = set()
        self.referenced: defaultdict[str, int] = defaultdict(int)
        for rest, count in counts.items():
            if rest[-2:] != " .":
                raise NotCanonicalError(rest)
            first = rest[0]
            if first == "<":
                labels[rest] = names.iri(rest[1:-3])
                self.referenced[rest[:-2]] = count
            elif first == '"':
                if rest[-3] == ">":
                    labels[rest] = literal(rest[:-2])
                    datatypes.add(rest[rest.rfind("^^<") + 3 : -3])
                else:  # a string reads the same in both syntaxes, unless it holds escapes
                    labels[rest] = literal(rest[:-2]) if "\\" in rest else rest[:-2]
            else:
                labels[rest] = rest[:-2]
                blank_objects = True
        for datatype in datatypes:
            names.pname(datatype)
        label = labels.get
        self.subject_labels = {
            subject: label(subject + " .") or names.iri(subject[1:-1]) for subject in by_subject if subject[0] == "<"
        }
        self.blank_nodes = blank_objects or any(subject[0] == "_" for subject in by_subject)
        if NIL in verbs:
            verbs[NIL] = "()"
        if NIL in self.subject_labels:
            self.subject_labels[NIL] = "()"
        if NIL + " ." in labels:
            labels[NIL + " ."] = "()"
        self.with_blank_objects = (
            {subject for subject, pairs in by_subject.items() for _, rest in pairs if rest[0] == "_"}
            if blank_objects
            else set()
        )
        typed = (TYPE, CLASS + " .")
        members = [subject for subject, pairs in by_subject.items() if typed in pairs] if typed[1] in counts else []
        self.classes = sorted(members, key=lambda term: (term[0] != "_", _bare(term)))
        self.serialized: set[str] = set()
        self.depth = 0
        self.parts: list[str] = []

    def write(self, out: BinaryIO) -> None:
        names, labels, verbs, rank = self.names, self.labels, self.verbs, self.rank
        subject_labels = self.subject_labels
        header = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in sorted(names.used.items()))
        out.write(header.encode("utf-8"))
        parts = self.parts
        with_blank_objects, serialized, by_subject = self.with_blank_objects, self.serialized, self.by_subject
        plain = not self.blank_nodes
        written = 0
        for subject in self._subject_order():
            if not plain:
                if subject in serialized:  # a blank node written where it is used, or an item of a list
                    continue
                if subject[0] == "_" or subject in with_blank_objects:
                    self._statement(subject)
                    parts.append("\n")
                    continue
            # the common case, inline: an IRI whose objects are IRIs and literals
            pairs = by_subject[subject]
            if len(pairs) == 1:
                predicate, obj = pairs[0]
                parts.append(f"\n{subject_labels[subject]} {verbs[predicate]} {labels[obj]} .\n")
            else:
                groups: dict[str, list[str]] = {}
                for predicate, obj in pairs:
                    group = groups.get(predicate)
                    if group is None:
                        groups[predicate] = [obj]
                    else:
                        group.append(obj)
                chunks = []
                for predicate in sorted(groups, key=rank.__getitem__) if len(groups) > 1 else groups:
                    objects = groups[predicate]
                    if len(objects) == 1:
                        chunks.append(f"{verbs[predicate]} {labels[objects[0]]}")
                    else:
                        shown = ",\n        ".join([labels[obj] for obj in sorted_objects(objects, 2)])
                        chunks.append(f"{verbs[predicate]} {shown}")
                parts.append(f"\n{subject_labels[subject]} {_NEXT_PREDICATE.join(chunks)} .\n")
            written += 1
            if written % _BATCH == 0:
                out.write("".join(parts).encode("utf-8"))
                parts.clear()
        parts.append("\n")
        out.write("".join(parts).encode("utf-8"))
        parts.clear()

    def _subject_order(self) -> list[str]:
        """Instances of rdfs:Class, then IRIs by how often they are objects and by IRI, then blank nodes alike."""
        seen = set(self.classes)
        subjects = [subject for subject in self.by_subject if subject not in seen] if seen else list(self.by_subject)
        if self.blank_nodes:
            count = self.counts.get
            rows = sorted((term[0] == "_", count(term + " .", 0), _bare(term), term) for term in subjects)
            return [*self.classes, *(row[3] for row in rows)]
        subjects.sort(key=_BARE)  # two stable sorts with keys in C: by IRI, then by count
        subjects.sort(key=self.referenced.__getitem__)
        return [*self.classes, *subjects]

    # rdflib's TurtleSerializer, statement by statement, where blank nodes are involved; objects here are terms

    def _pairs(self, subject: str) -> list[tuple[str, str]]:
        return [(predicate, rest[:-2]) for predicate, rest in self.by_subject.get(subject, ())]

    def _references(self, node: str) -> int:
        return self.counts.get(node + " .", 0)

    def _write(self, text: str) -> None:
        self.parts.append(text)

    def _indent(self, modifier: int = 0) -> str:
        return "    " * (self.depth + modifier)

    def _statement(self, subject: str) -> None:
        self.serialized.add(subject)
        if subject[0] == "_" and self._references(subject) == 0:
            self._write("\n" + self._indent() + "[]")
        else:
            self._write("\n" + self._indent())
            self._path(subject, _SUBJECT)
        self._predicate_list(subject)
        self._write(" .")

    def _path(self, node: str, position: int, newline: bool = False) -> None:
        if self._squared(node, position, newline):
            return
        if position != _SUBJECT and not newline:
            self._write(" ")
        self._write(self._label(node, position))

    def _label(self, node: str, position: int) -> str:
        if position == _VERB:
            return self.verbs[node]
        if position == _SUBJECT and node[0] == "<":
            return self.subject_labels[node]
        return self.labels[node + " ."]

    def _squared(self, node: str, position: int, newline: bool) -> bool:
        if node[0] != "_" or node in self.serialized or self._references(node) > 1 or position == _SUBJECT:
            return False
        if not newline:
            self._write(" ")
        if self._is_list(node):
            self._write("(")
            self.depth += 1
            item: str | None = node
            while item is not None:
                member = self._value(item, FIRST)
                if member is not None:
                    self._path(member, _OBJECT)
                    self.serialized.add(item)
                item = self._value(item, REST)
            self.depth -= 1
            self._write(" )")
        else:
            self.serialized.add(node)
            self.depth += 2
            self._write("[")
            self.depth -= 1
            self._predicate_list(node)
            self._write(" ]")
            self.depth -= 1
        return True

    def _value(self, subject: str, predicate: str) -> str | None:
        values = sorted(obj for p, obj in self._pairs(subject) if p == predicate)
        return values[0] if values else None  # rdflib takes any; the first in order, so runs agree

    def _is_list(self, node: str) -> bool:
        if self._value(node, FIRST) is None:
            return False
        seen: set[str] = set()
        item: str | None = node
        while item is not None:
            if item in seen:
                return False  # a cycle of rdf:rest, on which rdflib would loop for ever
            seen.add(item)
            if item != NIL and len(self.by_subject.get(item, ())) != 2:
                return False
            item = self._value(item, REST)
        return True

    def _predicate_list(self, subject: str) -> None:
        groups: dict[str, list[str]] = {}
        for predicate, obj in self._pairs(subject):
            groups.setdefault(predicate, []).append(obj)
        order = sorted(groups, key=self.rank.__getitem__)
        for index, predicate in enumerate(order):
            if index:
                self._write(" ;\n" + self._indent(1))
            self._path(predicate, _VERB, newline=index > 0)
            objects = sorted_objects(groups[predicate])
            # rdflib means one level deeper for two objects or more, but its `(count == 1) and 0 or 1` is always 1
            self.depth += 1
            self._path(objects[0], _OBJECT)
            for obj in objects[1:]:
                self._write(",\n" + self._indent(1))
                self._path(obj, _OBJECT, newline=True)
            self.depth -= 1
