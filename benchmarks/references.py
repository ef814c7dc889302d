"""Record the reference engines' results on the seeded 10k graph, for the equivalence tests of the fast paths.

owlrl (about 30 s) and pyshacl (about two minutes) are too slow for the test suite, so their answers on the
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

from generated import REFERENCES, generated  # tests/generated.py, found through the path above

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


if __name__ == "__main__":
    main()
