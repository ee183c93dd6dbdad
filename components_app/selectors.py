"""Reads for the v1 API: each owns its select_related/prefetch_related and its visibility scoping."""

import uuid

from django.db.models import Prefetch, QuerySet

from components_app.models import (
    Collection,
    Component,
    ComponentAsset,
    ComponentVersion,
    PackageAsset,
    PackageComponent,
    ProjectDependency,
)
from packages_app.models import Dependency, Package, PackageKind, Version
from registry.access import GrantSnapshot
from registry.errors import RegistryError, not_found
from registry.models import Organization, Project
from registry.selectors import project_named


def component_area_rank(grants: GrantSnapshot, project: Project) -> int:
    """The caller's rank on a project's components: from a grant on the project (or its organization),
    or on its component package. A grant on another package in the project shows the project in v0
    listings but reaches none of its components."""
    rank = grants.rank(project)
    if rank:
        return rank
    package = Package.objects.named(project, project.name).filter(kind=PackageKind.COMPONENTS).first()
    if package is None:
        return 0
    package.project = project
    return grants.rank(package)


def project_for(
    *,
    user,
    organization_id: str,
    project_id: str,
    grants: GrantSnapshot | None = None,
) -> Project:
    """The project named in the path, if the caller may read its components; 404 NOT_FOUND otherwise."""
    grants = grants or GrantSnapshot(user)
    project = project_named(organization_id, project_id)
    if project is None or not component_area_rank(grants, project):
        organization = Organization.objects.by_name(organization_id).first()
        if organization is None or not grants.can_read(organization):
            raise not_found("organization", organization_id)
        raise not_found("project", project_id)
    return project


def _components_base(project: Project) -> QuerySet[Component]:
    return Component.objects.filter(project=project).select_related("author", "project__organization").order_by("name")


def components_of(*, project: Project, include_assets: bool = False) -> QuerySet[Component]:
    # author is shown in every item's metadata, and metadata.packageVersions lists the package versions
    # holding each component: the snapshots of its versions, one query for the page.
    queryset = (
        _components_base(project)
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=ComponentVersion.objects.only("id", "component_id", "version").prefetch_related(
                    Prefetch(
                        "package_entries",
                        queryset=PackageComponent.objects.select_related("package_version").order_by(
                            "package_version__major", "package_version__minor", "package_version__patch"
                        ),
                    )
                ),
                to_attr="version_rows",
            )
        )
        .order_by("name")
    )
    if include_assets:
        # ?includeAssets=true: each item carries its assets (the first ASSETS_INLINE of them, in name order).
        queryset = queryset.prefetch_related(
            Prefetch("assets", queryset=ComponentAsset.objects.order_by("name"), to_attr="asset_rows")
        )
    return queryset


def package_versions_of_component(component: Component) -> list[str]:
    """The package versions holding ``component``, in semver order (from the ``components_of`` prefetch)."""
    rows = getattr(component, "version_rows", None)
    if rows is None:
        entries = (
            PackageComponent.objects.filter(component_version__component=component)
            .select_related("package_version")
            .order_by("package_version__major", "package_version__minor", "package_version__patch")
        )
        return [e.package_version.version for e in entries]
    versions = [entry.package_version for row in rows for entry in row.package_entries.all()]
    versions.sort(key=lambda v: (v.major, v.minor, v.patch))
    return [v.version for v in versions]


def collections_of(*, project: Project) -> QuerySet[Collection]:
    return Collection.objects.filter(project=project).order_by("name", "id")


def collection_for(*, project: Project, collection_id: str) -> Collection:
    try:
        key = uuid.UUID(str(collection_id))
    except ValueError:
        raise not_found("collection", collection_id) from None
    found = collections_of(project=project).select_related("project").filter(pk=key).first()
    if found is None:
        raise not_found("collection", collection_id)
    return found


def collection_and_descendants(collection_id) -> list:
    """The ids of a collection and of every collection inside it, at any depth (one query per level)."""
    found, layer = [collection_id], [collection_id]
    while layer:
        layer = list(Collection.objects.filter(parent__in=layer).values_list("pk", flat=True))
        found.extend(layer)
    return found


