"""SHACL validation of generated graphs: the native validator against pyrudof and pyshacl, in one run.

    python benchmarks/validation.py --sizes 10k,100k,1M --pyshacl 10k --pyrudof 10k,100k,1M

Each graph is the packaged graph plus benchmarks/generate.py's data (the violation variant with --violations),
written once as exact N-Triples to --work. Each measurement is a fresh Python process that reads the N-Triples
(not timed), times validate_ntriples(data, shapes, method) once, and reports its peak resident memory
(ru_maxrss, native memory included). A run past --timeout seconds, or past --memory GiB of address space, is
reported as not finished.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate, parse_size  # noqa: E402  (benchmarks/generate.py, found through the path above)

SEED = 8


def prepare(size: str, violations: bool, work: Path) -> tuple[Path, Path]:
    """The asserted graph and the shapes (without the derivation shapes) as N-Triples files, made once."""
    from pyoxigraph import RdfFormat, parse, serialize

    from kg import KnowledgeGraph
    from kg.derive import DERIVATION_SHAPES
    from kg.packaged import shapes_files
    from kg.store import new_graph, parse_into

    work.mkdir(parents=True, exist_ok=True)
    data = work / f"graph-{size}{'-violations' if violations else ''}.nt"
    shapes = work / "shapes.nt"
    if not shapes.exists():
        graph = new_graph()
        for entry in shapes_files():
            if entry.name != DERIVATION_SHAPES:
                parse_into(graph, entry, label=entry.name)
        shapes.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    if not data.exists():
        made = generate(parse_size(size), seed=SEED, violations=violations)
        packaged = KnowledgeGraph.load().asserted.serialize(format="nt", encoding="utf-8")
        partial = data.with_suffix(".partial")
        with partial.open("wb") as out:
            out.write(packaged)
            serialize(parse(made.turtle.encode("utf-8"), format=RdfFormat.TURTLE), out, format=RdfFormat.N_TRIPLES)
        partial.rename(data)
    return data, shapes


def measure(data: Path, shapes: Path, method: str) -> None:
    """In the measuring process: validate once, print seconds, peak memory and the report's size as JSON."""
    from kg.validate import validate_ntriples

    content, rules = data.read_bytes(), shapes.read_bytes()
    started = time.perf_counter()
    report = validate_ntriples(content, rules, method)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, "results": len(report.results)}))


def run(data: Path, shapes: Path, method: str, timeout: float, memory: float) -> str:
    """One measurement in its own process, as a table cell."""
    limit = int(memory * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, __file__, "--measure", str(data), str(shapes), method]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=cap, check=False)
    except subprocess.TimeoutExpired:
        return f"did not finish in {timeout:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1][:80]
        return f"failed within {memory:g} GiB ({last})"
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return f"{found['seconds']:.1f} s, {found['peak'] / 2**30:.2f} GiB ({found['results']} results)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", nargs=3, metavar=("DATA", "SHAPES", "METHOD"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--pyshacl", default="10k", help="sizes to run pyshacl at")
    parser.add_argument("--pyrudof", default="10k,100k", help="sizes to run pyrudof at")
    parser.add_argument("--violations", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kg-validation-bench"))
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--memory", type=float, default=4, help="GiB of address space each run may take")
    args = parser.parse_args()
    if args.measure:
        data, shapes, method = args.measure
        measure(Path(data), Path(shapes), method)
        return
    print("| triples | native (kg) | pyrudof | pyshacl |\n|---|---:|---:|---:|", flush=True)
    for size in args.sizes.split(","):
        data, shapes = prepare(size, args.violations, args.work)
        cells = [run(data, shapes, "fast", args.timeout, args.memory)]
        for method, sizes in (("pyrudof", args.pyrudof), ("pyshacl", args.pyshacl)):
            cells.append(run(data, shapes, method, args.timeout, args.memory) if size in sizes.split(",") else "")
        print(f"| {size} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
