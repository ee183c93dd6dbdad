"""Reads the API shares: the project a path names, and who holds which role on a resource, and from where."""

from django.db.models import Q

from registry.access import grant_place, scope_of
from registry.hooks import grants_inside
from registry.models import ROLE_RANK, Grant, Project, Role


def project_named(organization: str, project: str) -> Project | None:
    """The project ``organization/project`` (names in any case), its organization attached; None if none."""
    return Project.objects.by_name(organization, project).select_related("organization").first()


def permissions_on(scope, *, with_requests: bool = False) -> list[dict]:
    """One row per principal with access to ``scope``: its own grant and the highest one from above.

    One query whatever the number of grants (users and groups come with the grants), and one more for
    a package's own grants; with ``with_requests`` (for the scope's admins), another adds the pending
    permission requests: a row whose ``status`` is ``pending`` and ``requestedPermission`` the role asked
    for.
    """
    organization, project, _ = scope_of(scope)
    place = grant_place(scope)
    reaching = Q(organization_id=organization)
    if project is not None:
        reaching |= Q(project_id=project)
    grants = list(Grant.objects.filter(reaching).select_related("user", "group"))
    inside = grants_inside(scope)
    if inside is not None:
        grants += place.grants(scope).select_related("user", "group")
    rows: dict[str, dict] = {}

    def row_for(user_group_id: str) -> dict:
        return rows.setdefault(
            user_group_id,
            {
                "userGroupId": user_group_id,
                "permission": None,
                "inheritedPermission": None,
                "message": "",
                "status": "granted",
                "requestedPermission": None,
                "_dated": None,
            },
        )

    for grant in sorted(grants, key=lambda grant: grant.created_at):
        row = row_for(grant.user_group_id)
        if getattr(grant, f"{place.field}_id", None) == scope.pk:
            row["permission"] = grant.role
            row["message"] = grant.message
            row["_dated"] = grant
        else:
            inherited = row["inheritedPermission"]
            if inherited is None or ROLE_RANK[Role(grant.role)] > ROLE_RANK[Role(inherited)]:
                row["inheritedPermission"] = grant.role
                if row["permission"] is None:
                    row["_dated"] = grant
    if with_requests:
        pending = place.requests(scope).pending().select_related("user")
        for request in pending:
            row = row_for(request.user_group_id)
            row["status"] = "pending"
            row["requestedPermission"] = request.role
            row["message"] = request.message  # while pending, what the requester wrote
            if row["_dated"] is None:
                row["_dated"] = request
    result = []
    for user_group_id in sorted(rows):
        row = rows[user_group_id]
        dated = row.pop("_dated")
        result.append({**row, "createdAt": dated.created_at, "updatedAt": dated.updated_at})
    return result


def permission_of(scope, user_group_id: str, *, with_requests: bool = False) -> dict | None:
    """The one row of ``permissions_on`` for ``user_group_id`` (case-insensitive), or None."""
    wanted = user_group_id.lower()
    return next(
        (row for row in permissions_on(scope, with_requests=with_requests) if row["userGroupId"].lower() == wanted),
        None,
    )
