"""Issue 16's targets in one run: the stage scripts one after the other, their tables gathered in results.md.

    python benchmarks/issue16.py                       # every step, in order (about 45 minutes on two busy cores)
    python benchmarks/issue16.py --only serve,startup  # re-run some steps; the others' tables are kept

Steps, in order: `run.py` at 10k (medians of 3), 100k and on the Disease Ontology (one run each; parse, reason,
validate, every stored query, export and the whole pipeline in one process, beside pyoxigraph, reasonable and
pyrudof), `export.py` (every format against pyoxigraph's writers), canonical Turtle exported twice in two
processes and compared, `startup.py`, `serve.py`, `store_layout.py` on the 100k graph, then `run.py` and
`export.py` and the canonical check at 1M. Each step writes its table to `--work/STEP.md` with when it ran and the
load averages, so that a step that failed can be run again alone; results.md is then put together from all of
them. A section "## Issue 16 targets" already in results.md (written from the figures) is kept at the top.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = "## Issue 16 targets"

#: The child that loads a generated graph through the public API and prints the digest of its canonical Turtle.
_CANONICAL = """
import hashlib, sys
from kg import KnowledgeGraph
print(hashlib.sha256(KnowledgeGraph.load(extra=[sys.argv[1]]).export("turtle")).hexdigest())
"""


def _python(script: str, *args: str) -> list[str]:
    return [sys.executable, str(HERE / script), *args]


def steps(graphs: Path, work: Path) -> dict[str, tuple[str, list[str]]]:
    """step -> (title, command); a command printing Markdown, or None for the steps this module runs itself."""
    run = ["--graphs", str(graphs), "--paths", "default,native", "--timeout", "300", "--work", str(work / "run")]
    layout = work / "run" / "graph-100000"
    at_1m = ["--leave-out", "reason/default,validate/default", "--pipeline-timeout", "2400"]
    nt = str(work / "graphs")  # export.py writes g-SIZE.nt beside the Turtle it converts: not in the shared folder
    return {
        "run-10k": ("10k", _python("run.py", *run, "--sizes", "10k", "--repeat", "3")),
        "run-100k": ("100k", _python("run.py", *run, "--sizes", "100k", "--repeat", "1")),
        "run-doid": ("DOID", _python("run.py", *run, "--sizes", "", "--real", "doid", "--repeat", "1")),
        "export-small": ("Exports, 10k and 100k", _python("export.py", "--sizes", "10k", "100k", "--graphs", nt)),
        "canonical-100k": ("Canonical Turtle, 100k", []),
        "startup": ("Start-up", _python("startup.py", "--runs", "15", "--fresh", "3")),
        "serve": ("Serving", _python("serve.py", "--concurrency", "10,50", "--seconds", "10")),
        "layout-100k": (
            "Store layout, 100k",
            _python(
                "store_layout.py",
                str(layout / "asserted.ttl"),
                str(layout / "inferred.nt"),
                str(layout / "graph.json"),
                "--repeat",
                "1",
                "--layouts",
                "memory-two-graphs,memory-union,disk-union,disk-two-graphs",
            ),
        ),
        # At 1M reasoning and validation through KnowledgeGraph are timed as steps of the pipeline: alone, each would
        # repeat minutes of integrity checks (see results.md), and the run has to fit in about 45 minutes.
        "run-1M": ("1M", _python("run.py", *run, "--sizes", "1M", "--repeat", "1", *at_1m)),
        "export-1M": ("Exports, 1M", _python("export.py", "--sizes", "1M", "--graphs", nt)),
        "canonical-1M": ("Canonical Turtle, 1M", []),
    }


def _clock() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{time.strftime('%H:%M:%S UTC', time.gmtime())} (load average {load})"


def canonical(graphs: Path, size: str) -> str:
    """Canonical Turtle of g-SIZE.ttl with the packaged graph, exported in two fresh processes: the same bytes?"""
    digests, seconds = [], []
    for _ in range(2):
        started = time.perf_counter()
        command = [sys.executable, "-c", _CANONICAL, str(graphs / f"g-{size}.ttl")]
        digests.append(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())
        seconds.append(time.perf_counter() - started)
    same = "identical" if digests[0] == digests[1] else "DIFFERENT"
    return (
        f"`KnowledgeGraph.load(extra=[g-{size}.ttl]).export('turtle')` in two fresh processes "
        f"({seconds[0]:.1f} s and {seconds[1]:.1f} s with the load): {same}, sha256 {digests[0][:16]}… and "
        f"{digests[1][:16]}…\n"
    )


def _tables(text: str, script: str) -> str:
    """What a script printed, as results.md shows it: run.py's tables without its own heading."""
    if script != "run.py":
        return text
    start = text.find("### ")
    return text[start:] if start >= 0 else text


