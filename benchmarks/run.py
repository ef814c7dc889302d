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
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate, parse_size  # noqa: E402  (benchmarks/generate.py, found through the path above)

SEED = 8
QUERY_PREFIX = "query:"


class _TimedOutError(BaseException):
    """Raised in a measuring process when its stage runs past the time limit."""


class _Fresh:
    """A stage whose input is made again, untimed, before each run: a graph keeps its inferences once reasoned,
    so a second `reason()` on it would time nothing."""

    def __init__(self, make: Callable[[], Any], run: Callable[[Any], object]) -> None:
        self.make, self.run = make, run


# ---------------------------------------------------------------------------------------------- measuring process


def _graph_files(folder: Path, violations: bool = False) -> list[Path]:
    """The folder's graph file: the violation variant when asked and there is one; a real vocabulary may be
    `graph.ttl.gz` (read as it is once the loader reads .gz, see `_real_folder`)."""
    names = ["violations.ttl"] if violations else []
    names += ["graph.ttl.gz", "graph.ttl"]
    return [next(folder / name for name in names if (folder / name).exists())]


def _packaged_paths() -> list[Path]:
    from kg.packaged import data_files, ontology_files

    return [Path(str(entry)) for entry in [*ontology_files(), *data_files()]]


def _shapes_ntriples() -> str:
    from rdflib import Graph

    from kg.packaged import shapes_files

    shapes = Graph()
    for entry in shapes_files():
        shapes.parse(data=entry.read_text(encoding="utf-8"), format="turtle")
    return shapes.serialize(format="nt")


def _load_project(folder: Path, violations: bool = False) -> Any:
    from kg import KnowledgeGraph

    return KnowledgeGraph.load(extra=_graph_files(folder, violations))


def _rdf_format(path: Path) -> Any:
    import pyoxigraph as ox

    return ox.RdfFormat.N_TRIPLES if path.name.removesuffix(".gz").endswith(".nt") else ox.RdfFormat.TURTLE


def _native_store(paths: list[Path]) -> Any:
    """pyoxigraph's bulk loader over the files (a .gz one through Python's gzip stream)."""
    import gzip

    import pyoxigraph as ox

    store = ox.Store()
    for path in paths:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                store.bulk_load(input=stream, format=_rdf_format(path))
        else:
            store.bulk_load(path=str(path), format=_rdf_format(path))
    return store


def _naive_parse(folder: Path, violations: bool = False) -> Any:
    """rdflib's own parsers, file by file (the mapping set is read by the project's SSSOM reader)."""
    import gzip

    from rdflib import Graph

    from kg.mappings import mappings_graph, read_mapping_set
    from kg.packaged import mapping_file

    graph = Graph()
    for path in [*_packaged_paths(), *_graph_files(folder, violations)]:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                graph.parse(stream, format="turtle")
        else:
            graph.parse(path, format="turtle")
    metadata, rows = read_mapping_set(mapping_file())
    for triple in mappings_graph(metadata, rows):
        graph.add(triple)
    return graph


def _union_ntriples(folder: Path) -> Path:
    return folder / "union.nt"


def _asserted_ntriples(folder: Path) -> Path:
    # N-Triples under a .ttl name (N-Triples is Turtle): reasonable's load_file reads only .ttl and .n3 files.
    return folder / "asserted.ttl"


def _queries(folder: Path) -> dict[str, dict[str, Any]]:
    """name -> {"sparql", "stored", "params" (as a user gives them), "bindings" (resolved, as N3)}, by `_setup`."""
    recorded: dict[str, dict[str, Any]] = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    return recorded


def _query_parameters(folder: Path) -> dict[str, dict[str, str]]:
    """The generator's parameters for a generated graph; the stored queries' documented examples otherwise."""
    from kg import stored_queries

    manifest = folder / "graph.json"
    if manifest.exists():
        parameters: dict[str, dict[str, str]] = json.loads(manifest.read_text(encoding="utf-8"))["parameters"]
        return parameters
    return {query.name: {p.name: p.example or "" for p in query.parameters} for query in stored_queries()}


