"""The project's namespace IRIs and prefixes as plain strings, importable without rdflib (the `kg query` path)."""

from __future__ import annotations

__all__ = ["PREFIXES", "PROJECT_NAMESPACE", "compact"]

PROJECT_NAMESPACE = "https://w3id.org/neuropathy-kg/"

_ARTICLE = PROJECT_NAMESPACE + "source/peripheral-neuropathy-and-vitamin-b12/"

#: Prefixes bound when the project writes RDF, so files and exports stay short and stable.
PREFIXES: dict[str, str] = {
    "cito": "http://purl.org/spar/cito/",
    "claim": PROJECT_NAMESPACE + "claim/",
    "dcterms": "http://purl.org/dc/terms/",
    "derivation": PROJECT_NAMESPACE + "derivation/",
    "entity": PROJECT_NAMESPACE + "entity/",
    "mapping": PROJECT_NAMESPACE + "mapping/",
    "nkg": PROJECT_NAMESPACE,
    "oa": "http://www.w3.org/ns/oa#",
    "obo": "http://purl.obolibrary.org/obo/",
    "organisation": PROJECT_NAMESPACE + "organisation/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "quote": _ARTICLE + "quote/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "reference": _ARTICLE + "reference/",
    "sh": "http://www.w3.org/ns/shacl#",
    "shape": PROJECT_NAMESPACE + "shape/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "source": PROJECT_NAMESPACE + "source/",
    "sssom": "https://w3id.org/sssom/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def compact(iri: str) -> str | None:
    """The CURIE for `iri` under the longest matching project prefix, or None where none fits cleanly."""
    for prefix, namespace in _LONGEST_FIRST:
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and "/" not in local and "#" not in local:
            return f"{prefix}:{local}"
    return None


_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))
