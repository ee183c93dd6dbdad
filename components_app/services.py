"""Writes on components, project dependencies and component packages. Each public function is one transaction.

Every write locks the project row first, so component edits, status changes and publishes of one project
are serialized: a publish always snapshots a consistent set of components, and two publishes never
hand out the same component version number.
"""

import io
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce

from components_app.assets import SUPPORTED_TYPES, human_size, inspect_asset, provided_type
from components_app.compiler import compile_component
from components_app.models import (
    LIVE_STATUSES,
    Collection,
    Component,
    ComponentAsset,
    ComponentStatus,
    ComponentType,
    ComponentVersion,
    PackageAsset,
    PackageComponent,
    PackageRelease,
    ProjectDependency,
)
from packages_app.blobs import digest_stream, store_artifact
from packages_app.models import LockEntry, Package, PackageKind, Version
from packages_app.publishing import add_version, invalid_version, number_used, version_exists
from packages_app.resolution import parse_requirements
from packages_app.resolution.errors import cycle_error
from packages_app.services import default_resource_identifier
from registry.db import lock_keys
from registry.errors import RegistryError, validation_failed
from registry.models import Project
from registry.naming import NAME_MAX_LENGTH, NAME_PATTERN, is_strict_version, parse_version
from registry.services import locked_organization, locked_project

MANIFEST_NAME = "publisher.json"
COMPONENT_FILE_EXTENSION = "js"
# Fixed zip entry timestamp: the same package content always gives the same archive bytes (and sha256).
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def lock_project(project: Project) -> Project:
    """``project`` re-read under its row lock; 404 NOT_FOUND when a concurrent delete took it meanwhile."""
    return locked_project(project)


# --- Components --------------------------------------------------------------------------------------


def _validate_name(name) -> str:
    if not isinstance(name, str) or not name:
        raise validation_failed("name", "is required")
    if len(name) > NAME_MAX_LENGTH or not re.match(NAME_PATTERN, name):
        raise validation_failed("name", "use 1 to 100 letters, digits, '_' or '-'", provided=name)
    return name


def _validate_type(type_) -> str:
    if type_ not in ComponentType.values:
        raise validation_failed("type", f"must be one of {', '.join(ComponentType.values)}", provided=type_)
    return type_


def _ensure_name_free(*, project: Project, name: str, exclude_id=None) -> None:
    clash = Component.objects.filter(project=project, name__lower=name.lower())
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise RegistryError(
            "COMPONENT_NAME_EXISTS",
            f"A component named '{name}' already exists in project {project.name}",
            status=409,
            details={"name": name},
        )


def _apply_compilation(component: Component) -> None:
    result = compile_component(name=component.name, type=component.type, content=component.content)
    component.compiled = result.compiled
    component.title = result.title[:200]
    component.description = result.description
    component.schema = result.schema


def _save(component: Component) -> Component:
    component.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            component.save()
    except IntegrityError as exc:
        # Only the name constraint means the name check raced with another writer (PostgreSQL and SQLite both
        # name the violated index in the message); any other violation is a bug and must not pose as a 409.
        if "component_name_unique_ci" not in str(exc):
            raise
        raise RegistryError(
            "COMPONENT_NAME_EXISTS",
            f"A component named '{component.name}' already exists",
            status=409,
            details={"name": component.name},
        ) from exc
    return component


def _collection_in(project: Project, collection_id) -> Collection | None:
    """The project's collection with this id (None for the root), or 400 VALIDATION_FAILED."""
    if collection_id is None:
        return None
    found = Collection.objects.filter(project=project, pk=collection_id).first()
    if found is None:
        raise validation_failed("collectionId", "is not a collection of this project", provided=str(collection_id))
    return found


@transaction.atomic
def create_component(
    *,
    project: Project,
    name: str,
    type: str,
    content: str,
    tags: list[str] | None = None,
    collection_id=None,
    author,
) -> Component:
    """A new ``draft`` component, compiled by the configured hook, in a collection or at the root."""
    project = lock_project(project)
    _validate_name(name)
    _validate_type(type)
    _ensure_name_free(project=project, name=name)
    component = Component(
        project=project,
        name=name,
        type=type,
        content=content or "",
        tags=list(tags or []),
        collection=_collection_in(project, collection_id),
        author=author,
        status=ComponentStatus.DRAFT,
    )
    _apply_compilation(component)
    return _save(component)


