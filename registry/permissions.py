from rest_framework import permissions

from registry.authentication import is_read_only


class TokenScopePermission(permissions.BasePermission):
    """A read-only token may only make safe requests."""

    message = "This token is read-only."

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or not is_read_only(request)
