"""Serializer fields shared by both surfaces."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.naming import (
    NAME_MAX_LENGTH,
    RESOURCE_IDENTIFIER_MAX_LENGTH,
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
class VersionNumberField(TextField):
    """A strict ``X.Y.Z`` version, taken as sent (no trimming). The schema states the pattern; the service
    that reads the number checks it (INVALID_VERSION when publishing, DEPENDENCY_NOT_FOUND for a dependency),
    so the error is the surface's own rather than a field error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class NameField(TextField):
    """A name as paths carry it: letters, digits, '_' and '-', taken as sent. The schema states the
    validator's pattern, and a refusal says which characters are allowed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(validate_name)


class ResourceIdentifierField(TextField):
    """A package's registry-wide identifier: letters, digits and '_/.:-', taken as sent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", RESOURCE_IDENTIFIER_MAX_LENGTH)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        self.validators.append(validate_resource_identifier)


class OneOfField(serializers.ChoiceField):
    """A choice whose refusal lists the choices (``must be one of admin, modeler, viewer``)."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, **kwargs)
        self.error_messages["invalid_choice"] = f"must be one of {', '.join(map(str, self.choices))}"
