"""The `kg` command line: thin commands over the library, with exit codes 0 ok, 1 failed check, 2 bad input."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import os
import re
import shlex
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kg import __version__
from kg.errors import InconsistentDataError, InputError, KGError, NoResultsError, ValidationFailedError
from kg.export import EXPORT_FORMATS, canonical_turtle, write_atomically
from kg.graph import KnowledgeGraph
from kg.limits import (
    DEFAULT,
    DEFAULT_MAX_ROWS,
    DEFAULT_TIMEOUT,
    QUEUE_SECONDS,
    STORED_MAX_ROWS,
    STORED_TIMEOUT,
    WORKER_MEMORY_BYTES,
    Default,
)
from kg.mappings import read_mapping_set
from kg.packaged import mapping_file
from kg.progress import is_terminal, stage
from kg.queries import queries_reference, stored_queries, stored_query
from kg.reason import FAST_THRESHOLD as REASONING_THRESHOLD
from kg.reason import REASONERS
from kg.results import RESULT_FORMATS, QueryResult
from kg.sandbox import confine_network, watchdog
from kg.sssom_formats import MAPPING_FORMATS, export_mapping_set
from kg.store import new_graph, parse_into
from kg.terms import compact
from kg.validate import FAST_THRESHOLD as VALIDATION_THRESHOLD
from kg.validate import VALIDATORS, ValidationReport, sort_key

if TYPE_CHECKING:
    from kg.remote import RemoteGraph

Number = TypeVar("Number", int, float)

__all__ = ["main"]

_EPILOG = """exit codes:
  0  success
  1  validation failed, or no results where results were required
  2  usage or input error (unknown query, bad parameter, malformed file, unknown format)
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and one line, like every other input error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("kg").strip()  # main() prints "kg: error:" already
        raise InputError(f"{command + ': ' if command else ''}{message}{_usage_hint(command, message)}")


