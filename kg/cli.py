"""The `kg` command line: thin commands over the library, with exit codes 0 ok, 1 failed check, 2 bad input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kg import __version__
from kg.errors import InputError, KGError, NoResultsError, ValidationFailedError
from kg.export import EXPORT_FORMATS, canonical_turtle, write_atomically
from kg.graph import KnowledgeGraph
from kg.mappings import MAPPING_FORMATS, export_mapping_set, read_mapping_set
from kg.packaged import mapping_file
from kg.queries import stored_queries, stored_query
from kg.results import RESULT_FORMATS, QueryResult
from kg.store import new_graph, parse_into
from kg.terms import compact

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
        raise InputError(f"{self.prog}: {message}")


def _graph(args: argparse.Namespace) -> KnowledgeGraph:
    return KnowledgeGraph.load(getattr(args, "data", None) or (), engine=getattr(args, "engine", "oxigraph"))


def _shorten(iri: str) -> str:
    return compact(iri) or iri


def _print_result(result: QueryResult, output_format: str, require_rows: bool) -> int:
    if result.graph is not None:
        sys.stdout.write(canonical_turtle(result.graph).decode("utf-8"))
        return 0
    if output_format == "table":
        iris = {str(term) for row in result.rows for term in row if term is not None}
        sys.stdout.write(result.to_table({iri: _shorten(iri) for iri in iris}) + "\n")
    else:
        sys.stdout.write(result.serialize(output_format))
    if require_rows and result.boolean is None and not result.rows:
        raise NoResultsError("the query returned no rows")
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
    for query in stored_queries():
        print(f"{query.name}: {query.title}")
        print(f"    {query.description}")
        for parameter in query.parameters:
            example = f" (example: {parameter.example})" if parameter.example else ""
            print(f"    --param {parameter.name}=…  {parameter.description}{example}")
    return 0


def _cmd_query(args: argparse.Namespace) -> int:
    stored_query(args.name)  # an unknown name fails before any loading
    result = _graph(args).query(args.name, inferred=not args.asserted_only, **_parse_params(args.param))
    return _print_result(result, args.format, require_rows=args.require_results)


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
    result = _graph(args).query(text, inferred=not args.asserted_only)
    return _print_result(result, args.format, require_rows=args.require_results)


def _cmd_validate(args: argparse.Namespace) -> int:
    report = _graph(args).validate()
    print(report.to_table())
    if not report.conforms:
        raise ValidationFailedError(f"{len(report.results)} SHACL result(s)")
    return 0


def _cmd_reason(args: argparse.Namespace) -> int:
    graph = _graph(args)
    inferred = graph.reason(cache=not args.no_cache)
    print(f"asserted triples: {len(graph.asserted)}")
    print(f"inferred triples: {len(inferred)}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    _write_output(_graph(args).export(args.format, inferred=args.inferred), args.output)
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
    for name, count in _graph(args).stats().items():
        print(f"{name}: {count}")
    return 0


def _cmd_describe(args: argparse.Namespace) -> int:
    result = _graph(args).describe(args.entity)
    return _print_result(result, args.format, require_rows=True)


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

    command("queries", _cmd_queries, "list the stored queries with their parameters", "kg queries")

    sub = command(
        "query",
        _cmd_query,
        "run a stored query",
        "kg query symptoms --param condition='peripheral neuropathy' --format csv",
    )
    sub.add_argument("name", help="stored query name (see 'kg queries')")
    sub.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter (repeatable)")
    result_options(sub)

    sub = command(
        "sparql",
        _cmd_sparql,
        "run an ad-hoc SPARQL query (project prefixes are predeclared)",
        "kg sparql 'SELECT ?s WHERE { ?s a nkg:Neuropathy }' --format json",
    )
    sub.add_argument("query", nargs="?", help="the SPARQL query text")
    sub.add_argument("--file", help="read the query from this file instead")
    result_options(sub)

    sub = command(
        "validate",
        _cmd_validate,
        "validate the graph against the SHACL shapes",
        "kg validate --data new-claims.ttl",
    )
    data_option(sub)

    sub = command("reason", _cmd_reason, "run OWL 2 RL reasoning and count asserted and inferred triples", "kg reason")
    sub.add_argument("--no-cache", action="store_true", help="reason again even if a cached closure exists")
    data_option(sub)

    sub = command(
        "export",
        _cmd_export,
        "write the graph in a standard RDF format",
        "kg export --format turtle -o graph.ttl",
    )
    sub.add_argument("--format", default="turtle", help=f"one of {', '.join(EXPORT_FORMATS)} (default: turtle)")
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
        "format",
        _cmd_format,
        "rewrite Turtle files in the canonical form the project keeps",
        "kg format data/*.ttl",
    )
    sub.add_argument("files", nargs="+", help="Turtle files")
    sub.add_argument("--check", action="store_true", help="only report files that are not canonical (exit 1)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising, and prints errors as one line without traceback."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except KGError as error:
        print(f"kg: error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
