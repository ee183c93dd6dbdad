"""v0 views over the index: a version's contents, a reindex request, and search.

Thin: look up through ``visible_to`` (404 when unreadable), check roles with ``require`` (403), call a
selector or service, serialize.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from packages_app.api.serializers import VersionSerializer
from packages_app.api.views import PackageLookupMixin
from packages_app.indexing import request_reindex
from packages_app.indexing.selectors import SEARCH_MAX_QUERY, hydrate, search_rows, version_contents
from packages_app.models import IndexEntry, IndexKind, Version
from registry.access import WRITE
from registry.api.v0.common import COMMON_ERRORS, WRITE_ERRORS, NoBodySerializer, V0View, error, path_parameters
from registry.errors import validation_failed

INDEX = ["v0 index and search"]


@extend_schema_serializer(component_name="V0IndexEntry")
class IndexEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=IndexKind.choices)
    name = serializers.CharField()
    path = serializers.CharField(help_text="The file inside the archive")
    line = serializers.IntegerField(allow_null=True, help_text="1-based line in the file, when it has one")
    parentId = serializers.IntegerField(source="parent_id", allow_null=True, help_text="The enclosing entry")
    doc = serializers.CharField(help_text="#(doc) text, a description, or a notebook cell's text")
    data = serializers.JSONField(help_text="Kind-specific facts: size and sha256 of a file, a join's target...")


@extend_schema_serializer(component_name="V0SearchResult")
class SearchResultSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["package", "entry"], source="result_type")
    rank = serializers.FloatField(help_text="Higher first; name matches rank above doc-text matches")
    organizationName = serializers.CharField(source="package.project.organization.name")
    projectName = serializers.CharField(source="package.project.name")
    packageName = serializers.CharField(source="package.name")
    version = serializers.SerializerMethodField(help_text="The entry's version, or the package's latest")
    kind = serializers.SerializerMethodField(help_text="'package', or the index entry's kind")
    name = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField()
    line = serializers.SerializerMethodField()
    doc = serializers.SerializerMethodField(help_text="The matched text, cut to 300 characters")

    def get_version(self, hit) -> str | None:
        return hit.entry.version.version if hit.entry else getattr(hit.package, "latest_version_string", None)

    def get_kind(self, hit) -> str:
        return hit.entry.kind if hit.entry else "package"

    def get_name(self, hit) -> str:
        return hit.entry.name if hit.entry else hit.package.name

    def get_path(self, hit) -> str | None:
        return hit.entry.path if hit.entry else None

    def get_line(self, hit) -> int | None:
        return hit.entry.line if hit.entry else None

    def get_doc(self, hit) -> str:
        return (hit.entry.doc if hit.entry else hit.package.description)[:300]


def _kinds(request, *, allowed: list[str]) -> list[str] | None:
    raw = request.query_params.get("kind")
    if not raw:
        return None
    kinds = [kind.strip() for kind in raw.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in allowed]
    if unknown:
        raise validation_failed("kind", f"unknown kind {unknown[0]!r}; one of {', '.join(allowed)}", allowed=allowed)
    return kinds


def kinds_pattern(*extra: str) -> dict:
    """The schema of a comma-separated list of index kinds, as the views parse it."""
    one = "|".join([*extra, *IndexKind.values])
    return {"type": "string", "pattern": f"^({one})(,({one}))*$"}


KIND_PARAMETER = OpenApiParameter(
    "kind", kinds_pattern(), description="Only these kinds (comma-separated), e.g. source,view"
)


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionContentsView(PackageLookupMixin, V0View):
    serializer_class = IndexEntrySerializer
    queryset = IndexEntry.objects.none()  # for the schema generator only

    @extend_schema(
        tags=INDEX,
        summary="List what indexing found in a version",
        description="Files, the manifest, Malloy models and their sources, fields, views, joins and "
        "queries, notebooks, data files, dashboards and components, in file and line order. Empty until "
        "the version's indexStatus is `indexed`.",
        parameters=[
            KIND_PARAMETER,
            OpenApiParameter("path", OpenApiTypes.STR, description="A file path, or a folder ending in '/'"),
        ],
        responses={
            200: IndexEntrySerializer(many=True),
            400: error("VALIDATION_FAILED: unknown kind"),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, org, project, package, version_id):
        version = self.get_version(self.get_package())
        entries = version_contents(
            version, kinds=_kinds(request, allowed=IndexKind.values), path=request.query_params.get("path")
        )
        return self.paginated(entries, IndexEntrySerializer)


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionReindexView(PackageLookupMixin, V0View):
    serializer_class = VersionSerializer
    input_serializers = {"POST": NoBodySerializer}
    queryset = Version.objects.none()

    @extend_schema(
        tags=INDEX,
        summary="Index a version again (modeler or admin)",
        description="Resets indexStatus to `unknown` and enqueues indexing after the request commits; "
        "poll the version until it is `indexed` or `failed`.",
        request=None,
        responses={202: VersionSerializer, **WRITE_ERRORS},
    )
    def post(self, request, org, project, package, version_id):
        found = self.get_package()
        version = self.get_version(found)
        self.require(found, WRITE)
        request_reindex(version_id=version.pk)
        version.refresh_from_db()
        return Response(VersionSerializer(version).data, status=status.HTTP_202_ACCEPTED)


class SearchView(V0View):
    serializer_class = SearchResultSerializer
    queryset = IndexEntry.objects.none()

    @extend_schema(
        tags=INDEX,
        summary="Search packages and their indexed contents",
        description="Matches package names and descriptions, and the names and doc text of the index "
        "entries of each package's latest version, among what the caller may read. Name matches rank "
        "before doc-text matches; PostgreSQL full-text search ranks doc text when on PostgreSQL.",
        parameters=[
            OpenApiParameter(
                "q",
                # Not blank (spaces alone count as blank), at most SEARCH_MAX_QUERY characters, no NUL.
                {"type": "string", "minLength": 1, "maxLength": SEARCH_MAX_QUERY, "pattern": r"^[^\x00]*\S[^\x00]*$"},
                required=True,
                description="What to look for",
            ),
            OpenApiParameter(
                "kind",
                kinds_pattern("package"),
                description="Only these kinds (comma-separated); 'package' for packages",
            ),
        ],
        responses={200: SearchResultSerializer(many=True), 400: error("VALIDATION_FAILED: q"), **COMMON_ERRORS},
    )
    def get(self, request):
        q = (request.query_params.get("q") or "").strip()
        if not q:
            raise validation_failed("q", "is required")
        if len(q) > SEARCH_MAX_QUERY or "\x00" in q:
            raise validation_failed("q", f"must be at most {SEARCH_MAX_QUERY} characters of text")
        kinds = _kinds(request, allowed=["package", *IndexKind.values])
        rows = search_rows(user=request.user, q=q, kinds=kinds)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SearchResultSerializer(hydrate(page), many=True).data)