def _usage_hint(command: str, message: str) -> str:
    """The likely fix of an argparse error: the choice meant by a misspelling, where to find a query's name."""
    if command == "query" and message.endswith("required: name"):
        return "; 'kg queries' lists the stored queries"
    invalid = re.match(r"argument [^:]+: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if invalid:
        choices = re.findall(r"'([^']*)'", invalid.group(2))
        close = difflib.get_close_matches(invalid.group(1), choices, n=1)
        return f"; did you mean '{close[0]}'?" if close else ""
    return ""


def _unrecognised(extras: Sequence[str], command: str | None) -> InputError:
    """A usage error for words argparse did not expect, naming the option they were probably meant for."""
    pairs = [word for word in extras if "=" in word and not word.startswith("-")]
    hint = ""
    if pairs and command == "query":
        hint = "; did you mean " + " ".join(f"--param {shlex.quote(pair)}" for pair in pairs) + "?"
    elif extras:
        hint = f"; see 'kg {command} --help'" if command else "; see 'kg --help'"
    return InputError(f"{command + ': ' if command else ''}unrecognized arguments: {' '.join(extras)}{hint}")


def _graph(args: argparse.Namespace) -> KnowledgeGraph:
    return KnowledgeGraph.load(getattr(args, "data", None) or (), engine=getattr(args, "engine", "oxigraph"))


def _reasoned_graph(args: argparse.Namespace) -> KnowledgeGraph:
    """The reasoned graph from its snapshot on disk (built on first use): a repeat neither parses nor reasons."""
    return KnowledgeGraph.open(
        getattr(args, "data", None) or (), engine=getattr(args, "engine", "oxigraph"), building=_building_notice
    )


@contextlib.contextmanager
def _building_notice() -> Iterator[None]:
    """Say that the first run builds the store, which takes seconds: a spinner on a terminal, one line when piped."""
    label = "kg: building the store (first run only; later runs reuse it)"
    if not is_terminal():
        print(f"{label}: reasoning…", file=sys.stderr)
        yield
        return
    with stage(label):
        yield


def _shorten(iri: str) -> str:
    return compact(iri) or iri


def _print_result(result: QueryResult, output_format: str, require_rows: bool) -> int:
    if result.graph is not None:
        sys.stdout.write(canonical_turtle(result.graph).decode("utf-8"))
        if not len(result.graph):
            print("kg: the query returned no triples", file=sys.stderr)
        return 0
    if output_format == "table":
        iris = {str(term) for row in result.rows for term in row if term is not None}
        sys.stdout.write(result.to_table({iri: _shorten(iri) for iri in iris}) + "\n")
    else:
        sys.stdout.write(result.serialize(output_format))
    if result.boolean is None and not result.rows:
        if require_rows:
            raise NoResultsError("the query returned no rows")
        # Standard output holds a valid empty result for programs; a person reading a terminal is told.
        print("kg: the query returned no rows", file=sys.stderr)
    return 0


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise InputError(f"--param {pair!r} is not KEY=VALUE (example: --param condition='peripheral neuropathy')")
        if key.strip() in params:
            raise InputError(f"--param {key.strip()!r} given twice")
        params[key.strip()] = value
    return params


# ---------------------------------------------------------------------- commands


def _cmd_queries(args: argparse.Namespace) -> int:
    if args.format == "markdown":
        sys.stdout.write(queries_reference())
        return 0
    for query in stored_queries():
        print(f"{query.name}: {query.title}")
        print(f"    {query.description}")
        for parameter in query.parameters:
            example = f" (example: {parameter.example})" if parameter.example else ""
            print(f"    --param {parameter.name}=…  {parameter.description}{example}")
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    stored_query(args.name)  # an unknown name fails before any loading
    params = _parse_params(args.param)
    if args.endpoint:
        result = _remote(args).query(args.name, **params)
    else:
        graph = _reasoned_graph(args)
        result = _limited(
            args,
            lambda timeout, max_rows: graph.query(
                args.name,
                inferred=not args.asserted_only,
                timeout=timeout,
                max_rows=max_rows,
                allow_service=False,
                **params,
            ),
            untrusted=False,
        )
    return _print_result(result, args.format, require_rows=args.require_results)


Limit = float | Default | None


def _limited(
    args: argparse.Namespace, run: Callable[[Limit, int | Default | None], QueryResult], *, untrusted: bool
) -> QueryResult:
    """`run(timeout, max_rows)` under the command's limits.

    Run as the `kg` program, the query runs right here, under a watchdog thread that prints the one-line error
    and ends the process at the time or memory limit (no worker to start: a cold `kg query` or `kg sparql` stays
    as quick as opening the snapshot), and an ad-hoc query only once this process has cut itself off the
    network (kg.sandbox). Called from other Python code (main([...])), the API's sandboxed workers do it.
    """
    timeout, max_rows = _limit(args.timeout), _limit(args.max_rows)
    if not getattr(args, "standalone", False):
        return run(timeout, max_rows)
    if timeout is DEFAULT:
        timeout = DEFAULT_TIMEOUT if untrusted else STORED_TIMEOUT
    if untrusted:
        confine_network()
    with watchdog(timeout, WORKER_MEMORY_BYTES, _stop):
        return run(None, max_rows)


def _stop(reason: str) -> None:
    """The watchdog's way out: the engine cannot be interrupted, so the process ends, with the usual one line."""
    sys.stdout.flush()
    print(f"kg: error: query {reason}", file=sys.stderr, flush=True)
    os._exit(2)


def _limit(value: Number | None) -> Number | Default | None:
    """The CLI's limit options: left out is the library's default, 0 is no limit."""
    if value is None:
        return DEFAULT
    return None if value == 0 else value


def _remote(args: argparse.Namespace) -> RemoteGraph:
    from kg.remote import RemoteGraph

    return RemoteGraph(args.endpoint, default_graph=args.graph, extra=args.data or ())


def _cmd_sparql(args: argparse.Namespace) -> int:
    if (args.query is None) == (args.file is None):
        raise InputError("give a SPARQL query or --file FILE, not both and not neither")
    if args.file is not None:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{args.file}: cannot read query: {error}") from None
    else:
        text = args.query
    if args.endpoint:
        result = _remote(args).query(text)
    else:
        graph = _reasoned_graph(args)
        result = _limited(
            args,
            lambda timeout, max_rows: graph.query(
                text, inferred=not args.asserted_only, timeout=timeout, max_rows=max_rows
            ),
            untrusted=True,
        )
    return _print_result(result, args.format, require_rows=args.require_results)


def _cmd_serve(args: argparse.Namespace) -> int:
    from kg.server import serve  # the web stack loads only for this command

    serve(
        _graph(args),
        host=args.host,
        port=args.port,
        timeout=None if args.timeout == 0 else args.timeout,
        max_rows=None if args.max_rows == 0 else args.max_rows,
        workers=args.workers,
        max_request_bytes=args.max_request_bytes,
        cors=args.cors,
        queue_seconds=None if args.queue_seconds == 0 else args.queue_seconds,
    )
    return 0


def _cmd_push(args: argparse.Namespace) -> int:
    from kg.remote import RemoteGraph

    graph_store = args.endpoint if args.protocol == "graph-store" else None
    update_endpoint = args.endpoint if args.protocol == "update" else None
    remote = RemoteGraph(args.endpoint, update_endpoint=update_endpoint, graph_store=graph_store)
    sent = remote.push(
        _graph(args),
        graph_iri=args.graph,
        inferred=not args.asserted_only,
        replace=args.replace,
        chunk_triples=args.chunk_triples,
    )
    where = f"graph <{args.graph}>" if args.graph else "the default graph"
    print(f"pushed {sent} triples to {where} at {args.endpoint}", file=sys.stderr)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    graph = _graph(args)
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


def _cmd_reason(args: argparse.Namespace) -> int:
    graph = _graph(args)
    inferred = graph.reason(cache=not args.no_cache, method=args.reasoner)
    print(f"asserted triples: {len(graph.asserted)}")
    print(f"inferred triples: {len(inferred)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if args.format == "kgx":
        return _export_kgx(args)
    _write_output(_graph(args).export(args.format, inferred=args.inferred), args.output)
    return 0


def _export_kgx(args: argparse.Namespace) -> int:
    """KGX is two files (nodes.tsv, edges.tsv): -o names their folder; stated edges only, so --inferred is refused."""
    from kg.kgx import write_kgx

    if args.output in (None, "-") or args.inferred:
        raise InputError("kg export --format kgx writes nodes.tsv and edges.tsv: give a folder with -o (no --inferred)")
    for path in write_kgx(_graph(args).asserted, Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _write_output(data: bytes, output: str | None) -> None:
    """Standard output for None or '-', else the file, written atomically so a reader never sees half of it."""
    if output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        write_atomically(Path(output), data)
        print(f"wrote {len(data)} bytes to {output}", file=sys.stderr)


def _cmd_mappings(args: argparse.Namespace) -> int:
    metadata, rows = read_mapping_set(mapping_file())
    _write_output(export_mapping_set(metadata, rows, args.format), args.output)
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    for name, count in _reasoned_graph(args).stats().items():
        print(f"{name}: {count}")
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    result = _reasoned_graph(args).describe(args.entity)
    return _print_result(result, args.format, require_rows=True)


def _cmd_explain(args: argparse.Namespace) -> int:
    explanation = _reasoned_graph(args).explain(args.subject, args.object)
    if not explanation.links:
        raise NoResultsError(f"no stated or derived link from {args.subject!r} to {args.object!r}")
    print(explanation.to_text())
    return 0


def _cmd_format(args: argparse.Namespace) -> int:
    """Rewrite Turtle files in canonical form (or, with --check, report those that are not)."""
    unformatted = []
    for name in args.files:
        path = Path(name)
        graph = new_graph()
        parse_into(graph, path)
        canonical = canonical_turtle(graph)
        if path.read_bytes() != canonical:
            unformatted.append(name)
            if not args.check:
                write_atomically(path, canonical)
    for name in unformatted:
        print(f"{'not canonical' if args.check else 'reformatted'}: {name}")
    if args.check and unformatted:
        raise ValidationFailedError(f"{len(unformatted)} file(s) are not canonical; run 'kg format FILE…'")
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    from kg.docs import write_reference

    for path in write_reference(_graph(args), Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _cmd_diagram(args: argparse.Namespace) -> int:
    from kg.diagram import diagram

    data = diagram(_graph(args), focus=args.focus, output_format=args.format, depth=args.depth)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        write_atomically(Path(args.output), data)
        print(f"wrote {len(data)} bytes to {args.output}", file=sys.stderr)
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from kg.release import write_release

    for path in write_release(_graph(args), Path(args.output)):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _cmd_qc(args: argparse.Namespace) -> int:
    from kg.qc import qc_rules, run_qc

    report = run_qc(_graph(args), qc_rules(args.rule) if args.rule else None)
    sys.stdout.write(report.to_tsv() if args.format == "tsv" else report.to_table() + "\n")
    if not report.passed:
        raise ValidationFailedError(f"{len(report.errors)} QC error(s); each row's rule says how to fix it")
    return 0


# ---------------------------------------------------------------------- parser


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kg",
        description="Query, reason over, validate and export the peripheral neuropathy / vitamin B12 knowledge graph.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str, example: str) -> _Parser:
        sub: _Parser = commands.add_parser(
            name,
            help=help,
            description=help,
            epilog=f"example:\n  {example}\n\n{_EPILOG}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.set_defaults(handler=handler)
        return sub

    def data_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--data", action="append", metavar="PATH", help="extra RDF file or folder to load (repeatable)"
        )

    def engine_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--engine",
            choices=("oxigraph", "rdflib"),
            default="oxigraph",
            help="SPARQL engine (default: oxigraph)",
        )

    def result_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--format", choices=RESULT_FORMATS, default="table", help="result format (default: table)")
        sub.add_argument("--asserted-only", action="store_true", help="query without the inferred triples")
        sub.add_argument("--require-results", action="store_true", help="exit 1 when the query returns no rows")
        data_option(sub)
        engine_option(sub)

    def limit_options(sub: argparse.ArgumentParser, default: str) -> None:
        sub.add_argument(
            "--timeout", type=float, metavar="SECONDS", help=f"time limit, 0 for none (default: {default})"
        )
        sub.add_argument("--max-rows", type=int, metavar="N", help=f"row limit, 0 for none (default: {default})")

    def endpoint_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--endpoint", metavar="URL", help="run on this SPARQL 1.1 endpoint instead of locally")
        sub.add_argument("--graph", metavar="IRI", help="with --endpoint: query this named graph as the default")

    sub = command("queries", _cmd_queries, "list the stored queries with their parameters", "kg queries")
    sub.add_argument(
        "--format", choices=("text", "markdown"), default="text", help="markdown: docs/queries.md (default: text)"
    )

    sub = command(
        "query",
        _cmd_query,
        "run a stored query",
        "kg query symptoms --param condition='peripheral neuropathy' --format csv",
    )
    sub.add_argument("name", help="stored query name (see 'kg queries')")
    sub.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter (repeatable)")
    result_options(sub)
    limit_options(sub, f"{STORED_TIMEOUT:g} s and {STORED_MAX_ROWS} rows")
    endpoint_options(sub)

    sub = command(
        "sparql",
        _cmd_sparql,
        "run an ad-hoc SPARQL query (project prefixes are predeclared)",
        "kg sparql 'SELECT ?s WHERE { ?s a nkg:Neuropathy }' --format json",
    )
    sub.add_argument("query", nargs="?", help="the SPARQL query text")
    sub.add_argument("--file", help="read the query from this file instead")
    result_options(sub)
    limit_options(sub, f"{DEFAULT_TIMEOUT:g} s and {DEFAULT_MAX_ROWS} rows")
    endpoint_options(sub)

    sub = command(
        "validate",
        _cmd_validate,
        "validate the graph against the SHACL shapes",
        "kg validate --data new-claims.ttl",
    )
    data_option(sub)
    sub.add_argument(
        "--validator",
        choices=VALIDATORS,
        default="auto",
        help=f"pyshacl (the reference), fast (pyrudof) or auto: fast above {VALIDATION_THRESHOLD:,} triples",
    )

    sub = command("reason", _cmd_reason, "run OWL 2 RL reasoning and count asserted and inferred triples", "kg reason")
    sub.add_argument("--no-cache", action="store_true", help="reason again even if a cached closure exists")
    sub.add_argument(
        "--reasoner",
        choices=REASONERS,
        default="auto",
        help="auto/native (kg's own, equal to owlrl), owlrl (the reference) or fast (reasonable); auto falls back to"
        f" owlrl, or fast above {REASONING_THRESHOLD:,} triples, for OWL the native reasoner does not follow",
    )
    data_option(sub)

    sub = command(
        "export",
        _cmd_export,
        "write the graph in a standard RDF format",
        "kg export --format turtle -o graph.ttl",
    )
    sub.add_argument(
        "--format", default="turtle", help=f"one of {', '.join(EXPORT_FORMATS)}, kgx (-o DIR) (default: turtle)"
    )
    sub.add_argument("--inferred", action="store_true", help="include the inferred triples")
    sub.add_argument("-o", "--output", help="file to write (atomically); default: standard output")
    data_option(sub)

    sub = command(
        "mappings",
        _cmd_mappings,
        "export the SSSOM mapping set to external vocabularies (MONDO, HPO, MeSH, …)",
        "kg mappings --format turtle -o mappings.ttl",
    )
    sub.add_argument("--format", choices=MAPPING_FORMATS, default="sssom", help="output format (default: sssom)")
    sub.add_argument("-o", "--output", help="file to write (atomically); default: standard output")

    sub = command("stats", _cmd_stats, "count triples and resources per class", "kg stats")
    data_option(sub)

    sub = command(
        "describe",
        _cmd_describe,
        "every fact about an entity, with provenance",
        "kg describe 'vitamin B12 deficiency'",
    )
    sub.add_argument("entity", help="a label, synonym, CURIE or IRI")
    sub.add_argument("--format", choices=RESULT_FORMATS, default="table", help="result format (default: table)")
    data_option(sub)
    engine_option(sub)

    sub = command(
        "explain",
        _cmd_explain,
        "why one entity is linked to another: each stated or derived link as a tree down to the quotes",
        "kg explain 'strict vegetarian diet' 'peripheral neuropathy'",
    )
    sub.add_argument("subject", help="where the link starts: a label, synonym, CURIE or IRI")
    sub.add_argument("object", help="where the link ends")
    data_option(sub)
    engine_option(sub)

    sub = command(
        "format",
        _cmd_format,
        "rewrite Turtle files in the canonical form the project keeps",
        "kg format data/*.ttl",
    )
    sub.add_argument("files", nargs="+", help="Turtle files")
    sub.add_argument("--check", action="store_true", help="only report files that are not canonical (exit 1)")

    sub = command(
        "serve",
        _cmd_serve,
        "serve a read-only SPARQL 1.1 endpoint and a query page over the reasoned graph",
        "kg serve --port 8000   (then open http://127.0.0.1:8000/)",
    )
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    sub.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    sub.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds per query, 0 for none (default: {DEFAULT_TIMEOUT:g})",
    )
    sub.add_argument(
        "--max-rows",
        type=int,
        default=DEFAULT_MAX_ROWS,
        help=f"rows per result, 0 for none (default: {DEFAULT_MAX_ROWS})",
    )
    sub.add_argument("--workers", type=int, default=2, help="query worker processes (default: 2)")
    sub.add_argument(
        "--queue-seconds",
        type=float,
        default=QUEUE_SECONDS,
        help=f"wait for a busy worker before answering 503 + Retry-After, 0 for the whole time limit "
        f"(default: {QUEUE_SECONDS:g})",
    )
    sub.add_argument(
        "--max-request-bytes", type=int, default=1_000_000, help="largest request body accepted (default: 1000000)"
    )
    sub.add_argument("--cors", action="store_true", help="let web pages from any origin (YASGUI, say) query it")
    data_option(sub)

    sub = command(
        "push",
        _cmd_push,
        "upload the asserted and inferred triples to a SPARQL store, in chunks",
        "kg push --endpoint http://localhost:7878/update --graph https://w3id.org/neuropathy-kg/graph",
    )
    sub.add_argument("--endpoint", required=True, metavar="URL", help="SPARQL Update endpoint (or Graph Store URL)")
    sub.add_argument("--graph", metavar="IRI", help="named graph to fill (default: the default graph)")
    sub.add_argument(
        "--protocol",
        choices=("update", "graph-store"),
        default="update",
        help="SPARQL 1.1 Update (INSERT DATA) or the Graph Store Protocol (POST) (default: update)",
    )
    sub.add_argument("--replace", action="store_true", help="empty the target graph first")
    sub.add_argument("--asserted-only", action="store_true", help="push without the inferred triples")
    sub.add_argument(
        "--chunk-triples", type=int, default=1_000, help="triples per request (default: 1000; Virtuoso fails near 5000)"
    )
    data_option(sub)

    sub = command(
        "docs",
        _cmd_docs,
        "write the HTML reference of every class, property, entity and claim (one self-contained page)",
        "kg docs -o reference/   (then open reference/index.html)",
    )
    sub.add_argument("-o", "--output", default="reference", metavar="DIR", help="folder to write (default: reference)")
    data_option(sub)

    sub = command(
        "diagram",
        _cmd_diagram,
        "draw the causal network with Graphviz, whole or around one entity",
        "kg diagram --focus 'vitamin B12 deficiency' --format svg -o b12.svg",
    )
    sub.add_argument("--focus", metavar="ENTITY", help="draw this entity (label, CURIE or IRI) and its surroundings")
    sub.add_argument("--depth", type=int, default=2, help="with --focus: steps to follow each way (default: 2)")
    sub.add_argument("--format", choices=("svg", "png", "dot"), default="svg", help="output format (default: svg)")
    sub.add_argument("-o", "--output", metavar="FILE", help="file to write (atomically); default: standard output")
    data_option(sub)

    sub = command(
        "release",
        _cmd_release,
        "write the release files: base and full in Turtle, RDF/XML and JSON-LD, mappings, summary",
        "kg release -o release/",
    )
    sub.add_argument("-o", "--output", default="release", metavar="DIR", help="folder to write (default: release)")
    data_option(sub)

    sub = command(
        "qc",
        _cmd_qc,
        "run the quality-control rules (queries/qc/*.rq); exit 1 if any ERROR is found",
        "kg qc --data new-claims.ttl",
    )
    sub.add_argument("--rule", action="append", default=[], metavar="NAME", help="run only this rule (repeatable)")
    sub.add_argument("--format", choices=("table", "tsv"), default="table", help="report format (default: table)")
    data_option(sub)
    return parser


def _quiet_rdflib() -> None:
    """rdflib logs and warns on stderr about bad IRIs and literals, which the loader refuses in one line anyway."""
    logger = logging.getLogger("rdflib")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    warnings.filterwarnings("ignore", module=r"rdflib(\.|$)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising, and prints errors as one line without traceback."""
    _quiet_rdflib()
    parser = _build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if extras:
            raise _unrecognised(extras, getattr(args, "command", None))
        args.standalone = argv is None  # run as the `kg` program, not from other Python code (see _limited)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except KGError as error:
        one_line = str(error).replace("\r", "\\r").replace("\n", "\\n")  # a file name may hold a newline
        print(f"kg: error: {one_line}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return 0
    except OSError as error:  # an output file that cannot be written (disk full, a file where a folder should be)
        named = f"{error.filename}: {error.strerror}" if error.filename is not None and error.strerror else str(error)
        one_line = named.replace("\r", "\\r").replace("\n", "\\n")
        print(f"kg: error: {one_line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