def _extra_queries(folder: Path) -> dict[str, str]:
    """Ad-hoc queries measured beside the stored ones (a real vocabulary's join, see `REAL`)."""
    stamp = folder / "real.json"
    if not stamp.exists():
        return {}
    names: list[str] = json.loads(stamp.read_text(encoding="utf-8"))["queries"]
    return {Path(name).stem: (ROOT / name).read_text(encoding="utf-8") for name in names}


def _setup(folder: Path) -> Callable[[], None]:
    """Write the asserted triples (asserted.ttl), the inferred ones (inferred.nt), the asserted plus inferred ones
    (union.nt) and the queries with their parameters resolved (queries.json). The inferred triples come from the
    reasoner alone (kg.reason), without the integrity checks `KnowledgeGraph` runs with it (minutes at 1M, and
    timed where they belong: in the reason and pipeline rows)."""
    from kg import stored_queries
    from kg.reason import infer_cached_ntriples
    from kg.snapshot import ASSERTED_GRAPH

    graph = _load_project(folder)

    def run() -> None:
        asserted = graph.ntriples(ASSERTED_GRAPH)
        inferred = infer_cached_ntriples(asserted)
        _asserted_ntriples(folder).write_bytes(asserted)
        (folder / "inferred.nt").write_bytes(inferred)  # for benchmarks/store_layout.py
        with _union_ntriples(folder).open("wb") as union:
            union.write(asserted)
            union.write(inferred)
        parameters = _query_parameters(folder)
        queries: dict[str, dict[str, Any]] = {}
        for query in stored_queries():
            given = parameters.get(query.name, {})
            terms = graph.bindings(query, given)
            # N-Triples form: a pyoxigraph term prints as one; an rdflib term (older kg) has n3()
            bound = {name: term.n3() if hasattr(term, "n3") else str(term) for name, term in terms.items()}
            queries[query.name] = {
                "sparql": query.sparql,
                "native_sparql": _bound_text(query.sparql, terms),
                "stored": True,
                "params": given,
                "bindings": bound,
            }
        for name, sparql in _extra_queries(folder).items():
            queries[name] = {"sparql": sparql, "native_sparql": sparql, "stored": False, "params": {}, "bindings": {}}
        (folder / "queries.json").write_text(json.dumps(queries, indent=2), encoding="utf-8")

    return run


def _bound_text(sparql: str, terms: dict[str, Any]) -> str:
    """The text kg hands Oxigraph for these parameters (kg.engine.planned: the values also written in a leading
    VALUES block, where Oxigraph's planner sees them), so the native baseline runs the same text; the stored text
    where this kg has no such step."""
    try:
        from kg.engine import planned
    except ImportError:
        return sparql
    text, _substitutions = planned(sparql, terms)
    return text


def _oxigraph_term(n3: str) -> Any:
    """An N3 term (as `_setup` records it) as a pyoxigraph term."""
    import pyoxigraph as ox
    from rdflib import Literal, URIRef
    from rdflib.util import from_n3

    term = from_n3(n3)
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise SystemExit(f"unexpected parameter {n3}")


def _fresh_cache(graph: Any) -> Any:
    """The graph, with KG_CACHE_DIR an empty folder so that reasoning is not read from an earlier run's cache."""
    import tempfile

    os.environ["KG_CACHE_DIR"] = tempfile.mkdtemp(prefix="kg-bench-cache-")
    return graph


def _inferred_ntriples(graph: Any) -> bytes:
    """Reasoning as `kg` runs it (`kg query`, `KnowledgeGraph.open`): the inferred triples as exact N-Triples.
    `KnowledgeGraph.reason()` also hands back an rdflib view of them, which costs more than the reasoning (see
    benchmarks/results.md), and is what a caller asking for an rdflib graph pays."""
    from kg.snapshot import INFERRED_GRAPH

    data: bytes = graph.ntriples(INFERRED_GRAPH)
    return data