def _layout_table(text: str) -> str:
    """store_layout.py's JSON lines as a table."""
    lines = [
        "| layout | open (wall s) | open (CPU s) | label lookup (CPU s) | `symptoms` (CPU s) "
        "| all stored queries (CPU s) | memory held (MiB) | peak (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for line in filter(None, text.splitlines()):
        row = json.loads(line)
        if "failed" in row:
            lines.append(f"| {row['layout']} | failed: {row['failed'][-80:]!r} |||||||")
            continue
        symptoms = row["queries cpu s"].get("symptoms", "–")
        lines.append(
            f"| {row['layout']} | {row['open s']} | {row['open cpu s']} | {row['label lookup cpu s']} | {symptoms} "
            f"| {row['all queries cpu s']} ({len(row['queries cpu s'])} queries) | {row['memory MiB']} "
            f"| {row['peak MiB']} |"
        )
    return "\n".join(lines) + "\n"


def run_step(name: str, title: str, command: list[str], graphs: Path, work: Path) -> None:
    started = _clock()
    if name.startswith("canonical-"):
        body = canonical(graphs, name.removeprefix("canonical-"))
    else:
        out = work / f"{name}.out.md"
        command = [*command, "--output", str(out)] if command[1].endswith("run.py") else command
        done = subprocess.run(["nice", "-n", "5", *command], capture_output=True, text=True, check=False)
        text = out.read_text(encoding="utf-8") if out.exists() else done.stdout
        body = _layout_table(done.stdout) if name.startswith("layout") else _tables(text, Path(command[1]).name)
        if done.returncode != 0:
            body += f"\n**failed** (exit {done.returncode}): `{(done.stderr.strip().splitlines() or [''])[-1]}`\n"
    shown = " ".join(["python", *[Path(a).name if a.endswith(".py") else a for a in command[1:]]])
    shown = shown if command else "benchmarks/issue16.py, in two child processes"
    header = f"## {title}\n\n`{shown}` — from {started} to {_clock()}.\n\n"
    (work / f"{name}.md").write_text(header + body, encoding="utf-8")
    print(f"{name}: done at {_clock()}", flush=True)


def assemble(names: list[str], work: Path, output: Path) -> None:
    """results.md: the header, the targets section kept from the last results.md, then every step's table."""
    kept = ""
    if output.exists():
        old = output.read_text(encoding="utf-8")
        if TARGETS in old:
            kept = old[old.index(TARGETS) :]
            kept = kept[: kept.find("\n## ", len(TARGETS))] if "\n## " in kept[len(TARGETS) :] else kept
            kept = kept.rstrip() + "\n\n"
    machine = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    cpu = next((line.split(":", 1)[1].strip() for line in machine.splitlines() if line.startswith("Model name")), "")
    lines = [
        "# Benchmark results (issue 16)",
        "",
        f"One run of `python benchmarks/issue16.py` on {cpu}, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, {time.strftime('%Y-%m-%d', time.gmtime())}; the machine was shared with other "
        "work (the load average is given for each step), so the ratios, measured in the same run, are the figures "
        "to read. Each section says which script printed it and when.",
        "",
        kept.rstrip(),
        "",
    ]
    for name in [*names, "profiles"]:  # profiles.md: profile_stage.py's tables for the misses, when written
        part = work / f"{name}.md"
        lines += [part.read_text(encoding="utf-8").rstrip(), ""] if part.exists() else []
    output.write_text("\n".join(lines).replace("\n\n\n", "\n\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--graphs", type=Path, default=Path("/tmp/bench-shared"), help="generate.py's graphs")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kg-issue16"))
    parser.add_argument("--datasets", type=Path, help="the shared datasets folder (default: ../shared/datasets)")
    parser.add_argument("--only", default="", help="comma-separated steps to run again")
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KG_CACHE_DIR", str(args.work / "cache"))
    if args.datasets:
        os.environ["KG_DATASETS"] = str(args.datasets)
    (args.work / "graphs").mkdir(exist_ok=True)
    for source in args.graphs.glob("g-*"):
        link = args.work / "graphs" / source.name
        if not link.exists():
            link.symlink_to(source.resolve())
    every = steps(args.graphs, args.work)
    chosen = list(filter(None, args.only.split(","))) or list(every)
    if set(chosen) - set(every):
        raise SystemExit(f"unknown step(s) {sorted(set(chosen) - set(every))}; steps: {', '.join(every)}")
    for name in chosen:
        title, command = every[name]
        run_step(name, title, command, args.graphs, args.work)
        assemble(list(every), args.work, args.output)


if __name__ == "__main__":
    main()
