"""SHACL validation at native speed: the shapes compiled to SPARQL (kg.shacl_sparql) run on an Oxigraph store."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QuerySolution, QuerySolutions, RdfFormat, Store, parse

from kg.errors import DataFileError
from kg.prefixes import compact
from kg.shacl_sparql import Check, DatatypeCheck, compile_shapes
from kg.validation_report import ValidationReport, ValidationResult, sort_key

__all__ = ["native_validate", "rudof_validate"]

Term = NamedNode | BlankNode | Literal

_XSD = "http://www.w3.org/2001/XMLSchema#"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
#: Lexical forms the integer datatypes accept, and the sign each allows (0 both, 1 > 0, -1 < 0).
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INTEGER_SIGNS = {
    "integer": None, "int": None, "long": None, "short": None, "byte": None,
    "nonNegativeInteger": (0, 1), "positiveInteger": (1,), "unsignedInt": (0, 1), "unsignedLong": (0, 1),
    "nonPositiveInteger": (0, -1), "negativeInteger": (-1,),
}  # fmt: skip
_MESSAGE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")
_DEFAULT_MESSAGES = {
    "ClassConstraintComponent": "Value is not an instance of the class the shape asks for",
    "DatatypeConstraintComponent": "Value does not have the datatype {datatype}",
    "MaxCountConstraintComponent": "More values than the shape allows",
    "MinCountConstraintComponent": "Fewer values than the shape asks for",
    "SPARQLConstraintComponent": "The shape's SPARQL constraint selected this node",
}


def native_validate(data: bytes, shapes: bytes) -> ValidationReport:
    """Validate the exact N-Triples `data` against the N-Triples `shapes`.

    The shapes are compiled to one SPARQL query a constraint, run on an in-memory Oxigraph store. The store keeps
    numbers by value (`"5"^^xsd:nonNegativeInteger` is an xsd:integer there), so sh:datatype is tested on the
    exact terms as they stream past on their way into the store."""
    compiled = compile_shapes(shapes)
    by_predicate: dict[NamedNode, list[DatatypeCheck]] = {}
    for datatype_check in compiled.datatypes:
        for predicate in datatype_check.predicates:
            by_predicate.setdefault(NamedNode(predicate), []).append(datatype_check)
    store = Store()
    try:
        store.bulk_load(data, format=RdfFormat.N_TRIPLES)  # parsed natively: a loop over the quads costs seconds
    except SyntaxError as error:
        raise DataFileError("data", f"not N-Triples: {error}") from error
    misfits: list[tuple[DatatypeCheck, Quad]] = []
    for quad in _with_predicates(data, by_predicate):
        for wanted in by_predicate.get(quad.predicate, ()):
            if not _has_datatype(quad.object, wanted.datatype):
                misfits.append((wanted, quad))
    results: set[ValidationResult] = set()
    focus_sets: dict[str, set[Term]] = {}
    for check in compiled.checks:
        results.update(_run(store, check, focus_sets))
    for wanted, quad in misfits:
        if quad.subject in _focus_nodes(store, wanted.focus, focus_sets):
            message = wanted.message or _DEFAULT_MESSAGES["DatatypeConstraintComponent"]
            results.add(
                ValidationResult(
                    wanted.severity,
                    _short(quad.subject),
                    wanted.path,
                    _short(quad.object),
                    message.replace("{datatype}", compact(wanted.datatype) or wanted.datatype),
                    _short(wanted.shape),
                    "sh:DatatypeConstraintComponent",
                )
            )
    return ValidationReport(conforms=not results, results=tuple(sorted(results, key=sort_key)))


def _with_predicates(data: bytes, predicates: Iterable[NamedNode]) -> list[Quad]:
    """The triples of `data` with one of `predicates`, as the parser reads them (the exact terms): only the lines
    that mention one are parsed (a line a predicate is quoted in also is, and its triple is its own)."""
    names = sorted(str(predicate).encode("utf-8") for predicate in predicates)
    if not names:
        return []
    mention = re.compile(rb"[ \t](?:" + b"|".join(re.escape(name) for name in names) + rb")[ \t]")
    starts = sorted({data.rfind(b"\n", 0, found.start()) + 1 for found in mention.finditer(data)})
    lines = b"".join(data[start : (data.find(b"\n", start) + 1) or len(data)] for start in starts)
    return list(parse(lines + b"\n", format=RdfFormat.N_TRIPLES)) if lines else []


def _run(store: Store, check: Check, focus_sets: dict[str, set[Term]]) -> Iterator[ValidationResult]:
    solutions = store.query(check.query)
    assert isinstance(solutions, QuerySolutions)
    names = {variable.value for variable in solutions.variables}
    allowed = None if check.focus is None else _focus_nodes(store, check.focus, focus_sets)
    for row in solutions:
        focus = row["this"]
        if focus is None or (allowed is not None and focus not in allowed):
            continue
        value = row["value"] if "value" in names else None
        path = row["path"] if "path" in names else None
        components = [c for c, flag in check.flags if _true(row[flag])] if check.flags else [check.component]
        for component in components:
            message = check.message or _DEFAULT_MESSAGES.get(component, f"Fails sh:{component}")
            if check.focus is not None:  # a SPARQL constraint: {?var} in its message names the row's bindings
                message = _substituted(message, row, names)
                value = focus if value is None else value
            yield ValidationResult(
                check.severity,
                _short(focus),
                _short(path) if isinstance(path, NamedNode) else check.path,
                None if value is None else _short(value),
                message,
                _short(check.shape),
                f"sh:{component}",
            )


def _true(term: object) -> bool:
    return isinstance(term, Literal) and term.value in ("true", "1")


def _focus_nodes(store: Store, focus: str, cache: dict[str, set[Term]]) -> set[Term]:
    if focus not in cache:
        solutions = store.query(focus)
        assert isinstance(solutions, QuerySolutions)
        cache[focus] = {row["this"] for row in solutions}
    return cache[focus]


def _substituted(message: str, row: QuerySolution, names: set[str]) -> str:
    """The message with each {?var} (or {$var}) replaced by the row's value of var."""

    def bound(match: re.Match[str]) -> str:
        term = row[match.group(1)] if match.group(1) in names else None
        return "" if term is None else _short(term)

    return _MESSAGE.sub(bound, message)


