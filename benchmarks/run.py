"""Benchmark every stage of the pipeline on generated graphs: the project's default path against the naive
pure-Python path (rdflib, owlrl, pyshacl) and against the native engines run directly (pyoxigraph,
reasonable, pyrudof), side by side in one run, as medians of several runs, with peak memory.

    python benchmarks/run.py --sizes 10k,100k,1M            # writes benchmarks/results.md

Each measurement runs in its own Python process, which loads its input first (not timed), then times the
stage `--repeat` times; its peak resident memory (ru_maxrss, native memory included) is reported. A naive
stage stops after `--timeout` seconds ("did not finish in 300 s"), and is not tried again on a larger graph.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate, parse_size  # noqa: E402  (benchmarks/generate.py, found through the path above)

SEED = 8
QUERY_PREFIX = "query:"


class _TimedOutError(Exception):
    """Raised in a measuring process when its stage runs past the time limit."""


# ---------------------------------------------------------------------------------------------- measuring process


def _graph_files(folder: Path, violations: bool = False) -> list[Path]:
    return [folder / ("violations.ttl" if violations else "graph.ttl")]


def _packaged_paths() -> list[Path]:
    from kg.packaged import data_files, ontology_files

    return [Path(str(entry)) for entry in [*ontology_files(), *data_files()]]


def _shapes_graph() -> Any:
    from kg.packaged import shapes_files
    from kg.store import new_graph, parse_into

    shapes = new_graph()
    for entry in shapes_files():
        parse_into(shapes, entry)
    return shapes


def _load_project(folder: Path, violations: bool = False) -> Any:
    from kg import KnowledgeGraph

    return KnowledgeGraph.load(extra=_graph_files(folder, violations))


def _naive_parse(folder: Path, violations: bool = False) -> Any:
    """rdflib's own parsers, file by file (the mapping set is read by the project's SSSOM reader)."""
    from rdflib import Graph

    from kg.mappings import mappings_graph, read_mapping_set
    from kg.packaged import mapping_file

    graph = Graph()
    for path in [*_packaged_paths(), *_graph_files(folder, violations)]:
        graph.parse(path, format="turtle")
    metadata, rows = read_mapping_set(mapping_file())
    for triple in mappings_graph(metadata, rows):
        graph.add(triple)
    return graph


def _union_ntriples(folder: Path) -> Path:
    return folder / "union.nt"


def _bindings(folder: Path, name: str) -> dict[str, Any]:
    """The stored query's parameters for this graph as RDF terms, resolved once by the setup process."""
    from rdflib.util import from_n3

    recorded = json.loads((folder / "bindings.json").read_text(encoding="utf-8"))[name]
    return {parameter: from_n3(term) for parameter, term in recorded.items()}


def _setup(folder: Path) -> Callable[[], None]:
    """Write the asserted plus inferred triples (union.nt) and the resolved query parameters (bindings.json)."""
    from kg import stored_queries
    from kg.export import canonical_ntriples

    graph = _load_project(folder)
    manifest = json.loads((folder / "graph.json").read_text(encoding="utf-8"))

    def run() -> None:
        graph.reason(cache=False, method="fast")
        _union_ntriples(folder).write_bytes(canonical_ntriples(graph.graph(inferred=True)))
        bindings = {
            query.name: {k: v.n3() for k, v in graph.bindings(query, manifest["parameters"][query.name]).items()}
            for query in stored_queries()
        }
        (folder / "bindings.json").write_text(json.dumps(bindings, indent=2), encoding="utf-8")

    return run


