"""Loading one RDF file: kg.load.ntriples_of beside pyoxigraph's own bulk load, time and peak memory, fresh processes.

Usage: python benchmarks/parse.py FILE [FILE ...] [--rounds N]   (Turtle or N-Triples, optionally .gz)
Prints a Markdown table; each figure is the best of N rounds, each round runs both loaders one after the other,
so a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

#: Runs in a fresh interpreter: the loader, then what it measured as JSON (peak RSS of the whole process).
_PROGRAM = """
import gzip, json, resource, sys, time
from pathlib import Path
import pyoxigraph as ox
from kg.load import ntriples_of
what, path = sys.argv[1], Path(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if what == "kg":
    triples = ntriples_of(path).count(b"\\n")
else:
    data = path.read_bytes()
    data = gzip.decompress(data) if path.name.endswith(".gz") else data
    name = path.name.removesuffix(".gz")
    store = ox.Store()
    store.bulk_load(data, format=ox.RdfFormat.from_extension(name.rsplit(".", 1)[-1]))
    triples = len(store)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak": peak * 1024, "base": before * 1024, "triples": triples}))
"""


def measure(what: str, path: Path) -> dict[str, float]:
    run = subprocess.run([sys.executable, "-c", _PROGRAM, what, str(path)], capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(run.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(
        "| file | triples | kg.load.ntriples_of | peak (above start) | bytes/triple | pyoxigraph bulk_load | peak "
        "| ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for path in args.files:
        best: dict[str, dict[str, float]] = {}
        for _round in range(args.rounds):
            for what in ("kg", "native"):
                figures = measure(what, path)
                if what not in best or figures["seconds"] < best[what]["seconds"]:
                    best[what] = figures
        ours, native = best["kg"], best["native"]
        used = ours["peak"] - ours["base"]
        print(
            f"| {path.name} | {ours['triples']:,.0f} | {ours['seconds']:.2f} s | {used / 2**20:.0f} MiB | "
            f"{used / ours['triples']:.0f} | {native['seconds']:.2f} s | "
            f"{(native['peak'] - native['base']) / 2**20:.0f} MiB | {ours['seconds'] / native['seconds']:.2f}× |",
            flush=True,
        )


if __name__ == "__main__":
    main()
