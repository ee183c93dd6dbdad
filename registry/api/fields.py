"""Serializer fields shared by both surfaces."""

from rest_framework import serializers


class TextField(serializers.CharField):
    """A CharField that takes JSON strings only: ``{"description": 0}`` is a 400, not the text "0".

    (DRF's CharField turns numbers into their text, which stores what the client did not mean.)
    """

    default_error_messages = {"invalid": "must be a string"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
