"""Geometry checks for dependency-graph drawings, on the layout's own figures or on the SVG it produced.

A drawing is reduced to node boxes, edge polylines (curves flattened) and label boxes, then checked with
plain segment and rectangle arithmetic, independent of how the layout computed them.
"""

import re
import xml.etree.ElementTree as ET
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import combinations, pairwise

from packages_app.graph_svg import LABEL_CHAR_WIDTH, LABEL_HEIGHT, Layout

SVG = "{http://www.w3.org/2000/svg}"
MARGIN = 2.0  # an edge this close to a box counts as crossing it
CURVE_STEPS = 16
LABEL_BASELINE = 3  # the SVG writes a label's baseline this far above the bottom of its box


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    def grown(self, margin: float) -> "Rect":
        return Rect(self.x - margin, self.y - margin, self.width + 2 * margin, self.height + 2 * margin)

    def overlaps(self, other: "Rect") -> bool:
        return not (
            self.x + self.width <= other.x
            or other.x + other.width <= self.x
            or self.y + self.height <= other.y
            or other.y + other.height <= self.y
        )

    def touches(self, point: tuple[float, float], tolerance: float = 0.11) -> bool:
        """``point`` is on this box's outline (within ``tolerance``)."""
        x, y = point
        inside = self.grown(tolerance)
        if not (inside.x <= x <= inside.x + inside.width and inside.y <= y <= inside.y + inside.height):
            return False
        core = self.grown(-tolerance)
        return not (core.x < x < core.x + core.width and core.y < y < core.y + core.height)


@dataclass
class Drawing:
    nodes: dict[str, Rect]
    edges: list[tuple[str, str, list[tuple[float, float]]]]  # source, target, polyline
    labels: list[tuple[str, Rect]] = field(default_factory=list)  # text, box


def segment_enters(p: tuple[float, float], q: tuple[float, float], rect: Rect) -> bool:
    """Whether the segment p-q has a point strictly inside ``rect`` (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = p, q
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for step, distance in (
        (-dx, x0 - rect.x),
        (dx, rect.x + rect.width - x0),
        (-dy, y0 - rect.y),
        (dy, rect.y + rect.height - y0),
    ):
        if step == 0:
            if distance <= 0:
                return False
            continue
        t = distance / step
        if step < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low >= high:
            return False
    return True


class _ByHeight:
    """Boxes sorted by their top, to find those a segment could reach without trying every box."""

    def __init__(self, boxes: list[tuple[str, Rect]]):
        self.boxes = sorted(boxes, key=lambda item: item[1].y)
        self.tops = [box.y for _, box in self.boxes]
        self.tallest = max((box.height for _, box in self.boxes), default=0.0)

    def near(self, p, q, margin: float):
        low, high = min(p[1], q[1]) - margin - self.tallest, max(p[1], q[1]) + margin
        left, right = min(p[0], q[0]) - margin, max(p[0], q[0]) + margin
        for name, box in self.boxes[bisect_left(self.tops, low) : bisect_right(self.tops, high)]:
            if box.x <= right and box.x + box.width >= left:
                yield name, box


def problems(drawing: Drawing, *, margin: float = MARGIN) -> list[str]:
    """Every way ``drawing`` breaks the rules; an empty list when it is drawn right."""
    found = []
    nodes = _ByHeight(list(drawing.nodes.items()))
    labels = _ByHeight(drawing.labels)
    for (a, box_a), (b, box_b) in combinations(drawing.nodes.items(), 2):
        if box_a.overlaps(box_b):
            found.append(f"nodes {a} and {b} overlap")
    for (text_a, box_a), (text_b, box_b) in combinations(drawing.labels, 2):
        if box_a.overlaps(box_b):
            found.append(f"labels {text_a!r} at {box_a} and {text_b!r} at {box_b} overlap")
    for text, box in drawing.labels:
        for key, node in drawing.nodes.items():
            if box.overlaps(node):
                found.append(f"label {text!r} overlaps node {key}")
    for source, target, line in drawing.edges:
        if not drawing.nodes[source].touches(line[0]) or not drawing.nodes[target].touches(line[-1]):
            found.append(f"edge {source}->{target} does not run from its source's box to its target's")
        for p, q in pairwise(line):
            for key, node in nodes.near(p, q, margin):
                # its own ends: never through their inside; every other node: not even near it
                rect = node.grown(-margin / 2) if key in (source, target) else node.grown(margin)
                if segment_enters(p, q, rect):
                    found.append(f"edge {source}->{target} segment {p}-{q} crosses node {key}")
            for text, box in labels.near(p, q, margin):
                if segment_enters(p, q, box.grown(margin / 2)):
                    found.append(f"edge {source}->{target} segment {p}-{q} crosses label {text!r}")
    return found


def from_layout(placed: Layout) -> Drawing:
    return Drawing(
        nodes={key: Rect(b.x, b.y, b.width, b.height) for key, b in placed.boxes.items()},
        edges=[(r.edge.source, r.edge.target, list(r.points)) for r in placed.routes],
        labels=[
            (r.edge.label, Rect(r.label_box.x, r.label_box.y, r.label_box.width, r.label_box.height))
            for r in placed.routes
            if r.label_box
        ],
    )


def _flatten(d: str) -> list[tuple[float, float]]:
    """The points of SVG path data made of M, L and C commands, each cubic curve cut into short segments."""
    tokens = re.findall(r"[MLC]|-?[\d.]+", d)
    points: list[tuple[float, float]] = []
    command, numbers = None, []
    for token in [*tokens, "M"]:
        if token in "MLC":
            if command in ("M", "L"):
                points.append((numbers[0], numbers[1]))
            elif command == "C":
                (x0, y0), (x1, y1, x2, y2, x3, y3) = points[-1], numbers
                for step in range(1, CURVE_STEPS + 1):
                    t = step / CURVE_STEPS
                    u = 1 - t
                    points.append(
                        (
                            u**3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3,
                            u**3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3,
                        )
                    )
            command, numbers = token, []
        else:
            numbers.append(float(token))
    return points


def from_svg(svg: str) -> Drawing:
    """The drawing as the SVG shows it: rects of ``g.node``, paths of ``g.edge``, ``text.edge-label``."""
    root = ET.fromstring(svg)
    drawing = Drawing(nodes={}, edges=[])
    for group in root.iter(f"{SVG}g"):
        classes = group.get("class", "").split()
        if "node" in classes:
            rect = next(group.iter(f"{SVG}rect"))
            drawing.nodes[group.get("data-key")] = Rect(*(float(rect.get(a)) for a in ("x", "y", "width", "height")))
        elif "edge" in classes:
            path = next(group.iter(f"{SVG}path"))
            drawing.edges.append((group.get("data-source"), group.get("data-target"), _flatten(path.get("d"))))
    for text in root.iter(f"{SVG}text"):
        if "edge-label" in text.get("class", "").split():
            baseline = float(text.get("y"))
            width = len(text.text) * LABEL_CHAR_WIDTH
            top = baseline + LABEL_BASELINE - LABEL_HEIGHT
            drawing.labels.append((text.text, Rect(float(text.get("x")), top, width, LABEL_HEIGHT)))
    return drawing


def svg_of_page(html: str) -> str:
    return (
        html[html.index("<svg", html.index('id="graph-frame"')) : html.index("</svg>", html.index('id="graph-frame"'))]
        + "</svg>"
    )
