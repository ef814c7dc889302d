"""The `kg` commands as a table: name, implementation, help, example and arguments of each."""

from __future__ import annotations

from kg.command_spec import Argument, Command, arg, constant

__all__ = ["COMMANDS"]

_OUTPUT = arg("-o", "--output", help="file to write (atomically); default: standard output")
DATA = (arg("--data", action="append", metavar="PATH", help="extra RDF file or folder to load (repeatable)"),)
ENGINE = (
    arg("--engine", choices=("oxigraph", "rdflib"), default="oxigraph", help="SPARQL engine (default: oxigraph)"),
)
_RESULT_FORMAT = arg(
    "--format", choices=constant("results.RESULT_FORMATS"), default="table", help="result format (default: table)"
)
RESULTS = (
    _RESULT_FORMAT,
    arg("--asserted-only", action="store_true", help="query without the inferred triples"),
    arg("--require-results", action="store_true", help="exit 1 when the query returns no rows"),
    *DATA,
    *ENGINE,
)
ENDPOINT = (
    arg("--endpoint", metavar="URL", help="run on this SPARQL 1.1 endpoint instead of locally"),
    arg("--graph", metavar="IRI", help="with --endpoint: query this named graph as the default"),
)


def _limits(default: str) -> tuple[Argument, ...]:
    return (
        arg("--timeout", type=float, metavar="SECONDS", help=f"time limit, 0 for none (default: {default})"),
        arg("--max-rows", type=int, metavar="N", help=f"row limit, 0 for none (default: {default})"),
    )


_ASK = "kg.cli_ask"
_MAKE = "kg.cli_make"

