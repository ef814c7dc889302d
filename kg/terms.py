"""Namespaces of the project as rdflib Namespaces; the prefixes (plain strings) live in kg.prefixes."""

from __future__ import annotations

from rdflib import Namespace

from kg.prefixes import PREFIXES, PROJECT_NAMESPACE, compact

__all__ = [
    "CLAIM",
    "ENTITY",
    "GRAPH",
    "NKG",
    "OA",
    "OBO",
    "ORGANISATION",
    "PREFIXES",
    "PROJECT_NAMESPACE",
    "SOURCE",
    "compact",
]

NKG = Namespace(PROJECT_NAMESPACE)
ENTITY = Namespace(PREFIXES["entity"])
CLAIM = Namespace(PREFIXES["claim"])
ORGANISATION = Namespace(PREFIXES["organisation"])
SOURCE = Namespace(PREFIXES["source"])
GRAPH = Namespace(PROJECT_NAMESPACE + "graph/")
OA = Namespace(PREFIXES["oa"])
OBO = Namespace(PREFIXES["obo"])
PROV = Namespace(PREFIXES["prov"])
CITO = Namespace(PREFIXES["cito"])
SH = Namespace(PREFIXES["sh"])
