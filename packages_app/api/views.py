"""v0 views for packages and versions: list, create-or-update (the seed endpoint), versions, download.

Views are thin: look things up through ``visible_to`` (404 when unreadable), check roles with
``registry.access.require`` (403), parse the request, call one service, serialize.
"""

import base64
import json
import re

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpResponseRedirect
from django.utils.cache import get_conditional_response
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from packages_app import services
from packages_app.api.serializers import (
    VERSION_COLUMNS,
    PackagePartSerializer,
    PackageSerializer,
    PackageUploadSerializer,
    VersionDetailSerializer,
    VersionPartSerializer,
    VersionSerializer,
    VersionUpdateSerializer,
)
from packages_app.blobs import digest_stream
from packages_app.models import Package, Version, attach_latest
from packages_app.replication import open_healthy_copy, signed_download_url
from packages_app.uploads import DigestingUploadHandler
from registry.access import ADMIN, WRITE
from registry.api.envelopes import error_body
from registry.api.v0.common import COMMON_ERRORS, LIST_HEADERS, WRITE_ERRORS, V0View, error, path_parameters
from registry.api.v0.views import permission_views
from registry.errors import not_found, validation_failed

PACKAGES = ["v0 packages"]
VERSIONS = ["v0 versions"]
JSON_PART_MAX_BYTES = 1024 * 1024


def package_in_path(kwargs: dict):
    """The package a path names (a queryset of at most one row), with its project and organization:
    access checks walk them, so one query answers for all three."""
    return (
        Package.objects.in_project(kwargs["org"], kwargs["project"])
        .filter(name__lower=kwargs["package"].lower())
        .order_by()
        .select_related("project__organization")
    )


class PackageLookupMixin:
    def get_package(self, *, with_latest: bool = False) -> Package:
        """The package the path names, if the caller may read it (404 otherwise). ``with_latest`` annotates
        latestVersion (three subqueries, a third of the lookup's cost): only a package's own answer shows it."""
        name = self.kwargs["package"]
        found = package_in_path(self.kwargs)
        package = (found.with_latest() if with_latest else found).first()
        if package is None or not self.grants.can_read(package):
            self.get_project()  # 404 for the project or organization when that is what the caller cannot see
            raise not_found("package", name)
        return package

    def get_version(self, package: Package) -> Version:
        version_id = self.kwargs["version_id"]
        # One row (versions are unique per package): the default ordering would join projects and
        # organizations only to sort it.
        version = package.versions.select_related("artifact").filter(version=version_id).order_by().first()
        if version is None:
            raise not_found("version", version_id)
        version.package = package
        return version


def _bool_param(request, name: str) -> bool:
    raw = request.query_params.get(name, "false").strip().lower()
    if raw not in {"true", "false", "1", "0"}:
        raise validation_failed(name, "must be true or false")
    return raw in {"true", "1"}


