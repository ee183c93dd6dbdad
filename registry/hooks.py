"""What the apps above ``registry`` plug into it, so the base layer reaches them without importing them.

Layers run one way (``components_app -> packages_app -> registry``): where a base-layer operation must
also act on what the upper apps own (deleting a project deletes its packages and components), each
upper app registers a step here from its ``AppConfig.ready()``. Steps run in registration order, which
is the order of ``INSTALLED_APPS``: packages before components. (NetBox's ``registry`` does the same.)
"""

from collections.abc import Callable

from django.db.models import QuerySet

# Called inside the deleting transaction with the projects about to go (a queryset) and a label for
# errors ("Project finance"); a step refuses by raising RegistryError, or clears what would block the
# cascade.
ProjectsDeletionStep = Callable[..., None]

before_projects_deleted: list[ProjectsDeletionStep] = []


def register_projects_deletion_step(step: ProjectsDeletionStep) -> None:
    if step not in before_projects_deleted:  # ready() may run more than once (tests, reloads)
        before_projects_deleted.append(step)


def prepare_projects_for_deletion(*, projects: QuerySet, what: str) -> None:
    for step in before_projects_deleted:
        step(projects=projects, what=what)
