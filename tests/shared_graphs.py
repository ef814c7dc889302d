"""Graphs compared the way rdflib.compare compares them (isomorphism), in a fraction of its time.

rdflib's canonical labelling took about a fifth of the CPU of the reasoning, loading and validation tests (seconds
for a few thousand triples). Here blank nodes are coloured by what is said about them, refined over their neighbours
(kg's own cache key, kg.blank_nodes.by_content); when every blank node of a graph gets a colour of its own, two graphs
with the same coloured triples are isomorphic (map each blank node to the one of the same colour), and isomorphic
graphs get the same coloured triples. Only when colours are shared (symmetric blank nodes) does rdflib decide.
"""

from __future__ import annotations

import re
from difflib import unified_diff

from rdflib import Graph
from rdflib.compare import isomorphic

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