UNSET = object()


def _refuse_if_deleted(component: Component, doing: str) -> None:
    if component.status == ComponentStatus.DELETED:
        raise RegistryError(
            "INVALID_STATUS",
            f"A deleted component cannot be {doing}",
            status=409,
            details={"currentStatus": component.status, "hint": "Restore it with POST .../status first."},
        )


@transaction.atomic
def update_component(
    *, component: Component, name=UNSET, type=UNSET, content=UNSET, tags=UNSET, collection_id=UNSET, author
) -> Component:
    """Edit the working copy. A ``published`` component becomes ``modified`` (version null,
    lastPublishedVersion kept); a draft or modified one is overwritten. A deleted one must be restored first.
    Moving it to another collection (``collection_id``, None for the root) is filing, not an edit: the
    status stays."""
    lock_project(component.project)
    component = Component.objects.select_related("project", "author").get(pk=component.pk)
    _refuse_if_deleted(component, "edited")
    if collection_id is not UNSET:
        collection = _collection_in(component.project, collection_id)
        if component.collection_id != (collection.pk if collection else None):
            component.collection = collection
            component.save(update_fields=["collection", "updated_at"])
    before = (component.name, component.type, component.content, list(component.tags))
    if name is not UNSET and name != component.name:
        _validate_name(name)
        _ensure_name_free(project=component.project, name=name, exclude_id=component.pk)
        component.name = name
    if type is not UNSET:
        component.type = _validate_type(type)
    if content is not UNSET:
        component.content = content or ""
    if tags is not UNSET:
        component.tags = list(tags or [])
    if (component.name, component.type, component.content, list(component.tags)) == before:
        return component  # nothing changed: a published component stays published
    _apply_compilation(component)
    if component.status == ComponentStatus.PUBLISHED:
        component.status = ComponentStatus.MODIFIED
        component.version = None
    component.author = author
    return _save(component)


# Allowed (current status -> requested status). Publishing happens only through a package.
STATUS_TRANSITIONS: dict[str, set[str]] = {
    ComponentStatus.DRAFT: {ComponentStatus.DELETED},
    ComponentStatus.MODIFIED: {ComponentStatus.DELETED},
    ComponentStatus.PUBLISHED: {ComponentStatus.DELETED},
    ComponentStatus.DELETED: {ComponentStatus.DRAFT, ComponentStatus.MODIFIED},
}


def _invalid_transition(component: Component, requested: str, hint: str) -> RegistryError:
    return RegistryError(
        "INVALID_STATUS_TRANSITION",
        f"Cannot change status from {component.status} to {requested}",
        status=409,
        details={"currentStatus": component.status, "requestedStatus": requested, "hint": hint},
    )


@transaction.atomic
def set_component_status(*, component: Component, status: str) -> Component:
    """Move a component along the transition table (see ``STATUS_TRANSITIONS``)."""
    if status not in ComponentStatus.values:
        raise validation_failed("status", f"must be one of {', '.join(ComponentStatus.values)}", provided=status)
    lock_project(component.project)
    component = Component.objects.select_related("project", "author").get(pk=component.pk)
    if status == ComponentStatus.PUBLISHED:
        raise _invalid_transition(component, status, "Components are published only by creating a package.")
    if status not in STATUS_TRANSITIONS[component.status]:
        hint = (
            "Only a deleted component can be restored, to draft or modified."
            if status != ComponentStatus.DELETED
            else "The component is already deleted."
        )
        raise _invalid_transition(component, status, hint)
    if status == ComponentStatus.MODIFIED and component.last_published_version is None:
        raise _invalid_transition(component, status, "The component was never published; restore it to draft instead.")
    component.status = status
    component.version = None
    return _save(component)


def _version_row(component: Component, number: int) -> ComponentVersion | None:
    return component.versions.filter(version=number).first()


def _copy_from(component: Component, snapshot: ComponentVersion) -> None:
    component.name = snapshot.name
    component.type = snapshot.type
    component.content = snapshot.content
    component.compiled = snapshot.compiled
    component.schema = snapshot.schema
    component.title = snapshot.title
    component.description = snapshot.description


