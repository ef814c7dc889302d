"""Where a stage's time and memory go, step by step, for the misses benchmarks/results.md explains.

    python benchmarks/profile_stage.py pipeline /tmp/bench-shared/g-1M.ttl [--view]
    python benchmarks/profile_stage.py query /tmp/kg-issue16/run/graph-1000000 xref symptoms

`pipeline`: run.py's whole default pipeline in one process (load, reason, validate, every stored query, export),
with reasoning split into the steps `KnowledgeGraph` runs (the native reasoner, the integrity checks on the
user's files and on the graph), and with --view `reason()`'s rdflib view timed after it; wall seconds and the
process's peak resident memory after each step.

`query`: in a folder run.py prepared (union.nt, queries.json), for each query the time of resolving its parameters
(labels), of `KnowledgeGraph.query` with the IRIs already resolved, of the whole call as a user makes it, and of
pyoxigraph running the same bound text on a store of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _step(name: str, run: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {name} | {time.perf_counter() - started:.2f} | {peak:,.0f} |", flush=True)
    return result


def pipeline(path: Path, view: bool) -> None:
    from kg import KnowledgeGraph, integrity, stored_queries
    from kg.reason import infer_ntriples
    from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH

    os.environ["KG_CACHE_DIR"] = tempfile.mkdtemp(prefix="kg-profile-")  # reasoning is not read from a cache
    print("| step | seconds | peak MiB after it |\n|---|---:|---:|")
    graph = _step("load (`KnowledgeGraph.load`)", lambda: KnowledgeGraph.load(extra=[path]))
    asserted = graph.ntriples(ASSERTED_GRAPH)
    inferred = _step("reason: native reasoner (`kg.reason.infer_ntriples`)", lambda: infer_ntriples(asserted))
    _step(
        "reason: integrity, user files (`check_user_files`)",
        lambda: integrity.check_user_files([path], graph._rule_lines),
    )
    _step(
        "reason: integrity, graph rules (`_graph_findings`)",
        lambda: integrity._graph_findings(asserted, inferred, [path]),  # a private step: this profiles the parts
    )
    _step("reason: all of it (`ntriples(INFERRED_GRAPH)`, no cache)", lambda: graph.ntriples(INFERRED_GRAPH))
    _step("validate", graph.validate)
    params = json.loads(path.with_name(path.name + ".json").read_text(encoding="utf-8"))["parameters"]
    for query in stored_queries():
        _step(
            f"query `{query.name}`",
            lambda q=query: graph.query(q.name, timeout=None, max_rows=None, **params.get(q.name, {})),
        )
    _step("export (canonical Turtle)", lambda: graph.export("turtle"))
    if view:  # minutes at 1M
        _step("`reason()`'s rdflib view of the inferred triples", lambda: len(graph.reason(cache=False)))


def query(folder: Path, names: list[str]) -> None:
    import pyoxigraph as ox

    from kg import KnowledgeGraph, stored_queries
    from kg.prefixes import PREFIXES

    recorded = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    graph = KnowledgeGraph.load(extra=[folder / "union.nt"], packaged=False)
    limits: dict[str, Any] = {"inferred": False, "timeout": None, "max_rows": None}
    graph.query("neuropathy-types", **limits)  # builds the engine's store
    store = ox.Store()
    store.bulk_load(path=str(folder / "union.nt"), format=ox.RdfFormat.N_TRIPLES)
    by_name = {q.name: q for q in stored_queries()}
    print("| query | resolve parameters | query, IRIs given | the whole call | pyoxigraph, same text | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        given = recorded[name]["params"]

        def timed(run: Callable[[], Any]) -> float:
            started = time.perf_counter()
            run()
            return time.perf_counter() - started

        resolve = timed(lambda: graph.bindings(by_name[name], given))  # noqa: B023
        terms = graph.bindings(by_name[name], given).items()
        iris = {key: f"<{term.value}>" if isinstance(term, ox.NamedNode) else given[key] for key, term in terms}
        direct = timed(lambda: graph.query(name, **limits, **iris))  # noqa: B023
        whole = timed(lambda: graph.query(name, **limits, **given))  # noqa: B023
        subs = {ox.Variable(k): v for k, v in graph.bindings(by_name[name], given).items()}
        text = recorded[name].get("native_sparql", recorded[name]["sparql"])
        native = timed(lambda: list(store.query(text, prefixes=PREFIXES, substitutions=subs)))  # noqa: B023
        print(
            f"| `{name}` | {resolve:.3f} | {direct:.3f} | {whole:.3f} | {native:.3f} | {whole / native:.2f}× |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("mode", choices=("pipeline", "query"))
    parser.add_argument("path", type=Path)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--view", action="store_true", help="pipeline: time reason()'s rdflib view too")
    args = parser.parse_args()
    if args.mode == "pipeline":
        pipeline(args.path, args.view)
    else:
        query(args.path, args.names)


if __name__ == "__main__":
    sys.exit(main())
