"""insert_unless_conflict (one INSERT ... ON CONFLICT DO NOTHING that says whether it inserted) and
CompiledQuery (a fixed-shape read the ORM compiles once)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from packages_app.models import Package, UsedVersionNumber
from registry.db import CompiledQuery, insert_unless_conflict
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


# --- CompiledQuery ---------------------------------------------------------------------------------


def _package_by_name(project_id: int, name: str):
    return (
        Package.objects.filter(project_id=project_id, name__lower=name)
        .order_by()
        .values_list("pk", "name", "tags", "created_at")[:1]
    )


BY_NAME = CompiledQuery(_package_by_name)


def test_a_compiled_query_runs_the_sql_the_orm_would_and_converts_results_alike():
    package = PackageFactory(name="Ledger", tags=["finance", "gl"])
    with CaptureQueriesContext(connection) as compiled:
        rows = BY_NAME.rows(project_id=package.project_id, name="ledger")
    with CaptureQueriesContext(connection) as orm:
        expected = list(_package_by_name(project_id=package.project_id, name="ledger"))
    assert rows == expected
    assert rows[0][2] == ["finance", "gl"]  # JSON decoded, as the ORM does
    assert rows[0][3] == package.created_at  # an aware datetime on every backend
    assert [query["sql"] for query in compiled] == [query["sql"] for query in orm]


def test_a_compiled_query_takes_new_values_on_every_run():
    first = PackageFactory(name="ledger")
    second = PackageFactory(name="budget")
    assert BY_NAME.rows(project_id=first.project_id, name="ledger")[0][0] == first.pk
    assert BY_NAME.rows(project_id=second.project_id, name="budget")[0][0] == second.pk
    assert BY_NAME.rows(project_id=second.project_id, name="ledger") == []


@pytest.mark.django_db(transaction=True)  # a connection may only be closed outside a transaction
def test_a_compiled_query_survives_its_connection_being_closed():
    package = PackageFactory(name="ledger")
    BY_NAME.rows(project_id=package.project_id, name="ledger")
    connection.close()
    assert BY_NAME.rows(project_id=package.project_id, name="ledger")[0][0] == package.pk


def test_an_argument_the_sql_does_not_carry_exactly_once_is_refused():
    def twice(name: str):
        return Package.objects.filter(name=name, description=name).values_list("pk")

    with pytest.raises(ValueError, match="exactly one parameter"):
        CompiledQuery(twice).rows(name="ledger")


def test_an_argument_without_a_type_is_refused():
    with pytest.raises(TypeError, match="annotated int or str"):
        CompiledQuery(lambda name: Package.objects.filter(name=name).values_list("pk")).rows(name="ledger")


def _locked_by_name(project_id: int, name: str):
    return Package.objects.select_for_update().filter(project_id=project_id, name=name).order_by().values_list("pk")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # autocommit outside the atomic block below
def test_a_compiled_select_for_update_outside_a_transaction_is_refused_as_the_orm_refuses_it():
    package = PackageFactory(name="ledger")
    locked = CompiledQuery(_locked_by_name)
    with transaction.atomic():
        assert locked.rows(project_id=package.project_id, name="ledger") == [(package.pk,)]  # compiled here
    with pytest.raises(TransactionManagementError):
        locked.rows(project_id=package.project_id, name="ledger")


def test_an_argument_the_orm_rewrites_is_refused_never_substituted_raw():
    def case_insensitive(name: str):  # SQLite: LIKE with % and _ escaped in the value; PostgreSQL: UPPER(%s)
        return Package.objects.filter(name__iexact=name).values_list("pk")

    PackageFactory(name="ledger")
    compiled = CompiledQuery(case_insensitive)
    if connection.vendor == "sqlite":  # the value is rewritten: refused
        with pytest.raises(ValueError, match="exactly one parameter"):
            compiled.rows(name="l_dger")
    else:  # the value goes in as it is: substituting it is what the ORM does
        assert compiled.rows(name="l_dger") == list(case_insensitive("l_dger")) == []
