"""Who may do what: the one place roles are evaluated.

A grant on an organization reaches its projects and packages; a grant on a project reaches its packages.
Staff may do everything. Reads that a caller may not make answer 404 (the thing does not exist for
them); writes they may read but not make answer 403.
"""

from django.db.models import Q

from registry.errors import RegistryError
from registry.models import ROLE_RANK, Grant, Organization, Project, Role

READ = 1
WRITE = 2  # publish, edit
ADMIN = 3  # manage grants, delete


def principal_q(user, prefix: str = "") -> Q:
    """Grants given to ``user`` directly or to one of their groups."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(**{f"{prefix}user": user}) | Q(**{f"{prefix}group__in": user.groups.all()})


def _scope_chain(obj) -> tuple[Organization, Project | None, object | None]:
    """(organization, project, package) for an organization, a project or a package."""
    from packages_app.models import Package

    if isinstance(obj, Organization):
        return obj, None, None
    if isinstance(obj, Project):
        return obj.organization, obj, None
    if isinstance(obj, Package):
        return obj.project.organization, obj.project, obj
    raise TypeError(f"no access scope for {type(obj).__name__}")


def grants_reaching(user, obj):
    """Every grant of the user's that applies to ``obj``, from its own level and from above."""
    organization, project, package = _scope_chain(obj)
    scope = Q(organization=organization)
    if project is not None:
        scope |= Q(project=project)
    if package is not None:
        scope |= Q(package=package)
    return Grant.objects.filter(principal_q(user)).filter(scope)


def effective_rank(user, obj) -> int:
    """The highest rank the user holds on ``obj`` (0 for none)."""
    if user.is_authenticated and user.is_active and user.is_staff:
        return ROLE_RANK[Role.ADMIN]
    if not user.is_authenticated or not user.is_active:
        return 0
    roles = grants_reaching(user, obj).values_list("role", flat=True)
    return max((ROLE_RANK[Role(role)] for role in roles), default=0)


def has_rank(user, obj, needed: int) -> bool:
    return effective_rank(user, obj) >= needed


def require(user, obj, needed: int, *, read_only_token: bool = False) -> None:
    """Raise unless ``user`` holds ``needed`` on ``obj``.

    The caller has already looked ``obj`` up through a ``visible_to`` queryset, so they may read it;
    anything more they lack is a 403.
    """
    if needed > READ and read_only_token:
        raise RegistryError("FORBIDDEN", "This token is read-only.", status=403)
    if not has_rank(user, obj, needed):
        role = {WRITE: "modeler", ADMIN: "admin"}.get(needed, "viewer")
        raise RegistryError(
            "FORBIDDEN",
            f"You need the {role} role on {obj} to do this.",
            status=403,
            details={"requiredRole": role},
        )
