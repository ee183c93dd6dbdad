"""Concurrent publishes of one project, on PostgreSQL where row locks are real."""

import os
import threading

import pytest
from django.db import connection

from components_app import services
from components_app.models import Component, ComponentVersion
from packages_app.models import Version
from registry.errors import RegistryError
from tests.components.sources import bindjs

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def publish_together(project, author, versions: list[str]) -> list:
    """Start one publish per version at the same moment; the outcome (Version or RegistryError) of each."""
    barrier = threading.Barrier(len(versions))
    outcomes: list = [None] * len(versions)

    def run(index: int, version: str) -> None:
        try:
            barrier.wait()
            outcomes[index] = services.publish_package(project=project, version=version, author=author).version
        except Exception as exc:  # recorded, so a database error shows up as a failed assertion
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, v)) for i, v in enumerate(versions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def project_with_drafts(project, user):
    for name in ("Card", "Page", "Hero"):
        services.create_component(
            project=project, name=name, type="view", content=bindjs(f"{name.lower()}()"), author=user
        )
    return project


def test_two_publishes_of_the_same_version_one_wins_and_the_other_gets_409(project_with_drafts, user):
    outcomes = publish_together(project_with_drafts, user, ["1.0.0", "1.0.0"])
    published = [o for o in outcomes if isinstance(o, Version)]
    refused = [o for o in outcomes if isinstance(o, RegistryError)]
    assert len(published) == 1
    assert [(e.status, e.code) for e in refused] == [(409, "VERSION_EXISTS")]
    assert ComponentVersion.objects.count() == 3


def test_two_publishes_of_different_versions_are_serialized_and_never_reuse_a_component_number(
    project_with_drafts, user
):
    outcomes = publish_together(project_with_drafts, user, ["1.0.0", "2.0.0"])
    # Either both publish (2.0.0 after 1.0.0), or 2.0.0 went first and 1.0.0 is refused as not greater.
    for outcome in outcomes:
        assert isinstance(outcome, Version) or (outcome.status, outcome.code) == (400, "INVALID_VERSION")
    assert any(isinstance(o, Version) for o in outcomes)
    # the drafts were published once, at 1; a second package only re-included them
    assert sorted(ComponentVersion.objects.values_list("name", "version")) == [("Card", 1), ("Hero", 1), ("Page", 1)]
    assert set(Component.objects.values_list("status", "version")) == {("published", 1)}


def test_many_concurrent_publishes_with_edits_in_between_never_duplicate_a_component_version(project_with_drafts, user):
    versions = [f"1.{minor}.0" for minor in range(6)]
    publish_together(project_with_drafts, user, versions)
    numbers = list(ComponentVersion.objects.values_list("component_id", "version"))
    assert len(numbers) == len(set(numbers))
    assert Version.objects.filter(package__project=project_with_drafts).count() >= 1


def test_two_concurrent_declarations_that_would_form_a_loop_cannot_both_succeed(organization, project, user):
    from tests.factories import ProjectFactory

    core = ProjectFactory(organization=organization, name="core")
    for each in (project, core):
        services.create_component(project=each, name="Card", type="view", content=bindjs("card()"), author=user)
        services.publish_package(project=each, version="1.0.0", author=user)
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def declare(index: int, source, target) -> None:
        try:
            barrier.wait()
            outcomes[index] = services.add_project_dependency(project=source, depends_on=target, version="1.0.0")
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=declare, args=(0, project, core)),
        threading.Thread(target=declare, args=(1, core, project)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert [(e.status, e.code) for e in refused] == [(409, "CIRCULAR_DEPENDENCY")]


DEPENDENCY_RACES = int(os.environ.get("RACE_ROUNDS", 60))


def answers_together(*calls) -> list[str]:
    """Start ``calls`` at the same moment; each one's outcome: ``done``, ``<status> <code>`` of the
    RegistryError it raised, or ``500 <exception>`` for any other error (what the API would answer)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            call()
            outcomes[index] = "done"
        except RegistryError as exc:
            outcomes[index] = f"{exc.status} {exc.code}"
        except Exception as exc:
            outcomes[index] = f"500 {type(exc).__name__}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_a_dependency_declared_racing_a_delete_of_the_project_it_names_gives_one_order_s_answers(
    organization, project, user
):
    """Either the declaration lands and the delete is refused (409 PROJECT_IN_USE), or the delete lands and
    the declaration names a project that is gone (400 DEPENDENCY_NOT_FOUND, as the view answers when it
    cannot find it): never a foreign-key violation at commit."""
    from components_app.models import ProjectDependency
    from registry.models import Project
    from registry.services import delete_project
    from tests.factories import ProjectFactory

    for i in range(DEPENDENCY_RACES):
        core = ProjectFactory(organization=organization, name=f"core{i}")
        services.create_component(project=core, name="Card", type="view", content=bindjs("card()"), author=user)
        services.publish_package(project=core, version="1.0.0", author=user)
        declared, deleted = answers_together(
            lambda core=core: services.add_project_dependency(project=project, depends_on=core, version="1.0.0"),
            lambda core=core: delete_project(project=core),
        )
        assert (declared, deleted) in [("done", "409 PROJECT_IN_USE"), ("400 DEPENDENCY_NOT_FOUND", "done")]
        assert Project.objects.filter(pk=core.pk).exists() == (declared == "done")
        assert ProjectDependency.objects.filter(project=project).exists() == (declared == "done")
        ProjectDependency.objects.filter(project=project).delete()  # the next round starts without one
