"""Server-side SVG for dependency graphs: a layered (Sugiyama) layout from grandalf, drawn here.

Why grandalf rather than Graphviz ``dot``: it is a pure-Python implementation of the same layered layout
(dummy vertices on long edges, crossing reduction by layer sweeps), so the embedded default needs no
system package and no subprocess per page.

How a graph is laid out:

1. Cycles are broken by reversing the back edges of a depth-first search from the root (they are still
   drawn, pointing up); networkx layers the rest by longest path, so every edge points down. A layer wider
   than ``MAX_PER_ROW`` nodes wraps onto several rows (nodes of one layer never depend on each other).
2. Every row of nodes gets a row of edge labels below it: each labelled edge passes through a label vertex
   of its own, sized to its text, in the least crowded label row between its ends. Long edges pass every
   other row through grandalf's dummy vertices, and grandalf orders each row to cut crossings. Then each
   vertex (node, label, dummy) gets its x by ``assign_x``, which never puts two vertices of a row closer
   than ``VERTEX_SPACING``, so labels never overlap each other or a node. (grandalf 0.8's own Brandes-Köpf
   x came out about five times wider than the rows need on a 200-node DAG, so it is not used.)
3. Each edge is routed as a polyline: straight down through every row it passes (at its dummy's x, or at
   the left side of its label, whose text sits to the right), and across the empty gaps between rows.
   Inside a row an edge only ever occupies its own vertex, so it crosses no node and no label; the SVG
   draws the gap crossings as curves that stay inside their gap.

``layout`` returns the geometry (node boxes, edge polylines, label boxes) so tests can check it.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise

import networkx as nx
from django.utils.safestring import SafeString, mark_safe
from grandalf.graphs import Edge as GEdge
from grandalf.graphs import Vertex, graph_core
from grandalf.layouts import DummyVertex, Layer, SugiyamaLayout, VertexViewer

MAX_PER_ROW = 12  # nodes per row before a layer wraps
CHAR_WIDTH = 7.4  # 12px monospace node labels (0.6em), rounded up
NODE_HEIGHT = 38
NODE_PADDING = 14  # inside a node box, each side of its text
NODE_SPACING = 10  # kept free each side of a node box, on top of VERTEX_SPACING
LABEL_CHAR_WIDTH = 6.3  # 10px monospace edge labels (0.6em), rounded up
LABEL_HEIGHT = 14
LABEL_OFFSET = 5  # from the edge to the start of its label text
DUMMY_WIDTH = 2  # a long edge passing a row
VERTEX_SPACING = 8  # the minimum gap between two vertices of a row
ROW_GAP = 24  # the empty band between two rows, where edges cross over
STUB = 3  # an edge leaves and enters a row straight, this far into the gap
PORT_SPACING = 9  # between edges leaving (or entering) one node side by side
MARGIN = 24
COMPONENT_GAP = 48  # between unconnected parts of a graph
ORDERING_ROUNDS = 2  # grandalf's crossing-reduction sweeps (each down then up)
PLACEMENT_SWEEPS = 8
LINK_WEIGHTS = (1, 2, 8)  # pull between node-node, node-dummy, dummy-dummy neighbours


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


@dataclass(frozen=True)
class Box:
    x: float  # left
    y: float  # top
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2


@dataclass(frozen=True)
class Route:
    """Where one edge is drawn: a polyline from its source's box to its target's box."""

    edge: Edge
    points: tuple[tuple[float, float], ...]
    label_box: Box | None  # where the label's text is, if the edge has one
    upward: bool = False  # closes a cycle, so it runs against the layers


@dataclass
class Layout:
    boxes: dict[str, Box]  # node key -> its box
    routes: list[Route]
    layers: dict[str, int]  # node key -> layer (edges point to higher layers, except those closing a cycle)
    width: float
    height: float
    rows: list[list[str]] = field(default_factory=list)  # node keys per drawn row, left to right

    @property
    def positions(self) -> dict[str, tuple[float, float]]:
        return {key: box.centre for key, box in self.boxes.items()}


def node_width(node: Node) -> float:
    return max(len(node.label), len(node.note), 4) * CHAR_WIDTH + 2 * NODE_PADDING


def label_width(text: str) -> float:
    return len(text) * LABEL_CHAR_WIDTH


def feedback_edges(graph: nx.DiGraph, root: str) -> set[tuple[str, str]]:
    """The back edges of a depth-first search from ``root`` (then from every node not yet reached)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    back: set[tuple[str, str]] = set()
    for start in [root, *graph.nodes] if root in graph else list(graph.nodes):
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(graph.successors(start)))]
        while stack:
            node, successors = stack[-1]
            for successor in successors:
                seen = state.get(successor)
                if seen == 1:
                    back.add((node, successor))
                elif seen is None:
                    state[successor] = 1
                    stack.append((successor, iter(graph.successors(successor))))
                    break
            else:
                state[node] = 2
                stack.pop()
    return back


