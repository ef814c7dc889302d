"""Start-up cost of the `kg` command line: a cold `kg query` against `python -c "import pyoxigraph"`.

    python benchmarks/startup.py                  # 15 interleaved runs of each; prints a Markdown table
    python benchmarks/startup.py --fresh 3 --json # and three first runs on an empty cache, as JSON

Each run is a new process, so every import is paid again ("cold"), while the operating system's file cache is
warm and compiled bytecode is kept, as after a pip install. Measured: the CPU time (user + system) and wall time
of the process, as medians, the two commands interleaved so that a busy machine weighs on both alike.
"Warm store": the store was built by an earlier run; "fresh cache": KG_CACHE_DIR is an empty folder, so the run
parses, reasons and builds the store first (issue 16 targets: a warm `kg query` within 3x the CPU time of
importing pyoxigraph, a first run within 1.5 s). The heavy packages the query imports are listed from
sys.modules at its end: rdflib and owlrl should not be among them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

QUERY = ["query", "symptoms", "--param", "condition=peripheral neuropathy"]
NATIVE = [sys.executable, "-c", "import pyoxigraph"]
HEAVY = ("rdflib", "owlrl", "pyshacl", "curies", "starlette", "pyrudof", "reasonable")


def kg_command() -> list[str]:
    """The `kg` console script installed beside this Python (what a user runs), else `python -m kg.cli`."""
    script = Path(sys.executable).parent / "kg"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kg.cli"]


def timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of `command`, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


_PROBE = (
    "import sys\nfrom kg.cli import main\nsys.argv[0] = 'kg'\ncode = main()\n"
    "print('MODULES', *sorted(sys.modules), file=sys.stderr)\nsys.exit(code)"
)


def imported(env: dict[str, str]) -> tuple[list[str], list[tuple[str, float]]]:
    """The heavy packages the query imports, and import time (self, ms) summed by top-level package, costliest first.

    The modules come from sys.modules at the end of the run: `-X importtime` does not list the modules that
    importlib.import_module loads (the CLI loads its commands that way), though it times the imports within them.
    """
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE, *QUERY], env=env, capture_output=True, text=True, check=True
    )
    modules = result.stderr.splitlines()[-1].split()[1:]
    heavy = sorted({name.split(".")[0] for name in modules if name.split(".")[0] in HEAVY})
    by_package: dict[str, float] = {}
    for own, name in re.findall(r"^import time:\s+(\d+) \|\s+\d+ \| +(\S+)$", result.stderr, flags=re.MULTILINE):
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + int(own) / 1000
    return heavy, sorted(by_package.items(), key=lambda item: -item[1])[:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command with a warm store (default: 15)")
    parser.add_argument("--fresh", type=int, default=3, help="first runs, each on an empty cache (default: 3)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    options = parser.parse_args()

    kg = kg_command()
    scratch = Path(tempfile.mkdtemp(prefix="kg-startup-"))
    try:
        # Compiled bytecode is kept (in a folder of its own), as a pip install does: without it every run would
        # compile each kg module again, which no user pays (this machine's environment may forbid writing it).
        python = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        python["PYTHONPYCACHEPREFIX"] = str(scratch / "bytecode")
        env = {**python, "KG_CACHE_DIR": str(scratch / "warm")}
        timed(NATIVE, env)
        timed([*kg, *QUERY], env)  # builds the store the warm runs open
        warm: list[tuple[float, float]] = []
        native: list[tuple[float, float]] = []
        for _ in range(options.runs):
            native.append(timed(NATIVE, env))
            warm.append(timed([*kg, *QUERY], env))
        fresh = []
        for number in range(options.fresh):
            fresh.append(timed([*kg, *QUERY], {**python, "KG_CACHE_DIR": str(scratch / f"fresh-{number}")}))
        heavy, top = imported(env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(runs: list[tuple[float, float]], which: int) -> float:
        return statistics.median(run[which] for run in runs) if runs else float("nan")

    figures = {
        "kg_query_warm_cpu_s": median(warm, 0),
        "kg_query_warm_wall_s": median(warm, 1),
        "import_pyoxigraph_cpu_s": median(native, 0),
        "import_pyoxigraph_wall_s": median(native, 1),
        "ratio_cpu": median(warm, 0) / median(native, 0),
        "first_run_cpu_s": median(fresh, 0),
        "first_run_wall_s": median(fresh, 1),
        "heavy_packages_imported": heavy,
        "import_ms_by_package": top,
        "runs": options.runs,
        "fresh_runs": options.fresh,
    }
    if options.json:
        print(json.dumps(figures, indent=2))
        return
    print("| measurement | CPU s | wall s | target |")
    print("|---|---:|---:|---|")
    print(
        f"| `python -c 'import pyoxigraph'` | {figures['import_pyoxigraph_cpu_s']:.3f} | "
        f"{figures['import_pyoxigraph_wall_s']:.3f} | |"
    )
    print(
        f"| cold `kg query symptoms`, warm store | {figures['kg_query_warm_cpu_s']:.3f} | "
        f"{figures['kg_query_warm_wall_s']:.3f} | ≤ 3× import: {figures['ratio_cpu']:.1f}× |"
    )
    print(
        f"| first `kg query` on a fresh cache | {figures['first_run_cpu_s']:.3f} | "
        f"{figures['first_run_wall_s']:.3f} | ≤ 1.5 s |"
    )
    print()
    print(f"heavy packages the query imports: {', '.join(heavy) or 'none'}")
    print("import time by package (ms, self, wall clock): " + ", ".join(f"{name} {ms:.0f}" for name, ms in top))


if __name__ == "__main__":
    main()
