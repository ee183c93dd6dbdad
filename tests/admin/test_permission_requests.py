"""Permission requests in the staff console: listed, and granted or refused by an action."""

import pytest

from registry.models import Grant, PermissionRequest
from registry.services import request_permission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/registry/permissionrequest/"


@pytest.fixture
def pending(project):
    asker = UserFactory(username="asker", email="asker@example.com")
    return request_permission(
        scope=project, requester=asker, user_group_id="user:asker@example.com", role="modeler", message="I publish"
    )


def test_the_changelist_shows_who_asked_for_what_where(staff_client, pending):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "user:asker@example.com" in page
    assert "acme/finance" in page
    assert "I publish" in page


@pytest.mark.parametrize(
    ("action", "status", "granted"), [("grant_requests", "granted", 1), ("refuse_requests", "refused", 0)]
)
def test_an_action_grants_or_refuses_the_selected_requests(staff_client, pending, action, status, granted):
    response = staff_client.post(CHANGELIST, {"action": action, "_selected_action": [pending.pk]}, follow=True)
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == status
    assert Grant.objects.filter(project=pending.project, user=pending.user, role="modeler").count() == granted
    assert PermissionRequest.objects.pending().count() == 0
