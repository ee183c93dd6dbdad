"""Server-side SVG for dependency graphs: networkx layers the graph, this module places and draws it.

Layout: the root on the top row; every other node one row below its deepest predecessor (longest-path
layering, so every edge points down) or, in a graph with a cycle, at its distance from the root. Within a
row nodes are ordered by the barycenter of their neighbours (a few sweeps down and up) to cut crossings.
Rows wider than ``MAX_PER_ROW`` wrap onto staggered sub-rows, and every column is as wide as the longest
label, so labels never overlap and a 200-node closure stays a scrollable page rather than a 30,000-pixel
strip.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from statistics import mean

import networkx as nx
from django.utils.safestring import SafeString, mark_safe

MAX_PER_ROW = 8
CHAR_WIDTH = 7.3  # 12px monospace
NODE_HEIGHT = 38
NODE_PADDING = 16
COLUMN_GAP = 36
ROW_GAP = 64
MARGIN = 24
SWEEPS = 4
LABEL_CHAR_WIDTH = 6.1  # 10px monospace edge labels
LABEL_GAP = 6


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    url: str | None = None
    classes: tuple[str, ...] = ()
    note: str = ""  # a second, smaller line: "archived", "index failed", "was 1.2.0"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    classes: tuple[str, ...] = ()


@dataclass
class Layout:
    positions: dict[str, tuple[float, float]]  # node key -> centre
    layers: dict[str, int]
    width: float
    height: float
    node_width: float
    rows: list[list[str]] = field(default_factory=list)


def assign_layers(graph: nx.DiGraph, root: str) -> dict[str, int]:
    if nx.is_directed_acyclic_graph(graph):
        layers: dict[str, int] = {}
        for node in nx.topological_sort(graph):
            layers[node] = max((layers[p] + 1 for p in graph.predecessors(node)), default=0)
        return layers
    # With a cycle there is no "deepest predecessor": use the distance from the root instead.
    layers = dict(nx.single_source_shortest_path_length(graph, root)) if root in graph else {}
    below = max(layers.values(), default=-1) + 1
    for node in graph.nodes:
        layers.setdefault(node, below)
    return layers


def _order_rows(graph: nx.DiGraph, layers: dict[str, int], labels: dict[str, str]) -> list[list[str]]:
    depth = max(layers.values(), default=0)
    rows: list[list[str]] = [[] for _ in range(depth + 1)]
    for node in sorted(graph.nodes, key=lambda n: labels[n]):
        rows[layers[node]].append(node)

    def position() -> dict[str, float]:
        # Centred indices, so rows of different widths line up around one axis.
        return {node: index - (len(row) - 1) / 2 for row in rows for index, node in enumerate(row)}

    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        indices = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        for i in indices:
            pos = position()
            neighbours = graph.predecessors if downward else graph.successors

            def barycenter(node, pos=pos, neighbours=neighbours):
                linked = [pos[n] for n in neighbours(node) if layers[n] != layers[node]]
                return mean(linked) if linked else pos[node]

            rows[i].sort(key=barycenter)
    return rows


def layout(nodes: Sequence[Node], edges: Iterable[Edge], *, root: str) -> Layout:
    graph = nx.DiGraph()
    graph.add_nodes_from(node.key for node in nodes)
    graph.add_edges_from((edge.source, edge.target) for edge in edges if edge.source != edge.target)
    labels = {node.key: node.label for node in nodes}
    layers = assign_layers(graph, root)
    rows = _order_rows(graph, layers, labels)

    longest = max((max(len(node.label), len(node.note)) for node in nodes), default=8)
    node_width = longest * CHAR_WIDTH + 2 * NODE_PADDING
    column = node_width + COLUMN_GAP
    widest = min(max((len(row) for row in rows), default=1), MAX_PER_ROW)
    wraps = any(len(row) > MAX_PER_ROW for row in rows)
    inner = widest * column - COLUMN_GAP
    width = 2 * MARGIN + inner + (column / 2 if wraps else 0)  # room for the stagger of wrapped rows
    positions: dict[str, tuple[float, float]] = {}
    y = MARGIN + NODE_HEIGHT / 2
    drawn_rows: list[list[str]] = []
    for row in rows:
        for start in range(0, len(row), MAX_PER_ROW):
            chunk = row[start : start + MAX_PER_ROW]
            stagger = column / 2 if (start // MAX_PER_ROW) % 2 else 0
            left = MARGIN + (inner - (len(chunk) * column - COLUMN_GAP)) / 2 + stagger
            for index, node in enumerate(chunk):
                positions[node] = (left + index * column + node_width / 2, y)
            drawn_rows.append(chunk)
            y += NODE_HEIGHT + ROW_GAP
    height = y - ROW_GAP - NODE_HEIGHT / 2 + MARGIN
    return Layout(
        positions=positions, layers=layers, width=width, height=height, node_width=node_width, rows=drawn_rows
    )


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _point_at_y(controls, y: float) -> tuple[float, float]:
    """The point of a cubic Bézier whose y is closest to ``y`` (sampled: curves here are monotonic in y)."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = controls
    best = (x0, y0)
    for step in range(41):
        t = step / 40
        u = 1 - t
        point = (
            u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
            u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
        )
        if abs(point[1] - y) < abs(best[1] - y):
            best = point
    return best