def _json_part(request, name: str, serializer_class) -> dict | None:
    """A multipart part holding JSON, validated; None when the part is absent or empty."""
    raw = request.data.get(name)
    if isinstance(raw, UploadedFile):  # sent as a file part (curl -F 'package=@package.json')
        if raw.size > JSON_PART_MAX_BYTES:
            raise validation_failed(name, "the JSON part is too large")
        raw = raw.read().decode("utf-8", errors="replace")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise validation_failed(
                name, f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from exc
    if not isinstance(raw, dict):
        raise validation_failed(name, "must be a JSON object")
    serializer = serializer_class(data=raw)
    if not serializer.is_valid():
        raise serializers.ValidationError({name: serializer.errors})
    return serializer.validated_data


def _changes(data: dict | None) -> services.PackageChanges:
    data = data or {}
    return services.PackageChanges(
        description=data.get("description"),
        replication_count=data.get("replicationCount"),
        resource_identifier=data.get("resourceIdentifier"),
    )


def _package_response(package: Package, status_code: int = status.HTTP_200_OK) -> Response:
    # The service hands back the row as it wrote it; latestVersion is read as the database now sees it
    # (after commit: a concurrent publish that committed first, or inline indexing, shows).
    return Response(PackageSerializer(attach_latest(package)).data, status=status_code)


@extend_schema(parameters=path_parameters("org", "project"))
class PackageListView(V0View):
    serializer_class = PackageSerializer
    queryset = Package.objects.none()  # for the schema generator only

    @extend_schema(
        tags=PACKAGES,
        summary="List the project's packages the caller may read",
        parameters=LIST_HEADERS,
        responses={200: PackageSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request, org, project):
        found = self.get_project()
        packages = self.grants.readable_packages(Package.objects.filter(project=found), found)
        packages = packages.with_latest().order_by("name")
        return self.paginated(packages, PackageSerializer)


@extend_schema(parameters=path_parameters("org", "project", "package"))
class PackageDetailView(PackageLookupMixin, V0View):
    serializer_class = PackageSerializer
    # POST is create-or-update: the browsable API's form has its four multipart parts.
    input_serializers = {"POST": PackageUploadSerializer, "PATCH": PackagePartSerializer}
    parser_classes = [MultiPartParser, JSONParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: stream uploaded files to disk, hashing them on the way.
        if request.method == "POST":
            request.upload_handlers = [DigestingUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        tags=PACKAGES,
        summary="Get a package",
        parameters=[
            OpenApiParameter(
                "checkAdmin",
                OpenApiTypes.BOOL,
                OpenApiParameter.QUERY,
                description="When true, answer 403 unless the caller is an admin of the package",
            )
        ],
        responses={200: PackageSerializer, 400: error("VALIDATION_FAILED"), 403: error("FORBIDDEN"), **COMMON_ERRORS},
    )
    def get(self, request, org, project, package):
        found = self.get_package(with_latest=True)
        if _bool_param(request, "checkAdmin"):
            self.require(found, ADMIN)
        return Response(PackageSerializer(found).data)

    @extend_schema(
        tags=PACKAGES,
        summary="Create or update package",
        description=(
            "Creates the package if it is new, updates its metadata from the `package` part, and publishes "
            "the version in the `version` part from `packageFile` when both are given. The file is streamed "
            "to disk while its md5 and sha256 are computed; `md5Hash`, when given, must match. The package "
            "name in the path wins over the one in the JSON. Re-sending a version with the same bytes is a "
            "no-op (200); other bytes, or a number used before, is 409 VERSION_EXISTS."
        ),
        request={
            "multipart/form-data": OpenApiRequest(
                PackageUploadSerializer,
                encoding={
                    "package": {"contentType": "application/json"},
                    "version": {"contentType": "application/json"},
                },
            )
        },
        responses={
            201: OpenApiResponse(PackageSerializer, description="A package or a version was created"),
            200: OpenApiResponse(PackageSerializer, description="Only updated (or an identical retry)"),
            400: error(
                "VALIDATION_FAILED naming the field (malformed JSON part, bad name, replicationCount, "
                "resourceIdentifier), INVALID_VERSION, CHECKSUM_MISMATCH (details.expected/computed) or "
                "INVALID_ARCHIVE (not zip/tar.gz, no publisher.json at the root, publisher.json not a JSON object)"
            ),
            403: error("FORBIDDEN: the caller is not a modeler or admin, or the token is read-only"),
            409: error(
                "VERSION_EXISTS: the version holds other bytes, or its number was used before; "
                "PACKAGE_KIND_MISMATCH: the package holds a project's components (published through v1)"
            ),
            413: error("PAYLOAD_TOO_LARGE: packageFile is over REGISTRY_MAX_UPLOAD_BYTES"),
            **COMMON_ERRORS,
        },
    )
    def post(self, request, org, project, package):
        # Most publishes add a version to a package that exists: one query finds it with its project.
        # Only a new package costs a second one, for the project alone.
        existing = package_in_path(self.kwargs).first()
        if existing is not None and self.grants.can_read(existing.project):
            found_project = existing.project
        else:
            found_project = self.get_project()  # 404 when the caller cannot see it
        # Judged on the package when the caller can see it (ranks only grow downwards, so that counts a grant
        # on the package alone too), on the project otherwise.
        seen = existing is not None and self.grants.can_read(existing)
        self.require(existing if seen else found_project, WRITE)
        package_part = _json_part(request, "package", PackagePartSerializer)
        version_part = _json_part(request, "version", VersionPartSerializer) or {}
        package_file = request.FILES.get("packageFile")
        upload = None
        if package_file is not None:
            digests = getattr(package_file, "digests", None) or digest_stream(package_file)
            upload = services.UploadedArchive(stream=package_file, digests=digests)
        md5_hash = request.data.get("md5Hash")
        if md5_hash is not None and not isinstance(md5_hash, str):
            raise validation_failed("md5Hash", "must be a text part holding the hex md5 of packageFile")
        result = services.publish_package(
            project=found_project,
            name=package,
            author=request.user,
            changes=_changes(package_part),
            version=version_part.get("id"),
            archive_status=version_part.get("archiveStatus"),
            upload=upload,
            md5_hash=md5_hash if isinstance(md5_hash, str) and md5_hash else None,
            existing=existing,
        )
        return _package_response(result.package, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        tags=PACKAGES,
        summary="Update a package's metadata (modeler or admin)",
        request=PackagePartSerializer,
        responses={200: PackageSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, org, project, package):
        found = self.get_package()
        self.require(found, WRITE)
        serializer = PackagePartSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        updated = services.update_package(package=found, changes=_changes(serializer.validated_data))
        return _package_response(updated)

    @extend_schema(
        tags=PACKAGES,
        summary="Delete a package and its versions (admin); its version numbers are never reused",
        request=None,
        responses={204: None, 409: error("PACKAGE_IN_USE: other package versions depend on it"), **WRITE_ERRORS},
    )
    def delete(self, request, org, project, package):
        found = self.get_package()
        self.require(found, ADMIN)
        services.delete_package(package=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=path_parameters("org", "project", "package"))
class VersionListView(PackageLookupMixin, V0View):
    serializer_class = VersionSerializer
    queryset = Version.objects.none()  # for the schema generator only

    @extend_schema(
        tags=VERSIONS,
        summary="List a package's versions, newest first",
        parameters=LIST_HEADERS,
        responses={200: VersionSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request, org, project, package):
        found = self.get_package()
        return self.paginated(found.versions.newest_first().values(*VERSION_COLUMNS), VersionSerializer)


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionDetailView(PackageLookupMixin, V0View):
    serializer_class = VersionSerializer
    input_serializers = {"PATCH": VersionUpdateSerializer}

    @extend_schema(
        tags=VERSIONS,
        summary="Get a version",
        description="The Credible Version fields, plus the archive's `sha256` and `size` and `replicas`: each "
        "stored copy with what the last integrity check found (`healthy`, `missing`, `corrupt`, `pending`).",
        responses={200: VersionDetailSerializer, **COMMON_ERRORS},
    )
    def get(self, request, org, project, package, version_id):
        return Response(VersionDetailSerializer(self.get_version(self.get_package())).data)

    @extend_schema(
        tags=VERSIONS,
        summary="Archive or unarchive a version (modeler or admin)",
        description="An archived version stays downloadable by its number but is never latestVersion "
        "and is not chosen by new dependency resolutions.",
        request=VersionUpdateSerializer,
        responses={200: VersionSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, org, project, package, version_id):
        found = self.get_package()
        version = self.get_version(found)
        self.require(found, WRITE)
        serializer = VersionUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "archiveStatus" not in serializer.validated_data:  # a PATCH that changes nothing
            return Response(VersionSerializer(version).data)
        updated = services.set_archive_status(
            version=version, archive_status=serializer.validated_data["archiveStatus"]
        )
        return Response(VersionSerializer(updated).data)


class AnyContentNegotiation(BaseContentNegotiation):
    """Downloads send the archive whatever the client accepts; errors still go out as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(start, end inclusive) for a single satisfiable byte range, None to send everything, False if unsatisfiable.

    Multiple ranges and malformed headers are ignored (the whole file is sent), as RFC 9110 allows.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        return False
    return start, end


class _RangeReader:
    """Reads at most ``length`` bytes of ``file`` from where it stands, for a 206 response."""

    def __init__(self, file, length: int):
        self.file = file
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.file.read(size)
        self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.file.close()


@extend_schema(parameters=path_parameters("org", "project", "package", "version_id"))
class VersionDownloadView(PackageLookupMixin, V0View):
    content_negotiation_class = AnyContentNegotiation
    serializer_class = None

    @extend_schema(
        tags=VERSIONS,
        summary="Download a version's package file",
        description=(
            "Streams the archive as an attachment. `ETag` is the sha256 (honours `If-None-Match` with 304); "
            "`Range: bytes=...` gives 206 (honours `If-Range`). Verify what you got with `X-Checksum-Sha256`, "
            "`X-Checksum-Md5` and `Repr-Digest` (RFC 9530, of the whole file). Archived versions stay downloadable."
        ),
        parameters=[
            OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, description="bytes=START-END"),
            OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description='"<sha256>"'),
        ],
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The archive (zip)"),
            (200, "application/gzip"): OpenApiResponse(OpenApiTypes.BINARY, description="The archive (tar.gz)"),
            (206, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A byte range"),
            (206, "application/gzip"): OpenApiResponse(OpenApiTypes.BINARY, description="A byte range"),
            302: OpenApiResponse(description="With REGISTRY_DOWNLOAD_REDIRECT on S3: a short-lived signed URL"),
            304: OpenApiResponse(description="Not modified (If-None-Match matched the ETag)"),
            416: error("RANGE_NOT_SATISFIABLE"),
            503: error("STORAGE_UNAVAILABLE: no storage location can serve a good copy right now"),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, org, project, package, version_id):
        found = self.get_package()
        version = self.get_version(found)
        artifact = version.artifact
        etag = f'"{artifact.sha256}"'
        headers = {
            "ETag": etag,
            "X-Checksum-Sha256": artifact.sha256,
            "X-Checksum-Md5": artifact.md5,
            "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(artifact.sha256)).decode()}:",
            "Digest": f"SHA-256={base64.b64encode(bytes.fromhex(artifact.sha256)).decode()}",
            "Accept-Ranges": "bytes",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=0, must-revalidate",
        }
        # Answered before the file is opened (ConditionalGetMiddleware would only see it after).
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            for name, value in headers.items():
                not_modified[name] = value
            return not_modified

        byte_range = parse_range(request.headers.get("Range"), artifact.size)
        if_range = request.headers.get("If-Range")
        if if_range and if_range.strip() != etag:
            byte_range = None  # the client's partial copy is of other bytes: send everything
        if byte_range is False:
            body = error_body(request.path, "RANGE_NOT_SATISFIABLE", f"The file has {artifact.size} bytes.")
            return Response(body, status=416, headers={"Content-Range": f"bytes */{artifact.size}"})

        extension = "zip" if artifact.media_type == "application/zip" else "tar.gz"
        filename = f"{found.name}-{version.version}.{extension}"
        if settings.REGISTRY_DOWNLOAD_REDIRECT and not byte_range:
            # On S3, hand the bytes off to the store: a short-lived signed URL, the digests still in headers.
            url = signed_download_url(artifact, filename=filename)
            if url is not None:
                response = HttpResponseRedirect(url)
                for name, value in headers.items():
                    response[name] = value
                return response
        # A good copy from the primary or a replica; 503 STORAGE_UNAVAILABLE when no location can serve it.
        __, stream = open_healthy_copy(artifact)
        if byte_range:
            start, end = byte_range
            stream.seek(start)
            response = FileResponse(
                _RangeReader(stream, end - start + 1),
                status=206,
                as_attachment=True,
                filename=filename,
                content_type=artifact.media_type,
            )
            response["Content-Range"] = f"bytes {start}-{end}/{artifact.size}"
            response["Content-Length"] = str(end - start + 1)
        else:
            response = FileResponse(stream, as_attachment=True, filename=filename, content_type=artifact.media_type)
            response["Content-Length"] = str(artifact.size)
        for name, value in headers.items():
            response[name] = value
        return response


PackagePermissionListView, PackagePermissionDetailView = permission_views(
    "package", "package", ("org", "project", "package"), PackageLookupMixin.get_package
)
