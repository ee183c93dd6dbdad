"""record_dependencies writes the declared dependencies and the lock of the new version."""

import pytest

from packages_app.models import Dependency, LockEntry
from packages_app.resolution import record_dependencies, resolve
from packages_app.services import delete_package
from registry.errors import RegistryError


def test_the_lock_holds_every_package_of_the_closure_with_its_edge_and_depth(registry):
    c = registry.version("c", "1.1.0")
    b = registry.version("b", "1.0.0", {"c": "^1.0.0"})
    app = registry.version("app", "1.0.0")
    requirements = registry.requirements({"b": "^1.0.0"})
    resolution = resolve(root_label=app.label, requirements=requirements, root_package_id=app.package_id)
    record_dependencies(version=app, requirements=requirements, resolution=resolution)

    assert list(app.dependencies.values_list("package__name", "reference", "range")) == [("b", "b", "^1.0.0")]
    lock = {(e.package.name, e.resolved_id, e.parent_id, e.range, e.depth) for e in LockEntry.objects.filter(root=app)}
    assert lock == {("b", b.pk, None, "^1.0.0", 1), ("c", c.pk, b.pk, "^1.0.0", 2)}


def test_a_lock_keeps_its_versions_after_newer_ones_are_published(registry):
    old = registry.version("core", "1.0.0")
    app = registry.version("app", "1.0.0")
    requirements = registry.requirements({"core": "^1.0.0"})
    record_dependencies(
        version=app, requirements=requirements, resolution=resolve(root_label=app.label, requirements=requirements)
    )
    registry.version("core", "1.5.0")
    assert list(LockEntry.objects.filter(root=app).values_list("resolved_id", flat=True)) == [old.pk]


def test_a_dependency_deleted_after_resolution_is_refused_as_not_found_and_nothing_is_written(registry):
    registry.version("core", "1.0.0")
    app = registry.version("app", "1.0.0")
    requirements = registry.requirements({"core": "^1.0.0"})
    resolution = resolve(root_label=app.label, requirements=requirements, root_package_id=app.package_id)
    delete_package(package=registry.package("core"))  # by a concurrent request, before the lock was written
    with pytest.raises(RegistryError) as caught:
        record_dependencies(version=app, requirements=requirements, resolution=resolution)
    assert (caught.value.status, caught.value.code, caught.value.details["missing"]) == (
        400,
        "DEPENDENCY_NOT_FOUND",
        ["core"],
    )
    assert not Dependency.objects.filter(version=app).exists()
    assert not LockEntry.objects.filter(root=app).exists()
