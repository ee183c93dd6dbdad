"""Serializer fields shared by both surfaces."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.naming import (
    NAME_MAX_LENGTH,
    VERSION_MAX_LENGTH,
    VERSION_PATTERN,
    validate_name,
    validate_resource_identifier,
)


class TextField(serializers.CharField):
    """A CharField that takes JSON strings only: ``{"description": 0}`` is a 400, not the text "0".

    (DRF's CharField turns numbers into their text, which stores what the client did not mean.)
    """

    default_error_messages = {"invalid": "must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": VERSION_PATTERN, "maxLength": VERSION_MAX_LENGTH})
class VersionNumberField(serializers.CharField):
    """A strict ``X.Y.Z`` version. The schema states the pattern; the publish pipeline checks it, so that a
    bad number is the surface's own INVALID_VERSION error rather than a field error."""


class NameField(serializers.CharField):
    """A name as paths carry it: letters, digits, '_' and '-'. The schema states the validator's pattern,
    and a refusal says which characters are allowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        super().__init__(**kwargs)
        self.validators.append(validate_name)


class ResourceIdentifierField(serializers.CharField):
    """A package's registry-wide identifier: letters, digits and '_/.:-'."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 400)
        super().__init__(**kwargs)
        self.validators.append(validate_resource_identifier)


class OneOfField(serializers.ChoiceField):
    """A choice whose refusal lists the choices (``must be one of admin, modeler, viewer``)."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, **kwargs)
        self.error_messages["invalid_choice"] = f"must be one of {', '.join(map(str, self.choices))}"
