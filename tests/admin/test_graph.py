import re

import pytest
from django.db import transaction
from django.urls import reverse

from bench.resolve import build_synthetic_registry
from packages_app.graph_svg import MAX_PER_ROW, Edge, Node, layout, render_svg
from packages_app.models import ArchiveStatus, IndexStatus, Version
from packages_app.resolution import Requirement, record_dependencies, resolve
from tests.factories import PackageFactory, ProjectFactory, make_version
from tests.packages.graph_geometry import from_svg, problems, svg_of_page

pytestmark = pytest.mark.django_db


def graph_page(client, version, *, dependents=False):
    name = "admin:packages_app_version_dependents" if dependents else "admin:packages_app_version_graph"
    return client.get(reverse(name, args=[version.pk]))


def node_keys(html: str) -> list[str]:
    return re.findall(r'<g class="node[^"]*" data-key="([^"]+)"', html)


@pytest.fixture
def diamond(publish):
    """app -> (ui, data) -> core: the closure of app@1.0.0 has four nodes and four edges."""
    core = publish("core", "1.2.0")
    ui = publish("ui", "1.0.0", {"core": "^1.0.0"})
    data = publish("data", "2.0.0", {"core": "~1.2.0"})
    app = publish("app", "1.0.0", {"ui": "^1.0.0", "data": ">=2.0.0 <3.0.0"})
    return {"core": core, "ui": ui, "data": data, "app": app}


def test_graph_page_draws_one_linked_node_per_version_of_the_closure(staff_client, diamond):
    html = graph_page(staff_client, diamond["app"]).content.decode()

    assert sorted(node_keys(html)) == sorted(str(v.pk) for v in diamond.values())
    for version in diamond.values():
        assert f'href="{reverse("admin:packages_app_version_change", args=[version.pk])}"' in html
        assert f">{version.label}</text>" in html


def test_graph_page_labels_every_edge_with_the_requested_range(staff_client, diamond):
    html = graph_page(staff_client, diamond["app"]).content.decode()

    labels = re.findall(r'<text class="edge-label[^"]*"[^>]*>([^<]+)</text>', html)
    assert sorted(labels) == sorted(["^1.0.0", "&gt;=2.0.0 &lt;3.0.0", "^1.0.0", "~1.2.0"])
    assert html.count('<g class="edge"') == 4


def test_graph_page_puts_the_root_on_top_and_dependencies_below(staff_client, diamond):
    html = graph_page(staff_client, diamond["app"]).content.decode()

    layers = dict(re.findall(r'data-key="([^"]+)" data-layer="(\d+)"', html))
    assert layers[str(diamond["app"].pk)] == "0"
    assert layers[str(diamond["ui"].pk)] == layers[str(diamond["data"].pk)] == "1"
    assert layers[str(diamond["core"].pk)] == "2"


def test_graph_page_marks_archived_versions_and_failed_indexing(staff_client, diamond):
    Version.objects.filter(pk=diamond["core"].pk).update(archive_status=ArchiveStatus.ARCHIVE)
    Version.objects.filter(pk=diamond["ui"].pk).update(index_status=IndexStatus.FAILED)

    html = graph_page(staff_client, diamond["app"]).content.decode()

    assert re.search(rf'<g class="node archived" data-key="{diamond["core"].pk}"', html)
    assert re.search(rf'<g class="node failed" data-key="{diamond["ui"].pk}"', html)


def test_dependents_graph_draws_who_depends_on_a_version(staff_client, diamond, publish):
    publish("core", "1.3.0")  # a newer core that nothing locked

    html = graph_page(staff_client, diamond["core"], dependents=True).content.decode()

    assert sorted(node_keys(html)) == sorted(str(v.pk) for v in diamond.values())
    layers = dict(re.findall(r'data-key="([^"]+)" data-layer="(\d+)"', html))
    assert layers[str(diamond["core"].pk)] == "0"
    assert layers[str(diamond["app"].pk)] == "2"


def test_a_version_without_dependencies_is_a_single_node(staff_client, publish):
    version = publish("core", "1.0.0")

    html = graph_page(staff_client, version).content.decode()

    assert node_keys(html) == [str(version.pk)]


# The demo registry's dependencies (load_demo): in finance, revenue -> ledger and forecast -> (revenue, ledger),
# so forecast's edge to ledger skips the layer revenue is on; marketing's campaigns depends across projects.
DEMO_DEPENDENCIES = {
    ("finance", "ledger"): {"1.0.0": {}, "1.1.0": {}, "2.0.0": {}},
    ("finance", "revenue"): {
        "1.0.0": {"ledger": "^1.0.0"},
        "1.1.0": {"ledger": "~1.1.0"},
        "2.0.0": {"ledger": "^2.0.0"},
    },
    ("finance", "forecast"): {
        "1.0.0": {"revenue": "^1.0.0", "ledger": "^1.0.0"},
        "1.1.0": {"revenue": "^1.0.0", "ledger": ">=1.0.0 <2.0.0"},
        "2.0.0": {"revenue": "^2.0.0", "ledger": "*"},
    },
    ("marketing", "campaigns"): {
        "1.0.0": {},
        "1.1.0": {"finance/revenue": "^1.1.0"},
        "2.0.0": {"finance/forecast": "^2.0.0"},
    },
}


