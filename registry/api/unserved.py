"""The answer for any path under an API prefix that no route serves, in debug mode as in production.

With ``DEBUG`` on, Django answers an unresolved path with its technical HTML page before ``handler404``
is consulted, so both API prefixes end in a catch-all route to this view (``config/urls.py``). Families
of Credible's admin API that belong to its analysis product, not to a package registry, are named.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from registry.api.envelopes import error_body

# Credible documents these families in the same admin API; a package registry does not serve them.
UNSERVED_FAMILIES = {
    "workspaces": "Workspaces",
    "documents": "Documents",
    "connections": "Connections",
}
# Top-level v0 paths of Credible's system-wide permissions.
SYSTEM_PERMISSION_ROOTS = {"permissions", "system", "systempermissions", "system-permissions"}


def unserved_family(path: str) -> str | None:
    """The Credible family a v0 path belongs to when this registry does not serve it, else None."""
    if not path.startswith("/api/v0/"):
        return None
    segments = [segment.lower() for segment in path.removeprefix("/api/v0/").split("/") if segment]
    if segments and segments[0] in SYSTEM_PERMISSION_ROOTS:
        return "system permissions"
    for segment in segments:
        if segment in UNSERVED_FAMILIES:
            return segment
    return None


@csrf_exempt
def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """404 ``NOT_FOUND`` in the prefix's envelope; for an unserved Credible family, naming it."""
    family = unserved_family(request.path)
    if family is not None:
        title = UNSERVED_FAMILIES.get(family, "System permissions")
        message = (
            f"{title} belong to Credible's analysis product; this package registry does not serve them "
            f"(it serves organizations, projects, packages, versions, permissions and groups)."
        )
        body = error_body(request.path, "NOT_FOUND", message, {"resourceType": family, "served": False})
    else:
        body = error_body(request.path, "NOT_FOUND", f"No route matches {request.path}")
    return JsonResponse(body, status=404)
