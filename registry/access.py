"""Who may do what: the one place roles are evaluated.

A grant on an organization reaches its projects and packages; a grant on a project reaches its packages.
Grants on organizations and projects are ``registry.models.Grant``; grants on packages are kept by the
packages app (``PackageGrant``), which registers them in ``registry.hooks``: this module counts both.
Staff may do everything. Reads that a caller may not make answer 404 (the thing does not exist for
them); writes they may read but not make answer 403.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import BigIntegerField, Q, Value
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property

from registry.errors import RegistryError
from registry.hooks import grants_inside
from registry.models import (
    ROLE_RANK,
    Grant,
    GroupMembership,
    MemberStatus,
    Organization,
    PermissionRequest,
    Project,
    Role,
)

READ = 1
WRITE = 2  # publish, edit
ADMIN = 3  # manage grants, delete


def _grants_database():
    return connections[router.db_for_read(Grant)]


def _groups_sql(connection) -> str:
    """The ids of the groups a user belongs to, as SQL taking the user's id twice: their own groups, and
    those holding one of them as a ``group:`` member (one level: a group inside a group cannot hold groups
    itself). The one statement of this rule: the ORM filters embed it (:func:`principal_q`) and the
    snapshot runs it (:func:`_grants_of`).

    Plain SQL over the membership tables, because every authenticated request asks it: composed from
    querysets, it cost more to build (about 1.5 ms of CPU, cloning and compiling nested subqueries) than
    to run; names come from the models' ``_meta``.
    """
    quote = connection.ops.quote_name
    through = get_user_model().groups.through._meta
    user_groups = quote(through.db_table)
    user_id, group_id = (quote(through.get_field(name).column) for name in ("user", "group"))
    members = GroupMembership._meta
    member_group = quote(members.get_field("member_group").column)
    containing_group = quote(members.get_field("group").column)
    return (
        f"SELECT {group_id} FROM {user_groups} WHERE {user_id} = %s"
        f" UNION SELECT m.{containing_group} FROM {quote(members.db_table)} m"
        f" JOIN {user_groups} g ON g.{group_id} = m.{member_group} WHERE g.{user_id} = %s"
    )


def principal_q(user, prefix: str = "") -> Q:
    """Grants given to ``user`` directly or to one of their groups."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    groups = RawSQL(_groups_sql(_grants_database()), (user.pk, user.pk))
    return Q(**{f"{prefix}user": user}) | Q(**{f"{prefix}group__in": groups})