COMMANDS: tuple[Command, ...] = (
    Command(
        "queries",
        f"{_ASK}:list_queries",
        "list the stored queries with their parameters",
        "kg queries",
        (
            arg(
                "--format",
                choices=("text", "markdown"),
                default="text",
                help="markdown: docs/queries.md (default: text)",
            ),
        ),
    ),
    Command(
        "query",
        f"{_ASK}:query",
        "run a stored query",
        "kg query symptoms --param condition='peripheral neuropathy' --format csv",
        (
            arg("name", help="stored query name (see 'kg queries')"),
            arg("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter (repeatable)"),
            *RESULTS,
            *_limits("{limits.STORED_TIMEOUT:g} s and {limits.STORED_MAX_ROWS} rows"),
            *ENDPOINT,
        ),
    ),
    Command(
        "sparql",
        f"{_ASK}:sparql",
        "run an ad-hoc SPARQL query (project prefixes are predeclared)",
        "kg sparql 'SELECT ?s WHERE { ?s a nkg:Neuropathy }' --format json",
        (
            arg("query", nargs="?", help="the SPARQL query text"),
            arg("--file", help="read the query from this file instead"),
            *RESULTS,
            *_limits("{limits.DEFAULT_TIMEOUT:g} s and {limits.DEFAULT_MAX_ROWS} rows"),
            *ENDPOINT,
        ),
    ),
    Command(
        "validate",
        f"{_MAKE}:validate",
        "validate the graph against the SHACL shapes",
        "kg validate --data new-claims.ttl",
        (
            *DATA,
            arg(
                "--validator",
                choices=constant("validate.VALIDATORS"),
                default="auto",
                help="auto/fast (the shapes as SPARQL on Oxigraph), pyshacl (the reference) or pyrudof (to compare)",
            ),
        ),
    ),
    Command(
        "reason",
        f"{_MAKE}:reason",
        "run OWL 2 RL reasoning and count asserted and inferred triples",
        "kg reason",
        (
            arg("--no-cache", action="store_true", help="reason again even if a cached closure exists"),
            arg(
                "--reasoner",
                choices=constant("reason.REASONERS"),
                default="auto",
                help="auto/native (kg's own, equal to owlrl), owlrl (the reference) or fast (reasonable); auto falls"
                " back to owlrl, or fast above {reason.FAST_THRESHOLD:,} triples, for OWL the native reasoner does not"
                " follow",
            ),
            *DATA,
        ),
    ),
    Command(
        "export",
        f"{_MAKE}:export",
        "write the graph in a standard RDF format",
        "kg export --format turtle -o graph.ttl",
        (
            arg(
                "--format", default="turtle", help="one of {export.EXPORT_FORMATS:list}, kgx (-o DIR) (default: turtle)"
            ),
            arg("--inferred", action="store_true", help="include the inferred triples"),
            _OUTPUT,
            *DATA,
        ),
    ),
    Command(
        "mappings",
        f"{_MAKE}:mappings",
        "export the SSSOM mapping set to external vocabularies (MONDO, HPO, MeSH, …)",
        "kg mappings --format turtle -o mappings.ttl",
        (
            arg(
                "--format",
                choices=constant("sssom_formats.MAPPING_FORMATS"),
                default="sssom",
                help="output format (default: sssom)",
            ),
            _OUTPUT,
        ),
    ),
    Command("stats", f"{_ASK}:stats", "count triples and resources per class", "kg stats", DATA),
    Command(
        "describe",
        f"{_ASK}:describe",
        "every fact about an entity, with provenance",
        "kg describe 'vitamin B12 deficiency'",
        (
            arg("entity", help="a label, synonym, CURIE or IRI"),
            _RESULT_FORMAT,
            *DATA,
            *ENGINE,
        ),
    ),
    Command(
        "explain",
        f"{_ASK}:explain",
        "why one entity is linked to another: each stated or derived link as a tree down to the quotes",
        "kg explain 'strict vegetarian diet' 'peripheral neuropathy'",
        (
            arg("subject", help="where the link starts: a label, synonym, CURIE or IRI"),
            arg("object", help="where the link ends"),
            *DATA,
            *ENGINE,
        ),
    ),
    Command(
        "format",
        f"{_MAKE}:format_files",
        "rewrite Turtle files in the canonical form the project keeps",
        "kg format data/*.ttl",
        (
            arg("files", nargs="+", help="Turtle files"),
            arg("--check", action="store_true", help="only report files that are not canonical (exit 1)"),
        ),
    ),
    Command(
        "serve",
        f"{_ASK}:serve",
        "serve a read-only SPARQL 1.1 endpoint and a query page over the reasoned graph",
        "kg serve --port 8000   (then open http://127.0.0.1:8000/)",
        (
            arg("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)"),
            arg("--port", type=int, default=8000, help="port (default: 8000)"),
            arg(
                "--timeout",
                type=float,
                default=constant("limits.DEFAULT_TIMEOUT"),
                help="seconds per query, 0 for none (default: {limits.DEFAULT_TIMEOUT:g})",
            ),
            arg(
                "--max-rows",
                type=int,
                default=constant("limits.DEFAULT_MAX_ROWS"),
                help="rows per result, 0 for none (default: {limits.DEFAULT_MAX_ROWS})",
            ),
            arg("--workers", type=int, default=2, help="query worker processes (default: 2)"),
            arg(
                "--queue-seconds",
                type=float,
                default=constant("limits.QUEUE_SECONDS"),
                help="wait for a busy worker before answering 503 + Retry-After, 0 for the whole time limit "
                "(default: {limits.QUEUE_SECONDS:g})",
            ),
            arg(
                "--max-request-bytes",
                type=int,
                default=1_000_000,
                help="largest request body accepted (default: 1000000)",
            ),
            arg("--cors", action="store_true", help="let web pages from any origin (YASGUI, say) query it"),
            *DATA,
        ),
    ),
    Command(
        "push",
        f"{_MAKE}:push",
        "upload the asserted and inferred triples to a SPARQL store, in chunks",
        "kg push --endpoint http://localhost:7878/update --graph https://w3id.org/neuropathy-kg/graph",
        (
            arg("--endpoint", required=True, metavar="URL", help="SPARQL Update endpoint (or Graph Store URL)"),
            arg("--graph", metavar="IRI", help="named graph to fill (default: the default graph)"),
            arg(
                "--protocol",
                choices=("update", "graph-store"),
                default="update",
                help="SPARQL 1.1 Update (INSERT DATA) or the Graph Store Protocol (POST) (default: update)",
            ),
            arg("--replace", action="store_true", help="empty the target graph first"),
            arg("--asserted-only", action="store_true", help="push without the inferred triples"),
            arg(
                "--chunk-triples",
                type=int,
                default=1_000,
                help="triples per request (default: 1000; Virtuoso fails near 5000)",
            ),
            *DATA,
        ),
    ),
    Command(
        "docs",
        f"{_MAKE}:docs",
        "write the HTML reference of every class, property, entity and claim (one self-contained page)",
        "kg docs -o reference/   (then open reference/index.html)",
        (
            arg("-o", "--output", default="reference", metavar="DIR", help="folder to write (default: reference)"),
            *DATA,
        ),
    ),
    Command(
        "diagram",
        f"{_MAKE}:diagram",
        "draw the causal network with Graphviz, whole or around one entity",
        "kg diagram --focus 'vitamin B12 deficiency' --format svg -o b12.svg",
        (
            arg("--focus", metavar="ENTITY", help="draw this entity (label, CURIE or IRI) and its surroundings"),
            arg("--depth", type=int, default=2, help="with --focus: steps to follow each way (default: 2)"),
            arg("--format", choices=("svg", "png", "dot"), default="svg", help="output format (default: svg)"),
            arg("-o", "--output", metavar="FILE", help="file to write (atomically); default: standard output"),
            *DATA,
        ),
    ),
    Command(
        "release",
        f"{_MAKE}:release",
        "write the release files: base and full in Turtle, RDF/XML and JSON-LD, mappings, summary",
        "kg release -o release/",
        (
            arg("-o", "--output", default="release", metavar="DIR", help="folder to write (default: release)"),
            *DATA,
        ),
    ),
    Command(
        "qc",
        f"{_MAKE}:qc",
        "run the quality-control rules (queries/qc/*.rq); exit 1 if any ERROR is found",
        "kg qc --data new-claims.ttl",
        (
            arg("--rule", action="append", default=[], metavar="NAME", help="run only this rule (repeatable)"),
            arg("--format", choices=("table", "tsv"), default="table", help="report format (default: table)"),
            *DATA,
        ),
    ),
)
