"""Organizations, projects, access grants and API tokens."""

import hashlib

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from registry.naming import NAME_MAX_LENGTH, NAME_PATTERN, validate_name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MODELER = "modeler", "Modeler"
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"


# How much each role may do. viewer and member read; modeler also publishes and edits; admin also
# manages grants and deletes.
ROLE_RANK = {Role.VIEWER: 1, Role.MEMBER: 1, Role.MODELER: 2, Role.ADMIN: 3}
ORGANIZATION_ROLES = (Role.ADMIN, Role.MODELER, Role.MEMBER)
PROJECT_ROLES = (Role.ADMIN, Role.MODELER, Role.VIEWER)


def name_field(**kwargs) -> models.CharField:
    return models.CharField(max_length=NAME_MAX_LENGTH, validators=[validate_name], **kwargs)


def name_is_valid(field: str = "name") -> Q:
    return Q(**{f"{field}__regex": NAME_PATTERN})


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "OrganizationQuerySet":
        """Organizations the user may read: a grant on it, or on any project or package inside it."""
        from registry.access import visible_q

        return self.filter(visible_q(user, organization="pk"))

    def by_name(self, name: str) -> "OrganizationQuerySet":
        return self.filter(name__lower=name.lower()).order_by()  # one row: sorting it only costs


