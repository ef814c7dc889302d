"""Namespaces of the project and the prefixes used to write its files."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

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

PROJECT_NAMESPACE = "https://w3id.org/neuropathy-kg/"

NKG = Namespace(PROJECT_NAMESPACE)
ENTITY = Namespace(PROJECT_NAMESPACE + "entity/")
CLAIM = Namespace(PROJECT_NAMESPACE + "claim/")
ORGANISATION = Namespace(PROJECT_NAMESPACE + "organisation/")
SOURCE = Namespace(PROJECT_NAMESPACE + "source/")
GRAPH = Namespace(PROJECT_NAMESPACE + "graph/")
OA = Namespace("http://www.w3.org/ns/oa#")
OBO = Namespace("http://purl.obolibrary.org/obo/")
PROV = Namespace("http://www.w3.org/ns/prov#")
CITO = Namespace("http://purl.org/spar/cito/")
SH = Namespace("http://www.w3.org/ns/shacl#")

_ARTICLE = PROJECT_NAMESPACE + "source/peripheral-neuropathy-and-vitamin-b12/"

#: Prefixes bound when the project writes RDF, so files and exports stay short and stable.
PREFIXES: dict[str, str] = {
    "cito": str(CITO),
    "claim": str(CLAIM),
    "dcterms": str(DCTERMS),
    "derivation": PROJECT_NAMESPACE + "derivation/",
    "entity": str(ENTITY),
    "mapping": PROJECT_NAMESPACE + "mapping/",
    "nkg": str(NKG),
    "oa": str(OA),
    "obo": str(OBO),
    "organisation": str(ORGANISATION),
    "owl": str(OWL),
    "prov": str(PROV),
    "quote": _ARTICLE + "quote/",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "semapv": "https://w3id.org/semapv/vocab/",
    "reference": _ARTICLE + "reference/",
    "sh": str(SH),
    "shape": PROJECT_NAMESPACE + "shape/",
    "skos": str(SKOS),
    "source": str(SOURCE),
    "sssom": "https://w3id.org/sssom/",
    "xsd": str(XSD),
}


def compact(iri: str) -> str | None:
    """The CURIE for `iri` under the longest matching project prefix, or None where none fits cleanly."""
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and "/" not in local and "#" not in local:
            return f"{prefix}:{local}"
    return None
