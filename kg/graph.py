"""KnowledgeGraph: the packaged ontology and data (plus the user's files), reasoned, validated and queried."""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox

from kg.assemble import asserted_ntriples, expand
from kg.engine import ENGINES
from kg.errors import InputError
from kg.hub import Hub
from kg.packaged import data_files, mapping_file, ontology_files
from kg.prefixes import PREFIXES
from kg.querying import Queryable
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, Snapshot, cache_directory, read_inputs, snapshot_key

if TYPE_CHECKING:
    from rdflib import Graph

    from kg.integrity import IntegrityFinding
    from kg.remote import RemoteGraph
    from kg.validate import ValidationReport

__all__ = ["KnowledgeGraph"]


class KnowledgeGraph(Queryable):
    """Asserted triples (ontology + data + extra files) and, once reasoned, the inferred triples kept apart.

    `asserted` is exact N-Triples or an rdflib graph (then that graph is the asserted graph, changes included).
    """

    def __init__(self, asserted: Graph | bytes = b"", sources: Iterable[str] = (), *, engine: str = "oxigraph") -> None:
        if engine not in ENGINES:
            raise InputError(f"unknown query engine {engine!r} (use one of {', '.join(ENGINES)})")
        super().__init__(engine)
        if isinstance(asserted, bytes):
            self._ntriples[ASSERTED_GRAPH] = asserted
        else:
            self._views[ASSERTED_GRAPH] = asserted
        self.sources = tuple(sources)
        #: The user's files (not the packaged ones), so findings about their statements can name the file.
        self.user_files: tuple[Path, ...] = ()
        #: The lines of each user file the integrity rules read, kept by `load` (kg.integrity.check_user_files).
        self._rule_lines: dict[str, bytes] = {}
        #: Digests of the asserted and inferred N-Triples reasoning last checked, and what the integrity rules found
        #: in them (digests: the N-Triples themselves may be let go, kg.hub.Hub._spill).
        self._checked: tuple[bytes, bytes, list[IntegrityFinding]] | None = None

    @classmethod
    def load(
        cls, extra: Iterable[str | Path] = (), *, packaged: bool = True, engine: str = "oxigraph"
    ) -> KnowledgeGraph:
        """The packaged ontology and data, plus RDF files or folders in `extra` (syntax chosen by suffix)."""
        rule_lines: dict[str, bytes] = {}
        asserted, sources, own = asserted_ntriples(extra, packaged=packaged, rule_lines=rule_lines)
        loaded = cls(asserted, sources, engine=engine)
        loaded.user_files = tuple(own)
        loaded._rule_lines = rule_lines
        return loaded

    @classmethod
    def open(
        cls,
        extra: Iterable[str | Path] = (),
        *,
        engine: str = "oxigraph",
        building: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
    ) -> KnowledgeGraph:
        """`load` plus `reason`, kept on disk as a snapshot keyed by the input files' bytes: the next `open` of
        the same files neither parses nor reasons, it opens the snapshot (milliseconds) and queries it.
        `building` is entered around the first build's slow part, reasoning (the CLI says what it is doing).

        The asserted and inferred graphs (`asserted`, `inferred`, `graph()`) are rdflib views made when asked
        for; a view that is changed becomes the graph, and the next query runs on it (kg.hub.Hub).
        """
        own = expand(extra)
        inputs = read_inputs([*ontology_files(), *data_files(), mapping_file(), *own])
        key, directory = snapshot_key(inputs), cache_directory()
        snapshot = Snapshot.open(directory, key)
        if snapshot is None:
            graph = cls.load(own, engine=engine)  # a file that fails to load is reported before any notice
            with building():
                graph._infer()
                asserted, inferred = graph.ntriples(ASSERTED_GRAPH), graph.ntriples(INFERRED_GRAPH)
                with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
                    snapshot = Snapshot.build(directory, key, asserted, inferred)
            if snapshot is None:
                return graph
            # The first run then answers as every later one does, from the snapshot: the graph's bytes go, and
            # no second store is built in memory (at 1M triples that store and the bytes held 2 GiB more).
            rule_lines = graph._rule_lines
            del graph, asserted, inferred
        else:
            rule_lines = {}
        graph = cls(b"", [name for name, _data in inputs], engine=engine)
        del graph._ntriples[ASSERTED_GRAPH]
        graph.user_files = tuple(own)
        graph._rule_lines = rule_lines
        graph._snapshot = snapshot
        return graph

    @property
    def asserted(self) -> Graph:
        """The asserted triples (ontology, data, mappings, the user's files) as an rdflib graph; changes to it
        are the graph's changes (the next query sees them)."""
        return self.view(ASSERTED_GRAPH)

    # ------------------------------------------------------------------ reasoning

    def reason(self, *, cache: bool = True, cache_dir: Path | None = None, method: str = "auto") -> Graph:
        """OWL 2 RL entailments not already asserted, without axiomatic noise; cached on disk by input hash.

        `method`: "owlrl" (the reference), "fast" (native, kg.fast_reason) or "auto" (fast for large graphs).
        """
        self._infer(cache=cache, cache_dir=cache_dir, method=method)
        return self.view(INFERRED_GRAPH)

    def infer(self, *, cache: bool = True, cache_dir: Path | None = None, method: str = "auto") -> int:
        """`reason` without the rdflib view it returns: the number of inferred triples (derivations included)."""
        self._infer(cache=cache, cache_dir=cache_dir, method=method)
        return self.ntriples(INFERRED_GRAPH).count(b"\n")

    def _infer(self, *, cache: bool = True, cache_dir: Path | None = None, method: str = "auto") -> None:
        """Fill INFERRED_GRAPH unless it is there already; an inconsistent graph is refused (InconsistentDataError)."""
        self._sync()
        if self._has(INFERRED_GRAPH):
            return
        from kg import integrity
        from kg import reason as reasoning

        asserted = self.ntriples(ASSERTED_GRAPH)
        inferred = (
            reasoning.infer_cached_ntriples(asserted, cache_dir, method)
            if cache
            else reasoning.infer_ntriples(asserted, method)
        )
        # From a contradiction anything follows: say so rather than answer (snapshots are never built then).
        findings = integrity.check_ntriples(asserted, inferred, self.user_files, self._rule_lines)
        integrity.refuse_inconsistency(findings)
        self._set(INFERRED_GRAPH, inferred, None)
        self._checked = (_digest(asserted), _digest(inferred), findings)

    @property
    def inferred(self) -> Graph:
        """The inferred triples (reasoning first if needed)."""
        return self.reason()

    def graph(self, *, inferred: bool = True) -> Graph:
        """The asserted triples, with the inferred ones merged in unless `inferred` is False."""
        if not inferred:
            return self.asserted
        self.reason()
        return self.union_view()

    # ------------------------------------------------------------------ validation

    def validate(self, *, method: str = "auto") -> ValidationReport:
        """SHACL validation of the asserted triples against the packaged shapes.

        `method`: "pyshacl" (the reference), "fast" or "auto" (the shapes as SPARQL on Oxigraph, kg.fast_validate),
        or "pyrudof" (to compare against)."""
        from kg.integrity import as_validation_results
        from kg.validate import ValidationReport, packaged_shapes, sort_key, validate_ntriples

        shapes = packaged_shapes(derivations=False)
        report = validate_ntriples(self.ntriples(ASSERTED_GRAPH), shapes, method)
        # Only the user's files can redefine the project (the packaged graph is tested free of it), and a graph
        # built in memory names no file: the checks, which need the reasoned graph, run when there are files.
        findings = as_validation_results(self.integrity()) if self.user_files else ()
        return ValidationReport(
            report.conforms and not findings, tuple(sorted(report.results + findings, key=sort_key))
        )

    def integrity(self) -> list[IntegrityFinding]:
        """Statements of the user's files that redefine the project's vocabulary or merge its entities, and
        contradictions in the asserted and inferred graph, each with the file it came from (kg.integrity)."""
        from kg.integrity import check_ntriples
        from kg.reason import infer_cached_ntriples

        asserted = self.ntriples(ASSERTED_GRAPH)
        # Not self.ntriples(INFERRED_GRAPH): reasoning refuses a contradiction, which is what this reports.
        inferred = Hub.ntriples(self, INFERRED_GRAPH) if self._has(INFERRED_GRAPH) else infer_cached_ntriples(asserted)
        if self._checked is not None and self._checked[:2] == (_digest(asserted), _digest(inferred)):
            return list(self._checked[2])  # reasoning checked these very triples
        return check_ntriples(asserted, inferred, self.user_files, self._rule_lines)

    def validate_derivations(self, *, method: str = "auto") -> ValidationReport:
        """SHACL validation of the derivations (ontology/shapes-derivations.ttl) over asserted plus inferred
        triples: every inferred domain triple has a derivation, whose premises exist (kg.derive)."""
        from kg.validate import packaged_shapes, validate_ntriples

        data = _derivation_data(self.ntriples(ASSERTED_GRAPH), self.ntriples(INFERRED_GRAPH))
        return validate_ntriples(data, packaged_shapes(derivations=True), method)

    @classmethod
    def connect(
        cls,
        endpoint: str,
        *,
        update_endpoint: str | None = None,
        graph_store: str | None = None,
        extra: Iterable[str | Path] = (),
    ) -> RemoteGraph:
        """A SPARQL 1.1 server holding this graph (see kg.remote.RemoteGraph): the same stored queries run there.

        `update_endpoint` (SPARQL Update) or `graph_store` (Graph Store Protocol) is where `push` uploads;
        parameters are resolved against the local packaged graph plus `extra` files.
        """
        from kg.remote import RemoteGraph  # the HTTP client loads only for a remote store

        return RemoteGraph(endpoint, update_endpoint=update_endpoint, graph_store=graph_store, extra=extra)

    # ------------------------------------------------------------------ export and statistics

    def export(self, format: str = "turtle", *, inferred: bool = False) -> bytes:
        """The asserted graph (plus inferred triples if asked) in turtle, ntriples, jsonld, rdfxml or trig, as one
        bytes object: for small graphs. At scale use `export_to`, which writes as it goes (at 1M triples with the
        inferred ones the document alone is 0.5 GiB)."""
        buffer = io.BytesIO()
        self.export_to(buffer, format, inferred=inferred)
        return buffer.getvalue()

    def export_to(self, destination: str | Path | BinaryIO, format: str = "turtle", *, inferred: bool = False) -> int:
        """`export` written to a file as it goes (a path is replaced atomically; /dev/null and pipes are written
        through), or to an open binary file: the same bytes, never held whole. The number of bytes written.
        For a large graph what queries keep goes first, to be made again by the next query: idle workers
        (`release_workers`), each holding the graph, and the store in memory: at 1M triples the export and they
        held 2.5-2.6 GiB at once. A small graph keeps them: restarting them would cost more than they hold."""
        from kg.export import write_export

        asserted = self.ntriples(ASSERTED_GRAPH)
        inferred_ntriples = self.ntriples(INFERRED_GRAPH) if inferred else None
        if len(asserted) + len(inferred_ntriples or b"") > _LARGE_EXPORT_BYTES:
            self.release_workers()
            self.release_store()
        return write_export(asserted, inferred_ntriples, format, destination)

    def ntriples(self, name: ox.NamedNode = ASSERTED_GRAPH) -> bytes:
        """The exact N-Triples of ASSERTED_GRAPH or INFERRED_GRAPH (reasoning first if needed)."""
        if name == INFERRED_GRAPH:
            self._infer()
        return super().ntriples(name)

    def stats(self) -> dict[str, int]:
        """Counts of triples, and of the asserted resources of each project class, OWL class and object property
        (counted on the store and the N-Triples: no rdflib view is built, whatever the graph's size)."""
        self._infer()
        counts = {name: self.ntriples(graph).count(b"\n") for name, graph in _COUNTED_GRAPHS}
        rows = self.query_packaged(_RESOURCES_PER_CLASS, "kg stats", inferred=False).native_rows
        per_class = {
            iri.value: int(count.value)
            for iri, count in rows
            if isinstance(iri, ox.NamedNode) and isinstance(count, ox.Literal)
        }
        namespace = PREFIXES["nkg"]
        for iri in sorted(iri for iri in per_class if iri.startswith(namespace)):
            counts[f"{iri.removeprefix(namespace)} resources"] = per_class[iri]
        counts["OWL classes"] = per_class.get(PREFIXES["owl"] + "Class", 0)
        counts["object properties"] = per_class.get(PREFIXES["owl"] + "ObjectProperty", 0)
        return counts


#: N-Triples past which an export first lets the query workers and the store go (about 300k triples).
_LARGE_EXPORT_BYTES = 64_000_000
_COUNTED_GRAPHS = (("asserted triples", ASSERTED_GRAPH), ("inferred triples", INFERRED_GRAPH))
_RESOURCES_PER_CLASS = """SELECT ?class (COUNT(DISTINCT ?resource) AS ?count) WHERE {
    ?resource a ?class .
    FILTER(isIRI(?class) && (STRSTARTS(STR(?class), STR(nkg:)) || ?class IN (owl:Class, owl:ObjectProperty)))
} GROUP BY ?class"""


def _digest(ntriples: bytes) -> bytes:
    return hashlib.blake2b(ntriples, digest_size=32).digest()


def _derivation_data(asserted: bytes, inferred: bytes) -> bytes:
    """kg.derive.validation_data on exact N-Triples: the asserted lines but the domain triples, then the inferred."""
    from kg.derive import is_domain_term_triple
    from kg.triples import read_triples

    kept = (triple for triple in read_triples(asserted) if not is_domain_term_triple(*triple))
    return "".join(f"{s} {p} {o} .\n" for s, p, o in kept).encode("utf-8") + inferred