class Organization(TimestampedModel):
    name = name_field()
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="organization_name_unique_ci"),
            models.CheckConstraint(condition=name_is_valid(), name="organization_name_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProjectQuerySet":
        """Projects the user may read: a grant on the project or its organization, or on a package in it."""
        from registry.access import visible_q

        return self.filter(visible_q(user, organization="organization", project="pk"))

    def by_name(self, organization: str, project: str) -> "ProjectQuerySet":
        # One row: the default ordering would join organizations only to sort it.
        return self.filter(organization__name__lower=organization.lower(), name__lower=project.lower()).order_by()


class Project(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    name = name_field()
    description = models.TextField(blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="project_name_unique_ci"),
            models.CheckConstraint(condition=name_is_valid(), name="project_name_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name}/{self.name}"


class GrantQuerySet(models.QuerySet):
    def for_principal(self, user) -> "GrantQuerySet":
        from registry.access import principal_q

        return self.filter(principal_q(user))


def principal_id(*, user=None, group=None) -> str:
    """The Credible principal id: ``user:{email}`` (the username when there is no email) or ``group:{name}``."""
    if user is not None:
        return f"user:{user.email or user.get_username()}"
    return f"group:{group.name}"


class GrantFields(TimestampedModel):
    """A role given to one user or one group; each concrete grant model adds the one thing it is on.

    Grants on an organization or a project are :class:`Grant`; a grant on something inside a project is
    kept by the app that owns that thing (``packages_app.PackageGrant``) and reaches the access rule
    through :mod:`registry.hooks`. The names of the constraints below take the concrete model's name.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="%(class)ss")
    role = models.CharField(max_length=16, choices=Role.choices)
    # Credible's ``message``: why the grant was given (or the request's note, once granted).
    message = models.TextField(blank=True, default="")

    objects = GrantQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="%(class)s_exactly_one_principal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_group_id} is {self.role} of {self.scope}"

    @property
    def user_group_id(self) -> str:
        return principal_id(user=self.user, group=self.group)


class Grant(GrantFields):
    """A role on one organization or one project, given to one user or one group."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")

    class Meta(GrantFields.Meta):
        constraints = [
            *GrantFields.Meta.constraints,
            models.CheckConstraint(
                condition=Q(organization__isnull=False, project__isnull=True)
                | Q(organization__isnull=True, project__isnull=False),
                name="grant_exactly_one_scope",
            ),
            models.CheckConstraint(
                condition=(
                    Q(organization__isnull=False, role__in=[r.value for r in ORGANIZATION_ROLES])
                    | Q(organization__isnull=True, role__in=[r.value for r in PROJECT_ROLES])
                ),
                name="grant_role_fits_scope",
            ),
            *(
                models.UniqueConstraint(
                    scope,
                    principal,
                    name=f"grant_unique_{'org' if scope == 'organization' else scope}_{principal}",
                    condition=Q(**{f"{scope}__isnull": False, f"{principal}__isnull": False}),
                )
                for scope in ("organization", "project")
                for principal in ("user", "group")
            ),
        ]

    @property
    def scope(self):
        return self.organization or self.project


class OrganizationGroup(TimestampedModel):
    """A group one organization owns: its admins manage the group's members and service tokens.

    Groups are global (a member reads whatever the group is granted, anywhere), so membership needs an
    owner; without one, the admin of any organization able to grant a group could decide who is in it.
    An organization owns the groups it creates by adding members to a new name; staff assign the others.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="owned_groups")
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="owner")
    description = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["organization", "group__name"]

    def __str__(self) -> str:
        return f"{self.organization.name}: {self.group.name}"


class MemberStatus(models.TextChoices):
    """Credible's member statuses: an ``admin`` member also manages the group."""

    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class GroupMembership(TimestampedModel):
    """A member of a group, with its status: a user, or another group (one level: its users belong too).

    A user's membership itself is Django's ``user.groups`` (what access reads); this row records the
    status (a user in the group without a row, e.g. added in the staff console, is a ``member``). A group
    member exists only here: ``registry.access.principal_q`` reaches the groups that contain the user's.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="group_memberships"
    )
    member_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="member_of")
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.MEMBER)

    class Meta:
        ordering = ["group", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, member_group__isnull=True)
                | Q(user__isnull=True, member_group__isnull=False),
                name="group_membership_one_member",
            ),
            models.UniqueConstraint(
                "group", "user", name="group_membership_unique_user", condition=Q(user__isnull=False)
            ),
            models.UniqueConstraint(
                "group",
                "member_group",
                name="group_membership_unique_group",
                condition=Q(member_group__isnull=False),
            ),
            models.CheckConstraint(condition=~Q(group=models.F("member_group")), name="group_membership_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.user_group_id} is {self.status} of {self.group.name}"

    @property
    def user_group_id(self) -> str:
        if self.user_id:
            return f"user:{self.user.email or self.user.username}"
        return f"group:{self.member_group.name}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    GRANTED = "granted", "Granted"
    REFUSED = "refused", "Refused"


class PermissionRequestQuerySet(models.QuerySet):
    def pending(self) -> "PermissionRequestQuerySet":
        return self.filter(status=RequestStatus.PENDING)


class PermissionRequestFields(TimestampedModel):
    """A user's request for a role (``requestPermission=true``), waiting for an admin where it is asked
    to grant or refuse it (API PATCH, or the staff console). Like grants, each concrete model adds the
    one thing the request is on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)ss")
    role = models.CharField(max_length=16, choices=Role.choices)
    message = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = PermissionRequestQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_group_id} asks {self.role} on {self.scope} ({self.status})"

    @property
    def user_group_id(self) -> str:
        return principal_id(user=self.user)


def one_pending_request_per_user(scope: str, prefix: str = "permission_request") -> models.UniqueConstraint:
    """One pending request per user and resource: asking again updates it."""
    return models.UniqueConstraint(
        scope,
        "user",
        name=f"{prefix}_one_pending_{scope}",
        condition=Q(**{f"{scope}__isnull": False}, status=RequestStatus.PENDING),
    )


class PermissionRequest(PermissionRequestFields):
    """A request for a role on an organization or a project."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="permission_requests"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="permission_requests"
    )

    class Meta(PermissionRequestFields.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False, project__isnull=True)
                | Q(organization__isnull=True, project__isnull=False),
                name="permission_request_exactly_one_scope",
            ),
            one_pending_request_per_user("organization"),
            one_pending_request_per_user("project"),
        ]

    @property
    def scope(self):
        return self.organization or self.project


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class ApiToken(models.Model):
    """A bearer token. Only its sha256 digest and a short prefix are stored; the secret is shown once."""

    PREFIX_LENGTH = 12

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    # Set for a group's service token: ``user`` is then that group's service account.
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="service_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("user", "name", name="api_token_name_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest_of(secret: str) -> str:
        # Tokens are 256-bit random strings, so a plain sha256 is enough: there is nothing to brute-force.
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
