"""Forms and widgets of the staff console: tags edited as a list, grants checked in words, token issuing."""

import json

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from registry.errors import RegistryError
from registry.models import ApiToken, Grant, principal_id
from registry.services import SERVICE_ACCOUNT_PREFIX, issue_group_token, issue_user_token, roles_for

TAG_MAX_LENGTH = 100  # what the API accepts for one tag


class TagsWidget(forms.Textarea):
    """A JSON list of tags shown as one tag per line."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 4, "class": "tags-input", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(tag) for tag in value)
        return super().format_value(value)


class TagsField(forms.Field):
    """Tags typed one per line (or separated by commas), kept as the JSON list of strings the models store.

    Blank entries are dropped and repeats kept once, in the order typed. A pasted JSON list of strings is
    accepted as it is.
    """

    widget = TagsWidget
    default_error_messages = {
        "too_long": "The tag “%(tag)s” is %(length)d characters long; a tag may be at most %(limit)d.",
        "not_a_list": "Enter the tags one per line.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", "One tag per line (commas separate tags too).")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # A form redisplayed after an error holds the list the field cleaned, or the text typed.
        return value

    def to_python(self, value) -> list[str]:
        if value in (None, ""):
            return []
        if isinstance(value, list | tuple):
            items = value
        elif isinstance(value, str) and value.lstrip().startswith("["):
            items = self._json_list(value)  # a pasted JSON list is taken as it is
        elif isinstance(value, str):
            items = value.replace(",", "\n").splitlines()
        else:
            raise ValidationError(self.error_messages["not_a_list"], code="not_a_list")
        tags: list[str] = []
        for item in items:
            tag = str(item).strip()
            if tag and tag not in tags:
                tags.append(tag)
        return tags

    def _json_list(self, text: str) -> list:
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise ValidationError(
                "This looks like JSON but is not a list of strings; type the tags one per line instead.",
                code="not_a_list",
            )
        return items

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = [
            ValidationError(
                self.error_messages["too_long"],
                code="too_long",
                params={"tag": f"{tag[:20]}…", "length": len(tag), "limit": TAG_MAX_LENGTH},
            )
            for tag in value
            if len(tag) > TAG_MAX_LENGTH
        ]
        if errors:
            raise ValidationError(errors)

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


# --- grants -------------------------------------------------------------------------------------------

PRINCIPAL_FIELDS = ("user", "group")


class GrantAdminForm(forms.ModelForm):
    """The grant's rules, checked here in words rather than surfacing the database constraints' names.

    Each problem is attached to a field, so Django's model validation skips the constraint it repeats.
    ``scope_fields`` are the model's fields naming what the grant is on (a subclass for package grants
    has one).
    """

    scope_fields = ("organization", "project")

    class Meta:
        model = Grant
        fields = ["organization", "project", "user", "group", "role"]
        help_texts = {
            "organization": "Choose exactly one of organization or project (a package's grants are under Packages).",
            "user": "Choose a user or a group, not both.",
        }

    def clean(self):
        data = super().clean()
        scopes = [name for name in self.scope_fields if data.get(name)]
        principals = [name for name in PRINCIPAL_FIELDS if data.get(name)]
        if len(scopes) != 1 and not any(name in self.errors for name in self.scope_fields):
            self.add_error(
                self.scope_fields[0],  # the first field of "Where"; it also keeps the constraints from repeating it
                f"A grant is on exactly one {' or '.join(self.scope_fields)}: choose one of them"
                + (f" (not {' and '.join(scopes)})." if scopes else "."),
            )
        if len(principals) != 1 and not any(name in self.errors for name in PRINCIPAL_FIELDS):
            self.add_error(
                "user",
                "A grant is given to one user or one group: choose one" + (", not both." if principals else "."),
            )
        if self.errors:
            return data
        scope_field, principal_field = scopes[0], principals[0]
        scope, principal = data[scope_field], data[principal_field]
        role = data.get("role")
        allowed = [r.value for r in roles_for(scope)]
        if role and role not in allowed:
            self.add_error(
                "role",
                f"On {a_scope(scope_field)} the role is one of {', '.join(allowed)}; “{role}” is not one of them.",
            )
        model = self.Meta.model
        existing = (
            model.objects.filter(Q(**{scope_field: scope}), Q(**{principal_field: principal}))
            .exclude(pk=self.instance.pk)
            .first()
        )
        if existing is not None:
            who = principal_id(**{principal_field: principal})
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[existing.pk])
            self.add_error(
                principal_field,
                format_html(
                    '{} already has a grant on {} {} (role {}): <a href="{}">change that grant</a> instead.',
                    who,
                    scope_field,
                    scope,
                    existing.role,
                    url,
                ),
            )
        return data


def a_scope(scope_field: str) -> str:
    return f"an {scope_field}" if scope_field[0] in "aeiou" else f"a {scope_field}"


# --- API tokens -------------------------------------------------------------------------------------

# The token services name fields as the API does; the form shows each problem beside its own field.
SERVICE_FIELDS = {"name": "name", "expiresAt": "expires_at", "user": "user", "group": "group"}


class IssueTokenForm(forms.Form):
    """Issue a personal token for a user, or a service token for a group, through the token services.

    The form holds no secret: ``issue`` returns it from the service, to be shown once and never stored.
    """

    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.exclude(username__startswith=SERVICE_ACCOUNT_PREFIX).order_by("username"),
        required=False,
        help_text="A personal token acts as this user, with the user's grants.",
    )
    group = forms.ModelChoiceField(
        queryset=Group.objects.filter(owner__isnull=False).order_by("name"),
        required=False,
        help_text=(
            "Or, leaving the user empty, a service token for this group: it acts as the group's service account "
            "with the group's grants. Only groups an organization owns are listed."
        ),
    )
    name = forms.CharField(max_length=100, help_text="Unique among the user's (or the group's) tokens, e.g. ci.")
    read_only = forms.BooleanField(
        required=False, help_text="A read-only token is refused every write, publishing included."
    )
    expires_at = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        label="Expires at",
        help_text="Empty: a personal token never expires; a group token gets the default lifetime.",
    )

    def clean(self):
        data = super().clean()
        user, group = data.get("user"), data.get("group")
        if user and group:
            self.add_error("group", "Choose a user or a group, not both.")
        elif not user and not group and "user" not in self.errors and "group" not in self.errors:
            self.add_error("user", "Choose the user (or the group) the token acts for.")
        elif group is not None and data.get("read_only"):
            self.add_error("read_only", "A group service token cannot be read-only: give the group a viewer role.")
        return data

    def issue(self, *, issuer) -> tuple[ApiToken, str] | None:
        """The new token and its secret, or None with the service's objections added to the form."""
        data = self.cleaned_data
        try:
            if data["user"] is not None:
                return issue_user_token(
                    user=data["user"], name=data["name"], read_only=data["read_only"], expires_at=data["expires_at"]
                )
            group = data["group"]
            return issue_group_token(
                organization=group.owner.organization,
                group_name=group.name,
                name=data["name"],
                issuer=issuer,
                expires_at=data["expires_at"],
            )
        except RegistryError as error:
            self._add_service_error(error)
            return None

    def _add_service_error(self, error: RegistryError) -> None:
        if error.code == "TOKEN_EXISTS":
            self.add_error("name", f"{error.message}: choose another name, or revoke that token first.")
            return
        problems = (error.details or {}).get("fields") or {}
        if not problems:
            self.add_error(None, error.message)
        for api_field, messages in problems.items():
            field = SERVICE_FIELDS.get(api_field)
            for message in messages:
                self.add_error(field, message[:1].upper() + message[1:] + ".")


class TagsAsListAdminMixin:
    """For a ModelAdmin: a ``tags`` JSON field is edited as a list (one tag per line), not as raw JSON."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            return TagsField(label=db_field.verbose_name.capitalize(), required=not db_field.blank)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
