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


class Grant(TimestampedModel):
    """A role on one organization, project or package, given to one user or one group."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    package = models.ForeignKey(
        "packages_app.Package", null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="grants"
    )
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=16, choices=Role.choices)
    # Credible's ``message``: why the grant was given (or the request's note, once granted).
    message = models.TextField(blank=True, default="")

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["user"]), models.Index(fields=["group"])]
        constraints = [
            # Exactly one scope and exactly one principal.
            models.CheckConstraint(
                condition=(
                    Q(organization__isnull=False, project__isnull=True, package__isnull=True)
                    | Q(organization__isnull=True, project__isnull=False, package__isnull=True)
                    | Q(organization__isnull=True, project__isnull=True, package__isnull=False)
                ),
                name="grant_exactly_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True) | Q(user__isnull=True, group__isnull=False),
                name="grant_exactly_one_principal",
            ),
            models.CheckConstraint(
                condition=(
                    Q(organization__isnull=False, role__in=[r.value for r in ORGANIZATION_ROLES])
                    | Q(organization__isnull=True, role__in=[r.value for r in PROJECT_ROLES])
                ),
                name="grant_role_fits_scope",
            ),
            models.UniqueConstraint(
                "organization",
                "user",
                name="grant_unique_org_user",
                condition=Q(organization__isnull=False, user__isnull=False),
            ),
            models.UniqueConstraint(
                "organization",
                "group",
                name="grant_unique_org_group",
                condition=Q(organization__isnull=False, group__isnull=False),
            ),
            models.UniqueConstraint(
                "project",
                "user",
                name="grant_unique_project_user",
                condition=Q(project__isnull=False, user__isnull=False),
            ),
            models.UniqueConstraint(
                "project",
                "group",
                name="grant_unique_project_group",
                condition=Q(project__isnull=False, group__isnull=False),
            ),
            models.UniqueConstraint(
                "package",
                "user",
                name="grant_unique_package_user",
                condition=Q(package__isnull=False, user__isnull=False),
            ),
            models.UniqueConstraint(
                "package",
                "group",
                name="grant_unique_package_group",
                condition=Q(package__isnull=False, group__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_group_id} is {self.role} of {self.scope}"

    @property
    def scope(self):
        return self.organization or self.project or self.package

    @property
    def user_group_id(self) -> str:
        """The Credible principal id: ``user:{email}`` or ``group:{name}``."""
        if self.user_id:
            return f"user:{self.user.email or self.user.username}"
        return f"group:{self.group.name}"


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


class PermissionRequest(TimestampedModel):
    """A user's request for a role on an organization, project or package (``requestPermission=true``),
    waiting for an admin there to grant or refuse it (API PATCH, or the staff console)."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="permission_requests"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="permission_requests"
    )
    package = models.ForeignKey(
        "packages_app.Package", null=True, blank=True, on_delete=models.CASCADE, related_name="permission_requests"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="permission_requests")
    role = models.CharField(max_length=16, choices=Role.choices)
    message = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = PermissionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organization__isnull=False, project__isnull=True, package__isnull=True)
                    | Q(organization__isnull=True, project__isnull=False, package__isnull=True)
                    | Q(organization__isnull=True, project__isnull=True, package__isnull=False)
                ),
                name="permission_request_exactly_one_scope",
            ),
            # One pending request per user and resource: asking again updates it.
            *(
                models.UniqueConstraint(
                    scope,
                    "user",
                    name=f"permission_request_one_pending_{scope}",
                    condition=Q(**{f"{scope}__isnull": False}, status="pending"),
                )
                for scope in ("organization", "project", "package")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_group_id} asks {self.role} on {self.scope} ({self.status})"

    @property
    def scope(self):
        return self.organization or self.project or self.package

    @property
    def user_group_id(self) -> str:
        return f"user:{self.user.email or self.user.username}"


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
