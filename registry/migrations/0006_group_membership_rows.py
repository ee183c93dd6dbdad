"""A status row (``member``) for every user already in a group, service accounts left out.

Before, a member's status was not stored: requests said ``active`` (in the group) or ``inactive`` /
``removed`` (out of it), and only ``user.groups`` recorded the result. Every current member becomes a
``member``; nobody becomes an ``admin`` without an organization admin saying so. Reversing deletes the
rows and leaves ``user.groups`` as it was.
"""

from django.db import migrations

SERVICE_ACCOUNT_PREFIX = "service-account."
BATCH = 1000


def add_rows(apps, schema_editor):
    User = apps.get_model(*_user_model())
    GroupMembership = apps.get_model("registry", "GroupMembership")
    through = User.groups.through
    pairs = (
        through.objects.exclude(user__username__startswith=SERVICE_ACCOUNT_PREFIX)
        .order_by("pk")
        .values_list("group_id", "user_id")
    )
    batch = []
    for group_id, user_id in pairs.iterator(chunk_size=BATCH):
        batch.append(GroupMembership(group_id=group_id, user_id=user_id, status="member"))
        if len(batch) >= BATCH:
            GroupMembership.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        GroupMembership.objects.bulk_create(batch, ignore_conflicts=True)


def _user_model() -> tuple[str, str]:
    from django.conf import settings

    app_label, model = settings.AUTH_USER_MODEL.split(".")
    return app_label, model


def remove_rows(apps, schema_editor):
    apps.get_model("registry", "GroupMembership").objects.filter(user__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_groups_members_requests")]

    operations = [migrations.RunPython(add_rows, remove_rows)]