def _spread(labels: list[tuple[float, float, str, bool]]) -> list[tuple[float, float, str, bool]]:
    """Push labels that share a gap apart horizontally until none overlaps, keeping their order."""
    by_gap: dict[float, list[tuple[float, float, str, bool]]] = {}
    for label in labels:
        by_gap.setdefault(round(label[1], 1), []).append(label)
    spread = []
    for row in by_gap.values():
        row.sort(key=lambda label: label[0])
        right_edge = float("-inf")
        for x, y, text, problem in row:
            half = len(text) * LABEL_CHAR_WIDTH / 2
            x = max(x, right_edge + LABEL_GAP + half)
            right_edge = x + half
            spread.append((x, y, text, problem))
    return spread


def render_svg(nodes: Sequence[Node], edges: Sequence[Edge], *, root: str, title: str = "") -> SafeString:
    """The graph as an inline ``<svg>``: ``g.node`` groups (each a link) and ``g.edge`` groups."""
    placed = layout(nodes, edges, root=root)
    half_w, half_h = placed.node_width / 2, NODE_HEIGHT / 2
    out = [
        "",  # the <svg> tag, written last: spread edge labels may widen the drawing
        f"<title>{escape(title)}</title>" if title else "",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker>'
        '<marker id="arrow-problem" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead problem"/></marker></defs>',
        '<g class="edges">',
    ]
    labels: list[tuple[float, float, str, bool]] = []  # x, y, text, problem
    for edge in edges:
        if edge.source not in placed.positions or edge.target not in placed.positions:
            continue
        sx, sy = placed.positions[edge.source]
        tx, ty = placed.positions[edge.target]
        problem = "problem" in edge.classes
        if ty > sy:  # downward: bottom of the source to the top of the target
            y1, y2 = sy + half_h, ty - half_h
        else:  # upward or sideways (a cycle closing): top of the source to the bottom of the target
            y1, y2 = sy - half_h, ty + half_h
        bend = (y2 - y1) / 2 or ROW_GAP
        controls = ((sx, y1), (sx, y1 + bend), (tx, y2 - bend), (tx, y2))
        path = f"M{sx:.1f},{y1:.1f} C{sx:.1f},{y1 + bend:.1f} {tx:.1f},{y2 - bend:.1f} {tx:.1f},{y2:.1f}"
        classes = " ".join(("edge", *edge.classes))
        marker = "arrow-problem" if problem else "arrow"
        tooltip = f"{edge.source} → {edge.target} {edge.label}".strip()
        out.append(
            f'<g class="{_attr(classes)}" data-source="{_attr(edge.source)}" data-target="{_attr(edge.target)}">'
            f"<title>{escape(tooltip)}</title>"
            f'<path d="{path}" marker-end="url(#{marker})"/></g>'
        )
        if edge.label:
            # On the curve, in the gap just past its source row, so no label sits on a node.
            gap_y = y1 + (ROW_GAP / 2 if y2 > y1 else -ROW_GAP / 2)
            lx, _ = _point_at_y(controls, gap_y)
            labels.append((lx, gap_y + 3, edge.label, problem))
    out.append("</g>")
    spread = _spread(labels)
    labels_out = [
        f'<text class="edge-label{" problem" if problem else ""}" x="{x:.1f}" y="{y:.1f}" '
        f'text-anchor="middle">{escape(text)}</text>'
        for x, y, text, problem in spread
    ]
    width = max([placed.width] + [x + len(text) * LABEL_CHAR_WIDTH / 2 + MARGIN for x, _, text, _ in spread])
    out[0] = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dependency-graph" role="img" '
        f'width="{width:.0f}" height="{placed.height:.0f}" viewBox="0 0 {width:.0f} {placed.height:.0f}" '
        f'data-node-count="{len(nodes)}" data-edge-count="{len(edges)}">'
    )
    out.append('<g class="edge-labels">' + "".join(labels_out) + "</g>")
    out.append('<g class="nodes">')
    for node in nodes:
        x, y = placed.positions[node.key]
        classes = " ".join(("node", *node.classes))
        rect = (
            f'<rect x="{x - half_w:.1f}" y="{y - half_h:.1f}" width="{placed.node_width:.1f}" '
            f'height="{NODE_HEIGHT}" rx="6"/>'
        )
        text_y = y - 3 if node.note else y + 4
        text = f'<text x="{x:.1f}" y="{text_y:.1f}" text-anchor="middle" class="label">{escape(node.label)}</text>'
        if node.note:
            text += f'<text x="{x:.1f}" y="{y + 12:.1f}" text-anchor="middle" class="note">{escape(node.note)}</text>'
        body = f"{rect}{text}<title>{escape(' · '.join(filter(None, (node.label, node.note))))}</title>"
        if node.url:
            body = f'<a href="{_attr(node.url)}">{body}</a>'
        out.append(
            f'<g class="{_attr(classes)}" data-key="{_attr(node.key)}" data-layer="{placed.layers[node.key]}">{body}</g>'
        )
    out.append("</g></svg>")
    return mark_safe("".join(out))  # every interpolated string above is escaped
