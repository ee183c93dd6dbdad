"""Reads for the v1 API: each owns its select_related/prefetch_related and its visibility scoping."""

import uuid

from django.db.models import Prefetch, QuerySet

from components_app.models import Component, ComponentVersion, PackageComponent, ProjectDependency
from packages_app.models import Dependency, LockEntry, Package, PackageKind, Version
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


def components_of(*, project: Project) -> QuerySet[Component]:
    # author is shown in every item's metadata.
    return Component.objects.filter(project=project).select_related("author").order_by("name")


def component_for(*, project: Project, component_id: str) -> Component:
    try:
        key = uuid.UUID(str(component_id))
    except ValueError:
        raise not_found("component", component_id) from None
    component = components_of(project=project).select_related("project__organization").filter(pk=key).first()
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
        .select_related("package__project", "author")
        .prefetch_related(
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


def compiled_components_of(versions: list[Version]) -> dict[int, dict[str, str]]:
    """``{version id: {component name: compiled}}`` for many versions in one query."""
    out: dict[int, dict[str, str]] = {v.pk: {} for v in versions}
    rows = (
        PackageComponent.objects.filter(package_version__in=versions)
        .order_by("component_version__name")
        .values_list("package_version_id", "component_version__name", "component_version__compiled")
    )
    for version_id, name, compiled in rows:
        out[version_id][name] = compiled
    return out


def resolved_package(*, version: Version, include_dependencies: bool) -> dict:
    """The runtime form of a package version: compiled code by component name, and optionally the
    flattened, deduplicated closure of its dependencies keyed ``project@version`` (from the lock)."""
    body = {
        "projectId": version.package.project.name,
        "version": version.version,
        "components": {e.component_version.name: e.component_version.compiled for e in version.component_entries.all()},
        "assets": {},
    }
    if include_dependencies:
        # The lock written at publish time is the flattened, deduplicated closure: one version per package.
        closure = [
            entry.resolved
            for entry in LockEntry.objects.filter(root=version)
            .select_related("resolved__package__project")
            .order_by("resolved__package__project__name", "resolved__package__name")
        ]
        compiled = compiled_components_of(closure)
        body["dependencies"] = {
            f"{locked.package.project.name}@{locked.version}": {
                "projectId": locked.package.project.name,
                "version": locked.version,
                "components": compiled[locked.pk],
                "assets": {},
            }
            for locked in closure
        }
    return body
