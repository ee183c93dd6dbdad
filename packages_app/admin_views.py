"""Staff console pages beyond the stock change forms: graphs, the check view, downloads, component diffs.

Each view is wrapped by ``admin_site.admin_view`` in its ModelAdmin's ``get_urls`` (non-staff go to the
login page) and checks the model admin's view permission itself.
"""

from itertools import pairwise
from time import perf_counter

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from packages_app.admin_selectors import GraphData, dependents_graph, locked_closure_graph
from packages_app.graph_svg import Edge, Node, render_svg
from packages_app.models import (
    ArchiveStatus,
    IndexStatus,
    LockEntry,
    Package,
    Version,
)
from packages_app.replication import open_healthy_copy
from registry.errors import RegistryError


def admin_page_context(model_admin, request, *, obj, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "original": obj,
        "title": title,
        "subtitle": None,
        **extra,
    }


def require_view(model_admin, request, obj) -> None:
    if not model_admin.has_view_permission(request, obj):
        raise PermissionDenied


def version_url(version_id: int) -> str:
    return reverse("admin:packages_app_version_change", args=[version_id])


def version_node(version: Version, *, key: str | None = None, classes: tuple[str, ...] = (), note: str = "") -> Node:
    """A graph node for a stored version, marked when it is archived or its indexing failed."""
    marks = list(classes)
    notes = [note] if note else []
    if version.archive_status == ArchiveStatus.ARCHIVE:
        marks.append("archived")
        notes.append("archived")
    if version.index_status == IndexStatus.FAILED:
        marks.append("failed")
        notes.append("index failed")
    return Node(
        key=key or str(version.id),
        label=version.label,
        url=version_url(version.id),
        classes=tuple(marks),
        note=" · ".join(notes),
    )


def _graph_svg(graph: GraphData, *, title: str):
    nodes = [version_node(v, classes=("root",) if v.id == graph.root.id else ()) for v in graph.versions.values()]
    edges = [Edge(source=str(s), target=str(t), label=r) for s, t, r in graph.edges]
    return render_svg(nodes, edges, root=str(graph.root.id), title=title)


def version_graph_view(model_admin, request, object_id, *, reverse_graph: bool = False):
    version = get_object_or_404(Version.objects.select_related("package__project__organization"), pk=object_id)
    require_view(model_admin, request, version)
    started = perf_counter()
    graph = dependents_graph(version) if reverse_graph else locked_closure_graph(version)
    kind = "Dependents of" if reverse_graph else "Dependency graph of"
    svg = _graph_svg(graph, title=f"{kind} {version.label}")
    elapsed_ms = (perf_counter() - started) * 1000
    return TemplateResponse(
        request,
        "admin/packages_app/version/graph.html",
        admin_page_context(
            model_admin,
            request,
            obj=version,
            title=f"{kind} {version.label}",
            svg=svg,
            reverse_graph=reverse_graph,
            node_count=len(graph.versions),
            edge_count=len(graph.edges),
            elapsed_ms=elapsed_ms,
        ),
    )


def version_download_view(model_admin, request, object_id):
    version = get_object_or_404(Version.objects.select_related("artifact", "package"), pk=object_id)
    require_view(model_admin, request, version)
    artifact = version.artifact
    suffix = ".tar.gz" if "gzip" in artifact.media_type else ".zip"
    try:
        # The same reader as the API: the primary, else a healthy replica.
        __, blob = open_healthy_copy(artifact)
    except RegistryError as exc:
        return HttpResponse(
            f"{exc.message} No storage location holds a good copy of sha256 {artifact.sha256}; the integrity "
            "check restores it from a replica when one exists, or re-upload the same bytes.",
            status=exc.status,
            content_type="text/plain",
        )
    response = FileResponse(
        blob,
        as_attachment=True,
        filename=f"{version.package.name}-{version.version}{suffix}",
        content_type=artifact.media_type,
    )
    response["ETag"] = f'"{artifact.sha256}"'
    return response


# --- check: resolve the latest version afresh -----------------------------------------------------


