"""What the apps above ``registry`` plug into it, so the base layer reaches them without importing them.

Layers run one way (``components_app -> packages_app -> registry``): where a base-layer operation must
also act on what the upper apps own (deleting a project deletes its packages and components), each
upper app registers a step here from its ``AppConfig.ready()``. Steps run in registration order, which
is the order of ``INSTALLED_APPS``: packages before components. (NetBox's ``registry`` does the same.)
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

# Called inside the deleting transaction with the projects about to go (a queryset) and a label for
# errors ("Project finance"); a step refuses by raising RegistryError, or clears what would block the
# cascade.
ProjectsDeletionStep = Callable[..., None]

before_projects_deleted: list[ProjectsDeletionStep] = []

# Given projects about to be deleted (a queryset), why the deletion would be refused ("a@1.0.0 depends
# on it"), for the admin's confirmation page.
projects_deletion_blockers: list[Callable[[QuerySet], list[str]]] = []

# Models whose rows go with their owner through a delete service and have no delete permission of
# their own (versions, locks, component snapshots, ...).
models_deleted_with_their_owner: list[type] = []


@dataclass(frozen=True)
class GrantsInsideProjects:
    """Grants on one kind of thing inside a project (packages), kept by the app that owns that thing.

    ``grant_model`` and ``request_model`` have the fields of ``registry.models.GrantFields`` and
    ``PermissionRequestFields`` plus a foreign key ``field`` to ``item_model``, which has a foreign key
    ``project``. ``registry.access`` counts these grants in its one rule; the permission services and
    selectors store and list them.
    """

    item_model: type
    field: str
    grant_model: type
    request_model: type


# At most one kind: packages (the only thing inside a project that is granted on its own).
grants_inside_projects: list[GrantsInsideProjects] = []


def register_grants_inside_projects(kind: GrantsInsideProjects) -> None:
    if kind not in grants_inside_projects:
        if grants_inside_projects:
            raise RuntimeError("registry counts grants on one kind of thing inside a project")
        grants_inside_projects.append(kind)


def grants_inside(obj=None) -> GrantsInsideProjects | None:
    """The registered kind (for ``obj``, the kind whose item it is), or None."""
    for kind in grants_inside_projects:
        if obj is None or isinstance(obj, kind.item_model):
            return kind
    return None


def register_projects_deletion_step(step: ProjectsDeletionStep) -> None:
    if step not in before_projects_deleted:  # ready() may run more than once (tests, reloads)
        before_projects_deleted.append(step)


def register_projects_deletion_blocker(blocker: Callable[[QuerySet], list[str]]) -> None:
    if blocker not in projects_deletion_blockers:
        projects_deletion_blockers.append(blocker)


def register_models_deleted_with_their_owner(*models: type) -> None:
    for model in models:
        if model not in models_deleted_with_their_owner:
            models_deleted_with_their_owner.append(model)


def what_blocks_deleting_projects(projects: QuerySet) -> list[str]:
    return [reason for blocker in projects_deletion_blockers for reason in blocker(projects)]


def prepare_projects_for_deletion(*, projects: QuerySet, what: str) -> None:
    for step in before_projects_deleted:
        step(projects=projects, what=what)