def _reoriented(graph: nx.DiGraph, back: set[tuple[str, str]]) -> nx.DiGraph:
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    dag.add_edges_from((t, s) if (s, t) in back else (s, t) for s, t in graph.edges)
    return dag


def longest_path_layers(dag: nx.DiGraph, order: dict[str, int]) -> dict[str, int]:
    """Each node one layer below its deepest predecessor, sources on layer 0."""
    layers: dict[str, int] = {}
    for key in nx.lexicographical_topological_sort(dag, key=order.__getitem__):
        layers[key] = max((layers[p] + 1 for p in dag.predecessors(key)), default=0)
    return layers


def _wrap_rows(dag: nx.DiGraph, layers: dict[str, int], order: dict[str, int]) -> list[list[str]]:
    """Rows of nodes: each layer, wrapped every ``MAX_PER_ROW`` nodes; nodes needed most from above go first."""
    by_layer: dict[int, list[str]] = defaultdict(list)
    for node in sorted(layers, key=order.__getitem__):
        by_layer[layers[node]].append(node)
    rows: list[list[str]] = []
    for layer in sorted(by_layer):
        members = by_layer[layer]
        if len(members) > MAX_PER_ROW and layer > 0:  # layer 0 holds the sources: they have no row above
            members.sort(key=lambda n: (dag.out_degree(n) - dag.in_degree(n), order[n]))
        rows.extend(members[start : start + MAX_PER_ROW] for start in range(0, len(members), MAX_PER_ROW))
    return rows


class _RankedSugiyama(SugiyamaLayout):
    """grandalf's Sugiyama layout on ranks we chose (wrapped rows, label rows) instead of its own ranking."""

    def __init__(self, core: graph_core, ranks: dict[Vertex, int]):
        super().__init__(core)
        self.given_ranks = ranks

    def rank_all(self, roots, optimize=False):
        self.layers = [Layer([]) for _ in range(max(self.given_ranks.values()) + 1)]
        for vertex in self.g.sV:
            rank = self.given_ranks[vertex]
            self.grx[vertex].rank = rank
            self.layers[rank].append(vertex)


@dataclass
class _Vertex:
    """A vertex of the expanded graph: a node, or the label of edge number ``edge``."""

    rank: int
    width: float
    height: float
    node: str | None = None
    edge: int | None = None
    x: float = 0.0  # centre, once placed


def _label_rank(low: int, high: int, load: dict[int, float], width: float) -> int:
    """The label row for an edge between node rows ``low`` and ``high``: the least crowded (then the highest)."""
    choices = range(2 * low + 1, 2 * high, 2)
    rank = min(choices, key=lambda r: (load[r], r))
    load[rank] += width + VERTEX_SPACING
    return rank


