"""The browsable API's renderer: forms that show what each method takes, and JSON first in the raw form.

DRF's ``BrowsableAPIRenderer`` builds its forms from the view's serializer; our views answer with one
serializer and read requests with another, and say which one per method through ``get_serializer_class``
(``V0View.input_serializers``, ``V1View.input_serializer_class``). This renderer adds three things:

- The HTML form of a method is built from that method's serializer even on the page answering it: DRF
  reuses the serializer of the response just rendered (after a POST, the form grew the *response's*
  fields). A form whose fields HTML cannot hold (lists, maps) is left out; the raw form remains.
- The raw data form offers ``application/json`` first (DRF takes the view's first parser, which is
  ``multipart/form-data`` on the upload endpoint), leaves out ``multipart/form-data`` (a textarea cannot
  hold a multipart body), and shows only what the method takes, with the resource's current values for
  PATCH and PUT.
- File fields, which JSON cannot carry, are not in the raw form's content.
"""

from collections.abc import Mapping

from django import forms
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import is_form_media_type, override_method

JSON = "application/json"


def _instance(data):
    serializer = getattr(data, "serializer", None)
    if serializer is None or getattr(serializer, "many", False):
        return None
    return getattr(serializer, "instance", None)


def _html_can_hold(serializer) -> bool:
    """False when a writable field is a list or a map of values, which DRF's HTML forms cannot edit."""
    return not any(
        isinstance(field, serializers.ListSerializer | serializers.DictField)
        or (isinstance(field, serializers.ListField) and isinstance(field.child, serializers.BaseSerializer))
        for field in serializer.fields.values()
        if not field.read_only
    )


def _json_fields(serializer) -> list[str]:
    return [
        name
        for name, field in serializer.fields.items()
        if not field.read_only and not isinstance(field, serializers.HiddenField | serializers.FileField)
    ]


class RegistryBrowsableAPIRenderer(BrowsableAPIRenderer):
    def get_rendered_html_form(self, data, view, method, request):
        if method not in {"POST", "PUT"} or not hasattr(view, "get_serializer"):
            return super().get_rendered_html_form(data, view, method, request)
        instance = _instance(data) if method == "PUT" else None
        with override_method(view, request, method) as request:
            if not self.show_form_for_method(view, method, request, instance):
                return None
            if not any(is_form_media_type(parser.media_type) for parser in view.parser_classes):
                return None
            if view.get_serializer_class() is None:
                return None
            serializer = view.get_serializer(instance=instance) if instance is not None else view.get_serializer()
            if not _html_can_hold(serializer):
                return None
            return self.render_form_for_serializer(serializer)

    def get_raw_data_form(self, data, view, method, request):
        with override_method(view, request, method) as request:
            if not self.show_form_for_method(view, method, request, _instance(data)):
                return None
            media_types = sorted(
                (parser.media_type for parser in view.parser_classes if not parser.media_type.startswith("multipart/")),
                key=lambda media_type: media_type != JSON,
            )
            if not media_types:
                return None
            content = None
            if media_types[0] == JSON and hasattr(view, "get_serializer") and view.get_serializer_class() is not None:
                content = self._raw_content(view.get_serializer(), data, method)

        class GenericContentForm(forms.Form):
            _content_type = forms.ChoiceField(
                label="Media type",
                choices=[(media_type, media_type) for media_type in media_types],
                initial=media_types[0],
                widget=forms.Select(attrs={"data-override": "content-type"}),
            )
            _content = forms.CharField(
                label="Content",
                widget=forms.Textarea(attrs={"data-override": "content"}),
                initial=content,
                required=False,
            )

        return GenericContentForm()

    def _raw_content(self, serializer, data, method: str) -> str:
        """What the method takes, as JSON: for PATCH the resource's current values of the fields it may
        change; for PUT those values and the other fields' defaults; for POST the fields' defaults."""
        names = _json_fields(serializer)
        current = data if method in {"PUT", "PATCH"} and isinstance(data, Mapping) else {}
        if method == "PATCH":
            body = {name: current[name] for name in names if name in current}
        else:
            initial = serializer.data  # unbound: each field's initial value
            body = {name: current.get(name, initial.get(name)) for name in names}
        return JSONRenderer().render(body, JSON, {"indent": 4}).decode()
