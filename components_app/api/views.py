"""The Metabind-compatible API under ``/v1/``. Views are thin: look up, check access, call a service.

Status codes, one mapping for the whole surface:

- 400 ``VALIDATION_FAILED`` (bad body or query, ``details.fields``), ``INVALID_VERSION``
  (``{provided, expected}`` or ``{provided, latest}``), ``NO_COMPONENTS_TO_PACKAGE``, ``COMPILATION_ERROR``
  (``details.errors: [{line, message}]``), and the codes naming something the *body* refers to that does
  not exist: ``DEPENDENCY_NOT_FOUND {projectId}``, ``VERSION_NOT_FOUND`` (``{projectId, version}`` for a
  dependency; ``{requestedVersion, availableVersions}`` for a rollback).
- 401 ``UNAUTHENTICATED``; 403 ``FORBIDDEN`` (readable but the role or a read-only token does not allow it).
- 404 ``NOT_FOUND {resourceType, resourceId}`` for anything named in the *path* that does not exist or
  that the caller may not read; ``DEPENDENCY_NOT_FOUND {projectId}`` when deleting an undeclared dependency.
- 409 ``VERSION_EXISTS``, ``COMPONENT_NAME_EXISTS``, ``COMPONENT_IN_USE {referencedByPackages}``,
  ``INVALID_STATUS_TRANSITION {currentStatus, requestedStatus, hint}``, ``INVALID_STATUS``,
  ``NO_PUBLISHED_VERSION``, ``PACKAGE_NAME_TAKEN``, ``CIRCULAR_DEPENDENCY`` (``{path}`` when declaring, ``{cycle}`` when
  publishing), ``INVALID_PACKAGE_DEPENDENCY {conflicts}``.
"""

import json

import django_filters
from django.db.models import Q
from django.http import FileResponse
from django.utils.cache import get_conditional_response
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from components_app import selectors, services
from components_app.api import serializers as s
from components_app.assets import SUPPORTED_TYPES
from components_app.models import Component, ComponentAsset, ComponentStatus, ComponentType
from packages_app.replication import open_healthy_copy
from registry.access import WRITE, GrantSnapshot, require
from registry.api.pagination import V1Pagination
from registry.authentication import is_read_only

ERROR = OpenApiResponse(description='`{"error": {"code", "message", "details"}}`; see the codes above.')
UNSET = services.UNSET


class V1View(GenericAPIView):
    # Shared base: Metabind pagination, project looked up by name from the path, 404 when not readable. A
    # comment, not a docstring: drf-spectacular would describe every GET without one of its own by it.

    pagination_class = V1Pagination
    filter_backends: list = []
    # What POST/PUT take, so the browsable API's form shows the input fields, not the response's.
    input_serializer_class = None

    def get_serializer_class(self):
        method = getattr(self.request, "method", "GET")
        if method in ("POST", "PUT") and self.input_serializer_class is not None:
            return self.input_serializer_class
        return self.serializer_class

    @cached_property
    def grants(self) -> GrantSnapshot:
        return GrantSnapshot(self.request.user)

    def get_project(self):
        if not hasattr(self, "_project"):
            self._project = selectors.project_for(
                user=self.request.user,
                organization_id=self.kwargs["organizationId"],
                project_id=self.kwargs["projectId"],
                grants=self.grants,
            )
        return self._project

    def require_write(self, project) -> None:
        """Modeler or admin on the project, or on its component package (as v0 lets them publish it)."""
        if is_read_only(self.request):
            require(self.request.user, project, WRITE, read_only_token=True)
        if selectors.component_area_rank(self.grants, project) < WRITE:
            require(self.request.user, project, WRITE, grants=self.grants)  # the 403 with the role needed

    def get_component(self):
        return selectors.component_for(project=self.get_project(), component_id=self.kwargs["componentId"])

    def validated(self, serializer_class, data=None):
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


# --- Components ----------------------------------------------------------------------------------------