@pytest.fixture
def demo(project, publish):
    """The demo's packages and versions, published and locked in order; ``project`` is acme/finance."""
    projects = {"finance": project, "marketing": ProjectFactory(organization=project.organization, name="marketing")}
    return [
        publish(name, version, dependencies, in_project=projects[project_name])
        for (project_name, name), versions in DEMO_DEPENDENCIES.items()
        for version, dependencies in versions.items()
    ]


def test_every_demo_graph_is_drawn_without_edges_through_nodes_or_colliding_labels(staff_client, demo):
    drawn = 0
    for version in demo:
        for dependents in (False, True):
            drawing = from_svg(svg_of_page(graph_page(staff_client, version, dependents=dependents).content.decode()))

            assert problems(drawing) == [], (version.label, dependents)
            drawn += len(drawing.edges)
    assert drawn > 20


def test_the_edge_that_skips_a_layer_goes_around_the_node_between(staff_client, publish):
    core = publish("core", "1.2.0")
    ui = publish("ui", "1.0.0", {"core": "^1.0.0"})
    app = publish("app", "1.0.0", {"ui": "^1.0.0", "core": ">=1.0.0"})

    drawing = from_svg(svg_of_page(graph_page(staff_client, app).content.decode()))

    assert problems(drawing) == []
    (line,) = [line for source, target, line in drawing.edges if (source, target) == (str(app.pk), str(core.pk))]
    assert len({round(x) for x, _ in line}) > 1  # it bends around ui instead of running straight down
    assert sorted(text for text, _ in drawing.labels) == [">=1.0.0", "^1.0.0", "^1.0.0"]
    assert str(ui.pk) in drawing.nodes


def test_graph_page_of_an_unknown_version_is_404(staff_client, db):
    response = staff_client.get(reverse("admin:packages_app_version_graph", args=[999999]))

    assert response.status_code == 404


@pytest.fixture
def big_closure(project, staff_user):
    """A root whose lock holds a 200-package closure from the resolver's synthetic registry generator."""
    synthetic = build_synthetic_registry(project=project, packages=200, versions=4, deps=3, seed=7)
    by_name = {package.name: package for package in synthetic.packages}
    requirements = [Requirement(package=by_name[n], reference=n, range=r) for n, r in synthetic.roots.items()]
    package = PackageFactory(project=project, name="big-app")
    with transaction.atomic():
        resolution = resolve(root_label="big-app@1.0.0", requirements=requirements, root_package_id=package.pk)
        root = make_version(package, "1.0.0")
        record_dependencies(version=root, requirements=requirements, resolution=resolution)
    return root


def test_graph_page_of_a_200_node_closure_draws_every_node_in_a_few_queries(
    staff_client, big_closure, django_assert_max_num_queries
):
    staff_client.get(reverse("admin:index"))  # warm the session and templates

    with django_assert_max_num_queries(8):
        response = graph_page(staff_client, big_closure)

    assert len(node_keys(response.content.decode())) == 201


def test_the_200_node_closure_is_drawn_without_edges_through_nodes_or_colliding_labels(staff_client, big_closure):
    drawing = from_svg(svg_of_page(graph_page(staff_client, big_closure).content.decode()))

    assert len(drawing.nodes) == 201
    assert len(drawing.labels) == len(drawing.edges) > 300
    assert problems(drawing) == []


def rects(html):
    return [
        tuple(map(float, m))
        for m in re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', html)
    ]


def test_no_two_node_boxes_overlap_in_a_200_node_graph(staff_client, big_closure):
    boxes = rects(graph_page(staff_client, big_closure).content.decode())

    assert len(boxes) == 201
    for i, (x1, y1, w1, h1) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_layout_wraps_wide_layers_so_the_graph_stays_readable():
    nodes = [Node(key="root", label="root@1.0.0")] + [Node(key=f"n{i}", label=f"pkg-{i}@1.0.0") for i in range(60)]
    edges = [Edge(source="root", target=f"n{i}", label="^1.0.0") for i in range(60)]

    placed = layout(nodes, edges, root="root")

    assert max(len(row) for row in placed.rows) <= MAX_PER_ROW
    assert len(placed.rows) == 1 + 60 // MAX_PER_ROW
    assert all(placed.boxes[f"n{i}"].y > placed.boxes["root"].bottom for i in range(60))
    assert set(placed.layers.values()) == {0, 1}  # wrapped rows are still one layer


def test_layout_breaks_a_cycle_at_the_edge_back_to_the_root_and_still_draws_it():
    nodes = [Node(key=k, label=k) for k in ("a", "b", "c")]
    edges = [Edge(source="a", target="b"), Edge(source="b", target="c"), Edge(source="c", target="a")]

    placed = layout(nodes, edges, root="a")

    assert placed.layers == {"a": 0, "b": 1, "c": 2}
    closing = next(route for route in placed.routes if route.edge.source == "c")
    assert closing.upward
    assert closing.points[0][1] == placed.boxes["c"].y  # leaves c by its top
    assert closing.points[-1][1] == placed.boxes["a"].bottom  # enters a by its bottom


def test_svg_escapes_labels_and_urls():
    nodes = [Node(key="x", label="<script>@1.0.0", url='/a?b="c"&d')]

    svg = str(render_svg(nodes, [], root="x"))

    assert "<script>" not in svg
    assert "&lt;script&gt;@1.0.0" in svg
    assert 'href="/a?b=&quot;c&quot;&amp;d"' in svg