def _stage(name: str, folder: Path) -> Callable[[], object]:
    """Prepare a stage's input (not timed) and return the function that runs the stage once."""
    if name == "parse/default":
        return lambda: _load_project(folder)
    if name == "parse/naive":
        return lambda: _naive_parse(folder)
    if name == "parse/pyoxigraph":
        import pyoxigraph as ox

        def parse_natively() -> object:
            store = ox.Store()
            for path in [*_packaged_paths(), *_graph_files(folder)]:
                store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
            return store

        return parse_natively
    if name in ("reason/default", "reason/naive"):
        from kg.reason import infer

        graph = _load_project(folder)
        method = "auto" if name == "reason/default" else "owlrl"
        return lambda: infer(graph.asserted, method)
    if name == "reason/reasonable":
        import reasonable

        asserted = _load_project(folder).asserted

        def reason_natively() -> object:
            reasoner = reasonable.PyReasoner()
            reasoner.from_graph(asserted)
            return reasoner.reason()

        return reason_natively
    if name in ("validate/default", "validate/naive"):
        from kg.validate import validate

        graph = _load_project(folder, violations=True)
        shapes = _shapes_graph()
        method = "auto" if name == "validate/default" else "pyshacl"
        return lambda: validate(graph.asserted, shapes, method)
    if name == "validate/pyrudof":
        import pyrudof

        from kg.export import canonical_ntriples

        data = canonical_ntriples(_load_project(folder, violations=True).asserted).decode("utf-8")
        shapes_text = canonical_ntriples(_shapes_graph()).decode("utf-8")

        def validate_natively() -> object:
            rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            rudof.read_data(data, format=pyrudof.RDFFormat.NTriples)
            rudof.read_shacl(shapes_text, format=pyrudof.ShaclFormat.NTriples)
            return rudof.validate_shacl()

        return validate_natively
    if name in ("export/default", "export/naive"):
        graph = _load_project(folder)
        if name == "export/default":
            return lambda: graph.export("turtle")
        return lambda: graph.asserted.serialize(format="turtle")
    if name == "export/pyoxigraph":
        import pyoxigraph as ox

        store = ox.Store()
        for path in [*_packaged_paths(), *_graph_files(folder)]:
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE)
        return lambda: store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    if name == "pipeline/default":
        return lambda: _pipeline(folder)
    raise SystemExit(f"unknown stage {name!r}")


def _query_stages(path: str, folder: Path, skip: set[str]) -> dict[str, Callable[[], object]]:
    """Every stored query, run the project's way (default: KnowledgeGraph's Oxigraph engine), on rdflib's engine
    (naive) or directly in pyoxigraph, over the asserted plus inferred triples loaded once (not timed)."""
    from kg import stored_queries
    from kg.engine import OxigraphEngine, run_with_rdflib
    from kg.store import new_graph
    from kg.terms import PREFIXES

    runs: dict[str, Callable[[], object]] = {}
    queries = [query for query in stored_queries() if f"{QUERY_PREFIX}{query.name}/{path}" not in skip]
    if path == "pyoxigraph":
        import pyoxigraph as ox

        from kg.engine import _to_oxigraph

        store = ox.Store()
        store.bulk_load(path=str(_union_ntriples(folder)), format=ox.RdfFormat.N_TRIPLES)
        for query in queries:
            substitutions = {ox.Variable(k): _to_oxigraph(v) for k, v in _bindings(folder, query.name).items()}
            runs[query.name] = lambda q=query, s=substitutions: list(  # type: ignore[misc]
                store.query(q.sparql, prefixes=PREFIXES, substitutions=s)
            )
        return runs
    union = new_graph()
    union.parse(str(_union_ntriples(folder)), format="nt")
    engine = OxigraphEngine(union) if path == "default" else None  # built once, as KnowledgeGraph does
    for query in queries:
        bindings = _bindings(folder, query.name)
        if engine is None:
            runs[query.name] = lambda q=query, b=bindings: run_with_rdflib(union, q.sparql, b, q.name)  # type: ignore[misc]
        else:
            runs[query.name] = lambda q=query, b=bindings, e=engine: e.run(q.sparql, b, q.name)  # type: ignore[misc]
    return runs


def _pipeline(folder: Path) -> None:
    """The whole default path once: load, reason, validate, every stored query, export."""
    from kg import stored_queries

    graph = _load_project(folder)
    graph.reason(cache=False)
    graph.validate()
    manifest = json.loads((folder / "graph.json").read_text(encoding="utf-8"))
    for query in stored_queries():
        graph.query(query.name, **manifest["parameters"][query.name])
    graph.export("turtle")


