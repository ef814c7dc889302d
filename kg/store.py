"""Reading RDF files (packaged or the user's) into rdflib graphs for the reference engines, through kg.load."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources.abc import Traversable
from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.load import FORMAT_BY_SUFFIX, max_file_bytes, ntriples_of, rdf_suffix
from kg.native import add_ntriples
from kg.terms import PREFIXES

__all__ = ["FORMAT_BY_SUFFIX", "expand_paths", "max_file_bytes", "new_graph", "parse_into"]


def new_graph() -> Graph:
    """An empty graph with the project's prefixes bound and no others."""
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus the RDF files inside named folders (sorted, not recursive into dot-folders)."""
    found: list[Path] = []
    for given in paths:
        if not str(given).strip():  # Path("") is the current folder: an empty name must not load everything there
            raise InputError(f"{str(given)!r} is not a file or folder name (give the path of an RDF file or folder)")
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and rdf_suffix(p.name) in FORMAT_BY_SUFFIX
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not inside:
                raise InputError(f"{path}: folder holds no RDF files (looked for {', '.join(FORMAT_BY_SUFFIX)})")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise InputError(f"{path}: is not a regular file or a folder (a FIFO, device or socket); give a file")
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def parse_into(
    graph: Graph, source: Path | Traversable, *, label: str | None = None, max_bytes: int | None = None
) -> int:
    """Parse one RDF file into `graph` (named graphs of TriG/N-Quads are merged); return the triples added.

    The file is read by `kg.load.ntriples_of`, which refuses a bad file with a DataFileError naming file and line
    before anything is added; `max_bytes` (default: $KG_MAX_FILE_BYTES, else no limit) caps the file's size.
    """
    return add_ntriples(graph, ntriples_of(source, label=label, max_bytes=max_bytes))
