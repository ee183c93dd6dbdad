"""Fixtures for the staff console: a logged-in staff client and a publisher that records real locks."""

import pytest
from django.db import transaction

from packages_app.models import Package
from packages_app.resolution import parse_requirements, record_dependencies, resolve
from tests.factories import PackageFactory, make_version


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def publish(project, staff_user):
    """Publish ``name@version`` in ``project`` with declared dependencies, resolved and locked by the resolver."""

    def build(name: str, version: str, dependencies: dict[str, str] | None = None, *, in_project=None):
        target = in_project or project
        package = Package.objects.filter(project=target, name=name).first() or PackageFactory(project=target, name=name)
        with transaction.atomic():
            requirements = parse_requirements(project=target, declared=dependencies or {}, user=staff_user)
            resolution = resolve(root_label=f"{name}@{version}", requirements=requirements, root_package_id=package.pk)
            published = make_version(package, version)
            record_dependencies(version=published, requirements=requirements, resolution=resolution)
        return published

    return build
