"""The files shipped inside the package (ontology, shapes, data, stored queries), read with importlib.resources."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = [
    "data_files",
    "integrity_query_files",
    "mapping_file",
    "ontology_files",
    "qc_query_files",
    "query_files",
    "shapes_files",
    "source_document",
]

_RDF_SUFFIXES = (".ttl",)


def _folder(name: str) -> Traversable:
    return files(f"kg.packaged.{name}")


def _sorted_files(folder: Traversable, suffixes: tuple[str, ...]) -> list[Traversable]:
    found = [entry for entry in folder.iterdir() if entry.is_file() and entry.name.endswith(suffixes)]
    return sorted(found, key=lambda entry: entry.name)


def ontology_files() -> list[Traversable]:
    """The OWL ontology files (everything in ontology/ but the SHACL shapes)."""
    return [f for f in _sorted_files(_folder("ontology"), _RDF_SUFFIXES) if not f.name.startswith("shapes")]


def shapes_files() -> list[Traversable]:
    """The SHACL shapes that the data must conform to: ontology/shapes*.ttl."""
    return [f for f in _sorted_files(_folder("ontology"), _RDF_SUFFIXES) if f.name.startswith("shapes")]


def mapping_file() -> Traversable:
    """The SSSOM mapping set linking graph entities to external vocabularies."""
    return _folder("data") / "mappings.sssom.tsv"


def data_files() -> list[Traversable]:
    """The instance data files: entities, statements, claims, quotes and sources."""
    return _sorted_files(_folder("data"), _RDF_SUFFIXES)


def query_files() -> list[Traversable]:
    """The stored SPARQL queries, one question per file."""
    return _sorted_files(_folder("queries"), (".rq",))


def qc_query_files() -> list[Traversable]:
    """The quality-control queries (queries/qc/), one rule per file."""
    return _sorted_files(_folder("queries") / "qc", (".rq",))


def integrity_query_files() -> list[Traversable]:
    """The rules for user data that redefines the project or contradicts itself (queries/integrity/)."""
    return _sorted_files(_folder("queries") / "integrity", (".rq",))


def source_document(relative_path: str) -> Traversable:
    """A shipped source document, by its path relative to data/ (as recorded by nkg:localPath)."""
    entry = _folder("data")
    for part in relative_path.split("/"):
        entry = entry / part
    return entry