def layout(nodes: Sequence[Node], edges: Iterable[Edge], *, root: str) -> Layout:
    """Place ``nodes`` and route ``edges`` (those whose ends are both among ``nodes``)."""
    known = {node.key: node for node in nodes}
    order = {node.key: index for index, node in enumerate(nodes)}
    drawn = [edge for edge in edges if edge.source in known and edge.target in known]
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    graph.add_edges_from((e.source, e.target) for e in drawn if e.source != e.target)
    back = feedback_edges(graph, root)
    dag = _reoriented(graph, back)
    layers = longest_path_layers(dag, order)
    rows = _wrap_rows(dag, layers, order)
    row_of = {key: index for index, row in enumerate(rows) for key in row}

    # The expanded graph: nodes on even ranks, label vertices on odd ranks, each edge top-down.
    vertices: dict[str, _Vertex] = {
        key: _Vertex(rank=2 * row_of[key], width=node_width(node) + 2 * NODE_SPACING, height=NODE_HEIGHT, node=key)
        for key, node in known.items()
    }
    links: list[tuple[str, str]] = []
    chains: list[tuple[int, str, str | None, str, bool]] = []  # edge number, upper, label vertex, lower, upward
    load: dict[int, float] = defaultdict(float)
    for index, edge in sorted(enumerate(drawn), key=lambda item: _span(item[1], row_of)):
        upward = (edge.source, edge.target) in back or row_of[edge.source] > row_of[edge.target]
        upper, lower = (edge.target, edge.source) if upward else (edge.source, edge.target)
        label_key = None
        if edge.label or upper == lower:  # a self-loop turns around at its label vertex
            label_key = f"label:{index}"
            width = LABEL_OFFSET + label_width(edge.label) + 2
            low, high = row_of[upper], row_of[lower] if lower != upper else row_of[upper] + 1
            vertices[label_key] = _Vertex(
                rank=_label_rank(low, high, load, width), width=width, height=LABEL_HEIGHT, edge=index
            )
            links.append((upper, label_key))
            if lower != upper:
                links.append((label_key, lower))
        else:
            links.append((upper, lower))
        chains.append((index, upper, label_key, lower, upward))
    chains.sort()

    dummies = _place(vertices, links, order)
    return _route(known, drawn, vertices, dummies, chains, layers, rows)


def _span(edge: Edge, row_of: dict[str, int]) -> int:
    return abs(row_of[edge.target] - row_of[edge.source])


def _place(vertices: dict[str, _Vertex], links: list[tuple[str, str]], order: dict[str, int]) -> dict:
    """Order every row with grandalf, then give each vertex its x; returns each dummy's x by link and rank."""
    expanded = nx.Graph()
    expanded.add_nodes_from(vertices)
    expanded.add_edges_from(links)
    by_link: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for link in links:
        by_link[link[0]].append(link)
    dummies: dict[tuple[str, str], dict[int, float]] = {}
    offset = 0.0
    components = sorted(nx.connected_components(expanded), key=lambda c: min(order.get(k, len(order)) for k in c))
    for component in components:
        keys = sorted(component, key=lambda k: (vertices[k].rank, order.get(k, len(order)), k))
        top = min(vertices[k].rank for k in keys)
        gv = {}
        for key in keys:
            gv[key] = Vertex(key)
            gv[key].view = VertexViewer(w=vertices[key].width, h=vertices[key].height)
        glinks = [GEdge(gv[a], gv[b], data=(a, b)) for key in keys for a, b in by_link[key]]
        sugiyama = _RankedSugiyama(_connected_core(gv[keys[0]], glinks), {gv[k]: vertices[k].rank - top for k in keys})
        sugiyama.dw, sugiyama.dh = DUMMY_WIDTH, 0
        sugiyama.init_all(inverted_edges=[])
        for _ in range(ORDERING_ROUNDS):
            for _ in sugiyama.ordering_step():
                pass
        chains = []
        for glink in glinks:
            ctrl = sugiyama.ctrls.get(glink)
            chains.append([ctrl[rank] for rank in sorted(ctrl)] if ctrl else list(glink.v))
        xs = assign_x(sugiyama.layers, chains, width=lambda item: item.view.w, anchor=_edge_offset)
        left = min(xs[item] - item.view.w / 2 for layer in sugiyama.layers for item in layer)
        right = max(xs[item] + item.view.w / 2 for layer in sugiyama.layers for item in layer)
        for key in keys:
            vertices[key].x = xs[gv[key]] - left + offset
        for glink, chain in zip(glinks, chains, strict=True):
            if len(chain) > 2:
                first = vertices[glink.data[0]].rank
                dummies[glink.data] = {
                    first + step: xs[item] - left + offset
                    for step, item in enumerate(chain)
                    if 0 < step < len(chain) - 1
                }
        offset += right - left + COMPONENT_GAP
    return dummies