def _stage(name: str, folder: Path) -> Callable[[], object] | _Fresh:
    """Prepare a stage's input (not timed) and return the function that runs the stage once. The default path is
    measured through the public API only (KnowledgeGraph.load, reason, validate, query, export)."""
    if name == "parse/default":
        return lambda: _load_project(folder)
    if name == "parse/naive":
        return lambda: _naive_parse(folder)
    if name == "parse/pyoxigraph":
        return lambda: _native_store([*_packaged_paths(), *_graph_files(folder)])
    if name == "reason/default":
        return _Fresh(lambda: _fresh_cache(_load_project(folder)), _inferred_ntriples)
    if name == "reason/naive":
        return _Fresh(lambda: _load_project(folder), lambda graph: graph.reason(cache=False, method="owlrl"))
    if name == "reason/reasonable":
        import reasonable

        def reason_natively() -> object:
            reasoner = reasonable.PyReasoner()
            reasoner.load_file(str(_asserted_ntriples(folder)))
            return reasoner.reason()

        return reason_natively
    if name in ("validate/default", "validate/naive"):
        graph = _load_project(folder, violations=True)
        # Reasoned first, untimed, as in the pipeline: validate() also runs the integrity checks, which read the
        # inferred triples (and would reason for them).
        _inferred_ntriples(_fresh_cache(graph))
        method = "auto" if name == "validate/default" else "pyshacl"
        return lambda: graph.validate(method=method)
    if name == "validate/pyrudof":
        import pyrudof

        data = _load_project(folder, violations=True).export("ntriples").decode("utf-8")
        shapes_text = _shapes_ntriples()

        def validate_natively() -> object:
            rudof = pyrudof.Rudof(pyrudof.RudofConfig())
            rudof.read_data(data, format=pyrudof.RDFFormat.NTriples)
            rudof.read_shacl(shapes_text, format=pyrudof.ShaclFormat.NTriples)
            return rudof.validate_shacl()

        return validate_natively
    if name == "export/default":
        graph = _load_project(folder)
        return lambda: graph.export("turtle")
    if name == "export/naive":
        naive = _naive_parse(folder)
        return lambda: naive.serialize(format="turtle")
    if name == "export/pyoxigraph":
        import pyoxigraph as ox

        store = _native_store([*_packaged_paths(), *_graph_files(folder)])
        return lambda: store.dump(format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())
    if name == "pipeline/default":
        return lambda: _pipeline(folder)
    raise SystemExit(f"unknown stage {name!r}")


def _query_stages(path: str, folder: Path, skip: set[str]) -> dict[str, Callable[[], object]]:
    """Every measured query over the asserted plus inferred triples (union.nt, loaded once, not timed): the
    project's way (default: `KnowledgeGraph.query` with the parameters a user gives), on rdflib's engine (naive:
    the same API with engine="rdflib") or directly in pyoxigraph: the same bound text kg runs (the parameters in a
    leading VALUES block, see `_bound_text`) with the resolved terms as substitutions too, on an in-memory store."""
    from kg.terms import PREFIXES

    queries = {name: query for name, query in _queries(folder).items() if f"{QUERY_PREFIX}{name}/{path}" not in skip}
    runs: dict[str, Callable[[], object]] = {}
    if path == "pyoxigraph":
        import pyoxigraph as ox

        store = _native_store([_union_ntriples(folder)])
        for name, query in queries.items():
            substitutions = {ox.Variable(k): _oxigraph_term(v) for k, v in query["bindings"].items()}
            runs[name] = lambda q=query, s=substitutions: list(  # type: ignore[misc]
                store.query(q.get("native_sparql", q["sparql"]), prefixes=PREFIXES, substitutions=s)
            )
        return runs
    from kg import KnowledgeGraph

    graph = KnowledgeGraph.load(
        extra=[_union_ntriples(folder)], packaged=False, engine="rdflib" if path == "naive" else "oxigraph"
    )
    limits: dict[str, Any] = {"inferred": False, "timeout": None, "max_rows": None}
    if "neuropathy-types" in queries:  # builds the engine's store once, as the first query of a session does
        graph.query("neuropathy-types", **limits)
        graph.label_keys()  # and the label index, as its first label does (a one-time cost, given in results.md)
    for name, query in queries.items():
        if query["stored"]:
            runs[name] = lambda n=name, q=query: graph.query(n, **limits, **q["params"])  # type: ignore[misc]
        else:
            runs[name] = lambda q=query: graph.query(q["sparql"], **limits)  # type: ignore[misc]
    return runs


