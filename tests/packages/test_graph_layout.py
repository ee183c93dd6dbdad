"""The dependency graph's layered layout, checked as geometry: on the layout's figures and on its SVG."""

from itertools import pairwise

import pytest

from bench.admin_graph import random_dag
from packages_app.graph_svg import Edge, Node, layout, render_svg
from tests.packages.graph_geometry import Drawing, Rect, from_layout, from_svg, problems, segment_enters


def drawn_right(nodes, edges, *, root):
    """Lay the graph out, check the layout and the SVG, and check the SVG shows what the layout computed."""
    placed = layout(nodes, edges, root=root)
    computed = from_layout(placed)
    shown = from_svg(str(render_svg(nodes, edges, root=root)))
    assert problems(computed) == []
    assert problems(shown) == []
    assert shown.nodes.keys() == computed.nodes.keys()
    for key, box in computed.nodes.items():
        shown_box = shown.nodes[key]
        assert (shown_box.x, shown_box.y, shown_box.width, shown_box.height) == pytest.approx(
            (box.x, box.y, box.width, box.height), abs=0.06
        )
    assert sorted(text for text, _ in shown.labels) == sorted(text for text, _ in computed.labels)
    for (_, shown_box), (_, computed_box) in zip(shown.labels, computed.labels, strict=True):
        assert (shown_box.x, shown_box.y) == pytest.approx((computed_box.x, computed_box.y), abs=0.06)
    for (source, target, shown_line), (_, _, line) in zip(shown.edges, computed.edges, strict=True):
        assert shown_line[0] == pytest.approx(line[0], abs=0.06), (source, target)
        assert shown_line[-1] == pytest.approx(line[-1], abs=0.06), (source, target)
    return placed


def chain_nodes(*keys):
    return [Node(key=key, label=f"{key}@1.0.0") for key in keys]


def test_an_edge_that_skips_a_layer_goes_around_the_node_between_its_ends():
    # app -> ui -> core and app -> core: the straight line from app to core would run through ui.
    nodes = chain_nodes("app", "ui", "core")
    edges = [Edge("app", "ui", "^1.0.0"), Edge("app", "core", ">=9.0.0"), Edge("ui", "core", "^1.0.0")]

    placed = drawn_right(nodes, edges, root="app")

    long_edge = next(route for route in placed.routes if route.edge == edges[1])
    ui = placed.boxes["ui"]
    assert len(long_edge.points) > 2  # bent around ui, not straight
    assert not any(segment_enters(p, q, Rect(ui.x, ui.y, ui.width, ui.height)) for p, q in pairwise(long_edge.points))


def test_labels_of_edges_into_one_node_do_not_collide():
    # The "`>=9.0.0 ^1.0.0`": two ranges asked of core, drawn side by side.
    nodes = chain_nodes("app", "ui", "data", "core")
    edges = [
        Edge("app", "ui", "^1.0.0"),
        Edge("app", "data", ">=2.0.0 <3.0.0"),
        Edge("app", "core", ">=9.0.0"),
        Edge("ui", "core", "^1.0.0"),
        Edge("data", "core", "~1.2.0"),
    ]

    placed = drawn_right(nodes, edges, root="app")

    assert len([route for route in placed.routes if route.label_box]) == 5


def test_a_cycle_is_drawn_with_its_closing_edge_pointing_back_up():
    nodes = chain_nodes("a", "b", "c", "d")
    edges = [Edge("a", "b", "^1.0.0"), Edge("b", "c", "^1.0.0"), Edge("c", "a", "cycle", ("problem",)), Edge("a", "d")]

    placed = drawn_right(nodes, edges, root="a")

    closing = next(route for route in placed.routes if route.edge.source == "c")
    assert closing.upward
    assert closing.points[0][1] > closing.points[-1][1]


def test_a_self_loop_and_a_repeated_edge_are_drawn_without_overlaps():
    nodes = chain_nodes("a", "b")
    edges = [Edge("a", "a", "cycle", ("problem",)), Edge("a", "b", "^1.0.0"), Edge("a", "b", "cycle", ("problem",))]

    placed = drawn_right(nodes, edges, root="a")

    assert len(placed.routes) == 3


def test_unconnected_parts_are_drawn_side_by_side():
    nodes = chain_nodes("a", "b", "x", "y")
    edges = [Edge("a", "b", "^1.0.0"), Edge("x", "y", "^2.0.0")]

    placed = drawn_right(nodes, edges, root="a")

    assert placed.boxes["x"].x > placed.boxes["b"].right or placed.boxes["a"].x > placed.boxes["y"].right


def test_edges_to_nodes_not_in_the_graph_are_left_out():
    placed = drawn_right(chain_nodes("a"), [Edge("a", "ghost", "^1.0.0")], root="a")

    assert placed.routes == []


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_200_node_dag_is_drawn_without_crossing_nodes_or_colliding_labels(seed):
    nodes, edges = random_dag(200, seed=seed)

    placed = drawn_right(nodes, edges, root="n0")

    assert len(placed.routes) == len(edges)
    assert all(route.label_box for route in placed.routes)


def test_the_check_catches_an_edge_through_a_node_and_labels_that_collide():
    # What the hand-rolled layout drew: app -> core straight behind ui, and two ranges on top of each other.
    drawing = Drawing(
        nodes={"app": Rect(0, 0, 100, 38), "ui": Rect(0, 100, 100, 38), "core": Rect(0, 200, 100, 38)},
        edges=[("app", "core", [(50, 38), (50, 200)]), ("app", "ui", [(40, 38), (40, 100)])],
        labels=[(">=9.0.0", Rect(55, 60, 44, 14)), ("^1.0.0", Rect(70, 62, 38, 14))],
    )

    found = problems(drawing)

    assert "edge app->core segment (50, 38)-(50, 200) crosses node ui" in found
    assert any(message.startswith("labels '>=9.0.0'") for message in found)
    assert len(found) == 2