def assets_of(*, component: Component) -> QuerySet[ComponentAsset]:
    return (
        ComponentAsset.objects.filter(component=component)
        .select_related("artifact", "component__project__organization")
        .order_by("name")
    )


def asset_for(*, component: Component, asset_id: str) -> ComponentAsset:
    try:
        key = uuid.UUID(str(asset_id))
    except ValueError:
        raise not_found("asset", asset_id) from None
    found = assets_of(component=component).filter(pk=key).first()
    if found is None:
        raise not_found("asset", asset_id)
    return found


def package_asset_for(*, version: Version, asset_id: str) -> PackageAsset:
    """An asset as package version ``version`` holds it, or 404."""
    try:
        key = uuid.UUID(str(asset_id))
    except ValueError:
        raise not_found("asset", asset_id) from None
    found = PackageAsset.objects.filter(package_version=version, asset_id=key).select_related("asset__artifact").first()
    if found is None:
        raise not_found("asset", asset_id)
    return found


def component_for(*, project: Project, component_id: str) -> Component:
    try:
        key = uuid.UUID(str(component_id))
    except ValueError:
        raise not_found("component", component_id) from None
    component = _components_base(project).filter(pk=key).first()
    if component is None:
        raise not_found("component", component_id)
    return component


def versions_of_component(*, component: Component) -> QuerySet[ComponentVersion]:
    # packageVersion and createdBy are shown on every item.
    return component.versions.select_related("package_version", "created_by").order_by("-version")


def dependencies_of(*, project: Project) -> QuerySet[ProjectDependency]:
    return ProjectDependency.objects.filter(project=project).select_related("depends_on").order_by("depends_on__name")


def dependency_target(*, user, project: Project, project_id) -> Project:
    """The project a dependency names (same organization, readable by the caller) or 400 DEPENDENCY_NOT_FOUND."""
    target = (
        Project.objects.filter(organization=project.organization, name__lower=str(project_id).lower())
        .select_related("organization")
        .order_by()
        .first()
    )
    if target is not None and not component_area_rank(GrantSnapshot(user), target):
        target = None  # what the caller cannot read does not exist for them
    if target is None:
        raise RegistryError(
            "DEPENDENCY_NOT_FOUND",
            f"Project {project_id} was not found in organization {project.organization.name}",
            status=400,
            details={"projectId": project_id},
        )
    return target


def package_versions_of(*, project: Project) -> QuerySet[Version]:
    """The versions of the project's component package, newest first, with everything a package body shows."""
    return (
        Version.objects.filter(
            package__project=project, package__name__iexact=project.name, package__kind=PackageKind.COMPONENTS
        )
        .select_related("package__project__organization", "author", "release")
        .prefetch_related(
            # the assets it snapshotted, by component then name
            Prefetch(
                "asset_entries",
                queryset=PackageAsset.objects.select_related("asset").order_by("component_name", "asset__name"),
            ),
            # components and compiled output of each version, in name order
            Prefetch(
                "component_entries",
                queryset=PackageComponent.objects.select_related("component_version").order_by(
                    "component_version__name"
                ),
            ),
            Prefetch(
                "dependencies",
                queryset=Dependency.objects.select_related("package__project").order_by("reference"),
            ),
        )
        .newest_first()
    )


def package_version_for(*, project: Project, version: str) -> Version:
    found = package_versions_of(project=project).filter(version=version).first()
    if found is None:
        raise not_found("package", f"{project.name}@{version}")
    return found


def resolved_closure(*, version: Version) -> list[Version]:
    """The locked dependency closure of a package version (flattened and deduplicated at publish time: one
    version per package), each with its component and asset snapshots prefetched."""
    return list(
        Version.objects.filter(locked_by__root=version)
        .select_related("package__project__organization")
        .prefetch_related(
            Prefetch(
                "component_entries",
                queryset=PackageComponent.objects.select_related("component_version").order_by(
                    "component_version__name"
                ),
            ),
            Prefetch(
                "asset_entries",
                queryset=PackageAsset.objects.select_related("asset").order_by("component_name", "asset__name"),
            ),
        )
        .order_by("package__project__name", "package__name")
    )
