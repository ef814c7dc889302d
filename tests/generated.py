"""The seeded 10k benchmark graph (benchmarks/generate.py) and the reference engines' answers for it.

owlrl needs about 30 s, pyshacl about two minutes and rdflib's engine half a minute for this graph, too long for the
test suite: their answers are replayed from tests/fixtures/recorded/ (tests/recorded.py) when recorded for exactly
this graph, the packaged ontology and shapes and the engines' versions, and computed live otherwise.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
import tempfile
from functools import cache
from pathlib import Path
from types import ModuleType

from rdflib import Graph
from recorded import digest, graph_digest, pyshacl_recorded, replayed, versions

from kg import KnowledgeGraph, reason
from kg.assemble import merged, ntriples_of
from kg.closure import is_noise_term
from kg.export import canonical_ntriples
from kg.reason import entail

ROOT = Path(__file__).resolve().parents[1]
REFERENCES = Path(__file__).parent / "fixtures" / "generated-10k"
SIZE = 10_000
SEED = 8

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
    """The packaged graph plus the generated 10k data; the violations it was built with; the Turtle's SHA-256.

    Read as kg reads a user's file (kg.load), into exact N-Triples: the rdflib graph of its triples
    (`graph.asserted`) is built only for the tests that ask for it."""
    made = generator().generate(SIZE, seed=SEED, violations=violations)
    packaged = KnowledgeGraph.load(packaged=True)
    with tempfile.TemporaryDirectory(prefix="kg-generated-") as folder:
        path = Path(folder) / "generated-10k.ttl"
        path.write_text(made.turtle, encoding="utf-8")
        data = ntriples_of(path)
    graph = KnowledgeGraph(merged([packaged.ntriples(), data]), packaged.sources)
    digest = hashlib.sha256(made.turtle.encode("utf-8")).hexdigest()
    return graph, [tuple(v) for v in made.violations], digest


@cache  # two tests compare with it in the same process; they only read it
def owlrl_reference() -> Graph:
    """owlrl's entailments of the conforming 10k graph (kg.reason.entail: half a minute), replayed when recorded
    for exactly this graph (the packaged ontology included), owlrl, rdflib and kg's own filter of noise
    (kg.reason.entail and the noise tests it calls); live otherwise (tests/recorded.py)."""
    graph, _, _ = generated(violations=False)
    # the code owlrl's answer passes through, function by function: an edit elsewhere keeps the recording
    kg_code = [inspect.getsource(code).encode() for code in (entail, reason.is_noise, reason._text, is_noise_term)]
    key = digest(versions("owlrl"), graph_digest(graph.asserted), *kg_code)
    text = replayed("owlrl-entailments", key, lambda: canonical_ntriples(entail(graph.asserted, "owlrl")).decode())
    return Graph().parse(data=text, format="nt")


@cache
def pyshacl_reference() -> set[Triple]:
    """pyshacl's results (focus node, path, source shape) on the violation variant, with the packaged shapes (about
    two minutes live): replayed when recorded for exactly that graph and those shapes (tests/recorded.py)."""
    graph, _, _ = generated(violations=True)
    with pyshacl_recorded():
        report = graph.validate(method="pyshacl")
    return {(r.focus_node, r.path, r.source_shape) for r in report.results}


def query_digest(sparql: str) -> str:
    """The SHA-256 of a stored query's text: a recorded answer holds only for the text it was computed from."""
    return hashlib.sha256(sparql.encode("utf-8")).hexdigest()
