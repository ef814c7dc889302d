"""Terms as rdflib's Turtle serializer writes and orders them: prefixed names, literal forms, sort keys."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from operator import itemgetter
from typing import Any, cast
from unicodedata import category

from kg.nt_lines import literal_parts

__all__ = ["LABEL", "TYPE", "Names", "predicate_key", "quoted", "sorted_objects"]

XSD = "http://www.w3.org/2001/XMLSchema#"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
_XMLNS = "http://www.w3.org/XML/1998/namespace"
_NAME_START = frozenset({"Ll", "Lu", "Lo", "Lt", "Nl"})
_SPLIT_START = _NAME_START | {"Nd"}
_NAME = _NAME_START | {"Mc", "Me", "Mn", "Lm", "Nd"}
_ALLOWED = frozenset("\u00b7\u0387-._%()")
_NOT_IN_IRI = re.compile(r'[<>" {}|\\^`]')
#: rdflib's name characters among ASCII: a trailing run of them is the local name, from its first letter or digit.
_ASCII_NAME = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.%()-"
_ASCII_START = re.compile(r"[A-Za-z0-9_]")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: Local names rdflib writes unchanged after a namespace ending in "/" or "#" (everything else takes the slow path).
_SIMPLE_LOCAL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_INTEGER_TYPES = frozenset(
    XSD + name
    for name in (
        *("integer", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger"),
        *("long", "int", "short", "byte", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte"),
    )
)


def _split(iri: str) -> tuple[str, str]:
    """rdflib.namespace.split_uri: the local name is the trailing run of name characters, from its first letter."""
    if iri.startswith(_XMLNS):
        return _XMLNS, iri.split(_XMLNS)[1]
    if iri.isascii():
        start = _ASCII_START.search(iri, len(iri.rstrip(_ASCII_NAME)))
        if start is None or not start.start():
            raise ValueError(iri)
        return iri[: start.start()], iri[start.start() :]
    length = len(iri)
    for i in range(length):
        character = iri[-i - 1]
        if category(character) not in _NAME:
            if character in _ALLOWED:
                continue
            for j in range(-1 - i, length):
                if category(iri[j]) in _SPLIT_START or iri[j] == "_":
                    namespace = iri[:j]
                    if not namespace:
                        break
                    return namespace, iri[j:]
            break
    raise ValueError(iri)


def quoted(value: str) -> str:
    """rdflib's Literal._quote_encode: long quotes for text with line breaks."""
    if "\n" in value:
        encoded = value.replace("\\", "\\\\")
        if '"""' in value:
            encoded = encoded.replace('"""', '\\"\\"\\"')
        if encoded[-1] == '"' and encoded[-2] != "\\":
            encoded = encoded[:-1] + "\\" + '"'
        return '"""' + encoded.replace("\r", "\\r") + '"""'
    return '"' + value.replace("\n", "\\n").replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r") + '"'


