"""SHACL shapes compiled to SPARQL queries that select the violations, for the native validator (kg.fast_validate)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pyoxigraph import Literal

from kg.shacl_shapes import (
    RDF,
    SH,
    XSD,
    Node,
    ShapesGraph,
    Term,
    is_deactivated,
    path_of,
    predicates_of,
    shown_path,
    term,
    text,
    unsupported,
)

__all__ = ["Check", "Compiled", "DatatypeCheck", "compile_shapes"]

_TYPE_OF = f"<{RDF}type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*"

#: Oxigraph's store keeps strings and these exactly; other datatypes it may store by value (xsd:integer for
#: xsd:nonNegativeInteger), so a datatype test in SPARQL could not tell them apart: those run on the exact triples.
_EXACT_IN_STORE = {f"{XSD}string", f"{RDF}langString", f"{XSD}anyURI"}

#: Shape predicates that constrain nothing, or that the code reads beside the one they go with.
_PASSIVE = {
    "deactivated", "declare", "description", "flags", "group", "message", "name", "order", "path", "prefixes",
    "property", "qualifiedValueShape", "qualifiedValueShapesDisjoint", "severity", "targetClass", "targetNode",
    "targetObjectsOf", "targetSubjectsOf",
}  # fmt: skip
_NODE_KINDS = {
    "IRI": "isIRI({v})",
    "BlankNode": "isBlank({v})",
    "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "(isIRI({v}) || isBlank({v}))",
    "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}
_COMPARISONS = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}
_PAIRS = {"lessThan": "<", "lessThanOrEquals": "<="}
_JOIN = {"or": "||", "and": "&&"}


@dataclass(frozen=True)
class Check:
    """Constraints of one shape as one query whose rows (?this, and ?value where there is one) are violations.

    A query tests several constraints of the shape at once where it can (one pass over the values): `flags` then
    names, for each constraint component, the variable that is true in a row that violates it; without flags
    every row violates `component`. `focus` is set for SHACL-SPARQL constraints, which run once over the whole
    graph rather than once per focus node: the rows then count only where ?this is among the focus nodes that
    `focus` selects."""

    shape: Node
    component: str
    path: str | None
    query: str
    message: str | None
    severity: str
    focus: str | None = None
    flags: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DatatypeCheck:
    """sh:datatype on a property shape whose path is predicates: tested on the exact triples, not the store."""

    shape: Node
    path: str
    predicates: frozenset[str]
    datatype: str
    focus: str
    message: str | None
    severity: str


@dataclass
class Compiled:
    """Every check the shapes make."""

    checks: list[Check] = field(default_factory=list)
    datatypes: list[DatatypeCheck] = field(default_factory=list)


@lru_cache(maxsize=8)  # one compilation for the calls given the same shapes (kg.validate.packaged_shapes): read only
def compile_shapes(shapes: bytes) -> Compiled:
    """Every check of every shape with targets, and of the property shapes they list."""
    graph = ShapesGraph(shapes)
    compiled = Compiled()
    for shape in sorted(graph.shapes_with_targets(), key=str):
        focus = _focus(graph, shape)
        _compile_shape(graph, shape, focus, graph.one(shape, f"{SH}path"), compiled)
        for prop in graph.all(shape, f"{SH}property"):
            if isinstance(prop, Literal) or is_deactivated(graph, prop):
                continue
            path = graph.one(prop, f"{SH}path")
            if path is None:
                raise unsupported(prop, "a property shape without sh:path")
            _compile_shape(graph, prop, focus, path, compiled)
    return compiled


def _compile_shape(graph: ShapesGraph, shape: Node, focus: str, path: Term | None, out: Compiled) -> None:
    sparql_path = None if path is None else path_of(graph, path)
    shown = None if path is None else shown_path(graph, path)
    values = "BIND(?this AS ?value)" if sparql_path is None else f"?this {sparql_path} ?value ."
    message = text(graph.one(shape, f"{SH}message"))
    severity = _severity(graph, shape)

    tests: list[tuple[str, str]] = []  # (constraint, SPARQL expression true where a value violates it)
    counts: dict[str, dict[str, Term]] = {"": {}, "qualified": {}}

    def add(name: str, query: str, own_focus: str | None = None, own_message: str | None = None) -> None:
        out.checks.append(Check(shape, _component(name), shown, query, own_message or message, severity, own_focus))

    for predicate, objects in graph.edges[shape].items():
        if not predicate.startswith(SH):
            continue
        name = predicate.removeprefix(SH)
        for value in objects:
            if name in _PASSIVE:
                continue
            if name == "sparql":
                query, own_message = _sparql(graph, value)
                add("SPARQL", query, f"SELECT DISTINCT ?this WHERE {{ {focus} }}", own_message)
            elif name in ("minCount", "maxCount", "qualifiedMinCount", "qualifiedMaxCount"):
                counts["qualified" if name.startswith("qualified") else ""][name] = value
            elif name in _PAIRS:
                if sparql_path is None:
                    raise unsupported(shape, f"sh:{name} on a node shape")
                pair = f"?this {term(value)} ?other . FILTER(!COALESCE(?value {_PAIRS[name]} ?other, false))"
                add(name, f"SELECT DISTINCT ?this ?value WHERE {{ {focus} {values} {pair} }}")
            elif name == "hasValue":
                absent = f"FILTER NOT EXISTS {{ {values.replace('?value', term(value))} }}"
                add(name, f"SELECT DISTINCT ?this WHERE {{ {focus} {absent} }}")
            elif name == "datatype" and text(value) not in _EXACT_IN_STORE:
                predicates = None if path is None else predicates_of(graph, path)
                if predicates is None or shown is None:
                    raise unsupported(shape, "sh:datatype other than strings on a path that is not predicates")
                selected = f"SELECT DISTINCT ?this WHERE {{ {focus} }}"
                out.datatypes.append(DatatypeCheck(shape, shown, predicates, text(value), selected, message, severity))
            else:
                tests.append((name, f"!COALESCE({_condition(graph, shape, name, value, '?value')}, false)"))
    if tests:
        flags = tuple((_component(name), f"f{number}") for number, (name, _test) in enumerate(tests))
        binds = " ".join(f"BIND({test} AS ?f{number})" for number, (_name, test) in enumerate(tests))
        chosen = " || ".join(f"?{flag}" for _component_name, flag in flags)
        variables = " ".join(f"?{flag}" for _component_name, flag in flags)
        query = f"SELECT DISTINCT ?this ?value {variables} WHERE {{ {focus} {values} {binds} FILTER({chosen}) }}"
        out.checks.append(Check(shape, flags[0][0], shown, query, message, severity, None, flags))
    for bounds in counts.values():
        if bounds:
            if sparql_path is None:
                raise unsupported(shape, f"sh:{next(iter(bounds))} on a node shape")
            query, flags = _count(graph, shape, bounds, focus, sparql_path)
            out.checks.append(Check(shape, flags[0][0], shown, query, message, severity, None, flags))


def _condition(graph: ShapesGraph, shape: Term, name: str, value: Term, v: str) -> str:
    """A SPARQL expression, true when the value node `v` meets the constraint `sh:name value` of `shape`."""
    if name == "class":
        return f"EXISTS {{ {v} {_TYPE_OF} {term(value)} }}"
    if name == "datatype":
        if text(value) not in _EXACT_IN_STORE:
            raise unsupported(shape, f"sh:datatype {text(value)} inside sh:or, sh:and, sh:not or sh:node")
        if text(value) == f"{RDF}langString":
            return f'(isLiteral({v}) && LANG({v}) != "")'
        return f"(isLiteral({v}) && DATATYPE({v}) = {term(value)})"
    if name == "nodeKind":
        kind = text(value).removeprefix(SH)
        if kind not in _NODE_KINDS:
            raise unsupported(shape, f"sh:nodeKind {kind}")
        return _NODE_KINDS[kind].format(v=v)
    if name == "pattern":
        flags = graph.one(shape, f"{SH}flags")
        extra = "" if flags is None else f", {term(flags)}"
        return f"(!isBlank({v}) && REGEX(STR({v}), {term(value)}{extra}))"
    if name == "languageIn":
        tags = " || ".join(f"langMatches(LANG({v}), {term(tag)})" for tag in graph.items(value))
        return f"(isLiteral({v}) && ({tags or 'false'}))"
    if name in ("minLength", "maxLength"):
        return f"(!isBlank({v}) && STRLEN(STR({v})) {'>=' if name == 'minLength' else '<='} {text(value)})"
    if name in _COMPARISONS:
        return f"({v} {_COMPARISONS[name]} {term(value)})"
    if name == "in":
        return f"({v} IN ({', '.join(term(item) for item in graph.items(value))}))"
    if name in ("or", "and"):
        members = [_conforms(graph, member, v) for member in graph.items(value)]
        return f"({f' {_JOIN[name]} '.join(members) or ('false' if name == 'or' else 'true')})"
    if name == "not":
        return f"!{_conforms(graph, value, v)}"
    if name == "node":
        return _conforms(graph, value, v)
    raise unsupported(shape, f"sh:{name}")


def _conforms(graph: ShapesGraph, shape: Term, v: str) -> str:
    """A SPARQL expression, true when `v` conforms to the (nested, path-less) shape."""
    if graph.all(shape, f"{SH}property") or graph.all(shape, f"{SH}path"):
        raise unsupported(shape, "a nested shape with a path or property shapes")
    tests = [
        f"COALESCE({_condition(graph, shape, predicate.removeprefix(SH), value, v)}, false)"
        for predicate, values in graph.edges.get(shape, {}).items()
        if predicate.startswith(SH) and predicate.removeprefix(SH) not in _PASSIVE
        for value in values
    ]
    return f"({' && '.join(tests) or 'true'})"


def _count(
    graph: ShapesGraph, shape: Node, bounds: dict[str, Term], focus: str, path: str
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """One query for a shape's (qualified) minimum and maximum counts: the values are counted once."""
    found = f"?this {path} ?value ."
    if any(name.startswith("qualified") for name in bounds):
        inner = graph.one(shape, f"{SH}qualifiedValueShape")
        if inner is None:
            raise unsupported(shape, "sh:qualifiedMinCount or MaxCount without sh:qualifiedValueShape")
        found += f" FILTER(COALESCE({_conforms(graph, inner, '?value')}, false))"
    if any(name.endswith("inCount") for name in bounds):
        found = f"OPTIONAL {{ {found} }}"
    tests = [
        (name, f"COUNT(DISTINCT ?value) {'<' if name.endswith('inCount') else '>'} {text(bound)}")
        for name, bound in sorted(bounds.items())
    ]
    selected = " ".join(f"({test} AS ?f{number})" for number, (_name, test) in enumerate(tests))
    having = " || ".join(test for _name, test in tests)
    query = f"SELECT ?this {selected} WHERE {{ {focus} {found} }} GROUP BY ?this HAVING({having})"
    return query, tuple((_component(name), f"f{number}") for number, (name, _test) in enumerate(tests))


