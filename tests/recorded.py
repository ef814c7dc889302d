"""The reference engines' answers (owlrl, pyshacl, rdflib's SPARQL engine, sssom-py, the Java OWL checker) recorded
under tests/fixtures/recorded/, each keyed by a digest of the engine's exact input, its arguments and its version.

The reference engines take most of the suite's CPU, always on the same inputs. A test that compares kg with one
wraps the call in a context manager of this module (owlrl, pyshacl) or in `replayed` (the others): the answer
recorded for exactly that input is replayed, and the engine runs live when there is none (an edited ontology or
shapes, a new engine version), so a recording can make a test faster but never make it pass.
`python benchmarks/references.py` records them again: it empties the folder and runs the test files that import
this module with KG_RECORD_REFERENCES=1.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any
from unittest import mock

from rdflib import BNode, Graph, Literal

from kg.reason import _ntriples_key

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
RECORDING = "KG_RECORD_REFERENCES"


def replayed(engine: str, key: str, live: Callable[[], Any]) -> Any:
    """The answer recorded for `key`, or `live()` (recorded too when KG_RECORD_REFERENCES is set), as JSON reads it."""
    path = RECORDED / f"{engine}-{key[:32]}.json.gz"
    if path.exists():
        return json.loads(gzip.decompress(path.read_bytes()))
    text = json.dumps(live(), sort_keys=True)
    if os.environ.get(RECORDING):
        RECORDED.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return json.loads(text)  # as a replay gives it (lists, not tuples), so that live and replayed answers compare


def digest(*parts: str | bytes) -> str:
    """The SHA-256 of the parts, each length-prefixed so that no two lists of parts give the same bytes."""
    found = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        found.update(b"%d:" % len(data) + data)
    return found.hexdigest()


def graph_digest(graph: Graph) -> str:
    """The digest of an rdflib graph's triples, whatever the labels of its blank nodes (kg's own cache key)."""
    # n3() writes a literal with a line break as a multi-line string: one line per triple, or the lines with a
    # blank node (labelled anew each parse) would sort the continuation lines anywhere.
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} .".replace("\n", "\\n") for s, p, o in graph)
    return _ntriples_key("\n".join(lines).encode("utf-8"), "recorded")


@cache  # reading the installed packages' metadata takes longer than a replay
def versions(*packages: str) -> str:
    return " ".join(f"{name} {version(name)}" for name in ("rdflib", *packages))


@contextmanager
def owlrl_recorded() -> Iterator[None]:
    """owlrl's closure replayed: the triples it adds, except those with a blank node or a literal subject (no
    N-Triples; kg keeps no such entailment, kg.closure.is_noise_term: were it to, the replay would miss them and the
    comparison fail, not pass)."""
    import owlrl

    real = owlrl.DeductiveClosure

    class Replayed(real):  # type: ignore[misc,valid-type]  # owlrl reads class attributes of its module's name
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.arguments = repr((args, sorted(kwargs.items())))

        def expand(self, graph: Graph) -> None:
            ran = []

            def live() -> str:
                before = set(graph)
                super(Replayed, self).expand(graph)
                ran.append(True)
                added = Graph()
                for triple in graph:
                    kept = not isinstance(triple[0], Literal) and not any(isinstance(t, BNode) for t in triple)
                    if kept and triple not in before:
                        added.add(triple)
                return "".join(sorted(added.serialize(format="nt").splitlines(keepends=True)))

            key = digest(versions("owlrl"), self.arguments, graph_digest(graph))
            added = replayed("owlrl", key, live)
            if not ran:
                graph.parse(data=added, format="nt")

    with mock.patch.object(owlrl, "DeductiveClosure", Replayed):
        yield


class Unparsed:
    """N-Triples on their way from kg to pyshacl, parsed (as kg.validate._graph parses them) only if pyshacl runs
    live: a replay is keyed by their lines, and parsing them takes longer than the replay."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def key(self) -> str:
        return lines_key(self.data)

    def parsed(self) -> Graph:
        return Graph().parse(data=self.data, format="nt")


@cache  # the same shapes reach pyshacl for every fixture: their key is computed once
def lines_key(data: bytes) -> str:
    """The digest of N-Triples, whatever their order and the labels of their blank nodes (kg's own cache key)."""
    return _ntriples_key(b"\n".join(sorted(data.split(b"\n"))), "recorded")


@contextmanager
def pyshacl_recorded() -> Iterator[None]:
    """pyshacl.validate replayed: its verdict and report graph (the text report is not kept)."""
    import pyshacl

    import kg.validate

    real = pyshacl.validate

    def validate(data: Graph | Unparsed, *, shacl_graph: Graph | Unparsed, **options: Any) -> tuple[bool, Graph, str]:
        def live() -> dict[str, Any]:
            # copies: pyshacl adds to the shapes graph it is given, and a cached graph would then key the next
            # replays by what an earlier test happened to run live
            graphs = [
                graph.parsed() if isinstance(graph, Unparsed) else graph + Graph() for graph in (data, shacl_graph)
            ]
            conforms, report, _text = real(graphs[0], shacl_graph=graphs[1], **options)
            return {"conforms": bool(conforms), "report": report.serialize(format="nt")}

        inputs = [graph.key() if isinstance(graph, Unparsed) else graph_digest(graph) for graph in (data, shacl_graph)]
        answer = replayed("pyshacl", digest(versions("pyshacl"), repr(sorted(options.items())), *inputs), live)
        report = Graph().parse(data=answer["report"], format="nt")
        return answer["conforms"], report, ""

    with mock.patch.object(pyshacl, "validate", validate), mock.patch.object(kg.validate, "_graph", Unparsed):
        yield
