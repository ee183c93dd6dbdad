"""OPTIONS responses for both surfaces."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class RegistryMetadata(SimpleMetadata):
    """DRF's metadata, without looking an object up for PUT.

    DRF calls ``view.get_object()`` to check object permissions before describing PUT; our views find
    their objects by name in the path (no ``queryset``), so that call failed with a 500. Describing the
    input fields needs only the view-level permission check.
    """

    def determine_actions(self, request, view):
        actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
            except (exceptions.APIException, PermissionDenied, Http404):
                pass
            else:
                serializer = view.get_serializer()
                actions[method] = self.get_serializer_info(serializer)
            finally:
                view.request = request
        return actions
