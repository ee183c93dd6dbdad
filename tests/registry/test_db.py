"""insert_unless_conflict: one INSERT ... ON CONFLICT DO NOTHING that says whether it inserted."""

import pytest
from django.db import IntegrityError, transaction

from packages_app.models import Package, UsedVersionNumber
from registry.db import insert_unless_conflict
from tests.factories import PackageFactory, ProjectFactory

KEY = ["project", "package_name", "version"]

pytestmark = pytest.mark.django_db


def used(project, version="1.0.0", name="ledger") -> UsedVersionNumber:
    return UsedVersionNumber(project=project, package_name=name, version=version, sha256="a" * 64)


def test_a_new_row_is_inserted_and_gets_its_primary_key():
    project = ProjectFactory()
    row = used(project)
    assert insert_unless_conflict(row, unique_fields=KEY) is True
    assert row.pk is not None
    assert UsedVersionNumber.objects.get(pk=row.pk).version == "1.0.0"


def test_a_row_breaking_a_unique_constraint_is_skipped_and_the_transaction_stays_usable():
    project = ProjectFactory()
    insert_unless_conflict(used(project), unique_fields=KEY)
    with transaction.atomic():
        again = used(project)
        assert insert_unless_conflict(again, unique_fields=KEY) is False
        assert again.pk is None
        # No savepoint was needed: the transaction goes on.
        assert insert_unless_conflict(used(project, version="1.0.1"), unique_fields=KEY) is True
    assert UsedVersionNumber.objects.count() == 2


def test_a_row_breaking_a_check_constraint_still_raises():
    project = ProjectFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_unless_conflict(used(project, name="Ledger"), unique_fields=KEY)  # the name must be stored lower-cased


def test_a_row_breaking_another_unique_constraint_still_raises():
    existing = PackageFactory(name="ledger")
    twin = Package(project=existing.project, name="LEDGER", resource_identifier="acme/elsewhere/ledger")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_unless_conflict(twin, unique_fields=["resource_identifier"])  # the name clash is not skipped