def _pipeline(folder: Path) -> None:
    """The whole default path once: load, reason, validate, every measured query, export; the seconds and the
    peak memory after each step go to pipeline-steps.json (where the pipeline's peak comes from)."""
    steps: list[tuple[str, float, int]] = []

    def step(name: str, run: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = run()
        steps.append((name, time.perf_counter() - started, _peak()))
        (folder / "pipeline-steps.json").write_text(json.dumps(steps), encoding="utf-8")
        return result

    graph = step("load", lambda: _load_project(_fresh_cache(folder)))
    step("reason", lambda: _inferred_ntriples(graph))
    step("validate", graph.validate)
    for name, query in _queries(folder).items():
        text = name if query["stored"] else query["sparql"]
        step(f"query {name}", lambda t=text, q=query: graph.query(t, timeout=None, max_rows=None, **q["params"]))
    step("export", lambda: graph.export_to(os.devnull, "turtle"))  # streamed, as at scale (KnowledgeGraph.export_to)


def _pipeline_steps(folder: Path) -> list[str]:
    """The pipeline's steps as one line under the table (seconds, and the process's peak memory after each)."""
    made = folder / "pipeline-steps.json"
    if not made.exists():
        return []
    steps = json.loads(made.read_text(encoding="utf-8"))
    queries = [s for s in steps if s[0].startswith("query ")]
    shown = [s for s in steps if not s[0].startswith("query ")]
    if queries:
        shown.insert(
            -1 if shown[-1][0] == "export" else len(shown), ["all queries", sum(s[1] for s in queries), queries[-1][2]]
        )
    parts = [f"{name} {seconds:.1f} s (peak {peak / 2**20:,.0f} MiB)" for name, seconds, peak in shown]
    return ["The pipeline's steps, in one process: " + "; ".join(parts) + ".", ""]


def _time(run: Callable[[], object] | _Fresh, repeat: int, timeout: float) -> tuple[list[float], bool]:
    """Up to `repeat` timings of `run`; stops (unfinished) when one run passes `timeout` seconds."""
    expired: list[bool] = []

    def on_alarm(_signal: int, _frame: object) -> None:
        expired.append(True)
        raise _TimedOutError

    signal.signal(signal.SIGALRM, on_alarm)
    times: list[float] = []
    for _ in range(repeat):
        made = run.make() if isinstance(run, _Fresh) else None
        signal.setitimer(signal.ITIMER_REAL, timeout)
        started = time.perf_counter()
        try:
            run.run(made) if isinstance(run, _Fresh) else run()
        except Exception:
            # The alarm may surface wrapped in the project's own error (a parser reports it as a bad file).
            if expired:
                return times, False
            raise
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

#: Real vocabularies `--real NAME` loads beside the packaged graph: the file in the shared datasets folder (see
#: DATASETS) and the ad-hoc queries that join it with the graph, measured beside the stored queries.
REAL = {
    "doid": {
        "file": "doid-2016-09-01.ttl.gz",
        "title": "Human Disease Ontology (DOID) release 2016-09-01",
        "queries": ["docs/examples/doid-ancestors.rq"],
    },
}

#: Rows and the paths measured for each: default first, then naive, then the native engine run directly.
ROWS = ("parse", "reason", "validate", "queries", "export", "pipeline")
PATHS = {
    "parse": ["default", "naive", "pyoxigraph"],
    "reason": ["default", "naive", "reasonable"],
    "validate": ["default", "naive", "pyrudof"],
    "queries": ["default", "naive", "pyoxigraph"],
    "export": ["default", "naive", "pyoxigraph"],
    "pipeline": ["default"],
}

#: Naive stages not run above this many asserted triples, and why (they are measured at 10k and 100k).
NAIVE_LIMIT = {
    "reason": (150_000, "owlrl did not finish in 120 s at 100k"),
    "validate": (150_000, "pyshacl did not finish in 120 s at 100k"),
}


#: Native engines not run above this many asserted triples, and why.
NATIVE_LIMIT = {
    "validate": (500_000, "pyrudof took 239 s at 100k and did not finish in 900 s at 1M (docs/performance.md)"),
}


def _datasets() -> Path:
    """The shared datasets folder: $KG_DATASETS, else ../shared/datasets beside the checkout."""
    return Path(os.environ.get("KG_DATASETS") or ROOT.parent / "shared" / "datasets")


def _loader_reads_gzip() -> bool:
    """Whether `KnowledgeGraph.load` reads a .gz file itself (kg.load's `ntriples_of`); else it gets a copy."""
    try:
        from kg.load import ntriples_of  # noqa: F401
    except ImportError:
        return False
    return True


def _run_stage(stage: str, folder: Path, repeat: int, timeout: float, skip: set[str]) -> dict[str, dict[str, Any]]:
    """Measure `stage` in a new process; for "queries/PATH", every query not in `skip`."""
    out = folder / f"result-{stage.replace('/', '-')}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--measure", stage, "--folder", str(folder), "--out", str(out)]
    command += ["--repeat", str(repeat), "--timeout", str(timeout), "--skip", ",".join(sorted(skip))]
    hard_limit = timeout * (repeat + 1) * (17 if stage.startswith("queries/") else 1) + 1800
    failed = {"stage": stage, "times": [], "finished": False, "peak_bytes": None}
    try:
        completed = subprocess.run(command, timeout=hard_limit, capture_output=True, text=True, check=False)
    except subprocess.TimeoutExpired:
        return {stage: {**failed, "error": "killed"}}
    if completed.returncode != 0 or not out.exists():
        return {stage: {**failed, "error": (completed.stderr.strip().splitlines() or ["no output"])[-1]}}
    figures: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def _prepare(size: int, work: Path, graphs: Path | None = None) -> Path:
    """The generated graph and its violation variant, made once per size and seed and reused afterwards; with
    `graphs`, generate.py's files already there (g-10k.ttl, g-10k.ttl.json, g-10k-violations.ttl) are linked."""
    folder = work / f"graph-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    if graphs is not None:
        label = {10_000: "10k", 100_000: "100k", 1_000_000: "1M"}.get(size, str(size))
        sources = {"graph.ttl": "", "graph.json": ".ttl.json", "violations.ttl": "-violations.ttl"}
        sources["violations.json"] = "-violations.json"
        for name, suffix in sources.items():
            source = graphs / f"g-{label}{suffix or '.ttl'}"
            if not source.exists():
                raise SystemExit(f"{source} not found (made by benchmarks/generate.py)")
            (folder / name).unlink(missing_ok=True)
            (folder / name).symlink_to(source.resolve())
        return folder
    stamp = {"size": size, "seed": SEED, "generator": _digest()}
    if (folder / "made.json").exists() and json.loads((folder / "made.json").read_text()) == stamp:
        return folder
    for violations, name in ((False, "graph"), (True, "violations")):
        made = generate(size, seed=SEED, violations=violations)
        (folder / f"{name}.ttl").write_text(made.turtle, encoding="utf-8")
        (folder / f"{name}.json").write_text(json.dumps(made.manifest(), indent=2), encoding="utf-8")
    (folder / "made.json").write_text(json.dumps(stamp), encoding="utf-8")
    return folder


