"""The Credible-style API under /api/v0/. Other areas append their routes here with small edits.

``environments`` is accepted wherever ``projects`` is (Credible and Publisher renamed the concept).
"""

from django.urls import path, register_converter

from packages_app.api import views as packages
from packages_app.api.v0 import dependency_views as dependencies
from packages_app.api.v0 import index_views as index
from registry.api.v0 import views as registry


class NameConverter:
    """Organization, project, package and group names: ``^[a-zA-Z0-9_-]+$``."""

    regex = r"[a-zA-Z0-9_-]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class VersionIdConverter(NameConverter):
    """A ``versionId`` in a path: ``^[a-zA-Z0-9_.-]+$``."""

    regex = r"[a-zA-Z0-9_.-]+"


class AnySegmentConverter(NameConverter):
    """A package name in a path: any segment, so that creating one with a bad name is a 400 naming the
    field rather than a 404 for a route that does not exist. Lookups of such names simply find nothing."""

    regex = r"[^/]+"


register_converter(NameConverter, "name")
register_converter(VersionIdConverter, "vid")
register_converter(AnySegmentConverter, "segment")

ORG = "organizations/<name:org>"


def project_routes(word: str, suffix: str) -> list:
    """Routes under ``{word}/{project}``, for ``projects`` and its alias ``environments``."""
    project = f"{ORG}/{word}/<name:project>"
    package = f"{project}/packages/<segment:package>"
    version = f"{package}/versions/<vid:version_id>"
    return [
        path(f"{ORG}/{word}", registry.ProjectListView.as_view(), name=f"v0-project-list{suffix}"),
        path(project, registry.ProjectDetailView.as_view(), name=f"v0-project-detail{suffix}"),
        path(
            f"{project}/permissions",
            registry.ProjectPermissionListView.as_view(),
            name=f"v0-project-permissions{suffix}",
        ),
        path(
            f"{project}/permissions/<str:user_group_id>",
            registry.ProjectPermissionDetailView.as_view(),
            name=f"v0-project-permission{suffix}",
        ),
        path(f"{project}/packages", packages.PackageListView.as_view(), name=f"v0-package-list{suffix}"),
        path(package, packages.PackageDetailView.as_view(), name=f"v0-package-detail{suffix}"),
        path(
            f"{package}/permissions",
            packages.PackagePermissionListView.as_view(),
            name=f"v0-package-permissions{suffix}",
        ),
        path(
            f"{package}/permissions/<str:user_group_id>",
            packages.PackagePermissionDetailView.as_view(),
            name=f"v0-package-permission{suffix}",
        ),
        path(f"{package}/versions", packages.VersionListView.as_view(), name=f"v0-version-list{suffix}"),
        path(version, packages.VersionDetailView.as_view(), name=f"v0-version-detail{suffix}"),
        path(f"{version}/download", packages.VersionDownloadView.as_view(), name=f"v0-version-download{suffix}"),
        path(f"{version}/contents", index.VersionContentsView.as_view(), name=f"v0-version-contents{suffix}"),
        path(f"{version}/reindex", index.VersionReindexView.as_view(), name=f"v0-version-reindex{suffix}"),
        path(
            f"{version}/dependencies",
            dependencies.VersionDependenciesView.as_view(),
            name=f"v0-version-dependencies{suffix}",
        ),
        path(f"{version}/graph", dependencies.VersionGraphView.as_view(), name=f"v0-version-graph{suffix}"),
        path(
            f"{version}/dependents", dependencies.VersionDependentsView.as_view(), name=f"v0-version-dependents{suffix}"
        ),
        path(
            f"{package}/dependents", dependencies.PackageDependentsView.as_view(), name=f"v0-package-dependents{suffix}"
        ),
    ]


urlpatterns = [
    path("organizations", registry.OrganizationListView.as_view(), name="v0-organization-list"),
    path(ORG, registry.OrganizationDetailView.as_view(), name="v0-organization-detail"),
    path(
        f"{ORG}/permissions",
        registry.OrganizationPermissionListView.as_view(),
        name="v0-organization-permissions",
    ),
    path(
        f"{ORG}/permissions/<str:user_group_id>",
        registry.OrganizationPermissionDetailView.as_view(),
        name="v0-organization-permission",
    ),
    path(f"{ORG}/groups", registry.GroupListView.as_view(), name="v0-group-list"),
    path(f"{ORG}/groups/<name:group>", registry.GroupDetailView.as_view(), name="v0-group-detail"),
    path(f"{ORG}/groups/<name:group>/tokens", registry.GroupTokenView.as_view(), name="v0-group-tokens"),
    # New token names match ^[a-zA-Z0-9_-]+$; older ones were free text, slashes included, so the rest of
    # the path is the name and those stay revocable.
    path(
        f"{ORG}/groups/<name:group>/tokens/<path:token>",
        registry.GroupTokenDetailView.as_view(),
        name="v0-group-token",
    ),
    path(f"{ORG}/groups/<name:group>/members", registry.GroupMembersView.as_view(), name="v0-group-members"),
    path(
        f"{ORG}/groups/<name:group>/members/<str:member>",
        registry.GroupMemberDetailView.as_view(),
        name="v0-group-member",
    ),
    path("search", index.SearchView.as_view(), name="v0-search"),
    *project_routes("projects", ""),
    *project_routes("environments", "-env"),
]