def _has_datatype(term: object, datatype: str) -> bool:
    """Whether `term` is a literal of exactly `datatype`, and a well-formed one for the integer types."""
    if not isinstance(term, Literal):
        return False
    if datatype == _LANG_STRING:
        return term.language is not None
    if term.language is not None or term.datatype.value != datatype:
        return False
    name = datatype.removeprefix(_XSD)
    if not datatype.startswith(_XSD) or name not in _INTEGER_SIGNS:
        return True
    if not _INTEGER.fullmatch(term.value):
        return False
    number, signs = int(term.value), _INTEGER_SIGNS[name]
    return signs is None or (number > 0) - (number < 0) in signs


def _short(term: object) -> str:
    """A CURIE where a project prefix fits, else the term's N-Triples form."""
    if isinstance(term, NamedNode):
        return compact(term.value) or str(term)
    return str(term)


def rudof_validate(data: bytes, shapes: bytes) -> ValidationReport:
    """Validate with pyrudof's native engine, SHACL-SPARQL constraints included (kept to compare against).

    The data travel as N-Triples text, never as a file name or URL: pyrudof would fetch a URL."""
    import pyrudof  # imported here: only this comparison needs it

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    strict = pyrudof.ReaderMode.Strict
    rudof.read_data(data.decode("utf-8"), format=pyrudof.RDFFormat.NTriples, reader_mode=strict)
    rudof.read_shacl(shapes.decode("utf-8"), format=pyrudof.ShaclFormat.NTriples, reader_mode=strict)
    report = rudof.validate_shacl(mode=pyrudof.ShaclValidationMode.Native)
    results = {
        ValidationResult(
            severity=f"sh:{entry.severity}",
            focus_node=_rudof_short(entry.focus_node) or "",
            path=_rudof_short(entry.path),
            value=_rudof_short(entry.value),
            message=_unquoted(entry.message or ""),
            source_shape=_rudof_short(entry.source_shape) or "",
            constraint=_rudof_short(entry.constraint_component) or "",
        )
        for entry in report.violations
    }
    return ValidationReport(conforms=bool(report.conforms), results=tuple(sorted(results, key=sort_key)))


def _rudof_short(term: str | None) -> str | None:
    """pyrudof writes IRIs bare and literals quoted; the report shows CURIEs, <IRI>s and quoted literals."""
    if term is None:
        return None
    if term.startswith(('"', "_:")):
        return term
    return compact(term) or f"<{term}>"


def _unquoted(message: str) -> str:
    return message[1:-1] if len(message) >= 2 and message[0] == message[-1] == '"' else message
