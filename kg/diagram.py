"""Drawings of the causal network with Graphviz: nodes coloured by class, edges labelled and styled by kind."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from kg.errors import InputError
from kg.graph import KnowledgeGraph
from kg.progress import stage
from kg.terms import NKG, compact

__all__ = ["DIAGRAM_FORMATS", "EDGE_KINDS", "Edge", "causal_network", "diagram", "network_edges", "render"]

#: Programs that lay out a drawing, in order of preference: Graphviz's own `dot` on PATH, then `graphviz-pure`
#: (a self-contained port installed by pip, so the test extra needs no system package).
GRAPHVIZ_PROGRAMS = ("dot", "graphviz-pure")

#: Output formats: Graphviz renders svg and png; dot is the Graphviz source itself (no Graphviz needed).
DIAGRAM_FORMATS = ("svg", "png", "dot")

#: Edge kinds: the properties drawn with each, and the Graphviz edge attributes of the kind.
EDGE_KINDS: dict[str, tuple[tuple[URIRef, ...], dict[str, str]]] = {
    "causes or raises the risk of": (
        (NKG.causes, NKG.predisposesTo, NKG.increasesRiskOf, NKG.canProgressTo, NKG.leadsTo),
        {"color": "#b2182b", "fontcolor": "#b2182b", "penwidth": "1.6"},
    ),
    "manifests as": (
        (NKG.hasSymptom, NKG.hasClinicalFeature, NKG.involvesMechanism),
        {"color": "#d06a00", "fontcolor": "#d06a00", "style": "dashed"},
    ),
    "treats or acts on": (
        (NKG.treats, NKG.relieves, NKG.actsThrough, NKG.increasesIntakeOf),
        {"color": "#1b7837", "fontcolor": "#1b7837", "penwidth": "1.6", "arrowhead": "diamond"},
    ),
    "diet and nutrients": (
        (NKG.excludes, NKG.isDietarySourceOf, NKG.reducesIntakeOf, NKG.deficiencyOf, NKG.hasDeficiencyState),
        {"color": "#2166ac", "fontcolor": "#2166ac", "style": "dotted", "penwidth": "1.4"},
    ),
    "kind of": ((NKG.subtypeOf,), {"color": "#555555", "fontcolor": "#555555", "arrowhead": "empty"}),
    "affects body part": ((NKG.affects,), {"color": "#762a83", "fontcolor": "#762a83", "style": "dotted"}),
    "other": ((), {"color": "#444444", "fontcolor": "#444444", "style": "dashed"}),
}

#: Node fill colours, the first class (in this order) that a node is an instance of deciding.
_NODE_COLOURS: tuple[tuple[URIRef, str], ...] = (
    (NKG.NutrientDeficiency, "#fdb863"),
    (NKG.Neuropathy, "#f4a582"),
    (NKG.Disorder, "#fbcfc8"),
    (NKG.Phenotype, "#fee391"),
    (NKG.Condition, "#fde0dd"),
    (NKG.Exposure, "#c6dbef"),
    (NKG.DietarySource, "#e5eef8"),
    (NKG.Nutrient, "#9ecae1"),
    (NKG.Treatment, "#c7e9c0"),
    (NKG.Mechanism, "#dadaeb"),
    (NKG.AnatomicalEntity, "#eeeeee"),
)
_QUALIFIERS = (NKG.frequency, NKG.modality)
_WRAP = 22
_GRAPH_STYLE = {
    "rankdir": "LR",
    "labelloc": "t",
    "fontname": "Helvetica",
    "fontsize": "20",
    "nodesep": "0.25",
    "ranksep": "0.6",
}
_NODE_STYLE = {
    "shape": "box",
    "style": "rounded,filled",
    "fontname": "Helvetica",
    "fontsize": "11",
    "fillcolor": "#ffffff",
    "color": "#7a7a7a",
}
_EDGE_STYLE = {"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"}
_LEGEND_STYLE = {"label": "Edge kinds", "fontsize": "12", "color": "#bbbbbb", "style": "rounded"}
_FOCUS_STYLE = {"penwidth": "3", "color": "#000000", "fontname": "Helvetica-Bold"}


@dataclass(frozen=True, order=True)
class Edge:
    """One stated link between two entities, with the kind that decides its style and its drawn label."""

    source: URIRef
    target: URIRef
    kind: str
    label: str


def _kind_of(predicate: URIRef) -> str:
    for kind, (predicates, _style) in EDGE_KINDS.items():
        if predicate in predicates:
            return kind
    return "other"


def _superclasses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """Every class with itself and all its asserted superclasses (rdfs:subClassOf, followed transitively)."""
    closure: dict[URIRef, set[URIRef]] = {}
    for cls in {s for s in graph.subjects(RDFS.subClassOf, None)} | {s for s in graph.subjects(RDF.type, OWL.Class)}:
        if isinstance(cls, URIRef):
            closure[cls] = {term for term in graph.transitive_objects(cls, RDFS.subClassOf) if isinstance(term, URIRef)}
    return closure


def _classes_of(graph: Graph, node: URIRef, closure: dict[URIRef, set[URIRef]]) -> set[URIRef]:
    found: set[URIRef] = set()
    for cls in graph.objects(node, RDF.type):
        if isinstance(cls, URIRef):
            found |= closure.get(cls, {cls})
    return found


def _label(graph: Graph, node: URIRef) -> str:
    labels = sorted(str(label) for label in graph.objects(node, RDFS.label))
    return labels[0] if labels else compact(str(node)) or str(node)


def network_edges(graph: Graph) -> list[Edge]:
    """The stated links between biomedical entities (asserted triples of project properties), sorted."""
    closure = _superclasses(graph)
    entities = {
        node
        for node in graph.subjects(RDF.type, None)
        if isinstance(node, URIRef) and NKG.BiomedicalEntity in _classes_of(graph, node, closure)
    }
    qualifiers: dict[tuple[URIRef, URIRef, URIRef], set[str]] = defaultdict(set)
    for claim in graph.subjects(RDF.type, NKG.Claim):
        subject, predicate, obj = (graph.value(claim, part) for part in (RDF.subject, RDF.predicate, RDF.object))
        if isinstance(subject, URIRef) and isinstance(predicate, URIRef) and isinstance(obj, URIRef):
            qualifiers[subject, predicate, obj] |= {
                str(value) for p in _QUALIFIERS for value in graph.objects(claim, p)
            }
    edges = []
    for source, link, target in graph:
        if not (isinstance(source, URIRef) and isinstance(link, URIRef) and isinstance(target, URIRef)):
            continue
        if source not in entities or target not in entities or source == target or not link.startswith(NKG):
            continue
        label = _label(graph, link)
        stated_how = sorted(qualifiers.get((source, link, target), set()))
        if stated_how:
            label += f"\n({', '.join(stated_how)})"
        edges.append(Edge(source, target, _kind_of(link), label))
    return sorted(edges)


def _neighbourhood(edges: list[Edge], focus: URIRef, depth: int) -> set[URIRef]:
    """The focus, what leads to it and what it leads to, up to `depth` steps each way."""
    forward: dict[URIRef, set[URIRef]] = defaultdict(set)
    backward: dict[URIRef, set[URIRef]] = defaultdict(set)
    for edge in edges:
        forward[edge.source].add(edge.target)
        backward[edge.target].add(edge.source)
    kept = {focus}
    for links in (forward, backward):
        frontier = {focus}
        for _step in range(depth):
            frontier = {nxt for node in frontier for nxt in links[node]} - kept
            kept |= frontier
    return kept


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attributes(values: dict[str, str]) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in sorted(values.items()))


def causal_network(graph: KnowledgeGraph, focus: str | None = None, depth: int = 2) -> str:
    """The Graphviz source of the whole network, or of `focus` (label, CURIE or IRI) and its surroundings."""
    if depth < 1:
        raise InputError(f"--depth must be 1 or more, not {depth}")
    asserted = graph.asserted
    edges = network_edges(asserted)
    title = "Causal network: risk factors, deficiency, disorders, symptoms and treatments"
    centre: URIRef | None = None
    if focus is not None:
        centre = graph.resolve(focus, "focus")
        kept = _neighbourhood(edges, centre, depth)
        edges = [edge for edge in edges if edge.source in kept and edge.target in kept]
        title = f"Around {_label(asserted, centre)} ({depth} step{'s' if depth != 1 else ''} each way)"
    nodes = sorted({edge.source for edge in edges} | {edge.target for edge in edges} | ({centre} if centre else set()))
    closure = _superclasses(asserted)
    coloured: set[URIRef] = set()
    lines = [
        "digraph causal_network {",
        f"  graph [{_attributes({**_GRAPH_STYLE, 'label': title})}];",
        f"  node [{_attributes(_NODE_STYLE)}];",
        f"  edge [{_attributes(_EDGE_STYLE)}];",
    ]
    for node in nodes:
        classes = _classes_of(asserted, node, closure)
        colour_class = next((cls for cls, _colour in _NODE_COLOURS if cls in classes), None)
        fill = dict(_NODE_COLOURS).get(colour_class, "#ffffff") if colour_class else "#ffffff"
        if colour_class is not None:
            coloured.add(colour_class)
        attributes = {"label": "\n".join(textwrap.wrap(_label(asserted, node), _WRAP)), "fillcolor": fill}
        attributes["tooltip"] = str(node)
        if node == centre:
            attributes |= _FOCUS_STYLE
        lines.append(f"  {_node_id(node)} [{_attributes(attributes)}];")
    for edge in edges:
        attributes = {"label": edge.label, "class": _css_class(edge.kind), **EDGE_KINDS[edge.kind][1]}
        lines.append(f"  {_node_id(edge.source)} -> {_node_id(edge.target)} [{_attributes(attributes)}];")
    lines += _legend(
        {edge.kind for edge in edges}, [(_label(asserted, c), f) for c, f in _NODE_COLOURS if c in coloured]
    )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_id(node: URIRef) -> str:
    return _quote(compact(str(node)) or str(node))


def _css_class(kind: str) -> str:
    return "kind-" + "-".join(kind.replace(",", "").split())


def _legend(kinds: set[str], colours: list[tuple[str, str]]) -> list[str]:
    """A box with a sample edge for each kind drawn, and a box with a sample node for each colour used."""
    shown = [kind for kind in EDGE_KINDS if kind in kinds]
    lines = []
    if colours:
        lines += ["  subgraph cluster_colours {", f"    graph [{_attributes({**_LEGEND_STYLE, 'label': 'Classes'})}];"]
        for index, (label, fill) in enumerate(colours):
            lines.append(f"    colour{index} [{_attributes({'label': label, 'fillcolor': fill})}];")
        lines.append("  }")
    if not shown:
        return lines
    lines += ["  subgraph cluster_legend {", f"    graph [{_attributes(_LEGEND_STYLE)}];"]
    for index, kind in enumerate(shown):
        start, end = f"legend{index}a", f"legend{index}b"
        lines.append(
            f"    {start} [shape=point, style=invis, width=0.01]; {end} [shape=point, style=invis, width=0.01];"
        )
        lines.append(f"    {start} -> {end} [{_attributes({'label': kind, **EDGE_KINDS[kind][1]})}];")
    lines.append("  }")
    return lines


def render(source: str, output_format: str) -> bytes:
    """Lay out Graphviz `source` with `dot` as svg or png; `dot` returns the source unchanged."""
    if output_format not in DIAGRAM_FORMATS:
        raise InputError(f"unknown diagram format {output_format!r} (use one of {', '.join(DIAGRAM_FORMATS)})")
    if output_format == "dot":
        return source.encode("utf-8")
    program = graphviz_program()
    if program is None:
        raise InputError(
            "neither Graphviz 'dot' nor 'graphviz-pure' was found: pip install graphviz-pure, or install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz), or use --format dot"
        )
    try:
        with stage("laying out the diagram"):
            finished = subprocess.run(
                [program, f"-T{output_format}"], input=source.encode("utf-8"), capture_output=True, timeout=300
            )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InputError(f"Graphviz 'dot' failed to run: {error}") from None
    if finished.returncode != 0:
        message = finished.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"Graphviz 'dot' failed: {message[0] if message else f'exit code {finished.returncode}'}")
    return finished.stdout


def graphviz_program() -> str | None:
    """The path of the first program of GRAPHVIZ_PROGRAMS on PATH or beside this Python (a venv not activated)."""
    beside_python = str(Path(sys.executable).parent)
    for name in GRAPHVIZ_PROGRAMS:
        found = shutil.which(name) or shutil.which(name, path=beside_python)
        if found:
            return found
    return None


def diagram(graph: KnowledgeGraph, focus: str | None = None, output_format: str = "svg", depth: int = 2) -> bytes:
    """The drawing of the whole causal network, or around `focus`, in svg, png or dot."""
    return render(causal_network(graph, focus, depth), output_format)
