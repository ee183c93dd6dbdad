"""Writes on organizations, projects, grants and group service tokens. Each function is one transaction."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from registry import hooks
from registry.access import grant_place
from registry.errors import RegistryError, not_found, validation_failed
from registry.models import (
    ORGANIZATION_ROLES,
    PROJECT_ROLES,
    ApiToken,
    Grant,
    GrantFields,
    GroupMembership,
    MemberStatus,
    Organization,
    OrganizationGroup,
    PermissionRequestFields,
    Project,
    RequestStatus,
    Role,
)
from registry.naming import NAME_MAX_LENGTH, validate_name
from registry.tokens import issue_token, revoke_token, service_account_for

notifications = logging.getLogger("registry.notifications")

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


def locked_organization(organization: Organization, *, no_key: bool = False) -> Organization:
    """``organization`` re-read under a row lock; 404 when a concurrent request deleted it meanwhile.

    ``no_key``: ``FOR NO KEY UPDATE``, for a change of columns nothing references (a PATCH): rows being
    created under the organization meanwhile need not wait for it.
    """
    locked = Organization.objects.select_for_update(no_key=no_key).filter(pk=organization.pk).order_by().first()
    if locked is None:
        raise not_found("Organization", organization.name)
    return locked


def locked_project(project: Project, *, no_key: bool = False) -> Project:
    """``project`` re-read under a row lock (its own row only); 404 when it was deleted meanwhile."""
    locked = (
        Project.objects.select_for_update(of=("self",), no_key=no_key)
        .select_related("organization")
        .filter(pk=project.pk)
        .order_by()
        .first()
    )
    if locked is None:
        raise not_found("Project", project.name)
    return locked


def update_organization(*, organization: Organization, changes: Changes) -> Organization:
    """Change an organization's details; 404 NOT_FOUND when it was deleted before the lock was granted."""
    with transaction.atomic():
        locked = locked_organization(organization, no_key=True)
        if changes.apply(locked):
            _full_clean(locked, {"display_name": "displayName"})
            locked.save()
    return locked


