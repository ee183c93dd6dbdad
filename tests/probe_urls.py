"""A tiny URLconf exercising the shared API machinery on both surfaces (used with @pytest.mark.urls)."""

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.errors import RegistryError
from registry.views import api_aware_404, api_aware_500


class Probe(APIView):
    def get(self, request):
        return Response({"user": request.user.username})

    def post(self, request):
        return Response({"wrote": True}, status=201)


class Broken(APIView):
    def get(self, request):
        raise ZeroDivisionError("boom")


class Refuses(APIView):
    def get(self, request):
        raise RegistryError(
            "VERSION_EXISTS", "Package version 1.0.0 already exists", status=409, details={"version": "1.0.0"}
        )


urlpatterns = [
    path("api/v0/probe", Probe.as_view()),
    path("api/v0/broken", Broken.as_view()),
    path("api/v0/refuses", Refuses.as_view()),
    path("v1/probe", Probe.as_view()),
    path("v1/broken", Broken.as_view()),
    path("v1/refuses", Refuses.as_view()),
]

handler404 = api_aware_404
handler500 = api_aware_500
