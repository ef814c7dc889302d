"""Peak memory of the whole pipeline in one process, through the public API, and of the CLI's first and second run.

    nice -n 5 python benchmarks/pipeline_memory.py /tmp/bench-shared/g-1M.ttl            # the Python API
    nice -n 5 python benchmarks/pipeline_memory.py /tmp/bench-shared/g-1M.ttl --cli      # `kg query symptoms`

The API run does what a user does, one stage after the other in this process: `KnowledgeGraph.load(extra=[path])`,
`reason()`, `validate()`, every stored query with the generator's parameters (the labels a user gives, from the
`.json` beside the graph) and default limits, then `export_to` /dev/null of every format, asserted and with the
inferred triples (`export_to` writes as it goes: what a user exporting a large graph calls; `export` returns one
bytes object, for small graphs). After each stage it prints the wall time, this process's peak resident memory
(ru_maxrss, native memory included), its current resident memory, and the peak of its child processes (query
workers) and of it with them during the stage, sampled every 50 ms. The verdict is on the whole pipeline: this
process and its workers together at any instant (sampled), against 2 GiB; beside it, an upper bound that a
sample cannot miss: this process's peak so far plus its workers' peak in each stage.

`--cli` runs `kg query symptoms --data PATH --param condition=...` twice under `/usr/bin/time -v` on a fresh
KG_CACHE_DIR: the first run builds the snapshot, the second opens it. GNU time's maximum resident set is the
largest of the process and its waited-for children.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GIB = 1024**3
FORMATS = ("turtle", "ntriples", "trig", "jsonld", "rdfxml")


def _rss_kib(pid: int | str = "self") -> int:
    """Current resident memory of a process, in KiB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    found = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _children(pid: int) -> list[int]:
    """Every live descendant of `pid`."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            direct = [int(child) for child in (task / "children").read_text(encoding="ascii").split()]
        except OSError:
            continue
        for child in direct:
            found += [child, *_children(child)]
    return found


class _Sampler:
    """Samples the resident memory of this process's children (query workers), and of it with them, every 50 ms:
    ru_maxrss cannot see a worker that is still alive."""

    def __init__(self) -> None:
        self.children = 0
        self.total = 0
        self._done = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            children = sum(_rss_kib(child) for child in _children(os.getpid())) * 1024
            self.children = max(self.children, children)
            self.total = max(self.total, children + _rss_kib() * 1024)

    def reset(self) -> None:
        self.children = self.total = 0

    def stop(self) -> None:
        self._done.set()


def _report(stage: str, started: float, rows: list[dict[str, Any]], sampler: _Sampler) -> None:
    """One line per stage: wall seconds, peak and current RSS of this process, and the peak RSS of its children
    and of it with them during the stage (sampled)."""
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    row = {"stage": stage, "wall_s": round(wall, 2), "peak_gib": peak / GIB, "rss_gib": _rss_kib() * 1024 / GIB}
    row["children_peak_gib"], row["total_peak_gib"] = sampler.children / GIB, sampler.total / GIB
    sampler.reset()
    rows.append(row)
    print(
        f"{stage:<28} {wall:8.2f} s   peak {peak / GIB:5.2f} GiB   now {row['rss_gib']:5.2f} GiB"
        f"   workers' peak {row['children_peak_gib']:5.2f} GiB   with workers {row['total_peak_gib']:5.2f} GiB",
        flush=True,
    )


def _parameters(path: Path) -> dict[str, dict[str, str]]:
    """The generator's query parameters (labels, as a user gives them), from the .json beside the graph."""
    for candidate in (path.with_suffix(".json"), path.with_name(path.name + ".json")):
        if candidate.exists():
            found: dict[str, dict[str, str]] = json.loads(candidate.read_text(encoding="utf-8"))["parameters"]
            return found
    raise SystemExit(f"no parameters beside {path} (benchmarks/generate.py writes {path.with_suffix('.json')})")


def _answer(graph: Any, name: str, parameters: dict[str, dict[str, str]]) -> object:
    """The stored query's result, or why it has none (a busy machine can push one past its time limit)."""
    from kg import KGError

    try:
        return graph.query(name, **parameters.get(name, {}))
    except KGError as error:
        return f"failed: {error}"


