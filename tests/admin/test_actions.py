import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from packages_app.models import ArchiveStatus, IndexStatus, Version
from registry.models import ApiToken
from registry.tokens import issue_token

pytestmark = pytest.mark.django_db

VERSIONS = "admin:packages_app_version_changelist"


def run_action(client, url_name, action, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects], **extra}
    return client.post(reverse(url_name), data)


def test_archive_asks_for_confirmation_before_archiving(staff_client, publish):
    version = publish("ledger", "1.0.0")

    response = run_action(staff_client, VERSIONS, "archive", [version])

    assert response.status_code == 200
    assert b'id="confirm-action-form"' in response.content
    assert b"ledger@1.0.0" in response.content
    version.refresh_from_db()
    assert version.archive_status == ArchiveStatus.UNARCHIVE


def test_confirmed_archive_archives_the_selected_versions(staff_client, publish):
    first, second = publish("ledger", "1.0.0"), publish("ledger", "1.1.0")
    untouched = publish("ledger", "1.2.0")

    response = run_action(staff_client, VERSIONS, "archive", [first, second], post="yes")

    assert response.status_code == 302
    statuses = dict(Version.objects.values_list("version", "archive_status"))
    assert statuses == {"1.0.0": "archive", "1.1.0": "archive", untouched.version: "unarchive"}


def test_archiving_the_latest_version_makes_the_next_highest_latest(staff_client, publish):
    publish("ledger", "1.0.0")
    newest = publish("ledger", "2.0.0")

    run_action(staff_client, VERSIONS, "archive", [newest], post="yes")

    page = staff_client.get(reverse("admin:packages_app_package_change", args=[newest.package_id]))
    assert page.context["original"].latest_version_string == "1.0.0"


def test_unarchive_restores_versions_without_a_confirmation(staff_client, publish):
    version = publish("ledger", "1.0.0")
    Version.objects.filter(pk=version.pk).update(archive_status=ArchiveStatus.ARCHIVE)

    response = run_action(staff_client, VERSIONS, "unarchive", [version])

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.archive_status == ArchiveStatus.UNARCHIVE


def test_reindex_indexes_a_failed_version_again(staff_client, publish, django_capture_on_commit_callbacks):
    version = publish("ledger", "1.0.0")
    Version.objects.filter(pk=version.pk).update(index_status=IndexStatus.FAILED, index_error="disk full")

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(staff_client, VERSIONS, "reindex", [version])

    assert response.status_code == 302
    version.refresh_from_db()
    assert version.index_status == IndexStatus.INDEXED
    assert version.index_error == ""
    assert version.index_entries.filter(kind="source", name="orders").exists()


def test_revoking_a_token_asks_for_confirmation_first(staff_client, user):
    token, _ = issue_token(user=user, name="ci")

    response = run_action(staff_client, "admin:registry_apitoken_changelist", "revoke", [token])

    assert b'id="confirm-action-form"' in response.content
    token.refresh_from_db()
    assert token.revoked_at is None


def test_confirmed_revoke_revokes_the_token(staff_client, user):
    token, _ = issue_token(user=user, name="ci")

    run_action(staff_client, "admin:registry_apitoken_changelist", "revoke", [token], post="yes")

    assert ApiToken.objects.active().filter(pk=token.pk).exists() is False


def test_versions_cannot_be_deleted_from_the_console(staff_client, publish):
    version = publish("ledger", "1.0.0")

    response = staff_client.get(reverse("admin:packages_app_version_delete", args=[version.pk]))

    assert response.status_code == 403
    changelist = staff_client.get(reverse(VERSIONS))
    actions = [name for name, _ in changelist.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"reindex", "archive", "unarchive"} <= set(actions)


def test_a_tokens_owner_and_scope_cannot_be_edited_in_the_console(staff_client, user, staff_user):
    token, _ = issue_token(user=user, name="ci", read_only=True)
    url = reverse("admin:registry_apitoken_change", args=[token.pk])

    staff_client.post(url, {"user": staff_user.pk, "name": "ci", "read_only": ""})

    token.refresh_from_db()
    assert (token.user_id, token.read_only) == (user.pk, True)


def test_project_dependencies_cannot_be_declared_from_the_console(staff_client):
    response = staff_client.get(reverse("admin:components_app_projectdependency_add"))

    assert response.status_code == 403
