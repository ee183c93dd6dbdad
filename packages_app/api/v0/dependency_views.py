"""v0 views over a version's dependencies: what it declares, its locked graph, and who depends on it.

Thin: look up through ``visible_to`` (404 when unreadable), call a selector in ``packages_app.graphs``,
serialize. Nothing here resolves: everything is read from the lock written at publish time.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from packages_app.api.views import PackageLookupMixin
from packages_app.graphs import dependencies_of, dependents_of, version_graph
from packages_app.models import Dependency, Version
from registry.api.v0.common import COMMON_ERRORS, V0View, error, path_parameters
from registry.errors import validation_failed

DEPENDENCIES = ["v0 dependencies"]


@extend_schema_serializer(component_name="V0Dependency")
class DependencySerializer(serializers.Serializer):
    reference = serializers.CharField(
        help_text="As declared in publisher.json: package, project/package or org/project/package"
    )
    range = serializers.CharField(help_text="npm-style range, e.g. ^1.2.0")
    organizationName = serializers.CharField(source="package.project.organization.name")
    projectName = serializers.CharField(source="package.project.name")
    packageName = serializers.CharField(source="package.name")
    resolvedVersion = serializers.CharField(
        source="resolved_version", allow_null=True, help_text="The version the lock chose at publish time"
    )


@extend_schema_serializer(component_name="V0DependencyGraphNode")
class GraphNodeSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="name@version")
    organizationName = serializers.CharField()
    projectName = serializers.CharField()
    packageName = serializers.CharField()
    version = serializers.CharField()
    archiveStatus = serializers.CharField()
    depth = serializers.IntegerField(help_text="Shortest distance from the root (0 for the root)")
    root = serializers.BooleanField()


@extend_schema_serializer(component_name="V0DependencyGraphEdge")
class GraphEdgeSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared through the fields mapping below.
    to = serializers.CharField(help_text="name@version the lock chose")
    range = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(help_text="name@version that declares the dependency")
        return fields


@extend_schema_serializer(component_name="V0DependencyGraph")
class GraphSerializer(serializers.Serializer):
    root = serializers.CharField()
    nodes = GraphNodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)
    depth = serializers.IntegerField(help_text="Longest shortest-path from the root")
    layers = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Node ids grouped by longest distance from the root, for layered drawings",
    )


@extend_schema_serializer(component_name="V0Dependent")
class DependentSerializer(serializers.Serializer):
    organizationName = serializers.CharField(source="package.project.organization.name")
    projectName = serializers.CharField(source="package.project.name")
    packageName = serializers.CharField(source="package.name")
    version = serializers.CharField()
    archiveStatus = serializers.CharField(source="archive_status")
    direct = serializers.BooleanField(help_text="Declares the dependency itself rather than through another package")


DIRECT_PARAMETER = OpenApiParameter(
    "direct", OpenApiTypes.BOOL, description="Only dependents that declare the dependency themselves"
)


def _direct_only(request) -> bool:
    raw = request.query_params.get("direct", "false").strip().lower()
    if raw not in {"true", "false", "1", "0"}:
        raise validation_failed("direct", "must be true or false")
    return raw in {"true", "1"}


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionDependenciesView(PackageLookupMixin, V0View):
    serializer_class = DependencySerializer
    queryset = Dependency.objects.none()  # for the schema generator only

    @extend_schema(
        tags=DEPENDENCIES,
        summary="List what a version declares it depends on",
        description="The dependencies from the version's publisher.json, each with the version its lock "
        "chose when it was published (locks never change).",
        responses={200: DependencySerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request, org, project, package, version_id):
        version = self.get_version(self.get_package())
        return self.paginated(dependencies_of(version), DependencySerializer)


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionGraphView(PackageLookupMixin, V0View):
    serializer_class = GraphSerializer
    queryset = Version.objects.none()

    @extend_schema(
        tags=DEPENDENCIES,
        summary="Get a version's resolved dependency graph",
        description="Every package version in the version's locked closure (nodes), every declared "
        "dependency between them (edges), the depth, and the nodes grouped in layers.",
        responses={200: GraphSerializer, **COMMON_ERRORS},
    )
    def get(self, request, org, project, package, version_id):
        version = self.get_version(self.get_package())
        return Response(GraphSerializer(version_graph(version)).data)


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionDependentsView(PackageLookupMixin, V0View):
    serializer_class = DependentSerializer
    queryset = Version.objects.none()

    @extend_schema(
        tags=DEPENDENCIES,
        summary="List the versions that depend on a version",
        description="Versions whose lock includes this version, directly or through other packages, "
        "among those the caller may read.",
        parameters=[DIRECT_PARAMETER],
        responses={200: DependentSerializer(many=True), 400: error("VALIDATION_FAILED: direct"), **COMMON_ERRORS},
    )
    def get(self, request, org, project, package, version_id):
        version = self.get_version(self.get_package())
        dependents = dependents_of(user=request.user, version=version, direct_only=_direct_only(request))
        return self.paginated(dependents, DependentSerializer)


@extend_schema(parameters=path_parameters("org", "project", "package"))
class PackageDependentsView(PackageLookupMixin, V0View):
    serializer_class = DependentSerializer
    queryset = Version.objects.none()

    @extend_schema(
        tags=DEPENDENCIES,
        summary="List the versions that depend on any version of a package",
        description="Versions whose lock includes some version of this package, among those the caller may read.",
        parameters=[DIRECT_PARAMETER],
        responses={200: DependentSerializer(many=True), 400: error("VALIDATION_FAILED: direct"), **COMMON_ERRORS},
    )
    def get(self, request, org, project, package):
        found = self.get_package()
        dependents = dependents_of(user=request.user, package=found, direct_only=_direct_only(request))
        return self.paginated(dependents, DependentSerializer)
