"""Publishing helper for console tests: a version with its declared dependencies resolved and locked."""

from django.db import transaction

from packages_app.models import Package, Version
from packages_app.resolution import parse_requirements, record_dependencies, resolve
from tests.factories import PackageFactory, make_version


def publish_locked(*, project, user, name: str, version: str, dependencies: dict[str, str] | None = None) -> Version:
    """Publish ``name@version`` in ``project`` through the version services and the resolver."""
    package = Package.objects.filter(project=project, name=name).first() or PackageFactory(project=project, name=name)
    with transaction.atomic():
        requirements = parse_requirements(project=project, declared=dependencies or {}, user=user)
        resolution = resolve(root_label=f"{name}@{version}", requirements=requirements, root_package_id=package.pk)
        published = make_version(package, version)
        record_dependencies(version=published, requirements=requirements, resolution=resolution)
    return published
