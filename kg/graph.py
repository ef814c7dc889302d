"""KnowledgeGraph: the packaged ontology and data (plus the user's files), reasoned, validated and queried."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg import reason as reasoning
from kg.derive import DERIVATION_SHAPES, validation_data
from kg.engine import ENGINES, OxigraphEngine
from kg.errors import InputError
from kg.export import canonical_ntriples, serialize
from kg.integrity import IntegrityFinding, as_validation_results, check_graph, check_user_files, refuse_inconsistency
from kg.limits import QueryWorkers
from kg.mappings import mappings_graph, read_mapping_set
from kg.packaged import data_files, mapping_file, ontology_files, shapes_files
from kg.querying import Queryable
from kg.resolve import LabelIndex
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH, Snapshot, read_inputs, snapshot_key
from kg.store import expand_paths, new_graph, parse_into
from kg.terms import NKG
from kg.validate import ValidationReport, sort_key, validate

if TYPE_CHECKING:
    from kg.remote import RemoteGraph

__all__ = ["KnowledgeGraph"]


class KnowledgeGraph(Queryable):
    """Asserted triples (ontology + data + extra files) and, once reasoned, the inferred triples kept apart."""

    def __init__(self, asserted: Graph, sources: Iterable[str] = (), *, engine: str = "oxigraph") -> None:
        if engine not in ENGINES:
            raise InputError(f"unknown query engine {engine!r} (use one of {', '.join(ENGINES)})")
        self._asserted: Graph | None = asserted
        self._snapshot: Snapshot | None = None
        self.sources = tuple(sources)
        self.engine = engine
        self._engines: dict[str, OxigraphEngine] = {}
        self._workers: dict[str, QueryWorkers] = {}
        self._inferred: Graph | None = None
        self._union: Graph | None = None
        self._labels: LabelIndex | None = None
        #: The user's files (not the packaged ones), so findings about their statements can name the file.
        self.user_files: tuple[Path, ...] = ()

    @classmethod
    def load(
        cls, extra: Iterable[str | Path] = (), *, packaged: bool = True, engine: str = "oxigraph"
    ) -> KnowledgeGraph:
        """The packaged ontology and data, plus RDF files or folders in `extra` (syntax chosen by suffix)."""
        graph = new_graph()
        sources: list[str] = []
        # The user's files are read first, so a bad one is reported before any time goes into the packaged ones.
        own = expand_paths(extra)
        for path in own:
            parse_into(graph, path)
        if packaged:
            for entry in [*ontology_files(), *data_files()]:
                parse_into(graph, entry, label=f"kg/{entry.name}")
                sources.append(f"package:{entry.name}")
            metadata, rows = read_mapping_set(mapping_file())
            graph += mappings_graph(metadata, rows)
            sources.append(f"package:{mapping_file().name}")
        sources.extend(str(path) for path in own)
        loaded = cls(graph, sources, engine=engine)
        loaded.user_files = tuple(own)
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

        The asserted and inferred graphs are read from the snapshot only when asked for; once `asserted` has
        been handed out (it may be changed), queries run on it rather than on the snapshot.
        """
        own = expand_paths(extra)
        inputs = read_inputs([*ontology_files(), *data_files(), mapping_file(), *own])
        key, directory = snapshot_key(inputs), reasoning.cache_directory()
        snapshot = Snapshot.open(directory, key)
        if snapshot is None:
            graph = cls.load(own, engine=engine)  # a file that fails to load is reported before any notice
            with building():
                inferred = graph.reason()
                asserted, closure = canonical_ntriples(graph.asserted), canonical_ntriples(inferred)
                with contextlib.suppress(OSError):  # an unwritable cache only costs time, never the answer
                    graph._snapshot = Snapshot.build(directory, key, asserted, closure)
            return graph
        graph = cls(new_graph(), [name for name, _data in inputs], engine=engine)
        graph.user_files = tuple(own)
        graph._asserted = None
        graph._snapshot = snapshot
        return graph

    @property
    def asserted(self) -> Graph:
        """The asserted triples: ontology, data, mappings and the user's files."""
        if self._asserted is None:
            self._asserted = self._from_snapshot(ASSERTED_GRAPH)
        self._snapshot = None  # the caller may change the graph now, so the snapshot no longer speaks for it
        return self._asserted

    def _from_snapshot(self, name: ox.NamedNode) -> Graph:
        if self._snapshot is None:
            raise InputError("this graph has neither its triples nor a snapshot to read them from")
        graph = new_graph()
        data = self._snapshot.ntriples(name)
        if data:
            graph.parse(data=data.decode("utf-8"), format="nt")
        return graph

    # ------------------------------------------------------------------ reasoning

    def reason(self, *, cache: bool = True, cache_dir: Path | None = None, method: str = "auto") -> Graph:
        """OWL 2 RL entailments not already asserted, without axiomatic noise; cached on disk by input hash.

        `method`: "owlrl" (the reference), "fast" (native, kg.fast_reason) or "auto" (fast for large graphs).
        """
        if self._inferred is None and self._snapshot is not None:
            self._inferred = self._from_snapshot(INFERRED_GRAPH)
        if self._inferred is None:
            if cache:
                inferred = reasoning.infer_cached(self.asserted, cache_dir, method)
            else:
                inferred = reasoning.infer(self.asserted, method)
            # From a contradiction anything follows: say so rather than answer (snapshots are never built then).
            refuse_inconsistency(check_graph(self.asserted, inferred, self.user_files))
            self._inferred = inferred
            self._union = None
            self._engines.clear()
            self._close_workers()
        return self._inferred

    @property
    def inferred(self) -> Graph:
        """The inferred triples (reasoning first if needed)."""
        return self.reason()

    def graph(self, *, inferred: bool = True) -> Graph:
        """The asserted triples, with the inferred ones merged in unless `inferred` is False."""
        if not inferred:
            return self.asserted
        if self._union is None:
            self._union = self.asserted + self.reason()
        return self._union

    # ------------------------------------------------------------------ validation

    def validate(self, *, method: str = "auto") -> ValidationReport:
        """SHACL validation of the asserted triples against the packaged shapes.

        `method`: "pyshacl" (the reference), "fast" or "auto" (the shapes as SPARQL on Oxigraph, kg.fast_validate),
        or "pyrudof" (to compare against)."""
        shapes = new_graph()
        for entry in shapes_files():
            if entry.name != DERIVATION_SHAPES:
                parse_into(shapes, entry, label=f"kg/{entry.name}")
        report = validate(self.asserted, shapes, method)
        # Only the user's files can redefine the project (the packaged graph is tested free of it), and a graph
        # built in memory names no file: the checks, which need the reasoned graph, run when there are files.
        findings = as_validation_results(self.integrity()) if self.user_files else ()
        return ValidationReport(
            report.conforms and not findings, tuple(sorted(report.results + findings, key=sort_key))
        )

    def integrity(self) -> list[IntegrityFinding]:
        """Statements of the user's files that redefine the project's vocabulary or merge its entities, and
        contradictions in the asserted and inferred graph, each with the file it came from (kg.integrity)."""
        inferred = self._inferred
        if inferred is None and self._snapshot is not None:
            inferred = self._from_snapshot(INFERRED_GRAPH)
        if inferred is None:
            inferred = reasoning.infer_cached(self.asserted)
        return check_user_files(self.user_files) + check_graph(self.asserted, inferred, self.user_files)

    def validate_derivations(self, *, method: str = "auto") -> ValidationReport:
        """SHACL validation of the derivations (ontology/shapes-derivations.ttl) over asserted plus inferred
        triples: every inferred domain triple has a derivation, whose premises exist (kg.derive). Unless the graph
        is reasoned already, the native reasoner does it: the same triples as owlrl (tests/test_fast_reason.py),
        in seconds rather than half a minute, for a command that only validates."""
        shapes = new_graph()
        for entry in shapes_files():
            if entry.name == DERIVATION_SHAPES:
                parse_into(shapes, entry, label=f"kg/{entry.name}")
        return validate(validation_data(self.asserted, self.reason(method="fast")), shapes, method)

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
        from kg.remote import RemoteGraph  # kg.remote builds on this module

        return RemoteGraph(endpoint, update_endpoint=update_endpoint, graph_store=graph_store, extra=extra)

    # ------------------------------------------------------------------ export and statistics

    def export(self, format: str = "turtle", *, inferred: bool = False) -> bytes:
        """The asserted graph (plus inferred triples if asked) in turtle, ntriples, jsonld, rdfxml or trig."""
        return serialize(self.asserted, self.reason() if inferred else None, format)

    def stats(self) -> dict[str, int]:
        """Counts of triples and of resources per project class."""
        counts: dict[str, int] = {
            "asserted triples": len(self.asserted),
            "inferred triples": len(self.reason()),
        }
        classes = Counter(
            str(cls).removeprefix(str(NKG))
            for cls in self.asserted.objects(None, RDF.type)
            if isinstance(cls, URIRef) and str(cls).startswith(str(NKG))
        )
        for cls_name in sorted(classes):
            counts[f"{cls_name} resources"] = len(set(self.asserted.subjects(RDF.type, NKG[cls_name])))
        counts["OWL classes"] = len(set(self.asserted.subjects(RDF.type, OWL.Class)))
        counts["object properties"] = len(set(self.asserted.subjects(RDF.type, OWL.ObjectProperty)))
        return counts
