"""The seeded 10k benchmark graph (benchmarks/generate.py) and the reference results recorded for it.

owlrl needs about 30 s and pyshacl about two minutes for this graph, too long for the test suite, so their
results are recorded in tests/fixtures/generated-10k/ by `python benchmarks/references.py`, each with the
SHA-256 of the generated Turtle it was computed from; a test fails, and says to record them again, when the
generator no longer produces that input.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from rdflib import Graph

from kg import KnowledgeGraph

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = Path(__file__).parent / "fixtures" / "generated-10k"
SIZE = 10_000
SEED = 8
RECORD = "python benchmarks/references.py"

Triple = tuple[str, str | None, str]


def generator() -> ModuleType:
    """benchmarks/generate.py, imported from its path (benchmarks/ is not part of the installed package)."""
    name = "benchmark_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "generate.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@cache
def generated(violations: bool) -> tuple[KnowledgeGraph, list[Triple], str]:
    """The packaged graph plus the generated 10k data; the violations it was built with; the Turtle's SHA-256."""
    made = generator().generate(SIZE, seed=SEED, violations=violations)
    graph = KnowledgeGraph.load(packaged=True)
    graph.asserted.parse(data=made.turtle, format="turtle")
    digest = hashlib.sha256(made.turtle.encode("utf-8")).hexdigest()
    return graph, [tuple(v) for v in made.violations], digest


def owlrl_reference() -> tuple[str, Graph]:
    """The recorded owlrl entailments of the conforming 10k graph, and the input digest they were computed from."""
    text = gzip.decompress((REFERENCES / "owlrl-inferred.nt.gz").read_bytes()).decode("utf-8")
    header, _, body = text.partition("\n")
    graph = Graph()
    graph.parse(data=body, format="nt")
    return header.removeprefix("# input sha256 "), graph


def pyshacl_reference() -> tuple[str, set[Triple]]:
    """The recorded pyshacl results (focus node, path, source shape) of the violation variant, and its digest."""
    recorded = json.loads((REFERENCES / "pyshacl-results.json").read_text(encoding="utf-8"))
    return recorded["input_sha256"], {(r[0], r[1], r[2]) for r in recorded["results"]}


def query_digest(sparql: str) -> str:
    """The SHA-256 of a stored query's text: a recorded answer holds only for the text it was computed from."""
    return hashlib.sha256(sparql.encode("utf-8")).hexdigest()


def rdflib_rows_reference() -> tuple[str, dict[str, dict[str, object]]]:
    """The recorded rows of every stored query on rdflib's engine over the reasoned 10k graph (terms as N3), and the
    input digest they were computed from."""
    recorded = json.loads(gzip.decompress((REFERENCES / "rdflib-rows.json.gz").read_bytes()))
    return recorded["input_sha256"], recorded["queries"]
