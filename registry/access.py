"""Who may do what: the one place roles are evaluated.

A grant on an organization reaches its projects and packages; a grant on a project reaches its packages.
Staff may do everything. Reads that a caller may not make answer 404 (the thing does not exist for
them); writes they may read but not make answer 403.
"""

from django.db.models import Q
from django.utils.functional import cached_property

from registry.errors import RegistryError
from registry.memo import GenerationMemo
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


class GrantSnapshot:
    """Every grant a user holds (directly or through a group), loaded in one query, judged in Python.

    (A second query, only when asked whether an organization or project the user holds no rank on is
    visible through a grant further down, finds where those granted objects sit.)

    It answers the same two questions as the ``visible_to`` querysets and :func:`effective_rank` for
    any organization, project or package, without a query per object. Views looking objects up by
    name use it: one plain lookup plus this snapshot costs far less than a lookup filtered by
    visibility subqueries followed by a role query. It is built per request; grants changed later are
    seen by the next one.

    Given the request's memo ``generation`` (see :mod:`registry.memo`), the grants are kept in this
    process until access changes anywhere.
    """

    def __init__(self, user, *, generation: int | None = None):
        self.everything = bool(user.is_authenticated and user.is_active and user.is_staff)
        # rank held on each organization, project and package (through a grant on that very object)
        self.organizations: dict[int, int] = {}
        self.projects: dict[int, int] = {}
        self.packages: dict[int, int] = {}
        if self.everything or not (user.is_authenticated and user.is_active):
            return
        rows = _grants_of(user, generation)
        for role, organization, project, package in rows:
            rank = ROLE_RANK[Role(role)]
            if organization is not None:
                self.organizations[organization] = max(rank, self.organizations.get(organization, 0))
            elif project is not None:
                self.projects[project] = max(rank, self.projects.get(project, 0))
            else:
                self.packages[package] = max(rank, self.packages.get(package, 0))

    @cached_property
    def projects_below(self) -> set[int]:
        """Projects holding a package granted to the user: visible through it."""
        from packages_app.models import Package

        if not self.packages:
            return set()
        return set(Package.objects.filter(pk__in=list(self.packages)).values_list("project_id", flat=True))

    @cached_property
    def organizations_below(self) -> set[int]:
        """Organizations holding a project or package granted to the user: visible through it."""
        if not (self.projects or self.packages):
            return set()
        from packages_app.models import Package

        return set(Project.objects.filter(pk__in=list(self.projects)).values_list("organization_id", flat=True)) | set(
            Package.objects.filter(pk__in=list(self.packages)).values_list("project__organization_id", flat=True)
        )

    def rank(self, obj) -> int:
        """The highest rank held on ``obj``, as :func:`effective_rank` computes it."""
        from packages_app.models import Package

        if self.everything:
            return ROLE_RANK[Role.ADMIN]
        if isinstance(obj, Organization):
            return self.organizations.get(obj.pk, 0)
        if isinstance(obj, Project):
            return max(self.organizations.get(obj.organization_id, 0), self.projects.get(obj.pk, 0))
        if isinstance(obj, Package):
            return max(
                self.organizations.get(obj.project.organization_id, 0),
                self.projects.get(obj.project_id, 0),
                self.packages.get(obj.pk, 0),
            )
        raise TypeError(f"no access scope for {type(obj).__name__}")

    def readable_packages(self, packages, project):
        """``packages`` (a queryset of ``project``'s packages) narrowed to those the user may read."""
        if self.rank(project) > 0:
            return packages
        return packages.filter(pk__in=list(self.packages))

    def can_read(self, obj) -> bool:
        """Whether ``obj`` is in its model's ``visible_to(user)`` queryset."""
        if self.rank(obj) > 0:
            return True
        if isinstance(obj, Organization):
            return obj.pk in self.organizations_below
        if isinstance(obj, Project):
            return obj.pk in self.projects_below
        return False


_grants_kept = GenerationMemo()


def _grants_of(user, generation: int | None) -> list[tuple]:
    """(role, organization id, project id, package id) of every grant the user holds, directly or by group."""
    rows = _grants_kept.get(user.pk, generation)
    if rows is None:
        # No joins: most judgments need only these ranks. Where the objects granted below sit is looked
        # up when a question needs it (see GrantSnapshot.organizations_below).
        rows = list(
            Grant.objects.filter(principal_q(user))
            .order_by()
            .values_list("role", "organization_id", "project_id", "package_id")
        )
        _grants_kept.put(user.pk, generation, rows)
    return rows


def require(user, obj, needed: int, *, read_only_token: bool = False, grants: GrantSnapshot | None = None) -> None:
    """Raise unless ``user`` holds ``needed`` on ``obj`` (judged from ``grants`` when given).

    The caller has already looked ``obj`` up through a ``visible_to`` queryset, so they may read it;
    anything more they lack is a 403.
    """
    if needed > READ and read_only_token:
        raise RegistryError("FORBIDDEN", "This token is read-only.", status=403)
    rank = grants.rank(obj) if grants is not None else effective_rank(user, obj)
    if rank < needed:
        role = {WRITE: "modeler", ADMIN: "admin"}.get(needed, "viewer")
        raise RegistryError(
            "FORBIDDEN",
            f"You need the {role} role on {obj} to do this.",
            status=403,
            details={"requiredRole": role},
        )
