"""Exports from exact N-Triples against pyoxigraph's own writers, on the generated graphs, side by side in one run.

For each size and format: `kg.export.write_ntriples_as` (N-Triples bytes in, the format out, written to /dev/null)
and `pyoxigraph.Store.dump` of a store holding the same triples (loaded before the clock starts). Each measurement
runs in a fresh process so its peak memory is its own; times are CPU seconds (the machine may be shared) and wall.

    python benchmarks/export.py --sizes 10k 100k 1M [--graphs /tmp/bench-shared] [--formats turtle ntriples]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

FORMATS = ("turtle", "ntriples", "jsonld", "rdfxml", "trig")
_NATIVE = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "jsonld": "JSON_LD", "rdfxml": "RDF_XML", "trig": "TRIG"}


def ntriples_file(graphs: Path, size: str) -> Path:
    """The generated graph of `size` as N-Triples (converted once from benchmarks/generate.py's Turtle)."""
    target = graphs / f"g-{size}.nt"
    if not target.exists():
        import pyoxigraph as ox

        source = graphs / f"g-{size}.ttl"
        if not source.exists():
            raise SystemExit(f"{source} is missing: python benchmarks/generate.py --triples {size} -o {source}")
        partial = target.with_suffix(".nt.partial")
        ox.serialize(ox.parse(path=str(source)), output=str(partial), format=ox.RdfFormat.N_TRIPLES)
        partial.rename(target)
    return target


def _measure(engine: str, path: str, format: str) -> dict[str, float]:
    """One export in this process: seconds (CPU and wall) and peak resident memory (MiB)."""
    data = Path(path).read_bytes()
    with open("/dev/null", "wb") as sink:
        if engine == "native":
            import pyoxigraph as ox

            from kg.terms import PREFIXES

            store = ox.Store()
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
            syntax = getattr(ox.RdfFormat, _NATIVE[format])
            options: dict[str, Any] = {} if syntax.supports_datasets else {"from_graph": ox.DefaultGraph()}
            if syntax != ox.RdfFormat.N_TRIPLES:
                options["prefixes"] = PREFIXES
            cpu, wall = time.process_time(), time.perf_counter()
            store.dump(sink, format=syntax, **options)
        else:
            from kg.export import write_ntriples_as

            cpu, wall = time.process_time(), time.perf_counter()
            write_ntriples_as(data, None, format, sink)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"cpu": round(cpu, 3), "wall": round(wall, 3), "peak_mib": round(peak)}


def _run(engine: str, path: Path, format: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", engine, str(path), format]
    return dict(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", nargs="+", default=["10k", "100k", "1M"])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--graphs", type=Path, default=Path("/tmp/bench-shared"))
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_measure(*args.one)))
        return
    columns = ["size", "format", "kg CPU s", "pyoxigraph CPU s", "ratio (CPU)", "kg wall s", "pyoxigraph wall s"]
    columns += ["kg peak MiB", "pyoxigraph peak MiB"]
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        path = ntriples_file(args.graphs, size)
        for format in args.formats:
            native, ours = _run("native", path, format), _run("kg", path, format)
            ratio = ours["cpu"] / native["cpu"] if native["cpu"] else float("nan")
            print(
                f"| {size} | {format} | {ours['cpu']:.2f} | {native['cpu']:.2f} | {ratio:.1f}× | {ours['wall']:.2f} | "
                f"{native['wall']:.2f} | {ours['peak_mib']:.0f} | {native['peak_mib']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