def delete_organization(*, organization: Organization) -> None:
    """Delete an organization with everything in it; PACKAGE_IN_USE if a version elsewhere depends on it.

    Locks in the documented order (docs/development.md, "Lock order"): the organization, its projects
    in id order, then (through the hooks) their packages and versions. A concurrent delete that got there
    first makes this one 404 NOT_FOUND.
    """
    try:
        with transaction.atomic():
            organization = locked_organization(organization)
            projects = Project.objects.filter(organization=organization)
            list(projects.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
            hooks.prepare_projects_for_deletion(projects=projects, what=f"Organization {organization.name}")
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
    """Change a project's details; 404 NOT_FOUND when it was deleted before the lock was granted."""
    with transaction.atomic():
        locked = locked_project(project, no_key=True)
        if changes.apply(locked):
            _full_clean(locked, {})
            locked.save()
    return locked


def delete_project(*, project: Project) -> None:
    """Delete a project with its packages; PACKAGE_IN_USE if a version elsewhere depends on one of them.

    Locks the project row, then (through the hooks) its packages and versions: the documented lock
    order. A concurrent delete that got there first makes this one 404 NOT_FOUND.
    """
    try:
        with transaction.atomic():
            project = locked_project(project)
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


def _check_role(scope, role: str, field: str = "permission") -> None:
    allowed = roles_for(scope)
    if role not in allowed:
        raise validation_failed(field, f"must be one of {', '.join(r.value for r in allowed)}")


def _pending_request(scope, who: Q):
    """The pending request of the user ``who`` names on ``scope`` (locked), or None (groups never ask)."""
    user = dict(who.children).get("user")
    if user is None:
        return None
    return grant_place(scope).requests(scope).select_for_update().pending().filter(user=user).first()


def _decide(request: PermissionRequestFields | None, *, status: str, actor) -> None:
    if request is not None:
        request.status = status
        request.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        request.decided_at = timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


def set_grant(
    *, scope, user_group_id: str, role: str, message: str | None = None, notify: bool = False, actor=None
) -> tuple[GrantFields, bool]:
    """Give the principal ``role`` on ``scope``, replacing their role there. True when the grant is new.

    A pending request of that user there is granted by it. ``message`` (when given) is kept on the grant.
    ``notify`` tells the principal after commit (see ``notify_people``).
    """
    _check_role(scope, role)
    who = principal_from_id(user_group_id)
    place = grant_place(scope)
    with transaction.atomic():
        grant = place.grants(scope).select_for_update().filter(who).first()
        created = grant is None
        if created:
            principal = who.children[0]  # ("user", user) or ("group", group)
            grant = place.grant_model(
                **{place.field: scope, principal[0]: principal[1]}, role=role, message=message or ""
            )
            grant.full_clean()
            grant.save()
        elif grant.role != role or (message is not None and grant.message != message):
            grant.role = role
            if message is not None:
                grant.message = message
            grant.save(update_fields=["role", "message", "updated_at"])
        _decide(_pending_request(scope, who), status=RequestStatus.GRANTED, actor=actor)
        if notify:
            notify_people(event="permission_granted", scope=scope, user_group_id=user_group_id, role=role)
    return grant, created


def update_permission(
    *,
    scope,
    user_group_id: str,
    actor,
    role: str | None = None,
    message: str | None = None,
    refuse: bool = False,
    notify: bool = False,
) -> GrantFields | None:
    """Change one principal's grant on ``scope``, or decide their pending request.

    With a pending request: ``refuse`` refuses it (None is returned); otherwise it is granted, with
    ``role`` and ``message`` or those asked for. Without one: ``role`` and ``message`` replace the grant's
    own; no grant either is a 404. ``refuse`` with no pending request is a 400.
    """
    if role is not None:
        _check_role(scope, role)
    who = principal_from_id(user_group_id)
    with transaction.atomic():
        pending = _pending_request(scope, who)
        if refuse:
            if pending is None:
                raise validation_failed("status", f"{user_group_id} has no pending request to refuse here")
            _decide(pending, status=RequestStatus.REFUSED, actor=actor)
            if notify:
                notify_people(event="request_refused", scope=scope, user_group_id=user_group_id, role=pending.role)
            return None
        grant = grant_place(scope).grants(scope).filter(who).first()
        if grant is None and pending is None:
            raise permission_not_found(user_group_id)
        if pending is not None:  # granting the request: what it asked for, unless the admin says otherwise
            role = role or pending.role
            message = message if message is not None else pending.message
        grant, _ = set_grant(
            scope=scope,
            user_group_id=user_group_id,
            role=role or grant.role,
            message=message,
            notify=notify,
            actor=actor,
        )
    return grant


def request_permission(
    *, scope, requester, user_group_id: str, role: str, message: str = "", notify: bool = False
) -> PermissionRequestFields:
    """A caller who may not grant ``role`` on ``scope`` asks for it (``requestPermission=true``): a pending
    request an admin there grants or refuses. Only for oneself; asking again replaces the pending request."""
    _check_role(scope, role)
    who = principal_from_id(user_group_id)
    if dict(who.children).get("user") != requester:
        raise RegistryError(
            "FORBIDDEN",
            "A permission request can only be made for yourself (userGroupId user:{your email}).",
            status=403,
        )
    with transaction.atomic():
        pending = _pending_request(scope, who)
        if pending is None:
            place = grant_place(scope)
            pending = place.request_model(**{place.field: scope}, user=requester, role=role, message=message)
            pending.full_clean()
            try:
                with transaction.atomic():
                    pending.save()
            except IntegrityError:  # asked twice at once: update the one that won
                pending = _pending_request(scope, who)
        pending.role, pending.message = role, message
        pending.save(update_fields=["role", "message", "updated_at"])
        if notify:
            notify_people(event="permission_requested", scope=scope, user_group_id=user_group_id, role=role)
    return pending


def permission_not_found(user_group_id: str) -> RegistryError:
    return RegistryError(
        "NOT_FOUND",
        f"{user_group_id} has no permission here",
        status=404,
        details={"resourceType": "permission", "resourceId": user_group_id},
    )


def notify_people(*, event: str, scope, user_group_id: str, role: str) -> None:
    """``notifyPeople=true``: tell the people concerned, after commit. No mail is configured in this
    registry, so the notice is a log record (logger ``registry.notifications``) a mail relay may follow."""
    label = str(scope)
    transaction.on_commit(
        lambda: notifications.info(
            "%s: %s %s on %s",
            event,
            user_group_id,
            role,
            label,
            extra={"event": event, "userGroupId": user_group_id, "permission": role, "resource": label},
        )
    )


def remove_grant(*, scope, user_group_id: str, actor=None) -> None:
    """Remove the principal's grant on ``scope``; a pending request of theirs there is refused with it.
    404 when there is neither."""
    who = principal_from_id(user_group_id)
    with transaction.atomic():
        deleted, _ = grant_place(scope).grants(scope).filter(who).delete()
        pending = _pending_request(scope, who)
        _decide(pending, status=RequestStatus.REFUSED, actor=actor)
    if not deleted and pending is None:
        raise permission_not_found(user_group_id)


# --- Personal API tokens --------------------------------------------------------------------------


def issue_user_token(
    *, user, name: str, read_only: bool = False, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A personal token acting as ``user``, with whatever roles the user holds. The secret is returned
    once; only its digest is stored. ``read_only`` refuses every write; no ``expires_at``: it never expires.

    Raises VALIDATION_FAILED for a bad name, a past expiry or an inactive user or service account, and
    409 TOKEN_EXISTS when the user already has a token called ``name`` (revoked ones included).
    """
    check_new_name("name", name, what="token name")
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
    check_new_name("name", name, what="token name")
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


# --- Groups ---------------------------------------------------------------------------------------

# Service accounts (see registry.tokens.service_account_for) belong to their group through its tokens.
SERVICE_ACCOUNT_PREFIX = "service-account."


def check_new_name(field: str, name: str, *, what: str = "name") -> None:
    """A new group or token name: ``^[a-zA-Z0-9_-]+$``, 1 to 100 characters. Existing rows named
    otherwise (before this rule) stay readable, revocable and deletable."""
    if not isinstance(name, str) or not name or len(name) > NAME_MAX_LENGTH:
        raise validation_failed(field, f"a {what} of 1 to {NAME_MAX_LENGTH} characters is required")
    try:
        validate_name(name)
    except ValidationError as exc:
        raise validation_failed(field, exc.messages[0]) from exc


def group_exists(name: str) -> RegistryError:
    return RegistryError("GROUP_EXISTS", f"Group {name} already exists", status=409, details={"groupName": name})


def create_group(*, organization: Organization, group_name: str, description: str = "") -> OrganizationGroup:
    """A new group the organization owns. Group names are global (a ``group:`` grant may name it
    anywhere), so a name any group has, in any case, is 409 GROUP_EXISTS."""
    check_new_name("groupName", group_name)
    with transaction.atomic():
        if Group.objects.filter(name__iexact=group_name).exists():
            raise group_exists(group_name)
        try:
            with transaction.atomic():
                group = Group.objects.create(name=group_name)
        except IntegrityError as exc:  # created meanwhile
            raise group_exists(group_name) from exc
        link = OrganizationGroup(organization=organization, group=group, description=description)
        link.full_clean()
        link.save()
    return link


def organization_groups(organization: Organization):
    """The groups an organization owns, by name (group and organization attached for the response)."""
    return (
        OrganizationGroup.objects.filter(organization=organization)
        .select_related("group", "organization")
        .order_by("group__name")
    )


def organization_group(*, organization: Organization, group_name: str) -> OrganizationGroup:
    """The organization's group called ``group_name``; 404 when it owns none by that name."""
    link = organization_groups(organization).filter(group__name=group_name).first()
    if link is None:
        raise not_found("group", group_name)
    return link


def update_group(*, link: OrganizationGroup, description: str | None = None, group_name: str | None = None):
    """Change a group's description. Its name is its identity (in ``group:`` grants and its service
    account), so asking for another name is a 400."""
    if group_name is not None and group_name != link.group.name:
        raise validation_failed("groupName", "a group cannot be renamed; create another group")
    with transaction.atomic():
        locked = OrganizationGroup.objects.select_for_update(of=("self",)).select_related("group", "organization")
        locked = locked.get(pk=link.pk)
        if description is not None and description != locked.description:
            locked.description = description
            locked.full_clean()
            locked.save(update_fields=["description", "updated_at"])
    return locked


def delete_group(*, link: OrganizationGroup) -> None:
    """Delete the group: its grants, memberships and service tokens go with it."""
    with transaction.atomic():
        link.group.delete()


# --- Group members --------------------------------------------------------------------------------

# What a member's ``status`` asks for: Credible's ``admin`` and ``member``, and the statuses this
# registry took before (``active`` is ``member``; ``inactive`` and ``removed`` take the member out).
MEMBER_STATUSES = {
    "admin": MemberStatus.ADMIN,
    "member": MemberStatus.MEMBER,
    "active": MemberStatus.MEMBER,
    "inactive": None,
    "removed": None,
}


@dataclass(frozen=True)
class MemberChange:
    """One entry of a members request: a ``user:{email}`` or ``group:{name}`` id and the status asked for."""

    user_group_id: str
    status: str


@dataclass(frozen=True)
class Member:
    """A group's member as the API shows it."""

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
        check_new_name("groupName", group_name)
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


def _users_named(names: list[tuple[str, str]]) -> list:
    """The user each ``(field, email)`` names (one query for all), matched as ``principal_from_id``
    matches one: email in any case, or username, the oldest account first."""
    by_email: dict[str, object] = {}
    by_username: dict[str, object] = {}
    lowered = {name.lower() for _, name in names}
    plain = {name for _, name in names}
    if names:
        for candidate in get_user_model().objects.filter(Q(email__lower__in=lowered) | Q(username__in=plain)):
            for table, key in ((by_email, candidate.email.lower()), (by_username, candidate.username)):
                if key not in table or candidate.pk < table[key].pk:
                    table[key] = candidate
    users = []
    for field, name in names:
        matches = [user for user in (by_email.get(name.lower()), by_username.get(name)) if user is not None]
        user = min(matches, key=lambda match: match.pk, default=None)
        if user is None:
            raise validation_failed(field, f"no user with email {name}")
        if user.username.startswith(SERVICE_ACCOUNT_PREFIX):
            raise validation_failed(field, "a service account's membership follows its group's tokens")
        users.append(user)
    return users


def _member_groups(group: Group, organization: Organization, names: list[tuple[str, str]]) -> dict[str, Group]:
    """The groups named as ``group:`` members, by name: groups this organization owns, one level deep
    (the member holds no groups itself, and ``group`` is inside no group), never ``group`` itself."""
    if not names:
        return {}
    found = {
        link.group.name: link.group
        for link in OrganizationGroup.objects.select_related("group").filter(
            organization=organization, group__name__in={name for _, name in names}
        )
    }
    holding_groups = set(
        GroupMembership.objects.filter(group__in=found.values(), member_group__isnull=False).values_list(
            "group__name", flat=True
        )
    )
    for field, name in names:
        if name not in found:
            raise validation_failed(field, f"no group named {name} in organization {organization.name}")
        if found[name].pk == group.pk:
            raise validation_failed(field, "a group cannot be a member of itself")
        if name in holding_groups:
            raise validation_failed(field, f"group {name} holds groups itself; groups nest one level only")
    if GroupMembership.objects.filter(member_group=group).exists():
        raise validation_failed(
            names[0][0], f"group {group.name} is itself a member of a group; groups nest one level only"
        )
    return found


def group_members(group: Group) -> list[Member]:
    """The group's members with their status: users (service accounts left out) by email, then groups."""
    statuses = {
        (row.user_id, row.member_group_id): row.status
        for row in GroupMembership.objects.filter(group=group).only("user_id", "member_group_id", "status")
    }
    users = group.user_set.exclude(username__startswith=SERVICE_ACCOUNT_PREFIX).order_by("email", "username", "pk")
    members = [
        Member(f"user:{user.email or user.username}", statuses.get((user.pk, None), MemberStatus.MEMBER))
        for user in users
    ]
    groups = Group.objects.filter(member_of__group=group).order_by("name")
    members += [Member(f"group:{member.name}", statuses[(None, member.pk)]) for member in groups]
    return members


def _parse_member_id(field: str, user_group_id: str) -> tuple[str, str]:
    kind, _, name = (user_group_id or "").partition(":")
    if kind not in ("user", "group") or not name:
        raise validation_failed(field, "expected 'user:{email}' or 'group:{name}'")
    return kind, name


def _apply_member(group: Group, *, user=None, member_group: Group | None = None, status) -> None:
    """Make ``user`` or ``member_group`` a member with ``status``, or take them out (status None)."""
    key = {"user": user} if user is not None else {"member_group": member_group}
    if status is None:
        GroupMembership.objects.filter(group=group, **key).delete()
        if user is not None:
            group.user_set.remove(user)
        return
    GroupMembership.objects.update_or_create(group=group, **key, defaults={"status": status})
    if user is not None:
        group.user_set.add(user)


def set_group_members(
    *, organization: Organization, group_name: str, changes: list[MemberChange], actor
) -> tuple[Group, list[Member]]:
    """Add members (``admin``, ``member``; ``active`` is ``member``) or take them out (``inactive``,
    ``removed``) of an organization's group; a member named again gets the new status.

    Members are users (``user:{email}``) or groups this organization owns (``group:{name}``: its users
    read what the group is granted; one level deep). Members not named keep their place; entries apply
    in order, so the last one for a member wins. Every entry is checked before anything is written, and
    all changes are one transaction. Membership is global (the group's grants may reach anything it is
    granted), so the change shows on the next request everywhere. Returns the group and its members.
    """
    if not changes:
        raise validation_failed("members", "at least one member is required")
    with transaction.atomic():
        group = owned_group(organization=organization, group_name=group_name, actor=actor, create=True)
        group = Group.objects.select_for_update().get(pk=group.pk)  # one membership change at a time
        user_names, group_names, parsed = [], [], []
        for index, change in enumerate(changes):
            if change.status not in MEMBER_STATUSES:
                raise validation_failed(
                    f"members[{index}].status",
                    "must be one of admin, member (also accepted: active, inactive, removed)",
                )
            field = f"members[{index}].userGroupId"
            kind, name = _parse_member_id(field, change.user_group_id)
            (user_names if kind == "user" else group_names).append((field, name))
            parsed.append((kind, name, MEMBER_STATUSES[change.status]))
        users = iter(_users_named(user_names))
        groups = _member_groups(group, organization, group_names)
        wanted: dict[tuple[int | None, int | None], tuple[object, Group | None, object]] = {}  # later entries win
        for kind, name, status in parsed:
            if kind == "user":
                user = next(users)
                wanted[(user.pk, None)] = (user, None, status)
            else:
                wanted[(None, groups[name].pk)] = (None, groups[name], status)
        _apply_members(group, wanted)
        return group, group_members(group)


def _apply_members(group: Group, wanted: dict) -> None:
    """Write ``wanted`` (``(user id, group id) -> (user, group, status or None)``) in a few bulk queries,
    however many members are named."""
    existing = {(row.user_id, row.member_group_id): row for row in GroupMembership.objects.filter(group=group)}
    now = timezone.now()
    to_create, to_update, to_delete, users_in, users_out = [], [], [], [], []
    for key, (user, member_group, status) in wanted.items():
        row = existing.get(key)
        if status is None:
            if row is not None:
                to_delete.append(row.pk)
            if user is not None:
                users_out.append(user)
            continue
        if row is None:
            to_create.append(GroupMembership(group=group, user=user, member_group=member_group, status=status))
        elif row.status != status:
            row.status, row.updated_at = status, now
            to_update.append(row)
        if user is not None:
            users_in.append(user)
    if to_delete:
        GroupMembership.objects.filter(pk__in=to_delete).delete()
    if to_create:
        GroupMembership.objects.bulk_create(to_create)
    if to_update:
        GroupMembership.objects.bulk_update(to_update, ["status", "updated_at"])
    if users_in:
        group.user_set.add(*users_in)
    if users_out:
        group.user_set.remove(*users_out)


def _member_key(group: Group, member_id: str) -> dict:
    """The member a path names: ``user:{email}``, ``group:{name}`` or a bare email; 404 if not a member."""
    kind, _, name = member_id.partition(":")
    if kind not in ("user", "group") or not name:
        kind, name = "user", member_id
    if kind == "group":
        member = Group.objects.filter(name=name, member_of__group=group).first()
        if member is not None:
            return {"member_group": member}
    else:
        member = (
            group.user_set.filter(Q(email__iexact=name) | Q(username=name))
            .exclude(username__startswith=SERVICE_ACCOUNT_PREFIX)
            .order_by("pk")
            .first()
        )
        if member is not None:
            return {"user": member}
    raise not_found("member", member_id)


def _as_member(key: dict, status: str) -> Member:
    who = key.get("user")
    user_group_id = f"user:{who.email or who.username}" if who is not None else f"group:{key['member_group'].name}"
    return Member(user_group_id, status)


def group_member(*, link: OrganizationGroup, member_id: str) -> Member:
    """One member of a group with its status; 404 if not a member."""
    key = _member_key(link.group, member_id)
    row = GroupMembership.objects.filter(group_id=link.group_id, **key).only("status").first()
    return _as_member(key, row.status if row is not None else MemberStatus.MEMBER)


def set_member_status(*, link: OrganizationGroup, member_id: str, status: str) -> Member:
    """Change one member's status (``admin`` or ``member``)."""
    if status not in (MemberStatus.ADMIN, MemberStatus.MEMBER):
        raise validation_failed("status", "must be admin or member")
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=link.group_id)
        key = _member_key(group, member_id)
        _apply_member(group, **key, status=status)
    return _as_member(key, status)


def remove_group_member(*, link: OrganizationGroup, member_id: str) -> None:
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=link.group_id)
        _apply_member(group, **_member_key(group, member_id), status=None)
