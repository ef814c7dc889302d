"""The `kg` commands that answer questions: queries, query, sparql, describe, explain, stats, serve."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kg.errors import InputError, NoResultsError

if TYPE_CHECKING:
    from kg.command_spec import Graphs
    from kg.limit_values import Default
    from kg.remote import RemoteGraph
    from kg.results import QueryResult

    Limit = float | Default | None

Number = TypeVar("Number", int, float)

__all__ = ["describe", "explain", "list_queries", "query", "serve", "sparql", "stats"]


def list_queries(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.queries import queries_reference, stored_queries

    if args.format == "markdown":
        sys.stdout.write(queries_reference())
        return 0
    for stored in stored_queries():
        print(f"{stored.name}: {stored.title}")
        print(f"    {stored.description}")
        for parameter in stored.parameters:
            example = f" (example: {parameter.example})" if parameter.example else ""
            print(f"    --param {parameter.name}=…  {parameter.description}{example}")
    return 0


def query(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.queries import stored_query

    stored_query(args.name)  # an unknown name fails before any loading
    params = _parse_params(args.param)
    if args.endpoint:
        result = _remote(args).query(args.name, **params)
    else:
        graph = graphs.opened()
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


def sparql(args: argparse.Namespace, graphs: Graphs) -> int:
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
        graph = graphs.opened()
        result = _limited(
            args,
            lambda timeout, max_rows: graph.query(
                text, inferred=not args.asserted_only, timeout=timeout, max_rows=max_rows
            ),
            untrusted=True,
        )
    return _print_result(result, args.format, require_rows=args.require_results)


def describe(args: argparse.Namespace, graphs: Graphs) -> int:
    result = graphs.opened().describe(args.entity)
    return _print_result(result, args.format, require_rows=True)


def explain(args: argparse.Namespace, graphs: Graphs) -> int:
    explanation = graphs.opened().explain(args.subject, args.object)
    if not explanation.links:
        raise NoResultsError(f"no stated or derived link from {args.subject!r} to {args.object!r}")
    print(explanation.to_text())
    return 0


def stats(args: argparse.Namespace, graphs: Graphs) -> int:
    for name, count in graphs.opened().stats().items():
        print(f"{name}: {count}")
    return 0


def serve(args: argparse.Namespace, graphs: Graphs) -> int:
    from kg.server import serve as serve_graph  # the web stack loads only for this command

    serve_graph(
        graphs.opened(),
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


def _print_result(result: QueryResult, output_format: str, require_rows: bool) -> int:
    if result.is_graph:
        from kg.export import export_ntriples

        triples = result.ntriples()
        sys.stdout.write(export_ntriples(triples, None, "turtle").decode("utf-8"))
        if not triples:
            print("kg: the query returned no triples", file=sys.stderr)
        return 0
    if output_format == "table":
        from kg.prefixes import compact

        sys.stdout.write(result.to_table(shorten=lambda iri: compact(iri) or iri) + "\n")
    else:
        sys.stdout.write(result.serialize(output_format))
    if result.boolean is None and not len(result):
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


def _limited(
    args: argparse.Namespace, run: Callable[[Limit, int | Default | None], QueryResult], *, untrusted: bool
) -> QueryResult:
    """`run(timeout, max_rows)` under the command's limits.

    Run as the `kg` program, the query runs right here, under a watchdog thread that prints the one-line error
    and ends the process at the time or memory limit (no worker to start: a cold `kg query` or `kg sparql` stays
    as quick as opening the snapshot), and an ad-hoc query only once this process has cut itself off the
    network (kg.sandbox). Called from other Python code (main([...])), the API's sandboxed workers do it.
    """
    from kg.limit_values import DEFAULT, DEFAULT_TIMEOUT, STORED_TIMEOUT, WORKER_MEMORY_BYTES
    from kg.sandbox import confine_network, watchdog

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
    from kg.limit_values import DEFAULT

    if value is None:
        return DEFAULT
    return None if value == 0 else value


def _remote(args: argparse.Namespace) -> RemoteGraph:
    from kg.remote import RemoteGraph

    return RemoteGraph(args.endpoint, default_graph=args.graph, extra=args.data or ())
