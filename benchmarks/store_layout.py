"""Snapshot layouts compared on one graph: the store on disk or read into memory, two named graphs or a union graph.

    python benchmarks/store_layout.py ASSERTED.nt INFERRED.nt PARAMETERS.json [--skip causes] [--repeat 3]

PARAMETERS.json is what benchmarks/generate.py writes beside a graph (its "parameters"), or {} for the packaged
graph (then each stored query's example is used). Each layout runs in a process of its own, so its memory is its
own: the figures are seconds to open (wall and CPU), CPU seconds of the label lookup and of each stored query
(best of --repeat), and resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from kg.engine import OxigraphEngine
from kg.mappings import read_mapping_set
from kg.packaged import mapping_file
from kg.prefixes import PREFIXES
from kg.queries import stored_queries
from kg.resolve import as_iri, look_up_iri, look_up_label
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH

UNION_GRAPH = ox.NamedNode("https://w3id.org/neuropathy-kg/graph/union")
LAYOUTS = ("memory-two-graphs", "memory-union", "disk-union", "disk-two-graphs", "disk-both")


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(store: ox.Store, asserted: Path, inferred: Path, union: bool) -> None:
    for path, graph in ((asserted, ASSERTED_GRAPH), (inferred, INFERRED_GRAPH)):
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        if union:
            store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES, to_graph=UNION_GRAPH)


def measure(
    layout: str, asserted: Path, inferred: Path, parameters: dict[str, dict[str, str]], skip: set[str], repeat: int
) -> dict[str, object]:
    union = layout.endswith(("union", "both"))  # disk-both: one store with the union, queried both ways
    before = _rss_mib()
    figures: dict[str, object] = {"layout": layout}
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        if layout.startswith("disk"):
            builder = ox.Store(folder)
            _load(builder, asserted, inferred, union)
            builder.flush()
            del builder
            started, cpu = time.perf_counter(), time.process_time()
            store = ox.Store.read_only(folder)
        else:
            started, cpu = time.perf_counter(), time.process_time()
            store = ox.Store()
            _load(store, asserted, inferred, union)
        figures["open s"] = round(time.perf_counter() - started, 3)
        figures["open cpu s"] = round(time.process_time() - cpu, 3)
        figures["memory MiB"] = round(_rss_mib() - before)
        graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = (
            [UNION_GRAPH] if union else [ASSERTED_GRAPH, INFERRED_GRAPH]
        )
        everything = OxigraphEngine.over_store(store, graphs)
        two_graphs = OxigraphEngine.over_store(store, [ASSERTED_GRAPH, INFERRED_GRAPH])
        both = layout.endswith("both")
        apart: dict[str, float] = {}
        asserted_only = OxigraphEngine.over_store(store, [ASSERTED_GRAPH])
        curie_map = read_mapping_set(mapping_file())[0].get("curie_map")
        prefixes = {**(curie_map if isinstance(curie_map, dict) else {}), **PREFIXES}
        queries: dict[str, float] = {}
        lookups: list[float] = []
        for query in stored_queries():
            if query.name in skip:
                continue
            values = parameters.get(query.name) or {p.name: p.example or "" for p in query.parameters}
            bindings: dict[str, ox.NamedNode | ox.Literal] = {}
            for parameter in query.parameters:
                value = values[parameter.name]
                if parameter.kind == "literal":
                    bindings[parameter.name] = ox.Literal(value)
                elif parameter.kind == "iri":
                    bindings[parameter.name] = ox.NamedNode(as_iri(value, prefixes, parameter.name) or value)
                elif as_iri(value, prefixes, parameter.name) is not None:
                    iri = as_iri(value, prefixes, parameter.name)
                    assert iri is not None
                    bindings[parameter.name] = look_up_iri(asserted_only, iri, value, parameter.name)
                else:
                    started = time.process_time()
                    found = look_up_label(asserted_only, value)
                    lookups.append(time.process_time() - started)
                    assert found is not None, (query.name, value)
                    bindings[parameter.name] = found
            best = float("inf")
            for _ in range(repeat):
                started = time.process_time()  # CPU seconds: the machine is shared, wall time is not ours alone
                rows = len(everything.run(query.sparql, bindings, query.name))
                best = min(best, time.process_time() - started)
            queries[query.name] = round(best, 3)
            if both:
                started = time.process_time()
                two_graphs.run(query.sparql, bindings, query.name)
                apart[query.name] = round(time.process_time() - started, 3)
            figures[f"rows {query.name}"] = rows
        figures["queries cpu s"] = queries
        figures["all queries cpu s"] = round(sum(queries.values()), 2)
        if both:
            figures["two graphs queries cpu s"] = apart
            figures["two graphs all queries cpu s"] = round(sum(apart.values()), 2)
        figures["label lookup cpu s"] = round(min(lookups), 3) if lookups else None
        figures["peak MiB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("asserted", type=Path)
    parser.add_argument("inferred", type=Path)
    parser.add_argument("parameters", type=Path)
    parser.add_argument("--skip", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--layout", choices=LAYOUTS)
    parser.add_argument("--layouts", default=",".join(LAYOUTS[:4]), help="comma-separated, for the whole run")
    args = parser.parse_args()
    if args.layout:  # one layout, in this process
        parameters = json.loads(args.parameters.read_text()).get("parameters", {})
        result = measure(args.layout, args.asserted, args.inferred, parameters, set(args.skip), args.repeat)
        print(json.dumps(result))
        return
    for layout in args.layouts.split(","):
        command = [
            sys.executable,
            __file__,
            str(args.asserted),
            str(args.inferred),
            str(args.parameters),
            "--layout",
            layout,
            "--repeat",
            str(args.repeat),
        ]
        for name in args.skip:
            command += ["--skip", name]
        ran = subprocess.run(command, capture_output=True, text=True, check=False)
        print(ran.stdout.strip() or f'{{"layout": "{layout}", "failed": {json.dumps(ran.stderr[-2000:])}}}', flush=True)


if __name__ == "__main__":
    main()