def run_api(path: Path, formats: tuple[str, ...], queries: bool = True) -> list[dict[str, Any]]:
    """The pipeline through the public API in this process, measured stage by stage."""
    from kg import KnowledgeGraph, stored_queries

    rows: list[dict[str, Any]] = []
    parameters = _parameters(path)
    os.environ["KG_CACHE_DIR"] = tempfile.mkdtemp(prefix="kg-pipeline-memory-")  # a first run: nothing cached

    sampler = _Sampler()

    def stage(name: str, run: Callable[[], object]) -> object:
        started = time.perf_counter()
        result = run()
        _report(name, started, rows, sampler)
        return result

    _report("start (imports)", time.perf_counter(), rows, sampler)
    graph: Any = stage("load", lambda: KnowledgeGraph.load(extra=[path]))
    stage("reason", lambda: graph.reason())
    stage("validate", lambda: graph.validate())
    for query in stored_queries() if queries else ():
        result: Any = stage(f"query {query.name}", lambda q=query: _answer(graph, q.name, parameters))
        rows[-1]["rows"] = result if isinstance(result, str) else len(result)
    for inferred in (False, True):
        for format in formats:
            name = f"export {format}{' +inferred' if inferred else ''}"
            stage(name, lambda f=format, i=inferred: graph.export_to(os.devnull, f, inferred=i))
    sampler.stop()
    shutil.rmtree(os.environ["KG_CACHE_DIR"], ignore_errors=True)
    return rows


def run_cli(path: Path) -> list[dict[str, Any]]:
    """`kg query symptoms --data PATH` on a fresh cache, twice, under /usr/bin/time -v."""
    condition = _parameters(path)["symptoms"]["condition"]
    kg = shutil.which("kg") or str(Path(sys.executable).with_name("kg"))
    rows: list[dict[str, Any]] = []
    cache = Path(tempfile.mkdtemp(prefix="kg-pipeline-memory-"))
    try:
        env = {**os.environ, "KG_CACHE_DIR": str(cache)}
        command = ["/usr/bin/time", "-v", kg, "query", "symptoms", "--data", str(path), "--param"]
        for run in ("first run", "second run"):
            done = subprocess.run(
                [*command, f"condition={condition}"], env=env, capture_output=True, text=True, check=False
            )
            measured = _gnu_time(done.stderr)
            row = {"stage": f"cli {run}", "exit": done.returncode, "rows": len(done.stdout.splitlines()), **measured}
            rows.append(row)
            print(
                f"cli {run:<24} {measured['wall_s']:8.2f} s   max RSS {measured['max_rss_gib']:5.2f} GiB"
                f"   CPU {measured['cpu_s']:.1f} s   exit {done.returncode}",
                flush=True,
            )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return rows


def _gnu_time(stderr: str) -> dict[str, float]:
    """Wall seconds, CPU seconds and maximum resident set from `/usr/bin/time -v`'s report."""

    def field(label: str) -> str:
        found = re.search(rf"^\s*{re.escape(label)}: (.+)$", stderr, re.MULTILINE)
        if found is None:
            raise SystemExit(f"/usr/bin/time printed no {label!r}:\n{stderr}")
        return found.group(1).strip()

    clock = [float(part) for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(value * 60**power for power, value in enumerate(reversed(clock)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "max_rss_gib": int(field("Maximum resident set size (kbytes)")) * 1024 / GIB,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("graph", type=Path, help="a generated graph (benchmarks/generate.py) with its .json beside it")
    parser.add_argument("--cli", action="store_true", help="measure the CLI's first and second run instead")
    parser.add_argument("--formats", nargs="+", default=list(FORMATS), choices=FORMATS)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--no-queries", action="store_true", help="leave out the stored queries")
    args = parser.parse_args()
    rows = run_cli(args.graph) if args.cli else run_api(args.graph, tuple(args.formats), not args.no_queries)
    if not args.cli:
        peak, total = max(row["peak_gib"] for row in rows), max(row["total_peak_gib"] for row in rows)
        workers = max(row["children_peak_gib"] for row in rows)
        bound = max(row["peak_gib"] + row["children_peak_gib"] for row in rows)
        verdict = "under" if total < 2 else "NOT under"
        print(
            f"whole pipeline: peak {peak:.2f} GiB in this process, {workers:.2f} GiB in query workers,"
            f" {total:.2f} GiB together (sampled; at most {bound:.2f}): {verdict} 2 GiB",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