@transaction.atomic
def discard_component_changes(*, component: Component) -> Component:
    """Throw the working copy away: back to the last published version, status ``published``."""
    lock_project(component.project)
    component = Component.objects.select_related("project", "author").get(pk=component.pk)
    if component.status not in (ComponentStatus.DRAFT, ComponentStatus.MODIFIED):
        raise RegistryError(
            "INVALID_STATUS",
            f"Only draft or modified components have changes to discard; this one is {component.status}",
            status=409,
            details={"currentStatus": component.status},
        )
    snapshot = _version_row(component, component.last_published_version) if component.last_published_version else None
    if snapshot is None:
        raise RegistryError(
            "NO_PUBLISHED_VERSION",
            "This component has never been published, so there is nothing to go back to",
            status=409,
            details={"hint": 'Delete the component instead, with POST .../status {"status": "deleted"}.'},
        )
    _ensure_name_free(project=component.project, name=snapshot.name, exclude_id=component.pk)
    _copy_from(component, snapshot)
    component.status = ComponentStatus.PUBLISHED
    component.version = snapshot.version
    component.rolled_back_from = None
    return _save(component)


@transaction.atomic
def rollback_component(*, component: Component, version, author) -> Component:
    """A ``modified`` working copy of an earlier published version (not of a deleted component)."""
    lock_project(component.project)
    component = Component.objects.select_related("project", "author").get(pk=component.pk)
    _refuse_if_deleted(component, "rolled back")
    snapshot = _version_row(component, version) if isinstance(version, int) and version >= 1 else None
    if snapshot is None:
        available = list(component.versions.order_by("version").values_list("version", flat=True))
        raise RegistryError(
            "VERSION_NOT_FOUND",
            f"Component {component.name} has no version {version}",
            status=400,
            details={"requestedVersion": version, "availableVersions": available},
        )
    _ensure_name_free(project=component.project, name=snapshot.name, exclude_id=component.pk)
    _copy_from(component, snapshot)
    component.status = ComponentStatus.MODIFIED
    component.version = None
    component.rolled_back_from = snapshot.version
    component.author = author
    return _save(component)


@transaction.atomic
def delete_component(*, component: Component) -> None:
    """Remove a component that no package version contains; otherwise ``409 COMPONENT_IN_USE``."""
    lock_project(component.project)
    used_by = list(
        Version.objects.filter(component_entries__component_version__component=component)
        .distinct()
        .semver_order()
        .values_list("version", flat=True)
    )
    if used_by:
        raise RegistryError(
            "COMPONENT_IN_USE",
            f"Component {component.name} is part of published packages and cannot be deleted",
            status=409,
            details={
                "referencedByPackages": used_by,
                "hint": "Set its status to deleted to leave it out of future packages.",
            },
        )
    component.delete()


@transaction.atomic
def purge_components_of_projects(*, projects, what: str = "") -> None:
    """Remove every component of ``projects`` (a queryset) with its published history, before they are deleted.

    Published snapshots are protected from ordinary deletes (a package version must keep its
    components), so deleting a project goes through here first (a registry.hooks step); nothing else
    should call it.
    """
    PackageComponent.objects.filter(component_version__component__project__in=projects).delete()
    PackageAsset.objects.filter(asset__component__project__in=projects).delete()
    ComponentVersion.objects.filter(component__project__in=projects).delete()
    Component.objects.filter(project__in=projects).delete()


def _snapshot(component: Component, *, number: int, author, package_version: Version | None) -> ComponentVersion:
    """The immutable version ``number`` of ``component`` as it stands now (not saved)."""
    return ComponentVersion(
        component=component,
        version=number,
        name=component.name,
        type=component.type,
        content=component.content,
        compiled=component.compiled,
        schema=component.schema,
        title=component.title,
        description=component.description,
        created_by=author,
        package_version=package_version,
    )