def _check_graph(*, latest: Version, lock: list[LockEntry], outcome) -> tuple:
    """Nodes, edges and a change table comparing a fresh resolution (or its failure) with the stored lock."""
    from packages_app.resolution import ROOT_ID

    root_key = latest.label
    nodes: dict[str, Node] = {root_key: version_node(latest, key=root_key, classes=("root",))}
    edges: list[Edge] = []
    changes: list[dict] = []
    locked = {entry.package_id: entry.resolved for entry in lock}

    if isinstance(outcome, RegistryError):
        # Nothing resolves: draw the stored lock for context and the failure over it in red.
        stored = locked_closure_graph(latest)
        labels = {version_id: version.label for version_id, version in stored.versions.items()}
        for version in stored.versions.values():
            if version.label != root_key:
                nodes[version.label] = version_node(version, key=version.label)
        for source, target, range_ in stored.edges:
            edges.append(Edge(source=labels[source], target=labels[target], label=range_))
        cycle = outcome.details.get("cycle") or []
        for label in cycle:
            if label not in nodes:
                nodes[label] = Node(key=label, label=label, classes=("problem",), note="in the cycle")
            else:
                nodes[label] = _with_class(nodes[label], "problem")
        for source, target in pairwise(cycle):
            edges.append(Edge(source=source, target=target, label="cycle", classes=("problem",)))
        for conflict in outcome.details.get("conflicts") or []:
            key = f"conflict:{conflict['package']}"
            nodes[key] = Node(key=key, label=conflict["package"], classes=("problem",), note="no version satisfies all")
            for side in (conflict.get("required"), conflict.get("provided")):
                if not side:
                    continue
                if side["by"] not in nodes:
                    nodes[side["by"]] = Node(key=side["by"], label=side["by"])
                edges.append(Edge(source=side["by"], target=key, label=side["version"], classes=("problem",)))
        return list(nodes.values()), edges, changes

    fresh_versions = {
        v.id: v for v in Version.objects.filter(id__in=[n.version_id for n in outcome.nodes]).select_related("package")
    }
    keys = {ROOT_ID: root_key}
    for node in outcome.nodes:
        version = fresh_versions[node.version_id]
        before = locked.get(node.package_id)
        if before is None:
            state, note = "added", "new in the closure"
        elif before.id != node.version_id:
            state, note = "changed", f"was {before.version}"
        else:
            state, note = "same", ""
        keys[node.version_id] = version.label
        nodes[version.label] = version_node(version, key=version.label, classes=(state,), note=note)
        if state != "same":
            changes.append({"package": node.package_name, "before": before, "after": version, "state": state})
    fresh_packages = {node.package_id for node in outcome.nodes}
    for package_id, before in locked.items():
        if package_id not in fresh_packages:
            nodes[before.label] = version_node(before, key=before.label, classes=("removed",), note="no longer needed")
            changes.append({"package": before.package.name, "before": before, "after": None, "state": "removed"})
    for source, target, range_ in outcome.edges:
        if source in keys and target in keys:
            edges.append(Edge(source=keys[source], target=keys[target], label=range_))
    return list(nodes.values()), edges, changes


def _with_class(node: Node, mark: str) -> Node:
    return Node(key=node.key, label=node.label, url=node.url, classes=(*node.classes, mark), note=node.note)


def package_check_view(model_admin, request, object_id):
    """Resolve the package's latest version against today's registry and show what would change."""
    from packages_app.resolution import parse_requirements, resolve

    package = get_object_or_404(Package.objects.select_related("project__organization").with_latest(), pk=object_id)
    require_view(model_admin, request, package)
    latest = (
        Version.objects.select_related("package__project__organization").filter(pk=package.latest_version_id).first()
    )
    context = admin_page_context(
        model_admin, request, obj=package, title=f"Check {package.name} against today's registry"
    )
    if latest is None:
        return TemplateResponse(
            request, "admin/packages_app/package/check.html", {**context, "latest": None, "svg": None}
        )
    lock = list(LockEntry.objects.filter(root=latest).select_related("resolved__package", "parent__package", "package"))
    declared = dict(latest.dependencies.values_list("reference", "range"))
    try:
        requirements = parse_requirements(project=package.project, declared=declared, user=request.user)
        outcome = resolve(root_label=latest.label, requirements=requirements, root_package_id=package.id)
    except RegistryError as error:
        outcome = error
    nodes, edges, changes = _check_graph(latest=latest, lock=lock, outcome=outcome)
    failed = isinstance(outcome, RegistryError)
    return TemplateResponse(
        request,
        "admin/packages_app/package/check.html",
        {
            **context,
            "latest": latest,
            "error": outcome if failed else None,
            "conflicts": outcome.details.get("conflicts", []) if failed else [],
            "cycle": outcome.details.get("cycle", []) if failed else [],
            "changes": changes,
            "svg": render_svg(nodes, edges, root=latest.label, title=f"Fresh resolution of {latest.label}"),
        },
    )