def tags_q(values: list[str]) -> Q:
    """Rows whose JSON ``tags`` list holds every one of ``values`` (exact tags, compared without case).

    JSON text is matched (SQLite has no JSON containment), both as ASCII-escaped (SQLite's storage) and
    as written (PostgreSQL's jsonb text)."""
    condition = Q()
    for tag in values:
        condition &= Q(tags__icontains=json.dumps(tag)) | Q(tags__icontains=json.dumps(tag, ensure_ascii=False))
    return condition


def requested_tags(request) -> list[str]:
    """``?tags=a&tags=b`` or ``?tags=a,b``."""
    return [t.strip() for raw in request.query_params.getlist("tags") for t in raw.split(",") if t.strip()]


def query_flag(request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


ROOT_COLLECTION = ("null", "root", "")


class ComponentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComponentStatus.choices)
    type = django_filters.ChoiceFilter(choices=ComponentType.choices)
    search = django_filters.CharFilter(method="filter_search", help_text="Matches name, title or description.")
    tags = django_filters.CharFilter(
        method="filter_tags", help_text="Components carrying every tag given (repeat the parameter or use commas)."
    )
    collectionId = django_filters.CharFilter(
        method="filter_collection",
        help_text="Components in this collection (`null` for the root). Absent: every component.",
    )
    recursive = django_filters.BooleanFilter(
        method="filter_nothing",
        help_text="With collectionId: include the collections inside it, at any depth (with `null`: everything).",
    )

    class Meta:
        model = Component
        fields = ["status", "type"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value))

    def filter_tags(self, queryset, name, value):
        return queryset.filter(tags_q(requested_tags(self.request)))

    def filter_collection(self, queryset, name, value):
        recursive = str(self.data.get("recursive", "")).lower() in ("1", "true", "yes")
        if value.lower() in ROOT_COLLECTION:
            return queryset if recursive else queryset.filter(collection__isnull=True)
        collection = selectors.collection_for(
            project=self.request.parser_context["view"].get_project(), collection_id=value
        )
        if recursive:
            return queryset.filter(collection__in=selectors.collection_and_descendants(collection.pk))
        return queryset.filter(collection=collection)

    def filter_nothing(self, queryset, name, value):
        return queryset  # read by filter_collection