def _edge_offset(vertex) -> float:
    """Where an edge passes ``vertex``, from its centre: a label's edge runs down its left side."""
    if isinstance(vertex, DummyVertex) or not vertex.data.startswith("label:"):
        return 0.0
    return -vertex.view.w / 2


def _connected_core(first: Vertex, links: list[GEdge]) -> graph_core:
    """grandalf's graph of one connected component, grown edge by edge from ``first`` (breadth first).

    ``graph_core(V, E)`` checks connectivity by comparing sets once per vertex, which is quadratic.
    """
    touching: dict[Vertex, list[GEdge]] = defaultdict(list)
    for link in links:
        touching[link.v[0]].append(link)
        touching[link.v[1]].append(link)
    core = graph_core([first])
    reached, queue, added = {first}, [first], set()
    for vertex in queue:
        for link in touching[vertex]:
            if link in added:
                continue
            core.add_edge(link)
            added.add(link)
            for end in link.v:
                if end not in reached:
                    reached.add(end)
                    queue.append(end)
    return core


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to ``targets`` in weighted least squares (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for target, weight in zip(targets, weights, strict=True):
        blocks.append([target * weight, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight_sum, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight_sum
            blocks[-1][2] += count
    out: list[float] = []
    for total, weight_sum, count in blocks:
        out.extend([total / weight_sum] * int(count))
    return out


def assign_x(layers: Sequence[Sequence], chains: Iterable[Sequence], *, width, anchor) -> dict:
    """x (centre) of every vertex of ``layers`` (each in its order), lining up the edges through them.

    An edge passes a vertex at ``x + anchor(vertex)``. Each sweep moves a row's vertices towards the weighted
    mean of where their neighbours in the rows above and below pass the edge, then back to the nearest
    positions (least squares) that keep the row's order and spacing. Links between two dummies weigh most, so
    long edges run straight.
    """
    items = [item for layer in layers for item in layer]
    index = {item: number for number, item in enumerate(items)}
    linked: list[list[tuple[int, float]]] = [[] for _ in items]
    for chain in chains:
        for a, b in pairwise(chain):
            pull = LINK_WEIGHTS[isinstance(a, DummyVertex) + isinstance(b, DummyVertex)]
            linked[index[a]].append((index[b], pull))
            linked[index[b]].append((index[a], pull))
    weights = [sum(pull for _, pull in links) or 0.01 for links in linked]
    anchors = [anchor(item) for item in items]
    xs = [0.0] * len(items)
    rows = []  # per layer: vertex numbers and each one's offset (its least distance from the first)
    for layer in layers:
        numbers = [index[item] for item in layer]
        offsets, offset = [], 0.0
        for position, item in enumerate(layer):
            if position:
                offset += (width(layer[position - 1]) + width(item)) / 2 + VERTEX_SPACING
            offsets.append(offset)
        for number, offset in zip(numbers, offsets, strict=True):
            xs[number] = offset - offsets[-1] / 2  # packed and centred, to start from
        rows.append((numbers, offsets))
    for sweep in range(PLACEMENT_SWEEPS):
        for numbers, offsets in rows if sweep % 2 == 0 else reversed(rows):
            targets = [
                (
                    sum((xs[other] + anchors[other]) * pull for other, pull in linked[number]) / weights[number]
                    - anchors[number]
                    if linked[number]
                    else xs[number]
                )
                - offset
                for number, offset in zip(numbers, offsets, strict=True)
            ]
            fitted = _isotonic(targets, [weights[number] for number in numbers])
            for number, shifted, offset in zip(numbers, fitted, offsets, strict=True):
                xs[number] = shifted + offset
    return {item: xs[number] for item, number in index.items()}


def _route(known, drawn, vertices, dummies, chains, layers, rows) -> Layout:
    """Rows' y, node boxes, label boxes and each edge's polyline."""
    heights: dict[int, float] = defaultdict(float)
    for vertex in vertices.values():
        heights[vertex.rank] = max(heights[vertex.rank], vertex.height)
    for passing in dummies.values():
        for rank in passing:
            heights.setdefault(rank, 0.0)
    tops: dict[int, float] = {}
    y = MARGIN
    for rank in range(max(heights, default=0) + 1):
        tops[rank] = y
        y += heights.get(rank, 0.0) + ROW_GAP
    height = y - ROW_GAP + MARGIN

    boxes = {}
    for key, node in known.items():
        vertex = vertices[key]
        w = node_width(node)
        boxes[key] = Box(vertex.x - w / 2 + MARGIN, tops[vertex.rank], w, NODE_HEIGHT)

    def band(rank: int) -> tuple[float, float]:
        return tops[rank], tops[rank] + heights[rank]

    # Each edge's passes through rows between its ends: (x, rank) top-down, then the ports on the nodes.
    passes: list[list[tuple[float, int]]] = []
    for _, upper, label_key, lower, _ in chains:
        points: list[tuple[float, int]] = []
        if label_key is None:
            points += sorted(((x + MARGIN, r) for r, x in dummies.get((upper, lower), {}).items()), key=_by_rank)
        else:
            label = vertices[label_key]
            points += sorted(((x + MARGIN, r) for r, x in dummies.get((upper, label_key), {}).items()), key=_by_rank)
            points.append((label.x - label.width / 2 + MARGIN, label.rank))
            if lower != upper:
                points += sorted(
                    ((x + MARGIN, r) for r, x in dummies.get((label_key, lower), {}).items()), key=_by_rank
                )
        passes.append(points)

    # Ports: edges leave (or enter) a node side by side, in the order of where they go.
    bottoms: dict[str, list[tuple[float, int]]] = defaultdict(list)
    tops_of: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for number, (_, upper, _, lower, _) in enumerate(chains):
        inner = passes[number]
        bottoms[upper].append((inner[0][0] if inner else boxes[lower].centre[0], number))
        if lower == upper:
            bottoms[upper].append((inner[-1][0] + 0.5, -number - 1))  # the way back up, just right of the way down
        else:
            tops_of[lower].append((inner[-1][0] if inner else boxes[upper].centre[0], number))
    ports: dict[tuple[str, int, str], float] = {}
    for side, attachments in (("bottom", bottoms), ("top", tops_of)):
        for key, items in attachments.items():
            items.sort()
            box = boxes[key]
            step = min(PORT_SPACING, (box.width - 2 * NODE_PADDING) / max(len(items) - 1, 1))
            for position, (_, number) in enumerate(items):
                ports[(key, number, side)] = box.centre[0] + (position - (len(items) - 1) / 2) * step

    routes = []
    for number, (index, upper, label_key, lower, upward) in enumerate(chains):
        edge = drawn[index]
        line = [(ports[(upper, number, "bottom")], boxes[upper].bottom)]
        for x, rank in passes[number]:
            top, bottom = band(rank)
            line.append((x, top))
            if lower != upper or rank != passes[number][-1][1]:
                line.append((x, bottom))
        if lower == upper:
            line.append((ports[(upper, -number - 1, "bottom")], boxes[upper].bottom))
        else:
            line.append((ports[(lower, number, "top")], boxes[lower].y))
        line = _with_stubs([point for i, point in enumerate(line) if i == 0 or point != line[i - 1]])
        label_box = None
        if edge.label:
            label = vertices[label_key]
            top, _ = band(label.rank)
            left = label.x - label.width / 2 + MARGIN + LABEL_OFFSET
            label_box = Box(left, top, label_width(edge.label), LABEL_HEIGHT)
        if upward:
            line.reverse()
        routes.append(Route(edge=edge, points=tuple(line), label_box=label_box, upward=upward))

    right = max([box.right for box in boxes.values()] + [r.label_box.right for r in routes if r.label_box])
    right = max([right] + [x for route in routes for x, _ in route.points])
    drawn_rows = [sorted(row, key=lambda key: boxes[key].x) for row in rows]
    return Layout(boxes=boxes, routes=routes, layers=layers, width=right + MARGIN, height=height, rows=drawn_rows)


def _with_stubs(line: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each slanted step of ``line`` (a gap crossing) starts and ends with a short vertical stub."""
    out = [line[0]]
    for (x0, y0), (x1, y1) in pairwise(line):
        if x0 != x1 and y0 != y1:
            step = STUB if y1 > y0 else -STUB
            out += [(x0, y0 + step), (x1, y1 - step)]
        out.append((x1, y1))
    return out


def _by_rank(item: tuple[float, int]) -> int:
    return item[1]


UPWARD = ' data-upward="true"'  # marks an edge that closes a cycle


def _attr(value: str) -> str:
    return escape(value, quote=True)


def path_data(points: Sequence[tuple[float, float]]) -> str:
    """SVG path data through ``points``: straight where x holds, else an S-curve between the two ys."""
    (x0, y0), *rest = points
    out = [f"M{x0:.1f},{y0:.1f}"]
    for x1, y1 in rest:
        if abs(x1 - x0) < 0.05 or abs(y1 - y0) < 0.05:
            out.append(f"L{x1:.1f},{y1:.1f}")
        else:
            middle = (y0 + y1) / 2
            out.append(f"C{x0:.1f},{middle:.1f} {x1:.1f},{middle:.1f} {x1:.1f},{y1:.1f}")
        x0, y0 = x1, y1
    return " ".join(out)


def render_svg(nodes: Sequence[Node], edges: Sequence[Edge], *, root: str, title: str = "") -> SafeString:
    """The graph as an inline ``<svg>``: ``g.node`` groups (each a link) and ``g.edge`` groups."""
    placed = layout(nodes, edges, root=root)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dependency-graph" role="img" '
        f'width="{placed.width:.0f}" height="{placed.height:.0f}" viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" '
        f'data-node-count="{len(nodes)}" data-edge-count="{len(edges)}">',
        f"<title>{escape(title)}</title>" if title else "",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker>'
        '<marker id="arrow-problem" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead problem"/></marker></defs>',
        '<g class="edges">',
    ]
    labels_out = []
    for route in placed.routes:
        edge = route.edge
        problem = "problem" in edge.classes
        classes = " ".join(("edge", *edge.classes))
        marker = "arrow-problem" if problem else "arrow"
        tooltip = f"{edge.source} → {edge.target} {edge.label}".strip()
        out.append(
            f'<g class="{_attr(classes)}" data-source="{_attr(edge.source)}" data-target="{_attr(edge.target)}"'
            f"{UPWARD if route.upward else ''}><title>"
            f"{escape(tooltip)}</title>"
            f'<path d="{path_data(route.points)}" marker-end="url(#{marker})"/></g>'
        )
        if route.label_box:
            box = route.label_box
            labels_out.append(
                f'<text class="edge-label{" problem" if problem else ""}" x="{box.x:.1f}" y="{box.bottom - 3:.1f}" '
                f'data-width="{box.width:.1f}">{escape(edge.label)}</text>'
            )
    out.append("</g>")
    out.append('<g class="edge-labels">' + "".join(labels_out) + "</g>")
    out.append('<g class="nodes">')
    for node in nodes:
        box = placed.boxes[node.key]
        x, y = box.centre
        classes = " ".join(("node", *node.classes))
        rect = f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" rx="6"/>'
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
