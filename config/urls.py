"""Top-level routes: the landing page, the admin, the two API surfaces, the OpenAPI schema and docs, health checks."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from registry.api.roots import ApiRootView
from registry.api.unserved import api_not_found
from registry.views import (
    api_aware_400,
    api_aware_403,
    api_aware_404,
    api_aware_500,
    favicon,
    healthz,
    landing,
    readyz,
    same_origin_only,
)

V0_ROOT_LINKS = {
    "organizations": "organizations",
    "search": "search?q=",
    "projects": "organizations/{org}/projects",
    "packages": "organizations/{org}/projects/{project}/packages",
    "versions": "organizations/{org}/projects/{project}/packages/{package}/versions",
}
V1_ROOT_LINKS = {
    "components": "organizations/{organizationId}/projects/{projectId}/components",
    "dependencies": "organizations/{organizationId}/projects/{projectId}/dependencies",
    "packages": "organizations/{organizationId}/projects/{projectId}/packages",
}

urlpatterns = [
    path("", landing, name="landing"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs work offline: Swagger UI and Redoc come from drf-spectacular-sidecar; Redoc's stock page asks
    # Google for fonts, ours uses the system's; the policy keeps Redoc's bundle from fetching its CDN logo.
    path("api/docs/", same_origin_only(SpectacularSwaggerView.as_view(url_name="schema")), name="swagger-ui"),
    path(
        "api/redoc/",
        same_origin_only(SpectacularRedocView.as_view(url_name="schema", template_name="registry/redoc.html")),
        name="redoc",
    ),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v0/", ApiRootView.as_view(name="Credible-style API (v0)", links=V0_ROOT_LINKS), name="api-v0-root"),
    path("api/v0/", include("config.api_v0_urls")),
    path("v1/", ApiRootView.as_view(name="Metabind-style API (v1)", links=V1_ROOT_LINKS), name="api-v1-root"),
    path("v1/", include("components_app.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Last: any other path under an API prefix answers its envelope's 404, in debug mode too.
    re_path(r"^api/v0/", api_not_found, name="api-v0-not-found"),
    re_path(r"^v1/", api_not_found, name="api-v1-not-found"),
]

handler400 = api_aware_400
handler403 = api_aware_403
handler404 = api_aware_404
handler500 = api_aware_500
