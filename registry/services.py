"""Writes on organizations, projects, grants and group service tokens. Each function is one transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from registry import hooks
from registry.access import scope_of
from registry.errors import RegistryError, not_found, validation_failed
from registry.models import (
    ORGANIZATION_ROLES,
    PROJECT_ROLES,
    ApiToken,
    Grant,
    Organization,
    OrganizationGroup,
    Project,
    Role,
)
from registry.tokens import issue_token, revoke_token, service_account_for

# Credible's documented default expiry for service tokens.
DEFAULT_TOKEN_LIFETIME = timedelta(days=365 * 99)


def _full_clean(obj, field_names: dict[str, str]) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        model_field, messages = next(iter(exc.message_dict.items()))
        raise validation_failed(field_names.get(model_field, model_field), messages[0]) from exc


def _save_new(obj, *, code: str, message: str) -> None:
    """Insert ``obj``; a case-insensitive name clash (also a concurrent one) is a 409 ``code``."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise RegistryError(code, message, status=409, details={"name": obj.name}) from exc


@dataclass(frozen=True)
class Changes:
    """Fields a PATCH sets; None leaves a field as it is."""

    display_name: str | None = None
    description: str | None = None

    def apply(self, obj) -> bool:
        changed = False
        for name in ("display_name", "description"):
            value = getattr(self, name)
            if value is not None and hasattr(obj, name) and getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        return changed


# --- Organizations and projects -------------------------------------------------------------------


def create_organization(*, name: str, creator, display_name: str = "", description: str = "") -> Organization:
    """A new organization; its creator becomes its admin."""
    with transaction.atomic():
        if Organization.objects.by_name(name).exists():
            raise organization_exists(name)
        organization = Organization(name=name, display_name=display_name, description=description)
        _full_clean(organization, {"name": "name", "display_name": "displayName"})
        _save_new(organization, code="ORGANIZATION_EXISTS", message=f"Organization {name} already exists")
        if creator.is_authenticated:
            Grant.objects.create(organization=organization, user=creator, role=Role.ADMIN)
    return organization


def organization_exists(name: str) -> RegistryError:
    return RegistryError(
        "ORGANIZATION_EXISTS", f"Organization {name} already exists", status=409, details={"name": name}
    )


def update_organization(*, organization: Organization, changes: Changes) -> Organization:
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        if changes.apply(locked):
            _full_clean(locked, {"display_name": "displayName"})
            locked.save()
    return locked


def delete_organization(*, organization: Organization) -> None:
    """Delete an organization with everything in it; PACKAGE_IN_USE if a version elsewhere depends on it."""
    try:
        with transaction.atomic():
            hooks.prepare_projects_for_deletion(
                projects=organization.projects.all(), what=f"Organization {organization.name}"
            )
            organization.delete()
    except ProtectedError as exc:
        raise RegistryError(
            "ORGANIZATION_IN_USE",
            f"Organization {organization.name} cannot be deleted: packages elsewhere depend on its packages.",
            status=409,
        ) from exc


def create_project(*, organization: Organization, name: str, description: str = "") -> Project:
    with transaction.atomic():
        if Project.objects.filter(organization=organization, name__lower=name.lower()).exists():
            raise RegistryError("PROJECT_EXISTS", f"Project {name} already exists", status=409, details={"name": name})
        project = Project(organization=organization, name=name, description=description)
        _full_clean(project, {"name": "name"})
        _save_new(project, code="PROJECT_EXISTS", message=f"Project {name} already exists")
    return project


def update_project(*, project: Project, changes: Changes) -> Project:
    with transaction.atomic():
        locked = Project.objects.select_for_update(of=("self",)).select_related("organization").get(pk=project.pk)
        if changes.apply(locked):
            _full_clean(locked, {})
            locked.save()
    return locked


def delete_project(*, project: Project) -> None:
    """Delete a project with its packages; PACKAGE_IN_USE if a version elsewhere depends on one of them."""
    try:
        with transaction.atomic():
            hooks.prepare_projects_for_deletion(
                projects=Project.objects.filter(pk=project.pk), what=f"Project {project.name}"
            )
            project.delete()
    except ProtectedError as exc:
        raise RegistryError(
            "PROJECT_IN_USE",
            f"Project {project.name} cannot be deleted: something outside it depends on its packages.",
            status=409,
        ) from exc


# --- Grants ---------------------------------------------------------------------------------------


def _scope_field(scope) -> str:
    """The Grant field naming ``scope``: organization, project or package."""
    _, project, package = scope_of(scope)
    return "package" if package is not None else "project" if project is not None else "organization"


def roles_for(scope) -> tuple[Role, ...]:
    return ORGANIZATION_ROLES if isinstance(scope, Organization) else PROJECT_ROLES


