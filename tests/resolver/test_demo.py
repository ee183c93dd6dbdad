"""The demo registry has dependencies between its packages, locked like any publish, and loads twice safely."""

import io

from django.core.management import call_command

from packages_app.models import Dependency, LockEntry, Version


def locked(package: str, version: str) -> dict[str, str]:
    root = Version.objects.get(package__name=package, version=version)
    return {entry.package.name: entry.resolved.version for entry in LockEntry.objects.filter(root=root)}


def test_demo_packages_depend_on_each_other_with_locks(db):
    call_command("load_demo", stdout=io.StringIO())
    assert locked("campaigns", "2.0.0") == {"forecast": "2.0.0", "revenue": "2.0.0", "ledger": "2.0.0"}
    assert locked("forecast", "1.1.0") == {"revenue": "1.1.0", "ledger": "1.1.0"}
    assert locked("shipping", "2.0.0") == {"inventory": "2.0.0"}


def test_loading_the_demo_again_changes_nothing(db):
    call_command("load_demo", stdout=io.StringIO())
    counts = (Version.objects.count(), Dependency.objects.count(), LockEntry.objects.count())
    call_command("load_demo", stdout=io.StringIO())
    assert (Version.objects.count(), Dependency.objects.count(), LockEntry.objects.count()) == counts
