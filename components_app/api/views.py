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

import django_filters
from django.db.models import Q
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from components_app import selectors, services
from components_app.api import serializers as s
from components_app.models import Component, ComponentStatus, ComponentType
from registry.access import WRITE, GrantSnapshot, require
from registry.api.pagination import V1Pagination
from registry.authentication import is_read_only

ERROR = OpenApiResponse(description='`{"error": {"code", "message", "details"}}`; see the codes above.')
UNSET = services.UNSET


class V1View(GenericAPIView):
    """Shared base: Metabind pagination, project looked up by name from the path, 404 when not readable."""

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


class ComponentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ComponentStatus.choices)
    type = django_filters.ChoiceFilter(choices=ComponentType.choices)
    search = django_filters.CharFilter(method="filter_search", help_text="Matches name, title or description.")

    class Meta:
        model = Component
        fields = ["status", "type"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(title__icontains=value) | Q(description__icontains=value))


class ComponentListView(V1View):
    filter_backends = [DjangoFilterBackend]
    filterset_class = ComponentFilter
    serializer_class = s.ComponentSerializer
    input_serializer_class = s.ComponentCreateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no path arguments
            return Component.objects.none()
        return selectors.components_of(project=self.get_project())

    @extend_schema(operation_id="v1_components_list", responses=s.ComponentSerializer(many=True))
    def get(self, request, **kwargs):
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
            author=request.user,
        )
        return Response(s.ComponentSerializer(component).data, status=status.HTTP_201_CREATED)


class ComponentDetailView(V1View):
    serializer_class = s.ComponentSerializer
    input_serializer_class = s.ComponentUpdateSerializer

    @extend_schema(operation_id="v1_components_retrieve", responses={200: s.ComponentSerializer, 404: ERROR})
    def get(self, request, **kwargs):
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
            author=request.user,
        )
        return Response(s.ComponentSerializer(component).data)

    @extend_schema(
        operation_id="v1_components_destroy",
        responses={204: None, 404: ERROR, 409: ERROR},
        description="Remove a component no package contains (409 COMPONENT_IN_USE otherwise).",
    )
    def delete(self, request, **kwargs):
        component = self.get_component()
        self.require_write(component.project)
        services.delete_component(component=component)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        component = self.get_component()
        return self.paginated(selectors.versions_of_component(component=component), s.ComponentVersionSerializer)


# --- Project dependencies ------------------------------------------------------------------------------


class DependencyListView(V1View):
    serializer_class = s.DependencySerializer
    input_serializer_class = s.DependencyCreateSerializer

    @extend_schema(operation_id="v1_dependencies_list", responses=s.DependencySerializer(many=True))
    def get(self, request, **kwargs):
        return self.paginated(selectors.dependencies_of(project=self.get_project()), s.DependencySerializer)

    @extend_schema(
        operation_id="v1_dependencies_create",
        request=s.DependencyCreateSerializer,
        responses={201: s.DependencySerializer, 200: s.DependencySerializer, 400: ERROR, 409: ERROR},
        description=(
            "Depend on another project's component package at an exact version (200 when re-pinning). "
            "400 DEPENDENCY_NOT_FOUND / VERSION_NOT_FOUND; 409 CIRCULAR_DEPENDENCY with details.path."
        ),
    )
    def post(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        data = self.validated(s.DependencyCreateSerializer)
        target = selectors.dependency_target(user=request.user, project=project, project_id=data["projectId"])
        dependency, created = services.add_project_dependency(
            project=project, depends_on=target, version=data["version"]
        )
        return Response(
            s.DependencySerializer(dependency).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DependencyDetailView(V1View):
    serializer_class = s.DependencySerializer

    @extend_schema(operation_id="v1_dependencies_destroy", responses={204: None, 404: ERROR})
    def delete(self, request, **kwargs):
        project = self.get_project()
        self.require_write(project)
        services.remove_project_dependency(project=project, depends_on_name=kwargs["dependencyProjectId"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Packages --------------------------------------------------------------------------------------------


class PackageListView(V1View):
    serializer_class = s.PackageSerializer
    input_serializer_class = s.PackageCreateSerializer

    @extend_schema(operation_id="v1_packages_list", responses=s.PackageSerializer(many=True))
    def get(self, request, **kwargs):
        return self.paginated(selectors.package_versions_of(project=self.get_project()), s.PackageSerializer)

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
        body = {"package": s.PackageSerializer(version).data, "validation": result.validation}
        return Response(body, status=status.HTTP_201_CREATED)


class PackageDetailView(V1View):
    serializer_class = s.PackageSerializer

    @extend_schema(operation_id="v1_packages_retrieve", responses={200: s.PackageSerializer, 404: ERROR})
    def get(self, request, **kwargs):
        version = selectors.package_version_for(project=self.get_project(), version=kwargs["version"])
        return Response(s.PackageSerializer(version).data)


class PackageResolvedView(V1View):
    serializer_class = s.ResolvedPackageSerializer

    @extend_schema(
        operation_id="v1_packages_resolved",
        parameters=[
            OpenApiParameter(
                "includeDependencies",
                OpenApiTypes.BOOL,
                description="Add the locked dependency closure, flattened and keyed `project@version`.",
            )
        ],
        responses={200: s.ResolvedPackageSerializer, 404: ERROR},
    )
    def get(self, request, **kwargs):
        version = selectors.package_version_for(project=self.get_project(), version=kwargs["version"])
        include = request.query_params.get("includeDependencies", "").lower() in ("1", "true", "yes")
        return Response(selectors.resolved_package(version=version, include_dependencies=include))