def principal_from_id(user_group_id: str) -> Q:
    """The Grant filter for a Credible principal id ``user:{email}`` or ``group:{name}``.

    Raises VALIDATION_FAILED for a malformed id, and for one naming nobody this registry knows.
    """
    kind, _, name = (user_group_id or "").partition(":")
    if kind == "user" and name:
        User = get_user_model()
        user = User.objects.filter(Q(email__iexact=name) | Q(username=name)).order_by("pk").first()
        if user is None:
            raise validation_failed("userGroupId", f"no user with email {name}")
        return Q(user=user)
    if kind == "group" and name:
        group = Group.objects.filter(name=name).first()
        if group is None:
            raise validation_failed("userGroupId", f"no group named {name}")
        return Q(group=group)
    raise validation_failed("userGroupId", "expected 'user:{email}' or 'group:{name}'")


def set_grant(*, scope, user_group_id: str, role: str) -> tuple[Grant, bool]:
    """Give the principal ``role`` on ``scope``, replacing their role there. True when the grant is new."""
    allowed = roles_for(scope)
    if role not in allowed:
        raise validation_failed("permission", f"must be one of {', '.join(r.value for r in allowed)}")
    who = principal_from_id(user_group_id)
    key = _scope_field(scope)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().filter(who, **{key: scope}).first()
        if grant is not None:
            if grant.role != role:
                grant.role = role
                grant.save(update_fields=["role", "updated_at"])
            return grant, False
        principal = who.children[0]  # ("user", user) or ("group", group)
        grant = Grant(**{key: scope, principal[0]: principal[1]}, role=role)
        grant.full_clean()
        grant.save()
    return grant, True


def remove_grant(*, scope, user_group_id: str) -> None:
    who = principal_from_id(user_group_id)
    with transaction.atomic():
        deleted, _ = Grant.objects.filter(who, **{_scope_field(scope): scope}).delete()
    if not deleted:
        raise RegistryError(
            "NOT_FOUND",
            f"{user_group_id} has no permission here",
            status=404,
            details={"resourceType": "permission", "resourceId": user_group_id},
        )


# --- Personal API tokens --------------------------------------------------------------------------


