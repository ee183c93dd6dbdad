"""Serializer fields shared by both surfaces."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registry.naming import VERSION_MAX_LENGTH, VERSION_PATTERN


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