@transaction.atomic
def publish_component(*, component: Component, author) -> Component:
    """Publish one component on its own: an immutable version ``lastPublishedVersion + 1`` (1 if never
    published) that no package holds yet; the next package includes the component at that version.

    Only a draft or modified component has something to publish (409 ``INVALID_STATUS`` otherwise).
    """
    lock_project(component.project)
    component = Component.objects.select_related("project", "author").get(pk=component.pk)
    if component.status not in (ComponentStatus.DRAFT, ComponentStatus.MODIFIED):
        hint = (
            "Restore it with POST .../status first."
            if component.status == ComponentStatus.DELETED
            else "It is already published; edit it first."
        )
        raise RegistryError(
            "INVALID_STATUS",
            f"Cannot publish component with status: {component.status}",
            status=409,
            details={"currentStatus": component.status, "hint": hint},
        )
    number = (component.last_published_version or 0) + 1
    snapshot = _snapshot(component, number=number, author=author, package_version=None)
    snapshot.full_clean(validate_constraints=False)
    snapshot.save()
    component.status = ComponentStatus.PUBLISHED
    component.version = number
    component.last_published_version = number
    component.rolled_back_from = None
    return _save(component)


# --- Collections -------------------------------------------------------------------------------------


@transaction.atomic
def create_collection(*, project: Project, name: str, parent_id=None) -> Collection:
    """A collection (folder of components) at the root or inside ``parent_id``; names are unique among
    siblings, case-insensitively (409 ``COLLECTION_NAME_EXISTS``)."""
    project = lock_project(project)
    if not isinstance(name, str) or not name.strip():
        raise validation_failed("name", "is required")
    name = name.strip()
    parent = None
    if parent_id is not None:
        parent = Collection.objects.filter(project=project, pk=parent_id).first()
        if parent is None:
            raise validation_failed("folderId", "is not a collection of this project", provided=str(parent_id))
    if Collection.objects.filter(project=project, parent=parent, name__iexact=name).exists():
        raise RegistryError(
            "COLLECTION_NAME_EXISTS",
            "A collection with this name already exists",
            status=409,
            details={"name": name},
        )
    collection = Collection(project=project, name=name, parent=parent)
    collection.full_clean(validate_unique=False, validate_constraints=False)
    collection.save()
    return collection


@transaction.atomic
def delete_collection(*, collection: Collection) -> None:
    """Remove a collection and the collections inside it; their components move to the root (packages
    never held collections, so no package changes)."""
    lock_project(collection.project)
    collection.delete()


# --- Component assets --------------------------------------------------------------------------------


def _refuse_unsupported(file: UploadedFile):
    max_size = settings.REGISTRY_ASSET_MAX_BYTES
    if file.size > max_size:
        raise RegistryError(
            "FILE_TOO_LARGE",
            "File exceeds maximum size limit",
            status=413,
            details={
                "maxSize": human_size(max_size),
                "providedSize": human_size(file.size),
                "maxSizeBytes": max_size,
                "providedSizeBytes": file.size,
            },
        )
    facts = inspect_asset(file)
    if facts is None:
        raise RegistryError(
            "UNSUPPORTED_FILE_TYPE",
            "File type not supported",
            status=400,
            details={
                "type": provided_type(filename=file.name or "", declared_type=file.content_type),
                "supportedTypes": SUPPORTED_TYPES,
            },
        )
    return facts


def upload_asset(
    *, component: Component, file: UploadedFile, metadata: dict | None = None, tags=None
) -> ComponentAsset:
    """Bind a file to a component. Its bytes are stored content-addressed (an Artifact, shared with any
    identical file); its type is judged from the bytes (images, fonts, JSON); images get their width,
    height and format in ``metadata`` beside what the caller sent. The name is the file name, unique in
    the component (409 ``ASSET_NAME_EXISTS``)."""
    name = (file.name or "").rsplit("/", 1)[-1].strip()
    if not name:
        raise validation_failed("file", "needs a file name")
    facts = _refuse_unsupported(file)
    file.seek(0)
    digests = digest_stream(file)
    # The blob is written before the transaction (store_artifact); an upload that then fails leaves an
    # unreferenced artifact for the orphan sweep.
    artifact = store_artifact(stream=file, digests=digests, media_type=facts.media_type)
    with transaction.atomic():
        lock_project(component.project)
        component = Component.objects.select_related("project").get(pk=component.pk)
        _refuse_if_deleted(component, "given assets")
        if component.assets.filter(name__iexact=name).exists():
            raise RegistryError(
                "ASSET_NAME_EXISTS",
                f"Component {component.name} already has an asset named {name}",
                status=409,
                details={"name": name},
            )
        asset = ComponentAsset(
            component=component,
            name=name,
            media_type=facts.media_type,
            size=digests.size,
            artifact=artifact,
            metadata={**(metadata or {}), **facts.metadata},
            tags=list(tags or []),
        )
        asset.full_clean(validate_unique=False, validate_constraints=False)
        asset.save()
    return asset