class Names:
    """The prefixed name of each IRI (rdflib's compute_qname and get_pname) and the prefixes a document uses."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.prefix_of = {namespace: prefix for prefix, namespace in prefixes.items()}
        self.used: dict[str, str] = {}
        self._longer: dict[str, list[str]] = {}
        self._literals: dict[str, str] = {}

    def _parts_of(self, iri: str) -> tuple[str, str] | None:
        if _NOT_IN_IRI.search(iri):
            return None
        try:
            namespace, local = _split(iri)
        except ValueError:
            return (iri, "") if iri in self.prefix_of else None
        longer = self._longer.get(namespace)
        if longer is None:  # rdflib's namespace trie: a bound namespace longer than the split one wins
            longer = self._longer[namespace] = sorted(
                (bound for bound in self.prefix_of if len(bound) > len(namespace) and bound.startswith(namespace)),
                key=len,
                reverse=True,
            )
        for bound in longer:
            if iri.startswith(bound):
                return bound, iri[len(bound) :]
        return namespace, local

    def pname(self, iri: str, generate: bool = False) -> str | None:
        """`prefix:local` for `iri`, or None; `generate` (predicates) binds ns1, ns2, … to unknown namespaces."""
        # After a "/" or "#", a local name of letters, digits, "_" and "-" that starts with a letter, digit or "_"
        # is exactly rdflib's split (and no bound namespace can be longer and still a prefix of the IRI).
        cut = max(iri.rfind("/"), iri.rfind("#")) + 1
        if cut and _SIMPLE_LOCAL.fullmatch(iri, cut) and not iri.startswith(_XMLNS):
            namespace, local = iri[:cut], iri[cut:]
            prefix = self.prefix_of.get(namespace)
            if prefix is not None:
                self.used[prefix] = namespace
                return f"{prefix}:{local}"
        else:
            parts = self._parts_of(iri)
            if parts is None:
                return None
            namespace, local = parts
            prefix = self.prefix_of.get(namespace)
        if prefix is None:
            if not generate:
                return None
            number = 1
            while f"ns{number}" in self.prefix_of.values():
                number += 1
            prefix = self.prefix_of[namespace] = f"ns{number}"
            self._longer.clear()
        if "(" in local or ")" in local or "%" in local:
            local = local.replace("(", r"\(").replace(")", r"\)")
            local = _LONE_PERCENT.sub(lambda _: "\\%", local)
        if local.endswith("."):
            return None
        self.used[prefix] = namespace
        return f"{prefix}:{local}"

    def iri(self, iri: str) -> str:
        return self.pname(iri) or f"<{iri}>"

    def literal(self, term: str) -> str:
        """A literal (as N-Triples writes it) as rdflib writes it: integers and booleans bare, datatypes prefixed."""
        if term[-1] != ">" and "\\" not in term:
            return term  # a simple or language-tagged string without escapes reads the same in both syntaxes
        known = self._literals.get(term)
        if known is None:
            known = self._literals[term] = self._literal(term)
        return known

    def _literal(self, term: str) -> str:
        value, language, datatype = literal_parts(term)
        if language:
            return f"{quoted(value)}@{language}"
        if not datatype:
            return quoted(value)
        if datatype in _INTEGER_TYPES and _CANONICAL_INTEGER.fullmatch(value):
            return value if datatype == XSD + "integer" else f'"{value}"^^{self.iri(datatype)}'
        if datatype == XSD + "boolean" and value in ("true", "false"):
            return value
        if datatype == XSD + "string":
            return f"{quoted(value)}^^{self.iri(datatype)}"
        return self._rdflib_literal(value, datatype)

    def _rdflib_literal(self, value: str, datatype: str) -> str:
        """Other datatypes as rdflib reads and normalises them (dates, decimals, doubles, ill-typed values…)."""
        from rdflib import Literal, URIRef

        logger = logging.getLogger("rdflib.term")
        level = logger.level
        logger.setLevel(logging.CRITICAL)  # an ill-typed literal is written as it is; rdflib need not say so
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                literal = Literal(value, datatype=URIRef(datatype))
                callback: Any = self.pname
                return literal._literal_n3(use_plain=True, qname_callback=callback)
        finally:
            logger.setLevel(level)


def predicate_key(predicate: str) -> tuple[int, str]:
    """rdf:type first, rdfs:label next, then the others in IRI order."""
    return (0 if predicate == TYPE else 1 if predicate == LABEL else 2), predicate[1:-1]


def sorted_objects(objects: list[str], suffix: int = 0) -> list[str]:
    """rdflib's order of terms: blank nodes, IRIs, then literals (strings by language and text).

    `suffix`: how many characters end each object after the term itself (2 for the " ." of a line).
    """
    end = -1 - suffix
    kinds = {obj[0] for obj in objects}
    if '"' not in kinds and "_" not in kinds:
        return sorted(objects, key=itemgetter(slice(1, end)))
    terms = {obj[: len(obj) - suffix]: obj for obj in objects}
    if '"' in kinds and any(term[-1] == ">" for term in terms if term[0] == '"'):
        return [terms[term] for term in _sorted_by_rdflib(list(terms))]
    return [terms[term] for term in sorted(terms, key=_object_key)]


def _object_key(term: str) -> tuple[int, str, str]:
    if term[0] == "_":
        return 10, "", term[2:]
    if term[0] != '"':
        return 30, "", term[1:-1]
    value, language, _ = literal_parts(term)
    return 40, language, value


def _sorted_by_rdflib(objects: list[str]) -> list[str]:
    """Typed literals compare by value as rdflib compares them (numbers as numbers, dates as dates…)."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.term import Node

    def term(text: str) -> Node:
        if text[0] == "_":
            return BNode(text[2:])
        if text[0] != '"':
            return URIRef(text[1:-1])
        value, language, datatype = literal_parts(text)
        return Literal(value, lang=language or None, datatype=URIRef(datatype) if datatype else None)

    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # ill-typed literals are written as they are; rdflib need not say so
    try:
        pairs = [(term(text), text) for text in sorted(objects)]
    finally:
        logger.setLevel(level)
    ordered: list[Any] = sorted(pairs, key=lambda pair: cast(Any, pair[0]))
    return [text for _, text in ordered]