def _digest() -> str:
    import hashlib

    return hashlib.sha256((HERE / "generate.py").read_bytes()).hexdigest()


def _real_folder(name: str, work: Path) -> tuple[Path, int]:
    """A folder holding the real vocabulary as graph.ttl.gz (a link to the shared file) when the loader reads
    .gz, else as an uncompressed copy graph.ttl; and the vocabulary's own triple count."""
    import gzip
    import shutil

    import pyoxigraph as ox

    if name not in REAL:
        raise SystemExit(f"unknown real vocabulary {name!r} (known: {', '.join(REAL)})")
    source = _datasets() / REAL[name]["file"]
    if not source.exists():
        raise SystemExit(f"{source} not found: set KG_DATASETS to the folder that holds it")
    folder = work / f"real-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("graph.ttl", "graph.ttl.gz"):
        (folder / stale).unlink(missing_ok=True)
    if _loader_reads_gzip():
        (folder / "graph.ttl.gz").symlink_to(source.resolve())
    else:
        with gzip.open(source, "rb") as compressed, (folder / "graph.ttl").open("wb") as plain:
            shutil.copyfileobj(compressed, plain)
    (folder / "real.json").write_text(json.dumps({"queries": REAL[name]["queries"]}), encoding="utf-8")
    with gzip.open(source, "rb") as stream:
        triples = len({str(triple) for triple in ox.parse(stream, format=ox.RdfFormat.TURTLE)})
    return folder, triples