@transaction.atomic
def delete_asset(*, asset: ComponentAsset) -> None:
    """Remove an asset no package holds; otherwise 409 ``ASSET_IN_USE {referencedByPackages}``. The blob
    goes with the orphan sweep once no row names it."""
    lock_project(asset.component.project)
    used_by = list(
        Version.objects.filter(asset_entries__asset=asset).distinct().semver_order().values_list("version", flat=True)
    )
    if used_by:
        raise RegistryError(
            "ASSET_IN_USE",
            f"Cannot delete: asset is referenced by package(s) {', '.join(used_by)}",
            status=409,
            details={"referencedByPackages": used_by},
        )
    asset.delete()


# --- Project dependencies ----------------------------------------------------------------------------


def component_package_of(project: Project) -> Package | None:
    """A project's component package: the package named after the project."""
    return Package.objects.named(project, project.name).first()


@transaction.atomic
def add_project_dependency(*, project: Project, depends_on: Project, version: str) -> tuple[ProjectDependency, bool]:
    """Declare (or re-pin) that ``project`` uses ``depends_on``'s component package at exactly ``version``.

    Returns the dependency and whether it is new. A new edge that closes a loop between projects is
    ``409 CIRCULAR_DEPENDENCY`` with ``details.path`` (project names from ``project`` back to itself).
    """
    # Lock the organization (dependencies stay inside one), so two concurrent declarations A -> B and
    # B -> A cannot both pass the cycle check.
    locked_organization(project.organization)
    project = lock_project(project)
    # The project named, shared (docs/development.md, "Lock order"): a delete of it that came first is
    # seen here, one that comes second waits and finds the new dependency (409 PROJECT_IN_USE); unlocked,
    # the row written below would fail its foreign-key check at commit.
    if not lock_keys(Project, depends_on.pk):
        raise RegistryError(
            "DEPENDENCY_NOT_FOUND",
            f"Project {depends_on.name} was not found in organization {project.organization.name}",
            status=400,
            details={"projectId": depends_on.name},
        )
    if not is_strict_version(version):
        raise RegistryError(
            "INVALID_VERSION",
            "Version must follow semantic versioning (MAJOR.MINOR.PATCH)",
            status=400,
            details={"provided": version, "expected": "X.Y.Z format"},
        )
    if depends_on.pk == project.pk:
        raise RegistryError(
            "CIRCULAR_DEPENDENCY",
            "Adding this dependency would create a circular reference",
            status=409,
            details={"path": [project.name, project.name]},
        )
    package = component_package_of(depends_on)
    if (
        package is None
        or package.kind != PackageKind.COMPONENTS
        or not package.versions.filter(version=version).exists()
    ):
        raise RegistryError(
            "VERSION_NOT_FOUND",
            f"Project {depends_on.name} has no published package version {version}",
            status=400,
            details={"projectId": depends_on.name, "version": version},
        )
    path = _cycle_path(project=project, depends_on=depends_on)
    if path:
        raise RegistryError(
            "CIRCULAR_DEPENDENCY",
            "Adding this dependency would create a circular reference",
            status=409,
            details={"path": path},
        )
    dependency, created = ProjectDependency.objects.get_or_create(
        project=project, depends_on=depends_on, defaults={"version": version}
    )
    if not created and dependency.version != version:
        dependency.version = version
        dependency.full_clean()
        dependency.save(update_fields=["version", "updated_at"])
    return dependency, created


