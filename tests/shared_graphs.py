"""Graphs compared the way rdflib.compare compares them (isomorphism), in a fraction of its time.

rdflib's canonical labelling took about a fifth of the CPU of the reasoning, loading and validation tests (seconds
for a few thousand triples). Here blank nodes are coloured by what is said about them, refined over their neighbours
(kg's own cache key, kg.blank_nodes.by_content); when every blank node of a graph gets a colour of its own, two graphs
with the same coloured triples are isomorphic (map each blank node to the one of the same colour), and isomorphic
graphs get the same coloured triples. Only when colours are shared (symmetric blank nodes) does rdflib decide.

Below: rdflib's reading of a document (Reading) and kg's reference writers on rdflib graphs (Written), summed up so
that tests/recorded.py can replay them; a replay only ever settles "the same", anything else is decided live.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable
from difflib import unified_diff
from pathlib import Path

from rdflib import Dataset, Graph
from rdflib.compare import isomorphic
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from recorded import digest, graph_digest, versions

import kg.blank_nodes
import kg.export
import kg.nt_lines
import kg.prefixes
import kg.release
import kg.terms
from kg.blank_nodes import by_content

_BLANK = re.compile(rb"_:[A-Za-z0-9_.\-]+")


def coloured(graph: Graph) -> tuple[list[bytes], bool]:
    """The graph's triples as sorted lines with each blank node written as its colour, and whether every blank
    node got a colour of its own."""
    lines = sorted(f"{s.n3()} {p.n3()} {o.n3()} .".replace("\n", "\\n").encode("utf-8") for s, p, o in graph)
    blank = [line for line in lines if b"_:" in line]
    relabelled = by_content(blank)
    nodes = {label for line in blank for label in _BLANK.findall(line)}
    colours = {label for line in relabelled for label in _BLANK.findall(line)}
    return sorted([line for line in lines if b"_:" not in line] + relabelled), len(colours) == len(nodes)


def assert_isomorphic(found: Graph, expected: Graph) -> None:
    """The two graphs are the same up to blank node labels; if not, the first differing lines say where."""
    found_lines, found_discrete = coloured(found)
    expected_lines, expected_discrete = coloured(expected)
    if found_lines == expected_lines and found_discrete and expected_discrete:
        return
    if found_lines == expected_lines and isomorphic(found, expected):  # shared colours: rdflib decides
        return
    diff = unified_diff(
        [line.decode() for line in expected_lines], [line.decode() for line in found_lines], lineterm="", n=0
    )
    raise AssertionError("the graphs differ:\n" + "\n".join(line[:300] for line in list(diff)[:40]))


# ---------------------------------------------------------------- rdflib's reading of a document, replayable


def _summary(graph: Graph) -> list[object]:
    lines, discrete = coloured(graph)
    return [len(lines), hashlib.sha256(b"\n".join(lines)).hexdigest(), discrete]


def parse(data: bytes, format: str) -> dict[str, Graph]:
    """What rdflib reads from the document (format as rdflib names it): its graphs by name, the default graph "".
    A dataset's formats (trig, nquads) are read into a Dataset, the others into a Graph."""
    if format not in ("trig", "nquads"):
        return {"": Graph().parse(data=data.decode("utf-8"), format=format)}
    dataset = Dataset()
    dataset.parse(data=data.decode("utf-8"), format=format)
    graphs = {str(graph.identifier): graph for graph in dataset.graphs() if len(graph)}
    graphs[""] = graphs.pop(str(DATASET_DEFAULT_GRAPH_ID), dataset.graph(DATASET_DEFAULT_GRAPH_ID))
    return graphs


def reading_key(data: bytes, format: str, *read: str) -> str:
    """The key of rdflib's reading of exactly these bytes in this format, by this rdflib, coloured this way (and
    read by the code in `read`, when not by `parse`)."""
    return digest(versions(), "rdflib-read", format, data, _COLOURING, *(read or [inspect.getsource(parse)]))


def summed_up(graphs: dict[str, Graph]) -> dict[str, list[object]]:
    """Each graph (by name; the default graph "") summed up as the number of its coloured lines, their SHA-256
    and whether every blank node got a colour of its own: what `Reading` keeps."""
    return {name: _summary(graph) for name, graph in graphs.items()}


def live_reading(data: bytes, format: str) -> dict[str, list[object]]:
    """rdflib's reading of the document (`parse`), summed up."""
    return summed_up(parse(data, format))


#: What a reading depends on besides the document and rdflib: how it is read, summed up and coloured.
_READING = "".join(inspect.getsource(code) for code in (coloured, _summary, summed_up)).encode("utf-8")
_COLOURING = _READING + Path(kg.blank_nodes.__file__).read_bytes()


class Reading:
    """rdflib's reading of one document (recorded, see tests/recorded.py, or live): how many triples each of its
    graphs holds, and whether it is isomorphic to a graph of ours. Only a sure "same" is taken from the summary; any
    other answer is decided on the document parsed again, live, as `assert_isomorphic` decides it."""

    def __init__(self, summary: dict[str, list[object]], graphs: Callable[[], dict[str, Graph]]) -> None:
        """`summary` as `summed_up` gives it, of what `graphs` reads live (`parse`, or another reading)."""
        self.summary, self.graphs = summary, graphs

    def __len__(self) -> int:
        return self.triples("")

    def triples(self, graph: str) -> int:
        count = self.summary[graph][0] if graph in self.summary else 0
        assert isinstance(count, int)
        return count

    def assert_isomorphic(self, expected: Graph, graph: str = "") -> None:
        """The document's graph `graph` (its default graph unless named) is `expected` up to blank node labels."""
        summary = _summary(expected)
        if self.summary.get(graph) == summary and summary[2] is True:  # every blank node told apart: sure
            return
        assert_isomorphic(self.graphs().get(graph, Graph()), expected)


# ---------------------------------------------------------------- kg's reference writers on rdflib graphs, replayable

#: The code whose output a recorded writing is: kg's writers on rdflib graphs (kg.export.serialize,
#: kg.release.release_bytes: rdflib's serialisers and canonical labels, then Oxigraph's writers) and what they use.
_WRITERS = b"".join(
    Path(module.__file__ or "").read_bytes()
    for module in (kg.export, kg.release, kg.prefixes, kg.terms, kg.nt_lines, kg.blank_nodes)
)


def writing_key(writer: str, *graphs: Graph) -> str:
    """The key of what `writer` writes for these graphs: their triples whatever the labels of their blank nodes
    (tests/recorded.py: graph_digest; test_release and test_export check the writers do not depend on them), kg's
    writers' code, rdflib's and Oxigraph's versions."""
    return digest(versions("pyoxigraph"), "rdflib-write", writer, _WRITERS, *(graph_digest(graph) for graph in graphs))


class Written:
    """The SHA-256 of what a reference writer writes (recorded, or live), and the writer itself: bytes are checked
    against the digest, and only when they differ is the writer run again, live, to show where."""

    def __init__(self, sha256: str, live: Callable[[], bytes]) -> None:
        self.sha256, self.live = sha256, live

    def assert_written(self, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != self.sha256:
            assert data == self.live()
