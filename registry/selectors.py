"""Reads the API shares: the project a path names, and who holds which role on a resource, and from where."""

from django.db.models import Q

from registry.access import scope_of
from registry.models import ROLE_RANK, Grant, Project, Role


def project_named(organization: str, project: str) -> Project | None:
    """The project ``organization/project`` (names in any case), its organization attached; None if none."""
    return Project.objects.by_name(organization, project).select_related("organization").first()


def permissions_on(scope) -> list[dict]:
    """One row per principal with access to ``scope``: its own grant and the highest one from above.

    One query whatever the number of grants (users and groups come with the grants).
    """
    organization, project, package = scope_of(scope)
    own_field = "package" if package is not None else "project" if project is not None else "organization"
    reaching = Q(organization_id=organization)
    if project is not None:
        reaching |= Q(project_id=project)
    if package is not None:
        reaching |= Q(package_id=package)
    rows: dict[str, dict] = {}
    for grant in Grant.objects.filter(reaching).select_related("user", "group").order_by("created_at"):
        row = rows.setdefault(
            grant.user_group_id,
            {"userGroupId": grant.user_group_id, "permission": None, "inheritedPermission": None, "_grant": None},
        )
        if getattr(grant, f"{own_field}_id") is not None:
            row["permission"] = grant.role
            row["_grant"] = grant
        else:
            inherited = row["inheritedPermission"]
            if inherited is None or ROLE_RANK[Role(grant.role)] > ROLE_RANK[Role(inherited)]:
                row["inheritedPermission"] = grant.role
                if row["permission"] is None:
                    row["_grant"] = grant
    result = []
    for user_group_id in sorted(rows):
        row = rows[user_group_id]
        grant = row.pop("_grant")
        result.append({**row, "createdAt": grant.created_at, "updatedAt": grant.updated_at})
    return result