def _cycle_path(*, project: Project, depends_on: Project) -> list[str]:
    """The loop ``project -> depends_on -> ... -> project`` the new edge would close, or []."""
    graph = nx.DiGraph()
    graph.add_edges_from(
        ProjectDependency.objects.filter(project__organization_id=project.organization_id).values_list(
            "project_id", "depends_on_id"
        )
    )
    if depends_on.pk not in graph or project.pk not in graph:
        return []
    try:
        ids = nx.shortest_path(graph, depends_on.pk, project.pk)
    except nx.NetworkXNoPath:
        return []
    names = dict(Project.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [project.name] + [names[pk] for pk in ids]


@transaction.atomic
def remove_project_dependency(*, project: Project, depends_on_name: str) -> None:
    project = lock_project(project)
    deleted, _ = ProjectDependency.objects.filter(project=project, depends_on__name__iexact=depends_on_name).delete()
    if not deleted:
        raise RegistryError(
            "DEPENDENCY_NOT_FOUND",
            f"Project {project.name} does not depend on {depends_on_name}",
            status=404,
            details={"projectId": depends_on_name},
        )


# --- Publishing ----------------------------------------------------------------------------------------


@dataclass
class PublishResult:
    version: Version
    validation: dict = field(default_factory=dict)


def _component_package_for_publish(project: Project) -> Package:
    # Locked like a v0 publish locks it (FOR NO KEY UPDATE), so the two kinds of publish to one package
    # take turns.
    package = Package.objects.select_for_update(no_key=True).named(project, project.name).first()
    if package is not None and package.kind != PackageKind.COMPONENTS:
        raise RegistryError(
            "PACKAGE_NAME_TAKEN",
            f"Project {project.name} already has a {package.kind} package named {package.name}; its component "
            "package must have the project's name",
            status=409,
            details={"package": package.name, "kind": package.kind},
        )
    if package is None:
        package = Package(
            project=project,
            name=project.name,
            kind=PackageKind.COMPONENTS,
            description=f"Components of {project.name}",
            resource_identifier=default_resource_identifier(project, project.name),
        )
        package.full_clean()
        try:
            with transaction.atomic():
                package.save()
        except IntegrityError:  # a v0 upload created it (or took the identifier) meanwhile: judge that one
            return _component_package_for_publish(project)
    return package


def build_component_archive(*, manifest: dict, sources: Mapping[str, str], compiled: Mapping[str, str]) -> bytes:
    """The version's archive: ``publisher.json`` plus ``components/<name>.js`` (source) and
    ``compiled/<name>.js``. Entries sorted, fixed timestamps: same content, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {MANIFEST_NAME: json.dumps(manifest, indent=2, sort_keys=True)}
        for name, text in sources.items():
            entries[f"components/{name}.{COMPONENT_FILE_EXTENSION}"] = text
        for name, text in compiled.items():
            entries[f"compiled/{name}.{COMPONENT_FILE_EXTENSION}"] = text
        for path in sorted(entries):
            info = zipfile.ZipInfo(path, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[path])
    return buffer.getvalue()


def _declared_dependencies(project: Project) -> list[ProjectDependency]:
    return list(
        ProjectDependency.objects.filter(project=project)
        .select_related("depends_on__organization")
        .order_by("depends_on__name")
    )


def _as_references(dependencies: list[ProjectDependency]) -> dict[str, str]:
    """The project's dependencies as resolver references: ``org/project/project`` -> exact version."""
    return {
        f"{d.depends_on.organization.name}/{d.depends_on.name}/{d.depends_on.name}": d.version for d in dependencies
    }


def _loop_back(*, package: Package, version: str, dependencies: list[ProjectDependency]) -> list[str] | None:
    """The path by which a pinned dependency's locked closure reaches ``package`` again, if it does.

    Project pins are exact, so the closure can reach this project only at an older version; the resolver
    would call that a conflict with the root, but for projects it is a loop, reported as one:
    ``["a@2.0.0", "b@1.0.0", "a@1.0.0"]`` (same project first and last). Two queries.
    """
    wanted = Q()
    for d in dependencies:
        wanted |= Q(package__project=d.depends_on, package__name__iexact=d.depends_on.name, version=d.version)
    pinned = list(Version.objects.filter(wanted).select_related("package").order_by("package__name"))
    locks: dict[int, dict[int, LockEntry]] = defaultdict(dict)
    for entry in LockEntry.objects.filter(root__in=pinned).select_related("resolved__package", "parent__package"):
        locks[entry.root_id][entry.resolved_id] = entry
    for direct in pinned:
        lock = locks[direct.pk]
        for entry in sorted(lock.values(), key=lambda e: (e.depth, e.pk)):
            if entry.package_id != package.pk:
                continue
            chain = [entry.resolved.label]
            parent = entry.parent
            while parent is not None:
                chain.append(parent.label)
                parent = lock[parent.pk].parent if parent.pk in lock else None
            return [f"{package.name}@{version}", direct.label, *reversed(chain)]
    return None


@transaction.atomic
def publish_package(*, project: Project, version: str, description: str = "", tags=None, author) -> PublishResult:
    """Publish every live component of ``project`` as a new immutable version of its component package.

    Drafts get version ``lastPublishedVersion + 1`` (1 for one never published), modified components
    ``lastPublishedVersion + 1``; published ones are included unchanged; deleted ones are left out.
    The validation report (see ``_validation_report``) describes exactly that.
    """
    project = lock_project(project)
    if not isinstance(version, str) or parse_version(version) is None:
        raise invalid_version(version)
    package = _component_package_for_publish(project)
    if number_used(package=package, version=version):
        raise version_exists(version)
    previous = package.versions.newest_first().first()
    if previous is not None and parse_version(version) <= parse_version(previous.version):
        raise invalid_version(version, latest=previous.version)

    components = list(Component.objects.filter(project=project, status__in=LIVE_STATUSES).order_by("name"))
    if not components:
        raise RegistryError(
            "NO_COMPONENTS_TO_PACKAGE",
            f"Project {project.name} has no draft, modified or published components to package",
            status=400,
            details={"projectId": project.name},
        )

    dependencies = _declared_dependencies(project)
    declared = _as_references(dependencies)
    requirements = []
    if dependencies:
        requirements = parse_requirements(project=project, declared=declared, user=author)
        loop = _loop_back(package=package, version=version, dependencies=dependencies)
        if loop:
            raise cycle_error(loop)

    numbers = _package_numbers(components)
    assets = _assets_of(components)

    manifest = {
        "name": package.name,
        "version": version,
        "kind": PackageKind.COMPONENTS.value,
        "description": description,
        "tags": list(tags or []),
        "components": [
            {
                "id": str(c.pk),
                "name": c.name,
                "type": c.type,
                "version": numbers[c.pk],
                "title": c.title,
                "description": c.description,
                "schema": c.schema,
                "path": f"components/{c.name}.{COMPONENT_FILE_EXTENSION}",
            }
            for c in components
        ],
        "dependencies": {reference.rsplit("/", 1)[-1]: pinned for reference, pinned in sorted(declared.items())},
        "assets": [
            {
                "id": str(a.pk),
                "component": a.component.name,
                "name": a.name,
                "type": a.media_type,
                "size": a.size,
                "sha256": a.artifact.sha256,
            }
            for a in assets
        ],
    }
    data = build_component_archive(
        manifest=manifest,
        sources={c.name: c.content for c in components},
        compiled={c.name: c.compiled for c in components},
    )
    stream = io.BytesIO(data)
    artifact = store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")
    new_version = add_version(
        package=package,
        version=version,
        artifact=artifact,
        author=author,
        manifest=manifest,
        description=description,
        tags=list(tags or []),
        requirements=requirements,
    )

    republished = [c for c in components if c.status != ComponentStatus.PUBLISHED]
    ComponentVersion.objects.bulk_create(
        [_snapshot(c, number=numbers[c.pk], author=author, package_version=new_version) for c in republished]
    )
    # One UPDATE for all of them; the numbers are computed in SQL from the rows we hold locked.
    Component.objects.filter(pk__in=[c.pk for c in republished]).update(
        status=ComponentStatus.PUBLISHED,
        version=Coalesce(F("last_published_version"), Value(0)) + 1,
        last_published_version=Coalesce(F("last_published_version"), Value(0)) + 1,
        rolled_back_from=None,
    )
    snapshot_ids = ComponentVersion.objects.filter(
        component__in=components, version__in=set(numbers.values())
    ).values_list("pk", "component_id", "version")
    PackageComponent.objects.bulk_create(
        [
            PackageComponent(package_version=new_version, component_version_id=pk)
            for pk, component_id, number in snapshot_ids
            if numbers.get(component_id) == number
        ]
    )
    PackageAsset.objects.bulk_create(
        [PackageAsset(package_version=new_version, asset=a, component_name=a.component.name) for a in assets]
    )
    PackageRelease.objects.create(version=new_version)
    return PublishResult(
        version=new_version,
        validation=_validation_report(components=components, numbers=numbers, previous=previous),
    )


def _package_numbers(components: list[Component]) -> dict:
    """The number each live component is published at in the next package: published ones keep theirs,
    drafts and modified ones get ``lastPublishedVersion + 1`` (1 if never published)."""
    return {
        c.pk: c.version if c.status == ComponentStatus.PUBLISHED else (c.last_published_version or 0) + 1
        for c in components
    }


def _assets_of(components: list[Component]) -> list[ComponentAsset]:
    """Every asset bound to these components, in component then asset name order (one query)."""
    return list(
        ComponentAsset.objects.filter(component__in=components)
        .select_related("component__project__organization", "artifact")
        .order_by("component__name", "name")
    )


def preview_package(*, project: Project) -> dict:
    """What ``publish_package`` would hold if it ran now, and its validation report; writes nothing.

    ``components`` lists the live components with their status, current ``version``
    (``lastPublishedVersion`` for a modified one, null for a draft) and the ``nextVersion`` the package
    would give them; ``assets`` what it would snapshot; ``dependencies`` the declared ones.
    """
    components = list(Component.objects.filter(project=project, status__in=LIVE_STATUSES).order_by("name"))
    numbers = _package_numbers(components)
    package = component_package_of(project)
    previous = None
    if package is not None and package.kind == PackageKind.COMPONENTS:
        previous = package.versions.newest_first().first()
    return {
        "components": [
            {
                "id": str(c.pk),
                "name": c.name,
                "type": c.type,
                "status": c.status,
                "version": c.version if c.status == ComponentStatus.PUBLISHED else c.last_published_version,
                "nextVersion": numbers[c.pk],
                "content": c.content,
                "compiled": c.compiled,
            }
            for c in components
        ],
        "assets": _assets_of(components),
        "dependencies": [
            {"projectId": d.depends_on.name, "version": d.version} for d in _declared_dependencies(project)
        ],
        "previousVersion": previous.version if previous else None,
        "validation": _validation_report(components=components, numbers=numbers, previous=previous),
    }


def _validation_report(*, components: list[Component], numbers: dict, previous: Version | None) -> dict:
    """What this publish changed, keyed by component id. ``components`` hold their pre-publish state.

    - ``statusChanges.draft | modified | published``: the package's components by their status just
      before publishing. Together they are exactly ``package.components``.
    - ``versionIncrements``: ``{id: {from: lastPublishedVersion or null, to: new version}}`` for exactly
      the draft and modified ones (published ones keep their version).
    - ``componentChanges`` compares with the previous package version (the highest before this one):
      ``added`` = in this package, not in the previous one; ``updated`` = in both, at a different
      component version (in versionIncrements too, unless the component was published on its own since,
      with ``publish_component``); ``deleted`` = in the previous package, not in this one.
    """
    previous_versions: dict[str, int] = {}
    if previous is not None:
        # in name order, like every other list of the report
        previous_versions = {
            str(component_id): number
            for component_id, number in PackageComponent.objects.filter(package_version=previous)
            .order_by("component_version__name")
            .values_list("component_version__component_id", "component_version__version")
        }
    current = {str(c.pk): numbers[c.pk] for c in components}
    status_changes: dict[str, list[str]] = {"draft": [], "modified": [], "published": []}
    increments: dict[str, dict] = {}
    for component in components:
        key = str(component.pk)
        status_changes[component.status].append(key)
        if component.status != ComponentStatus.PUBLISHED:
            increments[key] = {"from": component.last_published_version, "to": numbers[component.pk]}
    return {
        "componentChanges": {
            "added": [key for key in current if key not in previous_versions],
            "updated": [key for key, n in current.items() if key in previous_versions and previous_versions[key] != n],
            "deleted": [key for key in previous_versions if key not in current],
        },
        "statusChanges": status_changes,
        "versionIncrements": increments,
    }