def _time(run: Callable[[], object], repeat: int, timeout: float) -> tuple[list[float], bool]:
    """Up to `repeat` timings of `run`; stops (unfinished) when one run passes `timeout` seconds."""

    def on_alarm(_signal: int, _frame: object) -> None:
        raise _TimedOutError

    signal.signal(signal.SIGALRM, on_alarm)
    times: list[float] = []
    for _ in range(repeat):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        started = time.perf_counter()
        try:
            run()
        except _TimedOutError:
            return times, False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        times.append(time.perf_counter() - started)
        if sum(times) > timeout:  # a slow stage is timed fewer times rather than for many minutes
            break
    return times, True


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _measure(stage: str, folder: Path, repeat: int, timeout: float, out: Path, skip: set[str]) -> None:
    """Runs in the measuring process: prepare, then time the stage(s), and write the figures as JSON."""
    figures: dict[str, dict[str, Any]] = {}
    if stage.startswith("queries/"):
        path = stage.removeprefix("queries/")
        for name, run in _query_stages(path, folder, skip).items():
            times, finished = _time(run, repeat, timeout)
            key = f"{QUERY_PREFIX}{name}/{path}"
            figures[key] = {"stage": key, "times": times, "finished": finished, "peak_bytes": _peak()}
    else:
        run = _setup(folder) if stage == "setup" else _stage(stage, folder)
        times, finished = _time(run, repeat, timeout)
        figures[stage] = {"stage": stage, "times": times, "finished": finished, "peak_bytes": _peak()}
    out.write_text(json.dumps(figures), encoding="utf-8")


# ---------------------------------------------------------------------------------------------- orchestration


def _run_stage(stage: str, folder: Path, repeat: int, timeout: float, skip: set[str]) -> dict[str, dict[str, Any]]:
    """Measure `stage` in a new process; for "queries/PATH", every stored query not in `skip`."""
    out = folder / f"result-{stage.replace('/', '-')}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--measure", stage, "--folder", str(folder), "--out", str(out)]
    command += ["--repeat", str(repeat), "--timeout", str(timeout), "--skip", ",".join(sorted(skip))]
    hard_limit = timeout * (repeat + 1) * (15 if stage.startswith("queries/") else 1) + 1800
    failed = {"stage": stage, "times": [], "finished": False, "peak_bytes": None}
    try:
        completed = subprocess.run(command, timeout=hard_limit, capture_output=True, text=True, check=False)
    except subprocess.TimeoutExpired:
        return {stage: {**failed, "error": "killed"}}
    if completed.returncode != 0 or not out.exists():
        return {stage: {**failed, "error": (completed.stderr.strip().splitlines() or ["no output"])[-1]}}
    figures: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def _prepare(size: int, work: Path) -> Path:
    folder = work / f"graph-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    for violations, name in ((False, "graph"), (True, "violations")):
        made = generate(size, seed=SEED, violations=violations)
        (folder / f"{name}.ttl").write_text(made.turtle, encoding="utf-8")
        (folder / f"{name}.json").write_text(json.dumps(made.manifest(), indent=2), encoding="utf-8")
    return folder


def _stages() -> list[tuple[str, list[str]]]:
    """(row, the paths measured for it): default first, then naive, then the native engine run directly."""
    from kg import stored_queries

    rows = [
        ("parse", ["default", "naive", "pyoxigraph"]),
        ("reason", ["default", "naive", "reasonable"]),
        ("validate", ["default", "naive", "pyrudof"]),
    ]
    rows += [(f"{QUERY_PREFIX}{query.name}", ["default", "naive", "pyoxigraph"]) for query in stored_queries()]
    rows += [("export", ["default", "naive", "pyoxigraph"]), ("pipeline", ["default"])]
    return rows


def _seconds(figures: dict[str, Any] | None, timeout: float) -> str:
    if figures is None:
        return "–"
    if figures.get("skipped"):
        return f"not run (did not finish at {figures['skipped']})"
    if not figures["finished"] and not figures["times"]:
        return f"did not finish in {timeout:g} s" if "error" not in figures else f"failed: {figures['error'][:60]}"
    median = statistics.median(figures["times"])
    if median < 0.1:
        return f"{median * 1000:.1f} ms"
    return f"{median:.2f} s" if median < 10 else f"{median:.1f} s"


def _median(figures: dict[str, Any] | None) -> float | None:
    if figures is None or not figures.get("times"):
        return None
    return float(statistics.median(figures["times"]))


