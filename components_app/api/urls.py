"""Routes of the Metabind-compatible API, included at ``/v1/`` (no trailing slashes, as Metabind's)."""

from django.urls import re_path

from components_app.api import views

NAME = r"[a-zA-Z0-9_-]+"
PROJECT = rf"^organizations/(?P<organizationId>{NAME})/projects/(?P<projectId>{NAME})"
COMPONENT = rf"{PROJECT}/components/(?P<componentId>[^/]+)"
PACKAGE = rf"{PROJECT}/packages/(?P<version>[a-zA-Z0-9_.-]+)"
ASSET = rf"{COMPONENT}/assets/(?P<assetId>[^/]+)"

app_name = "v1"

urlpatterns = [
    re_path(rf"{PROJECT}/components$", views.ComponentListView.as_view(), name="components"),
    re_path(rf"{COMPONENT}$", views.ComponentDetailView.as_view(), name="component"),
    re_path(rf"{COMPONENT}/status$", views.ComponentStatusView.as_view(), name="component-status"),
    re_path(rf"{COMPONENT}/discard$", views.ComponentDiscardView.as_view(), name="component-discard"),
    re_path(rf"{COMPONENT}/rollback$", views.ComponentRollbackView.as_view(), name="component-rollback"),
    re_path(rf"{COMPONENT}/versions$", views.ComponentVersionsView.as_view(), name="component-versions"),
    re_path(rf"{COMPONENT}/publish$", views.ComponentPublishView.as_view(), name="component-publish"),
    re_path(rf"{COMPONENT}/assets$", views.AssetListView.as_view(), name="component-assets"),
    re_path(rf"{ASSET}$", views.AssetDetailView.as_view(), name="component-asset"),
    re_path(rf"{ASSET}/file$", views.AssetFileView.as_view(), name="component-asset-file"),
    re_path(rf"{PROJECT}/collections$", views.CollectionListView.as_view(), name="collections"),
    re_path(
        rf"{PROJECT}/collections/(?P<collectionId>[^/]+)$", views.CollectionDetailView.as_view(), name="collection"
    ),
    re_path(rf"{PROJECT}/dependencies$", views.DependencyListView.as_view(), name="dependencies"),
    re_path(
        rf"{PROJECT}/dependencies/(?P<dependencyProjectId>{NAME})$",
        views.DependencyDetailView.as_view(),
        name="dependency",
    ),
    re_path(rf"{PROJECT}/packages$", views.PackageListView.as_view(), name="packages"),
    # before {PACKAGE}: "draft" is not a version
    re_path(rf"{PROJECT}/packages/draft$", views.PackageDraftView.as_view(), name="package-draft"),
    re_path(rf"{PACKAGE}$", views.PackageDetailView.as_view(), name="package"),
    re_path(rf"{PACKAGE}/resolved$", views.PackageResolvedView.as_view(), name="package-resolved"),
    re_path(rf"{PACKAGE}/assets/(?P<assetId>[^/]+)$", views.PackageAssetView.as_view(), name="package-asset"),
]
