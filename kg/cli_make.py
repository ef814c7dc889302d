"""The `kg` commands that check the graph or write it out: validate, reason, qc, export, docs, release, push…"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import InconsistentDataError, InputError, ValidationFailedError

if TYPE_CHECKING:
    from kg.command_spec import Graphs

__all__ = ["diagram", "docs", "export", "format_files", "mappings", "push", "qc", "reason", "release", "validate"]


def validate(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.validate import ValidationReport, sort_key

    graph = graphs.loaded()
    report = graph.validate(method=args.validator)
    try:
        derived = graph.validate_derivations(method=args.validator)
    except InconsistentDataError:
        pass  # nothing can be derived from a contradiction, which the report already names with its file
    else:
        results = tuple(sorted((*report.results, *derived.results), key=sort_key))
        report = ValidationReport(conforms=report.conforms and derived.conforms, results=results)
    print(report.to_table())
    if not report.conforms:
        raise ValidationFailedError(f"{len(report.results)} SHACL result(s)")
    return 0


def reason(args: argparse.Namespace, graphs: Graphs) -> int:
    graph = graphs.loaded()
    inferred = graph.infer(cache=not args.no_cache, method=args.reasoner)
    asserted = graph.ntriples().count(b"\n")
    print(f"asserted triples: {asserted}")
    print(f"inferred triples: {inferred}")
    return 0


def qc(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.qc import qc_rules, run_qc

    report = run_qc(graphs.loaded(), qc_rules(args.rule) if args.rule else None)
    sys.stdout.write(report.to_tsv() if args.format == "tsv" else report.to_table() + "\n")
    if not report.passed:
        raise ValidationFailedError(f"{len(report.errors)} QC error(s); each row's rule says how to fix it")
    return 0


def export(args: argparse.Namespace, graphs: Graphs) -> int:
    if args.format == "kgx":
        return _export_kgx(args, graphs)
    graph = graphs.loaded()
    if args.output in (None, "-"):
        graph.export_to(sys.stdout.buffer, args.format, inferred=args.inferred)
    else:
        written = graph.export_to(args.output, args.format, inferred=args.inferred)
        print(f"wrote {written} bytes to {args.output}", file=sys.stderr)
    return 0


def _export_kgx(args: argparse.Namespace, graphs: Graphs) -> int:
    """KGX is two files (nodes.tsv, edges.tsv): -o names their folder; stated edges only, so --inferred is refused."""
    from kg.kgx import kgx_source, write_kgx

    if args.output in (None, "-") or args.inferred:
        raise InputError("kg export --format kgx writes nodes.tsv and edges.tsv: give a folder with -o (no --inferred)")
    for path in write_kgx(kgx_source(graphs.loaded()), Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def mappings(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.mappings import read_mapping_set
    from kg.packaged import mapping_file
    from kg.sssom_formats import export_mapping_set

    metadata, rows = read_mapping_set(mapping_file())
    _write_output(export_mapping_set(metadata, rows, args.format), args.output)
    return 0


def format_files(args: argparse.Namespace, graphs: Graphs) -> int:
    """Rewrite Turtle files in canonical form (or, with --check, report those that are not)."""
    from kg.export import canonical_turtle_file, write_atomically

    unformatted = []
    for name in args.files:
        path = Path(name)
        canonical = canonical_turtle_file(path)
        if path.read_bytes() != canonical:
            unformatted.append(name)
            if not args.check:
                write_atomically(path, canonical)
    for name in unformatted:
        print(f"{'not canonical' if args.check else 'reformatted'}: {name}")
    if args.check and unformatted:
        raise ValidationFailedError(f"{len(unformatted)} file(s) are not canonical; run 'kg format FILE…'")
    return 0


def docs(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.docs import write_reference

    for path in write_reference(graphs.loaded(), Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def diagram(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.diagram import diagram as draw

    _write_output(draw(graphs.loaded(), focus=args.focus, output_format=args.format, depth=args.depth), args.output)
    return 0


def release(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.release import write_release

    for path in write_release(graphs.loaded(), Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def push(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.remote import RemoteGraph

    graph_store = args.endpoint if args.protocol == "graph-store" else None
    update_endpoint = args.endpoint if args.protocol == "update" else None
    remote = RemoteGraph(args.endpoint, update_endpoint=update_endpoint, graph_store=graph_store)
    sent = remote.push(
        graphs.loaded(),
        graph_iri=args.graph,
        inferred=not args.asserted_only,
        replace=args.replace,
        chunk_triples=args.chunk_triples,
    )
    where = f"graph <{args.graph}>" if args.graph else "the default graph"
    print(f"pushed {sent} triples to {where} at {args.endpoint}", file=sys.stderr)
    return 0


def _write_output(data: bytes, output: str | None) -> None:
    """Standard output for None or '-', else the file, written atomically so a reader never sees half of it."""
    if output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        from kg.export import write_atomically

        write_atomically(Path(output), data)
        print(f"wrote {len(data)} bytes to {output}", file=sys.stderr)