def sees_everything(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def scope_of(obj) -> tuple[int, int | None, int | None]:
    """(organization id, project id, package id) of an organization, a project, or anything that names
    its place with an ``access_scope`` (a package: ``(organization id, project id, its own id)``)."""
    if isinstance(obj, Organization):
        return obj.pk, None, None
    if isinstance(obj, Project):
        return obj.organization_id, obj.pk, None
    scope = getattr(obj, "access_scope", None)
    if scope is None:
        raise TypeError(f"no access scope for {type(obj).__name__}")
    return scope


@dataclass(frozen=True)
class GrantPlace:
    """Where the grants and permission requests on one resource are kept: the models and the field
    naming the resource (organizations and projects here; packages in the app registered for them)."""

    grant_model: type
    request_model: type
    field: str

    def grants(self, scope):
        return self.grant_model.objects.filter(**{self.field: scope})

    def requests(self, scope):
        return self.request_model.objects.filter(**{self.field: scope})


def grant_place(scope) -> GrantPlace:
    if isinstance(scope, Organization):
        return GrantPlace(Grant, PermissionRequest, "organization")
    if isinstance(scope, Project):
        return GrantPlace(Grant, PermissionRequest, "project")
    inside = grants_inside(scope)
    if inside is None:
        raise TypeError(f"nothing is granted on a {type(scope).__name__}")
    return GrantPlace(inside.grant_model, inside.request_model, inside.field)


def visible_q(
    user, *, organization: str, project: str | None = None, package: str | None = None, below: bool = True
) -> Q:
    """The rule for reading, as a filter on a model whose organization, project and package are at the
    given paths (``"pk"`` for the model itself).

    A row is readable through a grant on its organization, its project or its package; with ``below``,
    also through a grant on something inside it (an organization is readable to whoever may read one of
    its projects or packages, a project to whoever may read one of its packages).
    """
    if sees_everything(user):
        return Q()
    if not (user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    grants = Grant.objects.filter(principal_q(user))
    readable = Q(**{f"{organization}__in": grants.filter(organization__isnull=False).values("organization_id")})
    on_projects = grants.filter(project__isnull=False)
    if project is not None:
        readable |= Q(**{f"{project}__in": on_projects.values("project_id")})
    elif below:
        readable |= Q(**{f"{organization}__in": on_projects.values("project__organization_id")})
    inside = grants_inside()
    if inside is None:
        return readable
    on_items = inside.grant_model.objects.filter(principal_q(user))
    if package is not None:
        readable |= Q(**{f"{package}__in": on_items.values(f"{inside.field}_id")})
    elif below and project is not None:
        readable |= Q(**{f"{project}__in": on_items.values(f"{inside.field}__project_id")})
    elif below:
        readable |= Q(**{f"{organization}__in": on_items.values(f"{inside.field}__project__organization_id")})
    return readable


def effective_rank(user, obj) -> int:
    """The highest rank the user holds on ``obj`` (0 for none)."""
    return GrantSnapshot(user).rank(obj)


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
    """

    def __init__(self, user):
        self.everything = sees_everything(user)
        # rank held on each organization, project and package (through a grant on that very object)
        self.organizations: dict[int, int] = {}
        self.projects: dict[int, int] = {}
        self.packages: dict[int, int] = {}
        self.user = user
        if self.everything or not (user.is_authenticated and user.is_active):
            return
        rows = _grants_of(user)
        for role, organization, project, package in rows:
            rank = ROLE_RANK[Role(role)]
            if organization is not None:
                self.organizations[organization] = max(rank, self.organizations.get(organization, 0))
            elif project is not None:
                self.projects[project] = max(rank, self.projects.get(project, 0))
            else:
                self.packages[package] = max(rank, self.packages.get(package, 0))

    @cached_property
    def _principal(self) -> Q:
        return principal_q(self.user)

    @cached_property
    def _below(self) -> tuple[set[int], set[int]]:
        """(projects, organizations) holding a package or project granted to the user: one query."""
        if not (self.projects or self.packages):
            return set(), set()
        rows = Grant.objects.filter(self._principal, project__isnull=False).values_list(
            null_id(), "project__organization_id"
        )
        inside = grants_inside()
        if inside is not None:
            items = inside.grant_model.objects.filter(self._principal).values_list(
                f"{inside.field}__project_id", f"{inside.field}__project__organization_id"
            )
            rows = rows.order_by().union(items.order_by(), all=True)
        projects, organizations = set(), set()
        for project, organization in rows:
            if project is not None:
                projects.add(project)
            organizations.add(organization)
        return projects, organizations

    @property
    def projects_below(self) -> set[int]:
        """Projects holding a package granted to the user: visible through it."""
        return self._below[0]

    @property
    def organizations_below(self) -> set[int]:
        """Organizations holding a project or package granted to the user: visible through it."""
        return self._below[1]

    def rank(self, obj) -> int:
        """The highest rank held on ``obj``: from a grant on it or on what holds it."""
        if self.everything:
            return ROLE_RANK[Role.ADMIN]
        organization, project, package = scope_of(obj)
        return max(
            self.organizations.get(organization, 0),
            self.projects.get(project, 0) if project is not None else 0,
            self.packages.get(package, 0) if package is not None else 0,
        )

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


def null_id():
    """NULL in a column of ids: the unused places of one kind of grant, in a union with the other."""
    return Value(None, output_field=BigIntegerField())


def _grants_of(user) -> list[tuple]:
    """(role, organization id, project id, package id) of every grant ``user`` holds, directly or by
    group: one statement (a union) whatever the kinds of grant.

    Plain SQL for the reason :func:`_groups_sql` gives: this runs on every authenticated request, and the
    same union composed from querysets cost about 1.6 ms of CPU to build against 0.1 ms to run. It says
    what :func:`principal_q` says (a test checks the snapshot against the querysets, groups included).
    """
    # No joins: most judgments need only these ranks. Where the objects granted below sit is looked up
    # when a question needs it (see GrantSnapshot.organizations_below).
    connection = _grants_database()
    quote = connection.ops.quote_name
    groups = _groups_sql(connection)

    def held(model, places: tuple[str | None, str | None, str | None]) -> str:
        meta = model._meta

        def column(name: str | None) -> str:
            return "NULL" if name is None else quote(meta.get_field(name).column)

        return (
            f"SELECT {column('role')}, {', '.join(column(place) for place in places)}"
            f" FROM {quote(meta.db_table)} WHERE {column('user')} = %s OR {column('group')} IN ({groups})"
        )

    statements = [held(Grant, ("organization", "project", None))]
    inside = grants_inside()
    if inside is not None:
        statements.append(held(inside.grant_model, (None, None, inside.field)))
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(statements), [user.pk] * 3 * len(statements))
        return cursor.fetchall()


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


def permission_level(obj, grants: GrantSnapshot) -> str | None:
    """The caller's role on ``obj`` by name (``member`` for reading an organization, ``viewer`` elsewhere),
    or None when they hold none there (they may still read it through something granted inside it)."""
    rank = grants.rank(obj)
    if rank >= ADMIN:
        return Role.ADMIN.value
    if rank >= WRITE:
        return Role.MODELER.value
    if rank >= READ:
        return Role.MEMBER.value if isinstance(obj, Organization) else Role.VIEWER.value
    return None


def rank_to_list_permissions(scope) -> int:
    """What listing who may access ``scope`` needs: a project's viewers, modelers and admins may list it
    (as Credible documents); an organization's or a package's list is for their admins."""
    return READ if isinstance(scope, Project) else ADMIN


def is_group_admin(user, group) -> bool:
    """Whether ``user`` is an ``admin`` member of ``group`` (directly; admin status does not nest)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return GroupMembership.objects.filter(group=group, user=user, status=MemberStatus.ADMIN).exists()


def may_manage_group(user, *, organization, group, grants: GrantSnapshot) -> bool:
    """Who may change an organization's group (its description and members): staff, the organization's
    admins, and the group's own ``admin`` members. Creating, deleting and minting tokens stay with the
    organization's admins."""
    return grants.rank(organization) >= ADMIN or is_group_admin(user, group)


def holds_any_grant(user) -> bool:
    """Whether ``user`` holds a role anywhere (directly or through a group)."""
    return user.is_authenticated and bool(_grants_of(user))