def _rows(folder: Path) -> list[tuple[str, list[str]]]:
    """(row, its paths) in table order; the query rows are the measured queries of this folder."""
    rows: list[tuple[str, list[str]]] = []
    for row in ROWS:
        if row == "queries":
            rows += [(f"{QUERY_PREFIX}{name}", PATHS["queries"]) for name in _queries(folder)]
        else:
            rows.append((row, PATHS[row]))
    return rows


def _seconds(figures: dict[str, Any] | None, timeout: float) -> str:
    if figures is None:
        return "–"
    if figures.get("skipped"):
        return f"not run ({figures['skipped']})"
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


def _table(title: str, folder: Path, results: dict[str, dict[str, Any]], timeout: float) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| stage | default | naive (rdflib/owlrl/pyshacl) | native direct | default ÷ native | naive ÷ default "
        "| memory default | memory naive | memory native |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row, paths in _rows(folder):
        if not any(f"{row}/{path}" in results for path in paths):
            continue  # a row left out with --stages
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


def _load_now() -> tuple[str, tuple[float, float, float]]:
    return time.strftime("%H:%M UTC", time.gmtime()), os.getloadavg()


def _load_line(started: tuple[str, tuple[float, float, float]]) -> list[str]:
    """When the table was measured and the machine's load averages (1, 5, 15 min) then, a shared machine's context."""
    ended = _load_now()
    load = ", ".join(f"{x:.1f}" for x in started[1]), ", ".join(f"{x:.1f}" for x in ended[1])
    return [f"Measured {started[0]} to {ended[0]}; load average {load[0]} at the start, {load[1]} at the end.", ""]


