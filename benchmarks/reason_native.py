"""Native reasoning (kg.reason.infer_ntriples) beside `reasonable` alone on the same generated graph, in one run.

Each engine runs in a fresh process that reports its own time and peak RSS (resource.getrusage), so neither
counts the other's memory. kg's time includes reading the N-Triples; `reasonable-file` is reasonable's own loader
and reasoner on the file; `reasonable-graph` is what benchmarks/run.py times (from_graph and reason on an rdflib
graph parsed beforehand, untimed, though its memory counts in the peak). The input is the packaged graph plus a
generated one as N-Triples (N-Triples are valid Turtle, which is what `reasonable`'s own loader reads).

    python benchmarks/reason_native.py /tmp/bench-shared/g-1M.ttl [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, resource, sys, time
path, engine = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if engine == "kg":
    from kg.reason import infer_ntriples
    with open(path, "rb") as handle:
        data = handle.read()
    out = len(infer_ntriples(data).splitlines())
elif engine == "reasonable-file":
    import reasonable
    reasoner = reasonable.PyReasoner()
    reasoner.load_file(path)
    out = len(reasoner.reason())
else:  # as benchmarks/run.py measures it: from an rdflib graph parsed beforehand (not timed)
    import rdflib, reasonable
    graph = rdflib.Graph().parse(path, format="nt")
    start = time.perf_counter()
    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(graph)
    out = len(reasoner.reason())
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"engine": engine, "seconds": seconds, "peak_mib": peak, "triples_out": out}))
"""


def ntriples_input(generated: Path) -> Path:
    """The packaged graph plus `generated`, as one N-Triples file beside it (made once)."""
    target = Path("/tmp/bench-reason") / (generated.stem + ".nt.ttl")
    if target.exists():
        return target
    import pyoxigraph

    from kg import KnowledgeGraph
    from kg.export import canonical_ntriples

    target.parent.mkdir(parents=True, exist_ok=True)
    packaged = canonical_ntriples(KnowledgeGraph.load().asserted)
    extra = pyoxigraph.serialize(pyoxigraph.parse(path=str(generated)), format=pyoxigraph.RdfFormat.N_TRIPLES)
    scratch = target.with_suffix(".tmp")
    scratch.write_bytes(packaged + (extra or b""))
    scratch.rename(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generated", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--engines", default="kg,reasonable-file,reasonable-graph", help="comma-separated")
    args = parser.parse_args()
    path = ntriples_input(args.generated)
    for _ in range(args.runs):
        for engine in args.engines.split(","):
            done = subprocess.run([sys.executable, "-c", _CHILD, str(path), engine], capture_output=True, check=True)
            result = json.loads(done.stdout)
            result["input"] = args.generated.name
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