def _component(name: str) -> str:
    return f"{name[0].upper()}{name[1:]}ConstraintComponent"


def _focus(graph: ShapesGraph, shape: Node) -> str:
    """A group pattern binding ?this, once, to every focus node of the shape's targets."""
    targets = [f"{{ ?this {_TYPE_OF} {term(c)} }}" for c in graph.all(shape, f"{SH}targetClass")]
    targets += [f"{{ ?this {term(p)} [] }}" for p in graph.all(shape, f"{SH}targetSubjectsOf")]
    targets += [f"{{ [] {term(p)} ?this }}" for p in graph.all(shape, f"{SH}targetObjectsOf")]
    targets += [f"{{ VALUES ?this {{ {term(n)} }} }}" for n in graph.all(shape, f"{SH}targetNode")]
    return f"{{ SELECT DISTINCT ?this WHERE {{ {' UNION '.join(sorted(targets))} }} }}"


def _sparql(graph: ShapesGraph, constraint: Term) -> tuple[str, str | None]:
    select = text(graph.one(constraint, f"{SH}select"))
    if not select or "$PATH" in select:
        raise unsupported(constraint, "a SPARQL constraint without sh:select, or with $PATH")
    prefixes = []
    for holder in graph.all(constraint, f"{SH}prefixes"):
        for declaration in graph.all(holder, f"{SH}declare"):
            prefix, namespace = graph.one(declaration, f"{SH}prefix"), graph.one(declaration, f"{SH}namespace")
            prefixes.append(f"PREFIX {text(prefix)}: <{text(namespace)}>")
    return "\n".join([*sorted(set(prefixes)), select]), text(graph.one(constraint, f"{SH}message")) or None


def _severity(graph: ShapesGraph, shape: Term) -> str:
    severity = graph.one(shape, f"{SH}severity")
    return "sh:" + (text(severity).removeprefix(SH) if severity is not None else "Violation")