def _memory(figures: dict[str, Any] | None) -> str:
    if figures is None or not figures.get("peak_bytes"):
        return "–"
    return f"{figures['peak_bytes'] / 2**20:,.0f} MiB"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None or denominator == 0:
        return "–"
    return f"{numerator / denominator:.2f}×"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Python {platform.python_version()}, {platform.system()}"
    )


def _table(size_label: str, triples: int, results: dict[str, dict[str, Any]], timeout: float) -> list[str]:
    lines = [
        f"### {size_label} ({triples:,} asserted triples)",
        "",
        "| stage | default | naive (rdflib/owlrl/pyshacl) | native direct | default ÷ native | naive ÷ default "
        "| memory default | memory naive | memory native |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row, paths in _stages():
        default = results.get(f"{row}/default")
        naive = results.get(f"{row}/naive") if "naive" in paths else None
        native_path = paths[2] if len(paths) > 2 else None
        native = results.get(f"{row}/{native_path}") if native_path else None
        label = row.removeprefix(QUERY_PREFIX) if row.startswith(QUERY_PREFIX) else row
        label = f"query `{label}`" if row.startswith(QUERY_PREFIX) else label
        if native_path:
            label = f"{label} (native: {native_path})"
        lines.append(
            f"| {label} | {_seconds(default, timeout)} | {_seconds(naive, timeout)} | {_seconds(native, timeout)} "
            f"| {_ratio(_median(default), _median(native))} | {_ratio(_median(naive), _median(default))} "
            f"| {_memory(default)} | {_memory(naive)} | {_memory(native)} |"
        )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M", help="comma-separated sizes, such as 10k,100k,1M")
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the table shows the median")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a stage counts as unfinished")
    parser.add_argument("--work", type=Path, default=Path("/tmp/neuropathy-kg-benchmark"), help="generated files")
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--skip", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(
            args.measure, args.folder, args.repeat, args.timeout, args.out, set(filter(None, args.skip.split(",")))
        )
        return
    os.environ.setdefault("KG_CACHE_DIR", str(args.work / "cache"))
    # The generated 1M graph is one 69 MB Turtle file; the loader refuses files over 20 MB unless told otherwise.
    os.environ.setdefault("KG_MAX_FILE_BYTES", str(1_000_000_000))
    lines = [
        "# Benchmark results",
        "",
        f"`python benchmarks/run.py --sizes {args.sizes} --repeat {args.repeat}` on {_machine()}.",
        f"Medians of up to {args.repeat} runs, each stage in its own process; memory is the peak resident set of",
        "that process (its input loaded). *default* is what `kg` does; *naive* the pure-Python path (rdflib",
        "parser and SPARQL engine, owlrl, pyshacl); *native direct* the Rust engine called without the project.",
        "",
    ]
    unfinished: dict[str, str] = {}
    for label in args.sizes.split(","):
        size = parse_size(label)
        folder = _prepare(size, args.work)
        triples = json.loads((folder / "graph.json").read_text(encoding="utf-8"))["triples"]
        print(f"== {label}: {triples} triples in {folder}", flush=True)
        setup = _run_stage("setup", folder, 1, 3600, set())["setup"]
        if not setup["finished"]:
            raise SystemExit(f"could not prepare {folder}: {setup.get('error')}")
        results: dict[str, dict[str, Any]] = {}
        measured = [f"{row}/{path}" for row, paths in _stages() if not row.startswith(QUERY_PREFIX) for path in paths]
        measured[9:9] = ["queries/default", "queries/naive", "queries/pyoxigraph"]  # after parse, reason, validate
        for stage in measured:
            if stage in unfinished:
                results[stage] = {"stage": stage, "skipped": unfinished[stage]}
                continue
            skip = set(unfinished) if stage.startswith("queries/") else set()
            for key, figures in _run_stage(stage, folder, args.repeat, args.timeout, skip).items():
                results[key] = figures
                if not figures["times"]:
                    unfinished[key] = label
                print(f"   {key:40} {_seconds(figures, args.timeout):>28} {_memory(figures):>12}", flush=True)
        for key, where in unfinished.items():
            results.setdefault(key, {"stage": key, "skipped": where})
        lines += _table(label, triples, results, args.timeout)
        (folder / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