def _measure_folder(
    folder: Path, label: str, triples: int, args: argparse.Namespace, unfinished: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Every chosen stage of every chosen path on one folder, each in its own process; `unfinished` carries the
    stages that did not finish on a smaller graph, which are not run again."""
    print(f"== {label}: {triples} triples in {folder}", flush=True)
    setup = _run_stage("setup", folder, 1, 3600, set())["setup"]
    if not setup["finished"]:
        raise SystemExit(f"could not prepare {folder}: {setup.get('error')}")
    results: dict[str, dict[str, Any]] = {}
    stages = [row for row in ROWS if row in args.stages]
    for row in stages:
        for path in PATHS[row]:
            kind = "native" if path not in ("default", "naive") else path
            if kind not in args.paths:
                continue
            stage = f"{row}/{path}"
            limit = NAIVE_LIMIT.get(row) if path == "naive" else NATIVE_LIMIT.get(row) if kind == "native" else None
            if row != "queries" and stage in unfinished:
                results[stage] = {"stage": stage, "skipped": f"did not finish at {unfinished[stage]}"}
                continue
            if limit and triples > limit[0]:
                results[stage] = {"stage": stage, "skipped": f"{limit[1]}"}
                continue
            if stage in args.leave_out:
                results[stage] = {"stage": stage, "skipped": "see the pipeline's steps below"}
                continue
            skip = set(unfinished) if row == "queries" else set()
            timeout = args.pipeline_timeout if row == "pipeline" and args.pipeline_timeout else args.timeout
            for key, figures in _run_stage(stage, folder, args.repeat, timeout, skip).items():
                results[key] = figures
                if not figures["times"]:
                    unfinished[key] = label
                print(f"   {key:40} {_seconds(figures, args.timeout):>28} {_memory(figures):>12}", flush=True)
    for key, where in unfinished.items():
        row, _, path = key.rpartition("/")
        if row.removeprefix(QUERY_PREFIX) in _queries(folder) and path in ("default", "naive", "pyoxigraph"):
            results.setdefault(key, {"stage": key, "skipped": f"did not finish at {where}"})
    (folder / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--sizes", default="10k,100k,1M", help="comma-separated sizes, such as 10k,100k,1M ('' for none)"
    )
    parser.add_argument(
        "--real", default="", help=f"comma-separated real vocabularies to load beside the graph: {', '.join(REAL)}"
    )
    parser.add_argument(
        "--stages", default=",".join(ROWS), help=f"comma-separated rows to measure, of {','.join(ROWS)}"
    )
    parser.add_argument(
        "--paths", default="default,naive,native", help="comma-separated paths, of default,naive,native"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the table shows the median")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a stage counts as unfinished")
    parser.add_argument("--work", type=Path, default=Path("/tmp/neuropathy-kg-benchmark"), help="generated files")
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    parser.add_argument("--graphs", type=Path, help="a folder of generated graphs to use (g-10k.ttl, ...)")
    parser.add_argument("--leave-out", default="", help="stages not run, such as reason/default (the pipeline has it)")
    parser.add_argument("--pipeline-timeout", type=float, help="seconds for the whole pipeline (default: --timeout)")
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
    args.stages = set(filter(None, args.stages.split(",")))
    args.leave_out = set(filter(None, args.leave_out.split(",")))
    args.paths = set(filter(None, args.paths.split(",")))
    if args.stages - set(ROWS) or args.paths - {"default", "naive", "native"}:
        raise SystemExit(f"--stages takes {','.join(ROWS)}; --paths takes default,naive,native")
    os.environ.setdefault("KG_CACHE_DIR", str(args.work / "cache"))
    # The generated 1M graph is one 69 MB Turtle file; the loader refused files over 20 MB unless told otherwise.
    os.environ.setdefault("KG_MAX_FILE_BYTES", str(1_000_000_000))
    command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` on {_machine()}, {time.strftime('%Y-%m-%d', time.gmtime())}.",
        f"Medians of up to {args.repeat} runs, each stage in its own process; memory is the peak resident set of",
        "that process (its input loaded). *default* is what `kg` does, measured through the public API;",
        "*naive* the pure-Python path (rdflib parser and SPARQL engine, owlrl, pyshacl); *native direct* the Rust",
        "engine called without the project.",
        "",
    ]
    unfinished: dict[str, str] = {}
    for label in filter(None, args.sizes.split(",")):
        started = _load_now()
        folder = _prepare(parse_size(label), args.work, args.graphs)
        triples = json.loads((folder / "graph.json").read_text(encoding="utf-8"))["triples"]
        results = _measure_folder(folder, label, triples, args, unfinished)
        lines += _table(f"{label} ({triples:,} asserted triples)", folder, results, args.timeout)
        lines += _pipeline_steps(folder)
        lines += _load_line(started)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in filter(None, args.real.split(",")):
        folder, triples = _real_folder(name, args.work)
        started = _load_now()
        results = _measure_folder(folder, name, triples, args, {})
        title = f"{REAL[name]['title']} ({triples:,} triples) with the packaged graph"
        lines += _table(title, folder, results, args.timeout)
        lines += _pipeline_steps(folder)
        lines += _load_line(started)
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