def issue_user_token(
    *, user, name: str, read_only: bool = False, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A personal token acting as ``user``, with whatever roles the user holds. The secret is returned
    once; only its digest is stored. ``read_only`` refuses every write; no ``expires_at``: it never expires.

    Raises VALIDATION_FAILED for a bad name, a past expiry or an inactive user or service account, and
    409 TOKEN_EXISTS when the user already has a token called ``name`` (revoked ones included).
    """
    if not name or len(name) > 100:
        raise validation_failed("name", "a token name of 1 to 100 characters is required")
    if expires_at is not None and expires_at <= timezone.now():
        raise validation_failed("expiresAt", "must be in the future")
    if not user.is_active:
        raise validation_failed("user", f"{user.get_username()} is inactive: its tokens would be refused")
    if user.get_username().startswith(SERVICE_ACCOUNT_PREFIX):
        raise validation_failed("user", "a service account's tokens are issued for its group")
    with transaction.atomic():
        if ApiToken.objects.filter(user=user, name=name).exists():
            raise RegistryError(
                "TOKEN_EXISTS",
                f"User {user.get_username()} already has a token named {name}",
                status=409,
                details={"name": name},
            )
        return issue_token(user=user, name=name, read_only=read_only, expires_at=expires_at)


# --- Group service tokens -------------------------------------------------------------------------


def issue_group_token(
    *, organization: Organization, group_name: str, name: str, issuer, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A service token acting as the group's service account. The secret is returned once.

    The organization must own the group (staff: any group): a token carries whatever the group is
    granted anywhere, so no other organization's admin may mint one.
    """
    if not name or len(name) > 100:
        raise validation_failed("name", "a token name of 1 to 100 characters is required")
    if expires_at is not None and expires_at <= timezone.now():
        raise validation_failed("expiresAt", "must be in the future")
    group = owned_group(organization=organization, group_name=group_name, actor=issuer)
    with transaction.atomic():
        account = service_account_for(group)
        if ApiToken.objects.filter(user=account, name=name).exists():
            raise RegistryError(
                "TOKEN_EXISTS",
                f"Group {group_name} already has a token named {name}",
                status=409,
                details={"name": name},
            )
        return issue_token(
            user=account, name=name, group=group, expires_at=expires_at or timezone.now() + DEFAULT_TOKEN_LIFETIME
        )


def group_tokens(*, organization: Organization, group_name: str, actor):
    """The group's service tokens, newest first, revoked and expired ones included (no secrets: only
    digests are stored). Who may mint them may list them: the organization owning the group, or staff."""
    group = owned_group(organization=organization, group_name=group_name, actor=actor)
    return ApiToken.objects.filter(group=group).select_related("group")


def revoke_group_token(*, organization: Organization, group_name: str, name: str, actor) -> ApiToken:
    """Revoke the group's token called ``name``; it stops working on the next request. Revoking a
    revoked token changes nothing. The row stays, so the listing shows when it was revoked."""
    token = group_tokens(organization=organization, group_name=group_name, actor=actor).filter(name=name).first()
    if token is None:
        raise not_found("token", name)
    return revoke_token(token=token)


# --- Group members --------------------------------------------------------------------------------

# What a member's ``status`` asks for: True adds the user to the group, False takes them out.
MEMBER_STATUSES = {"active": True, "inactive": False, "removed": False}
# Service accounts (see registry.tokens.service_account_for) belong to their group through its tokens.
SERVICE_ACCOUNT_PREFIX = "service-account."


@dataclass(frozen=True)
class MemberChange:
    """One entry of a members request: a ``user:{email}`` id and the status asked for."""

    user_group_id: str
    status: str


def owned_group(*, organization: Organization, group_name: str, actor, create: bool = False) -> Group:
    """The group called ``group_name`` that ``organization`` owns (see ``OrganizationGroup``).

    Staff may reach any group of that name. With ``create``, a name no group has yet becomes a new group
    the organization owns. A group owned elsewhere, or by nobody, is 403 for everyone else: its members
    may read what other organizations granted it.
    """
    link = OrganizationGroup.objects.select_related("group").filter(group__name=group_name).first()
    if link is not None and link.organization_id == organization.pk:
        return link.group
    group = link.group if link is not None else Group.objects.filter(name=group_name).first()
    if group is None and create:
        try:
            with transaction.atomic():
                group = Group.objects.create(name=group_name)
                OrganizationGroup.objects.create(organization=organization, group=group)
                return group
        except IntegrityError:  # created meanwhile by another request: judge that one
            return owned_group(organization=organization, group_name=group_name, actor=actor)
    if group is None:
        raise RegistryError(
            "NOT_FOUND",
            f"group '{group_name}' was not found in organization {organization.name}",
            status=404,
            details={"resourceType": "group", "resourceId": group_name},
        )
    if actor.is_staff:
        return group
    raise RegistryError(
        "FORBIDDEN",
        f"Group {group_name} is not owned by {organization.name}; a staff user manages it.",
        status=403,
    )


def _member_users(changes: list[MemberChange]) -> list:
    """The user each ``user:{email}`` id names (one query for all), matched as ``principal_from_id``
    matches one: email in any case, or username, the oldest account first."""
    names = []
    for index, change in enumerate(changes):
        kind, _, name = (change.user_group_id or "").partition(":")
        if kind != "user" or not name:
            raise validation_failed(
                f"members[{index}].userGroupId", "expected 'user:{email}'; groups cannot be members of groups"
            )
        names.append(name)
    by_email: dict[str, object] = {}
    by_username: dict[str, object] = {}
    lowered = {name.lower() for name in names}
    for candidate in get_user_model().objects.filter(Q(email__lower__in=lowered) | Q(username__in=set(names))):
        for table, key in ((by_email, candidate.email.lower()), (by_username, candidate.username)):
            if key not in table or candidate.pk < table[key].pk:
                table[key] = candidate
    users = []
    for index, name in enumerate(names):
        field = f"members[{index}].userGroupId"
        matches = [user for user in (by_email.get(name.lower()), by_username.get(name)) if user is not None]
        user = min(matches, key=lambda match: match.pk, default=None)
        if user is None:
            raise validation_failed(field, f"no user with email {name}")
        if user.username.startswith(SERVICE_ACCOUNT_PREFIX):
            raise validation_failed(field, "a service account's membership follows its group's tokens")
        users.append(user)
    return users


def group_members(group: Group) -> list:
    """The group's people, service accounts left out, ordered by email (then username)."""
    return list(group.user_set.exclude(username__startswith=SERVICE_ACCOUNT_PREFIX).order_by("email", "username", "pk"))


def set_group_members(
    *, organization: Organization, group_name: str, changes: list[MemberChange], actor
) -> tuple[Group, list]:
    """Add (``active``) or remove (``inactive``, ``removed``) users of an organization's group.

    Users not named keep their membership; entries apply in order, so the last one for a user wins;
    adding a member or removing a non-member changes nothing. Every entry is checked before anything
    is written, and all changes are one transaction. Membership is global (the group's grants may reach
    anything it is granted, now or later), so every cached read and token anywhere is made stale after
    commit. Returns the group and its members afterwards.
    """
    if not changes:
        raise validation_failed("members", "at least one member is required")
    with transaction.atomic():
        group = owned_group(organization=organization, group_name=group_name, actor=actor, create=True)
        group = Group.objects.select_for_update().get(pk=group.pk)  # one membership change at a time
        for index, change in enumerate(changes):
            if change.status not in MEMBER_STATUSES:
                raise validation_failed(f"members[{index}].status", f"must be one of {', '.join(MEMBER_STATUSES)}")
        wanted: dict[int, tuple[object, bool]] = {}  # user pk -> (user, member afterwards); later entries win
        for change, user in zip(changes, _member_users(changes), strict=True):
            wanted[user.pk] = (user, MEMBER_STATUSES[change.status])
        to_add = [user for user, active in wanted.values() if active]
        to_remove = [user for user, active in wanted.values() if not active]
        if to_add:
            group.user_set.add(*to_add)
        if to_remove:
            group.user_set.remove(*to_remove)
        return group, group_members(group)
