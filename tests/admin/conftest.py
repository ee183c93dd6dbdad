"""Fixtures for the staff console: a logged-in staff client and a publisher that records real locks."""

import pytest

from tests.admin.publishing import publish_locked


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def publish(project, staff_user):
    """Publish ``name@version`` in ``project`` with declared dependencies, resolved and locked by the resolver."""

    def build(name: str, version: str, dependencies: dict[str, str] | None = None, *, in_project=None):
        return publish_locked(
            project=in_project or project, user=staff_user, name=name, version=version, dependencies=dependencies
        )

    return build
