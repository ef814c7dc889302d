"""Record the reference engines' results on the seeded 10k graph, for the equivalence tests of the fast paths.

owlrl (about 30 s), pyshacl (about two minutes) and rdflib's engine on the fifteen stored queries (about 10 s)
are too slow for the test suite, so their answers on the
graph of tests/generated.py are written to tests/fixtures/generated-10k/ with the SHA-256 of the generated
Turtle. Run again whenever benchmarks/generate.py changes (the tests say so):

    python benchmarks/references.py
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from generated import REFERENCES, SEED, SIZE, generated, generator, query_digest  # tests/generated.py, via the path

from kg import stored_queries
from kg.engine import run_with_rdflib
from kg.export import canonical_ntriples
from kg.reason import entail


def main() -> None:
    REFERENCES.mkdir(parents=True, exist_ok=True)
    graph, _, digest = generated(violations=False)
    started = time.perf_counter()
    inferred = entail(graph.asserted, "owlrl")
    print(f"owlrl: {len(inferred)} entailments in {time.perf_counter() - started:.1f} s")
    body = f"# input sha256 {digest}\n".encode() + canonical_ntriples(inferred)
    (REFERENCES / "owlrl-inferred.nt.gz").write_bytes(gzip.compress(body, mtime=0))

    broken, _, broken_digest = generated(violations=True)
    started = time.perf_counter()
    report = broken.validate(method="pyshacl")
    print(f"pyshacl: {len(report.results)} results in {time.perf_counter() - started:.1f} s")
    results = sorted({(r.focus_node, r.path, r.source_shape) for r in report.results}, key=lambda r: (r[0], r[1] or ""))
    document = {"input_sha256": broken_digest, "conforms": report.conforms, "results": [list(r) for r in results]}
    (REFERENCES / "pyshacl-results.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")

    record_rdflib_rows()


def record_rdflib_rows() -> None:
    """Every stored query's rows on rdflib's engine over the reasoned 10k graph (about 30 s), each with the digest
    of the query text it ran, for tests/test_engine.py to compare Oxigraph's rows with."""
    graph, _, digest = generated(violations=False)
    graph.reason(cache=False)
    union = graph.graph()
    parameters = generator().generate(SIZE, seed=SEED).parameters
    recorded: dict[str, object] = {}
    started = time.perf_counter()
    for stored in stored_queries():
        bindings = graph.bindings(stored, parameters[stored.name])
        result = run_with_rdflib(union, stored.sparql, bindings, f"queries/{stored.name}.rq")
        rows = [[None if term is None else term.n3() for term in row] for row in result.rows]
        text = query_digest(stored.sparql)
        recorded[stored.name] = {"query_sha256": text, "variables": result.variables, "rows": rows}
    print(f"rdflib: {len(recorded)} stored queries in {time.perf_counter() - started:.1f} s")
    document = {"input_sha256": digest, "queries": recorded}
    body = json.dumps(document, indent=1, sort_keys=True).encode("utf-8") + b"\n"
    (REFERENCES / "rdflib-rows.json.gz").write_bytes(gzip.compress(body, mtime=0))


# ---------------------------------------------------------------------- the answers tests/recorded.py replays (suite-a)


def record_replayed_answers() -> None:
    """The reference engines' answers the tests replay (tests/recorded.py): the folder emptied, then every test
    file that replays one run with KG_RECORD_REFERENCES=1, so that it holds exactly the answers the suite asks for."""
    import os
    import subprocess

    tests = Path(__file__).resolve().parents[1] / "tests"
    for old in (tests / "fixtures" / "recorded").glob("*.json.gz"):
        old.unlink()
    files = [str(path) for path in sorted(tests.glob("test_*.py")) if "from recorded import" in path.read_text()]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", *files]
    subprocess.run(command, env={**os.environ, "KG_RECORD_REFERENCES": "1"}, check=True)


if __name__ == "__main__":
    main()
    record_replayed_answers()
