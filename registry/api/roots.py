"""The root of each API surface: what lives under it, as links (a browsable page for a logged-in person).

The routes a root lists are given by the URL configuration, so this module knows nothing of the apps
behind them. Paths with ``{placeholders}`` are templates, listed as they are; the others are links.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


@extend_schema(exclude=True)  # a table of contents, not an operation: the schema lists the operations themselves
class ApiRootView(APIView):
    """The entry points of this API. Authenticate with `Authorization: Bearer <token>`; the full reference
    is at `/api/docs/` (Swagger UI) and `/api/redoc/` (Redoc)."""

    permission_classes = [AllowAny]  # names routes only, which the public schema names too
    name = "API root"
    links: dict[str, str] = {}

    def get(self, request):
        base = request.build_absolute_uri(request.path)
        return Response({name: f"{base}{path}" for name, path in self.links.items()})