class ComponentListView(V1View):
    filter_backends = [DjangoFilterBackend]
    filterset_class = ComponentFilter
    serializer_class = s.ComponentSerializer
    input_serializer_class = s.ComponentCreateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no path arguments
            return Component.objects.none()
        return selectors.components_of(
            project=self.get_project(), include_assets=query_flag(self.request, "includeAssets")
        )

    @extend_schema(
        operation_id="v1_components_list",
        parameters=[
            OpenApiParameter(
                "includeAssets", OpenApiTypes.BOOL, description="Each component carries its first 100 assets."
            )
        ],
        responses=s.ComponentSerializer(many=True),
    )
    def get(self, request, **kwargs):
        """The project's components by name, paged; filter by status, type, tags, collection or a search."""
        return self.paginated(self.filter_queryset(self.get_queryset()), s.ComponentSerializer)

    @extend_schema(
        operation_id="v1_components_create",
        request=s.ComponentCreateSerializer,
        responses={201: s.ComponentSerializer, 400: ERROR, 409: ERROR},
        description="Create a `draft` component. Names are unique per project (409 COMPONENT_NAME_EXISTS).",
    )
    def post(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        data = self.validated(s.ComponentCreateSerializer)
        component = services.create_component(
            project=project,
            name=data["name"],
            type=data["type"],
            content=data["content"],
            tags=data.get("metadata", {}).get("tags"),
            collection_id=data.get("collectionId"),
            author=request.user,
        )
        return Response(s.ComponentSerializer(component).data, status=status.HTTP_201_CREATED)


class ComponentDetailView(V1View):
    serializer_class = s.ComponentSerializer
    input_serializer_class = s.ComponentUpdateSerializer

    @extend_schema(operation_id="v1_components_retrieve", responses={200: s.ComponentSerializer, 404: ERROR})
    def get(self, request, **kwargs):
        """One component: its source, compiled output, schema, status and version numbers."""
        return Response(s.ComponentSerializer(self.get_component()).data)

    @extend_schema(
        operation_id="v1_components_update",
        request=s.ComponentUpdateSerializer,
        responses={200: s.ComponentSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        description="Edit the working copy; a `published` component becomes `modified` (version null).",
    )
    def put(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        data = self.validated(s.ComponentUpdateSerializer)
        metadata = data.get("metadata", {})
        component = services.update_component(
            component=component,
            name=data.get("name", UNSET),
            type=data.get("type", UNSET),
            content=data.get("content", UNSET),
            tags=metadata.get("tags", UNSET),
            collection_id=data.get("collectionId", UNSET),
            author=request.user,
        )
        return Response(s.ComponentSerializer(component).data)

    @extend_schema(
        operation_id="v1_components_destroy",
        responses={200: s.DeletedSerializer, 404: ERROR, 409: ERROR},
        description="Remove a component no package contains (409 COMPONENT_IN_USE otherwise).",
    )
    def delete(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        component_id = str(component.pk)
        services.delete_component(component=component)
        return Response({"message": "Component successfully deleted", "id": component_id})


class ComponentStatusView(V1View):
    serializer_class = s.StatusChangeSerializer

    @extend_schema(
        operation_id="v1_components_status",
        request=s.StatusChangeSerializer,
        responses={200: s.ComponentSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        description=(
            "Allowed: draft|modified|published -> deleted; deleted -> draft; deleted -> modified (only if "
            "published before). Never -> published: 409 INVALID_STATUS_TRANSITION."
        ),
    )
    def post(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        data = self.validated(s.StatusChangeSerializer)
        component = services.set_component_status(component=component, status=data["status"])
        return Response(s.ComponentSerializer(component).data)


class ComponentDiscardView(V1View):
    serializer_class = s.ComponentSerializer
    input_serializer_class = serializers.Serializer  # no body: the browsable API shows the button, no fields

    @extend_schema(
        operation_id="v1_components_discard",
        request=None,
        responses={200: s.ComponentSerializer, 404: ERROR, 409: ERROR},
        description="Back to the last published version (409 NO_PUBLISHED_VERSION / INVALID_STATUS).",
    )
    def post(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        return Response(s.ComponentSerializer(services.discard_component_changes(component=component)).data)


class ComponentRollbackView(V1View):
    serializer_class = s.RollbackSerializer

    @extend_schema(
        operation_id="v1_components_rollback",
        request=s.RollbackSerializer,
        responses={200: s.ComponentSerializer, 400: ERROR, 404: ERROR},
        description="A `modified` working copy of an earlier version (400 VERSION_NOT_FOUND with availableVersions).",
    )
    def post(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        data = self.validated(s.RollbackSerializer)
        component = services.rollback_component(component=component, version=data["version"], author=request.user)
        return Response(s.ComponentSerializer(component).data)


class ComponentVersionsView(V1View):
    serializer_class = s.ComponentVersionSerializer

    @extend_schema(operation_id="v1_components_versions", responses=s.ComponentVersionSerializer(many=True))
    def get(self, request, **kwargs):
        """The component's published versions, newest first, each with its source and compiled output."""
        component = self.get_component()
        return self.paginated(selectors.versions_of_component(component=component), s.ComponentVersionSerializer)


class ComponentPublishView(V1View):
    serializer_class = s.ComponentSerializer
    input_serializer_class = serializers.Serializer

    @extend_schema(
        operation_id="v1_components_publish",
        request=None,
        responses={200: s.ComponentSerializer, 404: ERROR, 409: ERROR},
        description=(
            "Publish this component on its own: a new immutable version (lastPublishedVersion + 1, 1 if never "
            "published) that the next package includes. Only draft or modified components (409 INVALID_STATUS)."
        ),
    )
    def post(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        component = services.publish_component(component=component, author=request.user)
        return Response(s.ComponentSerializer(self.get_component()).data)


# --- Component assets ----------------------------------------------------------------------------------


class AssetFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(
        method="filter_type", help_text="A MIME type (`image/png`) or a family (`image/*`, `image`)."
    )
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Matches the name.")
    tags = django_filters.CharFilter(method="filter_tags", help_text="Assets carrying every tag given.")

    class Meta:
        model = ComponentAsset
        fields = []

    def filter_type(self, queryset, name, value):
        family = value.removesuffix("/*")
        if "/" in family:
            return queryset.filter(media_type__iexact=value)
        return queryset.filter(media_type__istartswith=f"{family}/")

    def filter_tags(self, queryset, name, value):
        return queryset.filter(tags_q(requested_tags(self.request)))


class AssetListView(V1View):
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssetFilter
    serializer_class = s.AssetSerializer
    input_serializer_class = s.AssetUploadSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ComponentAsset.objects.none()
        return selectors.assets_of(component=self.get_component())

    @extend_schema(operation_id="v1_component_assets_list", responses=s.AssetSerializer(many=True))
    def get(self, request, **kwargs):
        """The component's working assets (images, fonts, JSON), paged."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        data = s.AssetSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        operation_id="v1_component_assets_create",
        request={
            "multipart/form-data": OpenApiRequest(
                s.AssetUploadSerializer, encoding={"file": {"contentType": ", ".join(SUPPORTED_TYPES)}}
            )
        },
        responses={201: s.AssetSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 413: ERROR},
        description=(
            "Upload a file bound to the component (multipart: `file`, `metadata` JSON text, `tags`). Images, "
            "fonts and JSON, judged from the bytes: 400 UNSUPPORTED_FILE_TYPE {type, supportedTypes} otherwise; "
            "413 FILE_TOO_LARGE {maxSize, providedSize} over REGISTRY_ASSET_MAX_BYTES; 409 ASSET_NAME_EXISTS "
            "for a file name the component already has. Images get width, height and format in metadata."
        ),
    )
    def post(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        data = self.validated(s.AssetUploadSerializer)
        asset = services.upload_asset(
            component=component, file=data["file"], metadata=data.get("metadata"), tags=data["tags"]
        )
        asset = selectors.asset_for(component=component, asset_id=asset.pk)
        return Response(s.AssetSerializer(asset, context={"request": request}).data, status=status.HTTP_201_CREATED)


class AssetDetailView(V1View):
    serializer_class = s.AssetSerializer

    def get_asset(self):
        return selectors.asset_for(component=self.get_component(), asset_id=self.kwargs["assetId"])

    @extend_schema(operation_id="v1_component_assets_retrieve", responses={200: s.AssetSerializer, 404: ERROR})
    def get(self, request, **kwargs):
        """One working asset of the component, with the URL of its bytes."""
        return Response(s.AssetSerializer(self.get_asset(), context={"request": request}).data)

    @extend_schema(
        operation_id="v1_component_assets_destroy",
        responses={200: s.DeletedSerializer, 404: ERROR, 409: ERROR},
        description="Remove an asset no package holds (409 ASSET_IN_USE {referencedByPackages} otherwise).",
    )
    def delete(self, request, **kwargs):
        asset = self.get_asset()
        self.require_write(asset.component.project)
        asset_id = str(asset.pk)
        services.delete_asset(asset=asset)
        return Response({"message": "Asset successfully deleted", "id": asset_id})


def blob_response(request, *, artifact, filename: str, immutable: bool):
    """The bytes of a stored artifact with its sha256 as ETag; 304 for a matching If-None-Match."""
    etag = f'"{artifact.sha256}"'
    cache = "private, max-age=31536000, immutable" if immutable else "private, max-age=0, must-revalidate"
    headers = {"ETag": etag, "Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is None:
        __, stream = open_healthy_copy(artifact)
        response = FileResponse(stream, filename=filename, content_type=artifact.media_type)
        response["Content-Length"] = str(artifact.size)
    else:
        response = not_modified
    for name, value in headers.items():
        response[name] = value
    return response


class AssetFileView(V1View):
    @extend_schema(
        operation_id="v1_component_assets_file",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 304: None, 404: ERROR},
        description="The asset's bytes (the working copy), with its sha256 as ETag.",
    )
    def get(self, request, **kwargs):
        asset = selectors.asset_for(component=self.get_component(), asset_id=kwargs["assetId"])
        return blob_response(request, artifact=asset.artifact, filename=asset.name, immutable=False)


# --- Collections ---------------------------------------------------------------------------------------


class CollectionListView(V1View):
    serializer_class = s.CollectionSerializer
    input_serializer_class = s.CollectionCreateSerializer

    @extend_schema(
        operation_id="v1_collections_list",
        parameters=[
            OpenApiParameter(
                "folderId", OpenApiTypes.STR, description="Only the collections inside this one (`null`: root)."
            )
        ],
        responses=s.CollectionSerializer(many=True),
    )
    def get(self, request, **kwargs):
        """The project's collections (folders of components), paged."""
        project = self.get_project()
        collections = selectors.collections_of(project=project)
        folder = request.query_params.get("folderId")
        if folder is not None:
            if folder.lower() in ROOT_COLLECTION:
                collections = collections.filter(parent__isnull=True)
            else:
                collections = collections.filter(parent=selectors.collection_for(project=project, collection_id=folder))
        return self.paginated(collections, s.CollectionSerializer)

    @extend_schema(
        operation_id="v1_collections_create",
        request=s.CollectionCreateSerializer,
        responses={201: s.CollectionSerializer, 400: ERROR, 409: ERROR},
        description="A folder for components; names are unique among siblings (409 COLLECTION_NAME_EXISTS).",
    )
    def post(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        data = self.validated(s.CollectionCreateSerializer)
        collection = services.create_collection(project=project, name=data["name"], parent_id=data.get("folderId"))
        return Response(s.CollectionSerializer(collection).data, status=status.HTTP_201_CREATED)


class CollectionDetailView(V1View):
    serializer_class = s.CollectionSerializer

    def get_collection(self):
        return selectors.collection_for(project=self.get_project(), collection_id=self.kwargs["collectionId"])

    @extend_schema(operation_id="v1_collections_retrieve", responses={200: s.CollectionSerializer, 404: ERROR})
    def get(self, request, **kwargs):
        """One collection."""
        return Response(s.CollectionSerializer(self.get_collection()).data)

    @extend_schema(
        operation_id="v1_collections_destroy",
        responses={200: s.DeletedSerializer, 404: ERROR},
        description="Remove a collection and those inside it; their components move to the root.",
    )
    def delete(self, request, **kwargs):
        collection = self.get_collection()
        self.require_write(collection.project)
        collection_id = str(collection.pk)
        services.delete_collection(collection=collection)
        return Response({"message": "Collection successfully deleted", "id": collection_id})


# --- Project dependencies ------------------------------------------------------------------------------


class DependencyListView(V1View):
    serializer_class = s.DependencySerializer
    input_serializer_class = s.DependencyCreateSerializer

    @extend_schema(operation_id="v1_dependencies_list", responses=s.DependencySerializer(many=True))
    def get(self, request, **kwargs):
        """The projects this project depends on, each at one package version."""
        return self.paginated(selectors.dependencies_of(project=self.get_project()), s.DependencySerializer)

    @extend_schema(
        operation_id="v1_dependencies_create",
        request=s.DependencyCreateSerializer,
        responses={201: s.ProjectSerializer, 200: s.ProjectSerializer, 400: ERROR, 409: ERROR},
        description=(
            "Depend on another project's component package at an exact version; answers the updated project "
            "(201 for a new dependency, 200 when re-pinning). 400 DEPENDENCY_NOT_FOUND / VERSION_NOT_FOUND; "
            "409 CIRCULAR_DEPENDENCY with details.path."
        ),
    )
    def post(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        data = self.validated(s.DependencyCreateSerializer)
        target = selectors.dependency_target(user=request.user, project=project, project_id=data["projectId"])
        __, created = services.add_project_dependency(project=project, depends_on=target, version=data["version"])
        project.refresh_from_db()
        return Response(
            s.ProjectSerializer(project).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DependencyDetailView(V1View):
    serializer_class = s.ProjectSerializer

    @extend_schema(
        operation_id="v1_dependencies_destroy",
        responses={200: s.ProjectSerializer, 404: ERROR},
        description="Stop depending on a project; answers the updated project.",
    )
    def delete(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        services.remove_project_dependency(project=project, depends_on_name=kwargs["dependencyProjectId"])
        project.refresh_from_db()
        return Response(s.ProjectSerializer(project).data)


# --- Packages --------------------------------------------------------------------------------------------


class PackageListView(V1View):
    serializer_class = s.PackageSerializer
    input_serializer_class = s.PackageCreateSerializer

    @extend_schema(operation_id="v1_packages_list", responses=s.PackageSerializer(many=True))
    def get(self, request, **kwargs):
        """The project's package versions, newest first."""
        page = self.paginate_queryset(selectors.package_versions_of(project=self.get_project()))
        return self.get_paginated_response(s.PackageSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="v1_packages_create",
        request=s.PackageCreateSerializer,
        responses={201: s.PublishResponseSerializer, 400: ERROR, 409: ERROR},
        description=(
            "Publish every live component as a new immutable package version, in one transaction with the "
            "project locked. Drafts get version lastPublishedVersion + 1 (1 if never published), modified "
            "components lastPublishedVersion + 1, published ones are included unchanged, deleted ones left "
            "out. `validation` lists component ids: statusChanges (status before publishing; together exactly "
            "package.components), versionIncrements (exactly the draft and modified ones, from -> to), "
            "componentChanges (against the previous package version: added, updated = in both at another "
            "version, deleted = no longer included)."
        ),
    )
    def post(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        data = self.validated(s.PackageCreateSerializer)
        metadata = data.get("metadata", {})
        result = services.publish_package(
            project=project,
            version=data["version"],
            description=metadata.get("description", ""),
            tags=metadata.get("tags", []),
            author=request.user,
        )
        version = selectors.package_version_for(project=project, version=result.version.version)
        body = {
            "package": s.PackageSerializer(version, context={"request": request}).data,
            "validation": result.validation,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PackageDraftView(V1View):
    serializer_class = s.DraftPackageSerializer

    @extend_schema(
        operation_id="v1_packages_draft",
        responses={200: s.DraftPackageSerializer, 404: ERROR},
        description=(
            "What creating a package now would hold (live components with the number each would get, their "
            "assets, the declared dependencies) and the validation report it would answer. Writes nothing."
        ),
    )
    def get(self, request, **kwargs):
        preview = services.preview_package(project=self.get_project())
        return Response(s.DraftPackageSerializer(preview, context={"request": request}).data)


class PackageDetailView(V1View):
    serializer_class = s.PackageSerializer

    @extend_schema(operation_id="v1_packages_retrieve", responses={200: s.PackageSerializer, 404: ERROR})
    def get(self, request, **kwargs):
        """One package version: its components as published, metadata and dependencies."""
        version = selectors.package_version_for(project=self.get_project(), version=kwargs["version"])
        return Response(s.PackageSerializer(version, context={"request": request}).data)


class PackageResolvedView(V1View):
    serializer_class = s.ResolvedPackageSerializer

    @extend_schema(
        operation_id="v1_packages_resolved",
        parameters=[
            OpenApiParameter(
                "includeDependencies",
                OpenApiTypes.BOOL,
                description="Fill `dependencies` with the locked closure, flattened and keyed `project@version`.",
            )
        ],
        responses={200: s.ResolvedPackageSerializer, 404: ERROR},
    )
    def get(self, request, **kwargs):
        """A package version in its runtime form (Metabind's resolved package), and on request its locked dependencies."""
        version = selectors.package_version_for(project=self.get_project(), version=kwargs["version"])
        closure = selectors.resolved_closure(version=version) if query_flag(request, "includeDependencies") else []
        return Response(s.resolved_body({"request": request}, version, closure))


class PackageAssetView(V1View):
    @extend_schema(
        operation_id="v1_packages_asset",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 304: None, 404: ERROR},
        description=(
            "An asset as this package version holds it: the same bytes forever (ETag = sha256, cacheable as "
            "immutable), whatever happens to the component's working assets later."
        ),
    )
    def get(self, request, **kwargs):
        version = selectors.package_version_for(project=self.get_project(), version=kwargs["version"])
        entry = selectors.package_asset_for(version=version, asset_id=kwargs["assetId"])
        return blob_response(request, artifact=entry.asset.artifact, filename=entry.asset.name, immutable=True)
